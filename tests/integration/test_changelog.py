"""A state changelog on the real broker (kernel/changelog.py): records written to the input's
partition with the input offset they reflect are read back from any offset to the end, and a
`PartitionState` restored from them holds the committed batches only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.admin import NewTopic

from incidentbus.kernel.admin import admin_client, delete_topics
from incidentbus.kernel.changelog import StateRecord, read_tail
from incidentbus.kernel.kafka import _reader, producer
from incidentbus.kernel.partition_state import PartitionState
from incidentbus.kernel.settings import BusSettings


async def write(settings: BusSettings, topic: str, records: list[StateRecord]) -> None:
    async with producer(settings) as client:
        sent = [
            await client.send(topic, r.value, key=r.key, partition=r.partition, headers=r.headers)
            for r in records
        ]
        await asyncio.gather(*sent)


async def tail(settings: BusSettings, tp: TopicPartition, after: int | None) -> list[tuple[bytes, int, int]]:
    async with _reader(settings) as consumer:
        return [
            (r.key, r.offset, r.processed) async for batch in read_tail(consumer, tp, after) for r in batch
        ]


def test_a_partition_is_read_back_from_any_offset_and_restores_the_committed_batches(
    settings: BusSettings, tmp_path: Path
) -> None:
    topic = settings.topic("unit-state-changelog")

    async def run() -> None:
        async with admin_client(settings) as admin:
            await admin.create_topics([NewTopic(topic, 2, 1, topic_configs={"cleanup.policy": "compact"})])
        try:
            first = [StateRecord(1, b"case/1", b"v1", 9, 2), StateRecord(1, b"seen/a", b"1", 9, 2)]
            second = [StateRecord(1, b"case/1", b"v2", 19, 2), StateRecord(1, b"seen/a", None, 19, 2)]
            other = [StateRecord(0, b"case/9", b"x", 4, 2)]  # another partition: not read
            await write(settings, topic, [*first, *other, *second])
            tp = TopicPartition(topic, 1)
            assert await tail(settings, tp, None) == [
                (b"case/1", 0, 9),
                (b"seen/a", 1, 9),
                (b"case/1", 2, 19),
                (b"seen/a", 3, 19),
            ]
            assert [offset for _, offset, _ in await tail(settings, tp, 1)] == [2, 3]
            assert await tail(settings, tp, 3) == []
            state = PartitionState(tmp_path / "p1")
            async with _reader(settings) as consumer:
                async for batch in read_tail(consumer, tp, state.changelog_offset):
                    state.restore(batch, committed=10)  # the second batch was never committed
            assert (list(state.items()), state.changelog_offset) == (
                [(b"case/1", b"v1"), (b"seen/a", b"1")],
                3,
            )
        finally:
            await delete_topics(settings, [topic])

    asyncio.run(run())
