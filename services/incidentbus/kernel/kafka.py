"""Thin aiokafka helpers for commands and tests; services run on faust instead."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from incidentbus.kernel.records import OutgoingRecord, RawRecord, normalize_headers
from incidentbus.kernel.settings import BusSettings


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
        raise ConnectionError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
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
        raise ConnectionError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
    try:
        yield consumer
    finally:
        await consumer.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    cluster = await consumer._client.fetch_all_metadata()  # the consumer's own view is subscription-only
    return [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or [])]


async def topic_exists(settings: BusSettings, topic: str) -> bool:
    """Whether the broker knows the topic (read_all cannot tell a missing topic from an empty one)."""
    async with _reader(settings) as consumer:
        return bool(await _partitions(consumer, topic))


async def read_all(
    settings: BusSettings, topic: str, *, idle_ms: int = 1500, progress: ReadProgress | None = None
) -> list[RawRecord]:
    """Every record now in a topic, from the beginning, without joining a consumer group.

    `progress`, when given, is told how far the read has come after every batch, so commands
    reading a whole topic can show a progress bar.
    """
    async with _reader(settings) as consumer:
        partitions = await _partitions(consumer, topic)
        if not partitions:
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
