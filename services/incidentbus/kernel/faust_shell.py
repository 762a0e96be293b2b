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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import faust
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from faust.exceptions import PartitionsMismatch
from faust.types import EventT
from google.protobuf.message import Message

from incidentbus.kernel.batches import BatchStats
from incidentbus.kernel.codec import Decoded
from incidentbus.kernel.deadletter import dead_letter_record
from incidentbus.kernel.faust_consumer import BusApp
from incidentbus.kernel.faust_tables import as_current
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
    await asyncio.gather(*await send_all(app, records))


async def send_all(app: faust.App, records: list[OutgoingRecord]) -> list[Any]:
    """Hand every record to the producer, in order; their acknowledgements (futures)."""
    return [await app.producer.send(r.topic, r.key, r.value, None, None, list(r.headers)) for r in records]


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


async def retrying(step: Callable[[], Awaitable[T]], record: RawRecord) -> T:
    """Run a step (a table write) and retry it on a transient failure, as `handle_record` retries
    a handler; the last failure is raised."""
    for delay in RETRY_DELAYS:
        try:
            return await step()
        except Exception as exc:
            if not transient(exc):
                raise
            log.warning("transient failure, retrying", error=repr(exc), delay=delay, **record_context(record))
            await asyncio.sleep(delay)
    return await step()


def _dead_letter(settings: BusSettings, rejected: Rejected, record: RawRecord) -> OutgoingRecord:
    log.warning(
        "record rejected", reason=rejected.reason, detail=rejected.letter.detail, **record_context(record)
    )
    return dead_letter_record(rejected.letter, settings)


Store = Callable[[], Awaitable[None]]  # stores a batch's state once its outputs are acknowledged


async def _store_nothing() -> None:
    pass


@dataclass(frozen=True)
class Batching:
    """Records handled together: whatever the stream already holds, up to `size`; when it holds
    nothing more, the batch waits `within_s` once for more before it is handled (a backlog makes
    large batches with no wait, a trickle small ones). Their outputs are published together.

    `prepare()` runs once the batch is handled: it encodes the batch's state as it is now and
    returns what stores it (a `Store`), run only after the batch's outputs are acknowledged and
    after the batch before it is stored; it must be idempotent (a transient failure runs it
    again). The next batch is handled and sent meanwhile. Then the records are acknowledged to
    faust (their offsets may be committed). If publishing fails, `abandoned()` runs and the
    error propagates."""

    size: int = 1
    within_s: float = 0.01
    abandoned: Callable[[], None] = lambda: None
    stats: BatchStats | None = None
    prepare: Callable[[], Store] = lambda: _store_nothing


def stateless(size: int, within_s: float, *, stats: BatchStats | None = None) -> Batching:
    """Batches for an agent that keeps no state (a router, an outbox): nothing to store, so the
    next batch is handled and sent while one's acknowledgements come back; records are still
    acknowledged to faust only after their outputs, batch after batch."""
    return Batching(size, within_s, stats=stats)


async def take_buffered(stream: Any, size: int, within_s: float) -> AsyncIterator[list[EventT[Any]]]:
    """A stream's events in batches: whatever faust's consumer has already fetched into the
    stream's channel (it fills it in the background, up to `stream_buffer_maxsize`), up to
    `size`; when nothing more is there, one wait of `within_s` for more. The caller acknowledges
    the events (set `stream.enable_acks = False`).

    Not faust's `take_events`: it waits the whole window after every batch and moves records into
    its buffer only during that wait (its filler is held while a batch is handled), so a batch
    was what faust's per-record path could move in 10 ms (3 to 12 records on a loaded machine).
    Here a backlog makes large batches at once, and a trickle small ones."""
    queue = getattr(stream.channel, "queue", None)
    events: list[EventT[Any]] = []
    waited = False
    async for event in stream.events():
        events.append(event)
        if len(events) < size:
            if queue is not None and not queue.empty():
                continue
            if not waited and within_s > 0:  # nothing more fetched yet: wait once
                waited = True
                await asyncio.sleep(within_s)
                if queue is not None and not queue.empty():
                    continue
        taken, events, waited = events, [], False
        yield taken


