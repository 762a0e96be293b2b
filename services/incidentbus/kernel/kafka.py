"""Thin aiokafka helpers for commands and tests; services run on faust instead."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
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


async def read_all(settings: BusSettings, topic: str, *, idle_ms: int = 1500) -> list[RawRecord]:
    """Every record now in a topic, from the beginning, without joining a consumer group."""
    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()  # the consumer's own view is subscription-only
        partitions = [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or [])]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        return await _drain(consumer, end, idle_ms)
    finally:
        await consumer.stop()


async def _drain(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int], idle_ms: int) -> list[RawRecord]:
    records: list[RawRecord] = []
    while any(await _behind(consumer, end)):
        batch = await consumer.getmany(timeout_ms=idle_ms)
        if not batch:
            break
        records.extend(raw_record(m) for msgs in batch.values() for m in msgs)
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def _behind(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> Iterable[bool]:
    return [await consumer.position(tp) < offset for tp, offset in end.items()]
