"""The faust shell of an agency service: inbox and HTTP intake, dispatch -> outbox. Thin on purpose.

All decisions are in `pipeline` (pure); this module reads records, produces what it returns,
and remembers which canonical events it already published so a re-sent native message yields
one event.

Both agents read in batches (kernel/faust_shell.py `run_batches`): a batch's outputs are produced
together and acknowledged together; the intake stores the ids it published only after that, and
its records' offsets may be committed only after the ids are stored.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import faust
from faust.streams import current_event
from faust.types import EventT
from faust.web import Request, Response, View

from incidentbus.agencies.base import AgencyAdapter
from incidentbus.agencies.pipeline import dispatch_topic, inbox_topic, intake, outbox
from incidentbus.agencies.registry import load_gateway
from incidentbus.kernel.batches import BatchStats
from incidentbus.kernel.codec import Decoded
from incidentbus.kernel.deadletter import dead_letter_record
from incidentbus.kernel.faust_shell import (
    Batching,
    Store,
    gate_agent,
    make_app,
    publish,
    raw_topic,
    record_of,
    run_batches,
    stateless,
)
from incidentbus.kernel.faust_tables import TableWrite, as_current, write_table
from incidentbus.kernel.gate import Rejected, reject
from incidentbus.kernel.grids import load_grid_layer
from incidentbus.kernel.jurisdictions import load_jurisdictions
from incidentbus.kernel.logging import get_logger, record_context
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.sealing import field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2

INBOX_PARTITIONS = 3
HTTP_STATUS = {
    "intake.oversized": 413,
    "intake.empty": 400,
    "intake.encoding": 400,
    "intake.json": 400,
    "intake.not_object": 400,
    "intake.failed": 500,  # the bus's fault, not the sender's: the record is kept in the dead letter
}


class AgencyService:
    """One agency's running parts, wired to a faust app."""

    def __init__(self, adapter: AgencyAdapter, settings: BusSettings, app: faust.App) -> None:
        self.adapter, self.settings, self.app = adapter, settings, app
        self.log = get_logger(f"incidentbus.{adapter.name}")
        self.keyring = field_keyring(settings)  # KeyringError here: no start without usable keys
        self.places = load_jurisdictions(settings.jurisdictions_path)  # likewise for the table
        self.grids = load_grid_layer(settings.grids_path)  # and for the grid layer
        if self.keyring.is_development:
            self.log.warning(
                "sealing personal fields with the PUBLIC development key; set INCIDENTBUS_FIELD_KEYS",
                key_id=self.keyring.active,
            )
        self.published = app.Table(
            f"{adapter.name}-published",
            default=int,
            partitions=INBOX_PARTITIONS,
            key_type=str,
            value_type=int,
        )
        # The ids the batch in hand publishes (with the record's event, for the changelog
        # partition, and its broker time), and those of batches sent whose acknowledgements are
        # awaited: not in `published` yet, but a copy of their native message must not publish
        # them again.
        self.pending: dict[str, tuple[EventT[Any] | None, int]] = {}
        self.sent: list[dict[str, tuple[EventT[Any] | None, int]]] = []
        self.counts: Counter[str] = Counter()  # of the batch in hand, for its log line
        self.debug = settings.logs_debug

    def intake(self, record: RawRecord) -> OutgoingRecord | Rejected:
        """`pipeline.intake`, and never an exception: a mapping that fails in a way the pipeline does
        not foresee is a dead letter `intake.failed` that keeps the record, not a crashed agent."""
        try:
            return intake(self.adapter, record, self.settings, self.keyring, self.places, grids=self.grids)
        except Exception as exc:
            self.log.exception("intake failed", **record_context(record))
            return reject(
                record,
                reason="intake.failed",
                detail=f"{type(exc).__name__} while mapping the record; kept for a fix and a replay",
                phase="intake",
                rejected_by=self.adapter.name,
            )

    async def on_inbox(self, record: RawRecord) -> list[OutgoingRecord]:
        """Map a native record of the batch in hand: its event, unless that event id was published
        already (stored, in this batch, or in a batch awaiting its acknowledgements), or its dead
        letter. Sends nothing: the shell produces the batch's outputs together, and the ids are
        stored once they are acknowledged (`prepare`)."""
        self.counts["records"] += 1
        outcome = self.intake(record)
        if isinstance(outcome, Rejected):
            self.counts["rejected"] += 1
            return [self._dead_letter(outcome, record)]
        event_id = dict(outcome.headers)["ce_id"].decode()
        if self.is_published(event_id):
            self.counts["duplicates"] += 1
            if self.debug:
                self.log.debug("duplicate native message", duplicate_of=event_id, **record_context(record))
            return []
        self.pending[event_id] = (current_event(), record.timestamp_ms or 1)
        if self.debug:
            self.log.debug("publishing", event_id=event_id, **record_context(record))
        return [outcome]

    def is_published(self, event_id: str) -> bool:
        """Whether an event of this id is published or on its way: in the batch in hand, in a batch
        awaiting its acknowledgements, or stored in `published`."""
        if event_id in self.pending or any(event_id in ids for ids in self.sent):
            return True
        return bool(self.published[event_id])

    def prepare(self) -> Store:
        """The batch in hand is handed to the producer: return what stores its published ids, run
        by the shell once its outputs are acknowledged (then its records are acknowledged to faust).
        Idempotent: a transient failure runs it again."""
        ids, counts = self.pending, self.counts
        self.pending, self.counts = {}, Counter()
        self.sent.append(ids)

        async def store() -> None:
            writes = [TableWrite(event, event_id, stamp) for event_id, (event, stamp) in ids.items()]
            await write_table(self.app, self.published, writes)
            self.sent = [batch for batch in self.sent if batch is not ids]
            if counts["records"]:
                self.log.info(
                    "intake batch stored",
                    records=counts["records"],
                    published=len(ids),
                    duplicates=counts["duplicates"],
                    rejected=counts["rejected"],
                )

        return store

    def abandoned(self) -> None:
        """A batch's outputs were not all acknowledged: forget the ids not stored (the records of
        that batch and of any after it are read again, and publish their events again)."""
        self.pending, self.sent, self.counts = {}, [], Counter()

    async def on_dispatch(self, decoded: Decoded) -> list[OutgoingRecord]:
        outcome = outbox(self.adapter, decoded, self.settings)
        if isinstance(outcome, Rejected):
            return [self._dead_letter(outcome, decoded.record)]
        return [outcome]

    def _dead_letter(self, rejected: Rejected, record: RawRecord) -> OutgoingRecord:
        self.log.warning(
            "rejected", reason=rejected.reason, detail=rejected.letter.detail, **record_context(record)
        )
        return dead_letter_record(rejected.letter, self.settings)

    async def dead_letter(self, rejected: Rejected, record: RawRecord) -> None:
        await publish(self.app, self._dead_letter(rejected, record))

    async def on_http(self, body: bytes, truncated: bool) -> tuple[int, dict[str, Any]]:
        """Validate a POSTed native message now (to answer precisely), then log it on the inbox."""
        topic = self.settings.topic(inbox_topic(self.adapter.name))
        record = RawRecord(topic, -1, -1, int(time.time() * 1000), None, body, (("x-intake", b"http"),))
        outcome = self.intake(record) if not truncated else None
        if outcome is None or isinstance(outcome, Rejected):
            return await self._refuse(outcome, record)
        event_id = dict(outcome.headers)["ce_id"].decode()
        headers = (("content-type", b"application/json"), ("x-intake", b"http"))
        await publish(self.app, OutgoingRecord(topic, outcome.key, body, headers))
        return 202, {"status": "accepted", "event_id": event_id}

    async def _refuse(self, outcome: Rejected | None, record: RawRecord) -> tuple[int, dict[str, Any]]:
        if outcome is None:
            limit = self.settings.max_message_bytes
            outcome = reject(
                record,
                reason="intake.oversized",
                detail=f"body exceeds {limit} bytes; first {limit} kept",
                phase="intake",
                rejected_by=self.adapter.name,
            )
        await self.dead_letter(outcome, record)
        status = HTTP_STATUS.get(outcome.reason, 422)
        return status, {"status": "rejected", "error": outcome.reason, "detail": outcome.letter.detail}