@dataclass
class _Sent:
    """A batch whose outputs are handed to the producer: their acknowledgements, its records,
    and what stores its state."""

    acks: list[Any]
    events: list[EventT[Any]]
    store: Store


async def run_batches(
    app: faust.App,
    stream: Any,
    batch: Batching,
    handle: Callable[[EventT[Any]], Awaitable[list[OutgoingRecord]]],
) -> None:
    """Handle a stream in batches (`take_buffered`): each batch's records are handled in order and
    its outputs handed to the producer together; once they are all acknowledged its state is
    stored and its records acknowledged to faust (their offsets may be committed then).

    That last part runs in a task of its own (`finish`), so the next batch is
    handled and sent while this one's acknowledgements come back; a batch is stored only after the
    one before it, and nothing waits for the stream to be finished. If a batch's outputs fail,
    `abandoned()` drops the working states and the agent stops with the error before it sends
    anything more (a batch stepped meanwhile is dropped with them; none of these batches'
    records is acknowledged, so all are read again). Any other way out of the loop (a failure
    handling a record, the agent cancelled) runs `abandoned()` too."""
    stream.enable_acks = False
    stats = batch.stats if batch.stats is not None else BatchStats()

    async def finish(sent: _Sent, before: asyncio.Task[None] | None) -> None:
        if before is not None:
            await before  # stored first; its failure is this batch's too
        clock = time.perf_counter()
        try:
            await asyncio.gather(*sent.acks)
        except BaseException:
            batch.abandoned()
            raise
        stored = time.perf_counter()
        # a table write that fails for the infrastructure is retried (a store names the input
        # record of each write itself: write_table)
        await retrying(sent.store, record_of(sent.events[-1]))
        for event in sent.events:  # stored: their offsets may be committed
            await stream.ack(event)
        stats.publish_s += stored - clock
        stats.store_s += time.perf_counter() - stored

    finishing: asyncio.Task[None] | None = None
    waited_from = time.perf_counter()
    try:
        async for events in take_buffered(stream, batch.size, batch.within_s):
            clock = time.perf_counter()
            stats.input_wait_s += clock - waited_from
            outputs: list[OutgoingRecord] = []
            for event in events:
                outputs += await handle(event)
            prepared = time.perf_counter()
            store = batch.prepare()
            handled = time.perf_counter()
            if finishing is not None and finishing.done():
                finishing.result()  # the batch before failed (its outputs): send nothing stepped since
            acks = await send_all(app, outputs)  # a failure: abandoned (below)
            stats.batches, stats.records = stats.batches + 1, stats.records + len(events)
            stats.largest = max(stats.largest, len(events))
            stats.handle_s += prepared - clock
            stats.store_s += handled - prepared  # encoding the state (prepare); writing it: finish
            stats.send_s += time.perf_counter() - handled
            previous = finishing
            finishing = asyncio.create_task(finish(_Sent(acks, events, store), previous))
            if previous is not None:
                held = time.perf_counter()
                await previous  # at most one batch awaits its acknowledgements while one is handled
                stats.ack_wait_s += time.perf_counter() - held
            waited_from = time.perf_counter()
        if finishing is not None:
            await finishing
    except BaseException:
        if finishing is not None and not finishing.done():
            finishing.cancel()  # not stored, not acknowledged: read again
        batch.abandoned()  # whatever was stepped or sent and not stored is dropped with it
        raise


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
        try:
            await publish_all(app, outputs)
        except BaseException:
            batch.abandoned()
            raise
        await retrying(batch.prepare(), record_of(events[-1]))  # retried as in run_batches

    async def agent(stream: Any) -> None:
        if batch.size <= 1:
            async for event in stream.events():
                await publish_batch(await handle(event), [event])
            return
        await run_batches(app, stream, batch, handle)

    return app.agent(source, name=name)(agent)
