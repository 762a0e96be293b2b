"""The correlator's faust shell: route agency events by area, feed the pure core, send what it decides.

The input is read in batches: each record steps its area's working state (in memory), the
outputs of the whole batch are produced and acknowledged together, then what the steps changed
is stored. A crash anywhere reads the batch again from the stored states and yields the same
bytes (deterministic ids, sequences and hashes).
"""

from __future__ import annotations

import time
from typing import Any

import faust
from faust.streams import current_event
from faust.types import EventT

from incidentbus.correlator.domain.area import AreaState, Changes
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.domain.statecodec import Record, all_records, from_records, legacy_loads, records
from incidentbus.correlator.engine import INPUT, AreaStep, input_of, output_record, routed_record, steps_for
from incidentbus.correlator.routing import (
    COMMANDS,
    UnroutableError,
    check_time,
    publisher_of,
    route_key,
)
from incidentbus.kernel.codec import Decoded, encode
from incidentbus.kernel.deadletter import dead_letter_record
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.kernel.faust_shell import Batching, BatchStats, Store, gate_agent, make_app, stateless
from incidentbus.kernel.faust_tables import TableWrite, write_table
from incidentbus.kernel.gate import reject
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.jurisdictions import load_jurisdictions
from incidentbus.kernel.logging import get_logger
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

INPUT_PARTITIONS = 6
log = get_logger("incidentbus.correlator")


class Correlator:
    """The shell around the core; also the engine's AreaStore, over a faust table.

    The table holds one record per case, remembered id, retired report and alias of each area
    ("<area>|<store>/<key>", statecodec.records), so a step writes only what it touched. The
    working states are kept in memory, built from the table in one scan after each rebalance
    (faust restores the table first); a step whose outputs could not be sent drops its area, so
    the next attempt starts again from what was stored."""

    def __init__(self, app: faust.App, settings: BusSettings, rules: Rules) -> None:
        self.app, self.settings, self.rules = app, settings, rules
        self.table = app.Table(
            "correlator-areas",
            default=None,
            partitions=INPUT_PARTITIONS,
            key_type=str,
            value_type=str,
        )
        self.states: dict[str, AreaState] | None = None
        self.known: dict[int, set[str]] = {}  # partition -> areas seen in it
        # steps and new areas of the batch in hand, stored once its outputs are acknowledged
        self.pending: list[tuple[EventT[Any], AreaStep]] = []
        self.new_areas: dict[int, tuple[EventT[Any], set[str]]] = {}
        self.legacy: set[str] = set()  # areas read from a whole-area value of an older version
        self.debug = settings.logs_debug
        self.batch_inputs = self.batch_outputs = 0
        app.on_partitions_assigned.connect(self._forget)
        app.on_partitions_revoked.connect(self._forget)

    async def _forget(self, *_: object, **__: object) -> None:
        self.states, self.known = None, {}

    def _scan(self) -> dict[str, AreaState]:
        """Every area this worker holds, from the table (one pass)."""
        grouped: dict[str, list[tuple[str, bytes]]] = {}
        legacy: dict[str, AreaState] = {}
        for key, value in self.table.items():
            area, sep, name = str(key).partition("|")
            if sep:
                grouped.setdefault(area, []).append((name, str(value).encode()))
            elif value and not area.startswith("__areas__/"):
                legacy[area] = legacy_loads(str(value).encode())
        states = {area: from_records(area, items) for area, items in grouped.items()}
        self.legacy = set(legacy) - set(states)
        return {**{a: legacy[a] for a in self.legacy}, **states}

    def load(self, area: str) -> AreaState:
        if self.states is None:
            self.states = self._scan()
        state = self.states.get(area)
        if state is None:  # not `setdefault`: that would build a state on every load
            state = self.states[area] = AreaState(area)
        return state

    def save(self, area: str, state: AreaState, changes: Changes) -> None:
        self._write(self._writes(area, state, changes))

    def _writes(self, area: str, state: AreaState, changes: Changes) -> list[tuple[str, str | None]]:
        """The table writes that store what a step changed, encoded now: (table key, value or
        None to delete)."""
        if area in self.legacy:  # written once as records, the old value gone
            self.legacy.discard(area)
            return [*self._keyed(area, all_records(state)), (area, None)]
        return self._keyed(area, records(state, changes))

    @staticmethod
    def _keyed(area: str, items: list[Record]) -> list[tuple[str, str | None]]:
        return [(f"{area}|{name}", None if value is None else value.decode()) for name, value in items]

    def _write(self, writes: list[tuple[str, str | None]]) -> None:
        for key, value in writes:
            if value is None:
                self.table.pop(key, None)
            else:
                self.table[key] = value

    def areas(self, partition: int) -> list[str]:
        """The areas seen in a partition (a tick steps them all)."""
        if partition not in self.known:
            raw = self.table.get(f"__areas__/{partition}")
            self.known[partition] = set(raw.split(",")) if raw else set()
        return sorted(self.known[partition])

    def remember(self, partition: int, area: str) -> None:
        if area not in self.areas(partition):
            self.known[partition].add(area)
            event = current_event()
            assert event is not None, "handled inside an agent (as_current)"
            self.new_areas[partition] = (event, self.known[partition])

    async def route(self, decoded: Decoded) -> list[OutgoingRecord]:
        try:
            places = load_jurisdictions(self.settings.jurisdictions_path)
            publisher = publisher_of(decoded.record.topic.removeprefix(self.settings.topic_prefix))
            event = decoded.as_(agency_events_pb2.AgencyEvent)
            area = route_key(event, decoded.record.timestamp_ms, places, publisher)
        except UnroutableError as exc:
            letter = reject(
                decoded.record,
                reason=exc.reason,
                detail=str(exc),
                phase="route",
                rejected_by="correlator",
            )
            return [dead_letter_record(letter.letter, self.settings)]
        return [routed_record(self.settings, decoded.record, area, publisher)]

    async def correlate(self, decoded: Decoded) -> list[OutgoingRecord]:
        """Step every area the record concerns and return its outputs; the states are stored once
        the batch's outputs are acknowledged (`prepare`)."""
        item, record = input_of(decoded), decoded.record
        try:
            check_time(item.event, record.timestamp_ms)  # the router checked; this topic is writable
        except UnroutableError as exc:
            letter = reject(
                record, reason=exc.reason, detail=str(exc), phase="correlate", rejected_by="correlator"
            )
            return [dead_letter_record(letter.letter, self.settings)]
        key = (record.key or b"").decode()
        event = current_event()
        assert event is not None, "handled inside an agent (as_current)"
        outputs: list[OutgoingRecord] = []
        for area_step in steps_for(self, self.rules, item, key):
            outputs += [self._record(o, record) for o in area_step.outputs]
            self.pending.append((event, area_step))
            if area_step.outputs and self.debug:  # per input: DEBUG only (a call costs even filtered)
                log.debug(
                    "correlated",
                    area=area_step.area,
                    event_id=item.event_id,
                    outputs=len(area_step.outputs),
                    offset=record.offset,
                )
        self.batch_inputs += 1
        self.batch_outputs += len(outputs)
        if not item.is_tick:
            self.remember(record.partition, key)
        return outputs

    def prepare(self) -> Store:
        """Encode what the batch's steps changed, as the states are now (one record per key), and
        return what stores it in the table: the shell runs it once the batch's outputs are
        acknowledged, and may step the next batch meanwhile (the records are already encoded).
        Storing is idempotent (a transient failure runs it again)."""
        merged: dict[str, tuple[EventT[Any], AreaState, set[tuple[str, str]]]] = {}
        for event, area_step in self.pending:
            if area_step.area not in merged:
                merged[area_step.area] = (event, area_step.state, set())
            merged[area_step.area][2].update(area_step.changes.keys)
        writes = [
            TableWrite(event, key, value)
            for area, (event, state, keys) in merged.items()
            for key, value in self._writes(area, state, Changes(frozenset(keys)))
        ]
        writes += [
            TableWrite(event, f"__areas__/{partition}", ",".join(sorted(known)))
            for partition, (event, known) in self.new_areas.items()
        ]
        self.pending.clear()
        self.new_areas.clear()
        inputs, outputs, areas = self.batch_inputs, self.batch_outputs, len(merged)
        self.batch_inputs = self.batch_outputs = 0

        async def store() -> None:
            await write_table(self.app, self.table, writes)
            if inputs:
                log.info("batch stored", inputs=inputs, outputs=outputs, areas=areas, records=len(writes))

        return store

    def abandoned(self) -> None:
        """The batch's outputs were not all sent: forget the working states (the table still
        holds the states before the batch, and the batch will be read again)."""
        self.pending.clear()
        self.new_areas.clear()
        self.states, self.known = None, {}
        self.batch_inputs = self.batch_outputs = 0

    def _record(self, output: Output, record: RawRecord) -> OutgoingRecord:
        if output.kind == "reject":
            letter = reject(
                record,
                reason=output.reason,
                detail=output.detail,
                phase="correlate",
                rejected_by="correlator",
            )
            return dead_letter_record(letter.letter, self.settings)
        return output_record(self.settings, output)

    async def tick(self) -> None:
        """Write a clock tick into every input partition this worker owns (the only wall-clock read)."""
        now = int(time.time() * 1000)
        topic = self.settings.topic(INPUT)
        owned = sorted(tp.partition for tp in self.app.consumer.assignment() if tp.topic == topic)
        for partition in owned:
            body = agency_events_pb2.ClockTicked(partition=partition)
            env = new_envelope(
                event_type=body.DESCRIPTOR.full_name,
                source="correlator",
                source_ref=f"tick/{partition}/{now}",
                recorded_at=timestamp_ms(now),
                id_override=stable_id("tick", topic, partition, now),
            )
            record = encode(
                wrap(agency_events_pb2.AgencyEvent, body, env), topic=topic, key=f"tick-{partition}"
            )
            await self.app.producer.send_and_wait(
                record.topic, record.key, record.value, partition, None, list(record.headers)
            )


