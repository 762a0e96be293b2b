"""What every faust service shares: building the app, raw topics, records in and out.

Services consume bytes and decode through the kernel's gate themselves, so a bad record never
reaches faust's own deserializer (which would log and skip it) and always becomes a dead letter.
Offsets are committed after the outputs of a record (or of a batch of records) are acknowledged:
at-least-once, with deterministic ids making repeats harmless. Faust's exactly-once mode is not
used.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import faust
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from faust.exceptions import PartitionsMismatch
from faust.streams import _current_event
from faust.types import EventT
from google.protobuf.message import Message

from incidentbus.kernel.codec import Decoded
from incidentbus.kernel.deadletter import dead_letter_record
from incidentbus.kernel.faust_consumer import BusApp
from incidentbus.kernel.gate import Rejected, admit, reject
from incidentbus.kernel.logging import get_logger, record_context
from incidentbus.kernel.records import OutgoingRecord, RawRecord, normalize_headers
from incidentbus.kernel.settings import BusSettings

log = get_logger("incidentbus.shell")
T = TypeVar("T")

# How old the consumer's view of the topics may get (faust's default: five minutes). faust creates a
# table's changelog topic as the service starts; when its consumer fetched metadata a moment
# before, it does not know that topic until its next refresh, and every table write fails with
# PartitionsMismatch meanwhile (retried: see RETRY_DELAYS). Seen on a loaded machine, for a minute
# and more. A refresh is one small request.
CONSUMER_METADATA_MAX_AGE_MS = 10_000
# Each table partition is kept, from its changelog, on one more worker than its owner (when there
# is one): a worker taking a dead one's partitions over starts from its standby copy and catches
# up, instead of reading the whole changelog first.
TABLE_STANDBY_REPLICAS = 1


def broker_url(settings: BusSettings) -> str:
    return ";".join(f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(","))


def _credentials(settings: BusSettings) -> Any:
    """faust's credentials for the settings: SASL over TLS when the protocol is SASL_SSL (faust
    picks SASL_SSL exactly when the SASL credentials carry a TLS context), TLS alone for SSL."""
    context = settings.ssl_context()
    if not settings.sasl_mechanism:
        return faust.SSLCredentials(context) if context is not None else None
    password = settings.sasl_password.get_secret_value() if settings.sasl_password else ""
    return faust.SASLCredentials(
        username=settings.sasl_username,
        password=password,
        mechanism=settings.sasl_mechanism,
        ssl_context=context,
    )


# faust's table stores: RocksDB on local disk (through rocksdict), what `incidentbus run` uses, and
# memory, which keeps nothing across a restart (every start reads the changelogs from the beginning):
# in-process tests and tools.
ROCKSDB_STORE = "rocksdb://"
MEMORY_STORE = "memory://"


def data_dir(settings: BusSettings, app_id: str) -> Path:
    """faust's data directory for an app (its tables' RocksDB files under `v1/tables`)."""
    return settings.data_dir.absolute() / f"{settings.topic_prefix}{app_id}"


def make_app(settings: BusSettings, app_id: str, *, web_port: int, store: str = MEMORY_STORE) -> faust.App:
    """A faust app wired from settings. Building it has no side effects: nothing connects yet, and
    the data directory is made when the app first starts."""
    return BusApp(
        f"{settings.topic_prefix}{app_id}",
        broker=broker_url(settings),
        broker_credentials=_credentials(settings),
        store=store,
        # faust formats the path with str.format (`{conf.name}`): braces in it are literal here
        datadir=str(data_dir(settings, app_id)).replace("{", "{{").replace("}", "}}"),
        web_host="127.0.0.1",
        web_port=web_port,
        autodiscover=False,
        topic_disable_leader=True,
        producer_acks=-1,
        processing_guarantee="at_least_once",
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=settings.max_message_bytes * 4,
        consumer_max_fetch_size=settings.max_message_bytes * 4,
        consumer_metadata_max_age_ms=CONSUMER_METADATA_MAX_AGE_MS,
        broker_session_timeout=settings.group_session_seconds,
        broker_heartbeat_interval=min(3.0, settings.group_session_seconds / 5),
        table_standby_replicas=TABLE_STANDBY_REPLICAS,
    )


def raw_topic(app: faust.App, name: str) -> Any:
    """A topic read and written as bytes; tombstones are delivered, not skipped."""
    return app.topic(
        name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw", allow_empty=True
    )


def record_of(event: EventT[Any]) -> RawRecord:
    """The kernel's record for a faust event."""
    message = event.message
    value = message.value if message.value is not None else None
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=round(message.timestamp * 1000),
        key=message.key,
        value=value,
        headers=normalize_headers(message.headers),
    )


