"""The local broker itself: transactions work (transaction state log at replication 1)."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from incidentbus.kernel.settings import BusSettings
from tests.integration.waits import CEILING


async def _committed_values(settings: BusSettings, topic: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        **settings.kafka_client_options(),
        isolation_level="read_committed",
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await consumer.end_offsets([tp]))[tp]  # read_committed: the last stable offset
        values: list[bytes] = []
        deadline = asyncio.get_running_loop().time() + CEILING
        while await consumer.position(tp) < end:
            assert asyncio.get_running_loop().time() < deadline, f"{topic} not read to {end}"
            batch = await consumer.getmany(tp, timeout_ms=1000)
            values += [m.value for m in batch.get(tp, []) if m.value is not None]
        return values
    finally:
        await consumer.stop()


def test_transactions_commit_and_abort(applied: BusSettings) -> None:
    topic = applied.topic("bus.alerts.v1")

    async def run() -> list[bytes]:
        producer = AIOKafkaProducer(
            **applied.kafka_client_options(), transactional_id=f"it-tx-{uuid.uuid4().hex[:8]}"
        )
        await producer.start()
        try:
            async with producer.transaction():
                await producer.send_and_wait(topic, b"committed", partition=0)
            await producer.begin_transaction()
            await producer.send_and_wait(topic, b"aborted", partition=0)
            await producer.abort_transaction()
        finally:
            await producer.stop()
        return await _committed_values(applied, topic)

    values = asyncio.run(run())
    assert b"committed" in values
    assert b"aborted" not in values