def build_app(
    settings: BusSettings,
    rules: Rules,
    *,
    agencies: list[str],
    web_port: int,
    store: str = "memory://",
    tick_seconds: float = 5.0,
    stats: BatchStats | None = None,
) -> faust.App:
    """The correlator app: routers, core agent and clock ticker. No side effects until started.
    The routers read in batches as the core agent does (they store nothing: one round of
    acknowledgements per batch)."""
    app = make_app(settings, "incidentbus-correlator", web_port=web_port, store=store)
    correlator = Correlator(app, settings, rules)
    for topic in [*(f"{agency}.events.v1" for agency in agencies), COMMANDS]:
        gate_agent(
            app,
            settings,
            topic,
            agency_events_pb2.AgencyEvent,
            correlator.route,
            name=f"route-{topic.split('.')[0]}",
            rejected_by="correlator",
            batching=stateless(settings.correlator_batch_records, settings.correlator_batch_wait_ms / 1000),
        )
    gate_agent(
        app,
        settings,
        INPUT,
        agency_events_pb2.AgencyEvent,
        correlator.correlate,
        name="correlate",
        rejected_by="correlator",
        batching=Batching(
            settings.correlator_batch_records,
            settings.correlator_batch_wait_ms / 1000,
            abandoned=correlator.abandoned,
            stats=stats,
            prepare=correlator.prepare,
        ),
    )
    app.timer(tick_seconds, on_leader=False)(correlator.tick)
    return app