async def read_limited(request: Any, limit: int) -> tuple[bytes, bool]:
    """Read at most `limit` bytes of the body; say whether more was sent."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await request.content.read(65536)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[:limit], True


def _intake_view(service: AgencyService) -> type[View]:
    class IntakeView(View):
        """POST a native JSON message: 202 with its event id, or 4xx with the reason."""

        async def post(self, request: Request) -> Response:
            try:
                body, truncated = await read_limited(request, service.settings.max_message_bytes)
                status, answer = await service.on_http(body, truncated)
            except Exception:  # never a stack trace to the caller; the log has it
                service.log.exception("http intake failed")
                status, answer = (
                    500,
                    {"status": "error", "error": "internal", "detail": "intake failed; retry later"},
                )
            return self.json(answer, status=status)

    return IntakeView


def _health_view(service: AgencyService) -> type[View]:
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            return self.json({"service": service.adapter.name, "status": "ok"})

    return HealthView


def build_app(
    adapter: AgencyAdapter,
    settings: BusSettings,
    *,
    web_port: int,
    store: str = "memory://",
    stats: BatchStats | None = None,
) -> faust.App:
    """The agency's faust app: intake agent, outbox agent, HTTP intake. No side effects until
    started. `stats` counts the intake's batches."""
    app = make_app(settings, f"incidentbus-{adapter.name}", web_port=web_port, store=store)
    service = AgencyService(adapter, settings, app)
    inbox = raw_topic(app, settings.topic(inbox_topic(adapter.name)))
    size, within_s = settings.agency_batch_records, settings.agency_batch_wait_ms / 1000
    batching = Batching(
        size,
        within_s,
        abandoned=service.abandoned,
        stats=stats,
        prepare=service.prepare,
    )

    async def handle(event: EventT[Any]) -> list[OutgoingRecord]:
        with as_current(event):
            return await service.on_inbox(record_of(event))

    async def intake_agent(stream: Any) -> None:
        await run_batches(app, stream, batching, handle)

    app.agent(inbox, name=f"{adapter.name}-intake")(intake_agent)
    gate_agent(
        app,
        settings,
        dispatch_topic(adapter.name),
        bus_pb2.TaskCommand,
        service.on_dispatch,
        name=f"{adapter.name}-outbox",
        rejected_by=adapter.name,
        batching=stateless(size, within_s),
    )
    app.page("/health")(_health_view(service))
    gateway = load_gateway(adapter.name)
    if gateway is None:
        app.page("/v1/intake")(_intake_view(service))
    else:  # the gateway checks who posts (API keys); native intake on its port would bypass that
        gateway(app, service)
    return app