async def publish(app: faust.App, record: OutgoingRecord) -> None:
    """Produce one record and wait for the broker's acknowledgement."""
    await app.producer.send_and_wait(record.topic, record.key, record.value, None, None, list(record.headers))


async def publish_all(app: faust.App, records: list[OutgoingRecord]) -> None:
    """Produce every record, then wait for all acknowledgements at once (not one round trip
    each). The producer keeps the order of sends within a partition (aiokafka has one batch in
    flight per partition), so records of one key still arrive in the order given."""
    pending = [await app.producer.send(r.topic, r.key, r.value, None, None, list(r.headers)) for r in records]
    await asyncio.gather(*pending)


@contextmanager
def as_current(event: EventT[Any]) -> Iterator[None]:
    """Make `event` faust's current event while a batch's record is handled or its state stored:
    a table writes to the changelog partition (and RocksDB partition) of the current event, which
    in a batch (`Stream.take_events`) is otherwise the batch's last."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


Handler = Callable[[Decoded], Awaitable[list[OutgoingRecord]]]


async def handle_record(
    app: faust.App,
    settings: BusSettings,
    record: RawRecord,
    *,
    expected: type[Message],
    handler: Handler,
    rejected_by: str,
) -> list[OutgoingRecord]:
    """Gate one record and run the handler: its outputs, or a dead letter. Never drops it; sends
    nothing (the caller publishes a record's or a batch's outputs together)."""
    outcome = admit(record, expected, rejected_by=rejected_by, max_bytes=settings.max_message_bytes)
    if isinstance(outcome, Rejected):
        return [_dead_letter(settings, outcome, record)]
    for delay in (*RETRY_DELAYS, None):
        try:
            return await handler(outcome)
        except Exception as exc:  # a handler bug must not stop the service or lose the record
            if delay is not None and transient(exc):
                log.warning(
                    "transient failure, retrying", error=repr(exc), delay=delay, **record_context(record)
                )
                await asyncio.sleep(delay)
                continue
            failed = reject(
                record,
                reason=f"process.{type(exc).__name__}",
                detail=str(exc),
                phase="process",
                rejected_by=rejected_by,
            )
            return [_dead_letter(settings, failed, record)]
    raise AssertionError("unreachable: the last attempt returns")


# A fault of the infrastructure, not of the record, is retried (about a minute in all) before the
# record is dead-lettered: a table's changelog topic not yet in the consumer's metadata right after
# it was created (faust's PartitionsMismatch with 0 partitions), a broker answer worth retrying.
# Handlers are idempotent (deterministic ids; state stored last), so a retry repeats nothing new.
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


def transient(exc: BaseException) -> bool:
    """Whether a handler's failure is the infrastructure's and worth retrying."""
    if isinstance(exc, PartitionsMismatch | KafkaTimeoutError | KafkaConnectionError):
        return True
    return isinstance(exc, KafkaError) and bool(exc.retriable)


async def retrying(step: Callable[[], T], record: RawRecord) -> T:
    """Run a step (a table write) and retry it on a transient failure, as `handle_record` retries
    a handler; the last failure is raised."""
    for delay in RETRY_DELAYS:
        try:
            return step()
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning("transient failure, retrying", error=repr(exc), delay=delay, **record_context(record))
            await asyncio.sleep(delay)
    return step()


def _dead_letter(settings: BusSettings, rejected: Rejected, record: RawRecord) -> OutgoingRecord:
    log.warning(
        "record rejected", reason=rejected.reason, detail=rejected.letter.detail, **record_context(record)
    )
    return dead_letter_record(rejected.letter, settings)


@dataclass
class BatchStats:
    """What a batching agent did (for the benchmark): batches, records, and the seconds spent
    handling records, publishing (handing the outputs to the producer, then awaiting their
    acknowledgements) and storing (`published`)."""

    batches: int = 0
    records: int = 0
    largest: int = 0
    handle_s: float = 0.0
    send_s: float = 0.0  # handing the outputs to the producer
    publish_s: float = 0.0  # then awaiting their acknowledgements
    store_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "batches": self.batches,
            "records": self.records,
            "mean_batch": self.records / self.batches if self.batches else 0.0,
            "largest_batch": self.largest,
            "handle_s": round(self.handle_s, 3),
            "publish_s": round(self.publish_s, 3),
            "send_s": round(self.send_s, 3),
            "store_s": round(self.store_s, 3),
        }


@dataclass(frozen=True)
class Batching:
    """Records handled together: up to `size`, or what came within `within_s` seconds; their
    outputs are published together, then `published()` runs (the handler's state is stored only
    after its outputs are acknowledged; it must be idempotent: a transient failure runs it again);
    if publishing fails, `abandoned()` runs and the error propagates."""

    size: int = 1
    within_s: float = 0.01
    published: Callable[[], None] = lambda: None
    abandoned: Callable[[], None] = lambda: None
    stats: BatchStats | None = None


def gate_agent(
    app: faust.App,
    settings: BusSettings,
    topic: str,
    expected: type[Message],
    handler: Handler,
    *,
    name: str,
    rejected_by: str,
    batching: Batching | None = None,
) -> Any:
    """Register an agent that feeds every record of a protobuf topic through the gate to `handler`,
    one record at a time or in batches (`batching`)."""
    source = raw_topic(app, settings.topic(topic))
    batch = batching or Batching()

    async def handle(event: EventT[Any]) -> list[OutgoingRecord]:
        with as_current(event):
            return await handle_record(
                app, settings, record_of(event), expected=expected, handler=handler, rejected_by=rejected_by
            )

    async def publish_batch(outputs: list[OutgoingRecord], events: Sequence[EventT[Any]]) -> None:
        clock = time.perf_counter()
        try:
            pending = [
                await app.producer.send(r.topic, r.key, r.value, None, None, list(r.headers)) for r in outputs
            ]
            sent = time.perf_counter()
            await asyncio.gather(*pending)
        except BaseException:
            batch.abandoned()
            raise
        stored = time.perf_counter()
        with as_current(events[-1]):  # a table write that fails for the infrastructure is retried
            await retrying(batch.published, record_of(events[-1]))
        if batch.stats is not None:
            batch.stats.send_s += sent - clock
            batch.stats.publish_s += stored - sent
            batch.stats.store_s += time.perf_counter() - stored

    async def agent(stream: Any) -> None:
        if batch.size <= 1:
            async for event in stream.events():
                await publish_batch(await handle(event), [event])
            return
        async for events in stream.take_events(batch.size, batch.within_s):
            clock = time.perf_counter()
            outputs: list[OutgoingRecord] = []
            for event in events:
                outputs += await handle(event)
            if batch.stats is not None:
                batch.stats.batches += 1
                batch.stats.records += len(events)
                batch.stats.largest = max(batch.stats.largest, len(events))
                batch.stats.handle_s += time.perf_counter() - clock
            await publish_batch(outputs, events)

    return app.agent(source, name=name)(agent)
