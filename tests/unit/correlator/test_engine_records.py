"""The engine edge's per-record protocol (`engine.records_for`) and the tick record, without a
broker: what the live loop publishes for an input record is decided here."""

from __future__ import annotations

import pytest

from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.engine import INPUT, MemoryStore, records_for, routed_record, tick_record
from incidentbus.kernel.checkpoint_keys import checkpoint_signer
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.deadletter import open_letter
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.sealing import field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.replay import replay
from incidentbus.v1 import agency_events_pb2, bus_pb2, case_events_pb2
from tests.unit.correlator.builders import GRID, T0, Feed
from tests.unit.correlator.conftest import RULES

SETTINGS = BusSettings(topic_prefix="e.", environment="test")
AREA = GRID.split("-")[0]


def input_record(item: Input, *, logged_ms: int | None = None, offset: int = 0) -> RawRecord:
    """The record the correlate loop reads: the agency's event as its service published it,
    routed onto the input by district (what the router writes)."""
    published = encode(item.event, topic=SETTINGS.topic(f"{item.publisher}.events.v1"), key=item.event_id)
    logged = item.recorded_ms if logged_ms is None else logged_ms
    source = RawRecord(published.topic, 0, offset, logged, published.key, published.value, published.headers)
    routed = routed_record(SETTINGS, source, AREA, item.publisher)
    return RawRecord(routed.topic, 0, offset, logged, routed.key, routed.value, routed.headers)


def raw(record: OutgoingRecord, offset: int = 0) -> RawRecord:
    return RawRecord(record.topic, 0, offset, T0, record.key, record.value, record.headers)


def topics(records: list[OutgoingRecord]) -> list[str]:
    return [r.topic.removeprefix("e.") for r in records]


def test_a_report_opens_a_case_and_dispatches_and_the_same_record_again_publishes_the_same_bytes() -> None:
    record = input_record(Feed().report("police", "traffic.collision_injury", T0, casualties=1))
    first = records_for(MemoryStore(), RULES, SETTINGS, record)
    assert "case.events.v1" in topics(first)
    assert any(t.endswith(".dispatch.v1") for t in topics(first)), topics(first)
    events = [
        decode(raw(r), case_events_pb2.CaseEvent).message for r in first if r.topic == "e.case.events.v1"
    ]
    assert events[0].WhichOneof("body") == "case_opened"
    # a fresh store (another worker reading it again after a crash): byte-identical records
    assert records_for(MemoryStore(), RULES, SETTINGS, record) == first


def test_a_record_read_twice_by_one_store_opens_no_second_case() -> None:
    store = MemoryStore()
    record = input_record(Feed().report("police", "traffic.collision_injury", T0, casualties=1))
    records_for(store, RULES, SETTINGS, record)
    again = records_for(store, RULES, SETTINGS, record)
    assert "case.events.v1" not in topics(again), topics(again)
    assert store.areas(0) == [AREA]  # the district is remembered for the partition's ticks


def test_undecodable_bytes_are_a_dead_letter_with_the_original_bytes_and_step_nothing() -> None:
    store = MemoryStore()
    record = RawRecord(SETTINGS.topic(INPUT), 2, 7, T0, AREA.encode(), b"\xff not protobuf", ())
    [letter] = records_for(store, RULES, SETTINGS, record)
    assert letter.topic == "e.correlator.deadletters.v1"
    sealed = decode(raw(letter), bus_pb2.DeadLetter).message
    assert isinstance(sealed, bus_pb2.DeadLetter)
    assert b"not protobuf" not in (letter.value or b"")  # sealed with the correlator's keys
    body = open_letter(sealed, field_keyring(SETTINGS))
    assert body.original_value == b"\xff not protobuf"
    assert (body.source_partition, body.source_offset) == (2, 7)
    assert body.reason
    assert store.states == {}
    assert store.areas(2) == []


def test_a_time_ahead_of_the_broker_is_a_dead_letter() -> None:
    store = MemoryStore()
    item = Feed().report("police", "traffic.collision_injury", T0, casualties=1)
    [letter] = records_for(store, RULES, SETTINGS, input_record(item, logged_ms=T0 - 3_600_000))
    body = decode(raw(letter), bus_pb2.DeadLetter).message
    assert body.reason == "envelope.future_time"
    assert store.states == {}


@pytest.mark.parametrize("partition", [0, 5])
def test_a_tick_is_the_same_record_for_the_same_partition_and_time(partition: int) -> None:
    tick = tick_record(SETTINGS, partition, T0)
    assert tick == tick_record(SETTINGS, partition, T0)
    assert tick != tick_record(SETTINGS, partition, T0 + 1)
    assert (tick.topic, tick.key) == ("e.correlator.input.v1", f"tick-{partition}".encode())
    event = decode(raw(tick), agency_events_pb2.AgencyEvent).message
    assert event.WhichOneof("body") == "clock_ticked"
    assert event.clock_ticked.partition == partition
    assert event.envelope.recorded_at.ToMilliseconds() == T0


def test_replay_refuses_what_the_live_loop_refused_and_signs_what_it_signed() -> None:
    """One report stamped far ahead of the broker's time among the inputs: the live loop
    dead-letters it, and the replay must not let it move the partition's clock either (else every
    later checkpoint would differ)."""
    feed = Feed()
    items = [feed.report("police", "traffic.collision", T0 + i * 90_000, ref=f"r{i}") for i in range(12)]
    items.insert(3, feed.report("police", "hazard.fire", T0 + 10**12, ref="ahead"))
    records = [
        input_record(
            item, offset=n, logged_ms=T0 + n * 90_000 if item.event.envelope.source_ref == "ahead" else None
        )
        for n, item in enumerate(items)
    ]
    signer, interval = checkpoint_signer(SETTINGS), RULES.audit.checkpoint_interval_ms
    live = MemoryStore(signing=(signer, interval))
    published = [r for record in records for r in records_for(live, RULES, SETTINGS, record)]
    signed = [r.value for r in published if r.topic == SETTINGS.topic("case.checkpoints.v1")]
    replayed = replay(records, RULES, signer=signer, checkpoints=True).checkpoints()
    assert len(signed) >= 2
    assert [c.SerializeToString(deterministic=True) for c in replayed] == signed
