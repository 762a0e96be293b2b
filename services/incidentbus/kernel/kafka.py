"""Thin aiokafka helpers for commands and tests; services run on faust instead."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Literal

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
    UnknownTopicOrPartitionError,
    for_code,
)
from aiokafka.protocol.metadata import MetadataRequest

from incidentbus.kernel.records import OutgoingRecord, RawRecord, normalize_headers
from incidentbus.kernel.settings import BusSettings

# The broker's "you may not": a principal without the ACL, told apart from a missing topic.
AUTHORIZATION_ERRORS: tuple[type[KafkaError], ...] = (
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)

TopicState = Literal["present", "missing", "unauthorized"]


class TopicMissingError(Exception):
    """The broker does not know the topic (as opposed to not letting this principal see it)."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic} does not exist")
        self.topic = topic


def _unreachable(settings: BusSettings, exc: KafkaError) -> Exception:
    """A client that failed to start: refused authorization stays itself, the rest is unreachable."""
    refused: Exception = exc
    if isinstance(exc, AUTHORIZATION_ERRORS):
        return refused
    return ConnectionError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}")


@asynccontextmanager
async def producer(settings: BusSettings) -> AsyncIterator[AIOKafkaProducer]:
    """An idempotent producer (acks=all) so broker retries never duplicate a record."""
    client = AIOKafkaProducer(
        **settings.kafka_client_options(),
        enable_idempotence=True,
        max_request_size=settings.max_message_bytes * 4,
    )
    try:
        await client.start()
    except KafkaError as exc:
        await client.stop()
        raise _unreachable(settings, exc) from exc
    try:
        yield client
    finally:
        await client.stop()


async def send(client: AIOKafkaProducer, record: OutgoingRecord) -> tuple[int, int]:
    """Produce and wait for the ack; returns (partition, offset)."""
    meta = await client.send_and_wait(
        record.topic, record.value, key=record.key, headers=list(record.headers)
    )
    return meta.partition, meta.offset


def raw_record(message: ConsumerRecord[bytes, bytes]) -> RawRecord:
    return RawRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=message.timestamp,
        key=message.key,
        value=message.value,
        headers=normalize_headers(message.headers),
    )


# Called with (records read so far, records the topic held when reading began).
ReadProgress = Callable[[int, int], None]


@asynccontextmanager
async def _reader(settings: BusSettings) -> AsyncIterator[AIOKafkaConsumer]:
    """A consumer outside any group: it commits nothing and disturbs no service's offsets."""
    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        await consumer.stop()  # release what start() opened before it failed
        raise _unreachable(settings, exc) from exc
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _metadata(consumer: AIOKafkaConsumer, topic: str) -> tuple[TopicState, list[TopicPartition]]:
    """Ask the broker about one topic by name (never creating it): a metadata request for all
    topics silently leaves out the ones this principal may not describe, so it cannot tell "not
    authorized" from "does not exist"; a request naming the topic answers with the error code."""
    client = consumer._client
    request = MetadataRequest([topic], allow_auto_topic_creation=False)
    response = await client.send(client.get_random_node(), request)
    for entry in response.topics:
        error_code, name, partitions = entry[0], entry[1], entry[2 if response.API_VERSION == 0 else 3]
        if name != topic:
            continue
        error = for_code(error_code)
        if error is TopicAuthorizationFailedError:
            return "unauthorized", []
        if error is UnknownTopicOrPartitionError:
            return "missing", []
        return "present", [TopicPartition(topic, p[1]) for p in sorted(partitions, key=lambda p: p[1])]
    return "missing", []


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """The topic's partitions; [] when it does not exist; TopicAuthorizationFailedError when this
    principal may not see it (so a refused read never passes for an empty topic)."""
    state, partitions = await _metadata(consumer, topic)
    if state == "unauthorized":
        raise TopicAuthorizationFailedError(topic)
    return partitions


async def topic_state(settings: BusSettings, topic: str) -> TopicState:
    """Whether the topic is there for this principal, missing, or hidden by the ACLs."""
    async with _reader(settings) as consumer:
        return (await _metadata(consumer, topic))[0]


async def topic_exists(settings: BusSettings, topic: str) -> bool:
    """Whether the broker knows the topic (read_all cannot tell a missing topic from an empty one);
    TopicAuthorizationFailedError when this principal may not see it."""
    async with _reader(settings) as consumer:
        return bool(await _partitions(consumer, topic))


async def read_all(
    settings: BusSettings,
    topic: str,
    *,
    idle_ms: int = 1500,
    progress: ReadProgress | None = None,
    must_exist: bool = False,
) -> list[RawRecord]:
    """Every record now in a topic, from the beginning, without joining a consumer group.

    `progress`, when given, is told how far the read has come after every batch, so commands
    reading a whole topic can show a progress bar. A topic this principal may not read raises
    TopicAuthorizationFailedError; a missing one reads as empty, or raises TopicMissingError
    with `must_exist`.
    """
    async with _reader(settings) as consumer:
        partitions = await _partitions(consumer, topic)
        if not partitions:
            if must_exist:
                raise TopicMissingError(topic)
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        start = await consumer.beginning_offsets(partitions)
        total = sum(end[tp] - start[tp] for tp in partitions)
        return await _drain(consumer, end, idle_ms, lambda n: progress(n, total) if progress else None)


async def _drain(
    consumer: AIOKafkaConsumer, end: dict[TopicPartition, int], idle_ms: int, report: Callable[[int], None]
) -> list[RawRecord]:
    records: list[RawRecord] = []
    report(0)
    patience = max(10_000, idle_ms)  # a slow fetch is not the end of the topic: wait this long in all
    while any(await _behind(consumer, end)) and patience > 0:
        batch = await consumer.getmany(timeout_ms=idle_ms)
        if not batch:
            patience -= idle_ms
            continue
        records.extend(raw_record(m) for msgs in batch.values() for m in msgs)
        report(len(records))
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> Iterable[bool]:
    return [await consumer.position(tp) < offset for tp, offset in end.items()]


async def read_at(
    settings: BusSettings, topic: str, partition: int, offset: int, *, timeout_ms: int = 3000
) -> RawRecord | None:
    """The one record at a log position, or None when there is none (no such topic or partition,
    offset beyond the end, or removed by retention or compaction). Reads nothing else."""
    async with _reader(settings) as consumer:
        tp = TopicPartition(topic, partition)
        if tp not in await _partitions(consumer, topic):
            return None
        consumer.assign([tp])
        first, end = (await consumer.beginning_offsets([tp]))[tp], (await consumer.end_offsets([tp]))[tp]
        if not first <= offset < end:
            return None
        consumer.seek(tp, offset)
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=timeout_ms, max_records=1)
            if not batch:
                return None
            for message in batch.get(tp, []):
                if message.offset >= offset:
                    return raw_record(message) if message.offset == offset else None
        return None
