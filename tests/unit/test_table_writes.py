"""`write_table` (kernel/faust_tables.py) stores a batch as faust stores a key: the changelog record
faust itself would send (same topic, partition, key and value bytes), then the local store and
the changelog offset it reflects, only once every record is acknowledged; nothing locally when
a send fails. A real faust Table (memory store, no broker); the producer is a fake that the test
acknowledges."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import RecordMetadata, TopicPartition

from incidentbus.kernel.faust_shell import make_app
from incidentbus.kernel.faust_tables import TableWrite, write_table
from incidentbus.kernel.settings import BusSettings

SETTINGS = BusSettings(topic_prefix="unit.", environment="test")


class Message:
    def __init__(self, partition: int) -> None:
        self.topic, self.partition = "unit.in.v1", partition


class Event:
    def __init__(self, partition: int) -> None:
        self.message = Message(partition)


class Producer:
    """Records what is sent and hands out a future per record; the test acknowledges them."""

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int | None]] = []
        self.acks: list[asyncio.Future[RecordMetadata]] = []
        self.fail = fail

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None, *_: object
    ) -> asyncio.Future[RecordMetadata]:
        self.sent.append((topic, key, value, partition))
        ack: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack

    def acknowledge(self) -> None:
        for offset, (ack, (topic, _, _, partition)) in enumerate(zip(self.acks, self.sent, strict=True)):
            if self.fail:
                ack.set_exception(KafkaTimeoutError())
                continue
            assert partition is not None
            metadata = RecordMetadata(
                topic, partition, TopicPartition(topic, partition), 100 + offset, -1, -1, 0
            )
            ack.set_result(metadata)


class App:
    def __init__(self, producer: Producer) -> None:
        self.producer = producer


def table(value_type: type) -> Any:
    app = make_app(SETTINGS, "unit-tables", web_port=6998)
    return app.Table("unit-cases", default=None, partitions=6, key_type=str, value_type=value_type)


def persisted(store: Any) -> dict[int, int]:
    """Spy on the store's persisted changelog offsets (the memory store keeps none)."""
    seen: dict[int, int] = {}
    store.set_persisted_offset = lambda tp, offset: seen.__setitem__(tp.partition, offset)
    return seen


async def store(producer: Producer, target: Any, writes: list[TableWrite]) -> None:
    """Run write_table; check that the local store is untouched until the acknowledgements."""
    before = dict(target.data.items())
    task = asyncio.create_task(write_table(App(producer), target, writes))  # type: ignore[arg-type]
    while len(producer.sent) < len(writes):
        await asyncio.sleep(0)
    for _ in range(3):
        await asyncio.sleep(0)
    assert not task.done()
    assert dict(target.data.items()) == before  # nothing local before the acknowledgements
    producer.acknowledge()
    await task


async def test_the_changelog_gets_what_faust_would_send_then_the_store_and_its_offsets() -> None:
    target, producer = table(str), Producer()
    target.data["gone"] = "before"
    seen = persisted(target.data)
    writes = [
        TableWrite(Event(2), "310101|case/1", "v1"),
        TableWrite(Event(4), "310102|case/2", "v2"),
        TableWrite(Event(2), "gone", None),
    ]
    await store(producer, target, writes)
    topic = target.changelog_topic
    expected = [
        (
            topic.get_topic_name(),
            topic.prepare_key(w.key, target.key_serializer)[0],
            None if w.value is None else topic.prepare_value(w.value, target.value_serializer)[0],
            w.event.message.partition if w.event else None,
        )
        for w in writes
    ]
    assert producer.sent == expected
    assert expected[0][2] == b'"v1"'  # a str value: faust's default JSON serializer, as before
    assert dict(target.data.items()) == {"310101|case/1": "v1", "310102|case/2": "v2"}
    assert seen == {2: 102, 4: 101}  # the last acknowledged offset of each changelog partition


async def test_a_failed_send_stores_nothing_locally() -> None:
    target, producer = table(int), Producer(fail=True)
    seen = persisted(target.data)
    with pytest.raises(KafkaTimeoutError):
        await store(producer, target, [TableWrite(Event(1), "id-1", 7)])
    assert (dict(target.data.items()), seen) == ({}, {})


async def test_a_write_without_its_input_record_is_refused() -> None:
    with pytest.raises(TypeError, match="input record"):
        await write_table(App(Producer()), table(int), [TableWrite(None, "id-1", 7)])  # type: ignore[arg-type]


async def test_a_plain_mapping_is_written_in_place() -> None:
    mapping: dict[str, int] = {"old": 1}
    await write_table(App(Producer()), mapping, [TableWrite(None, "new", 2), TableWrite(None, "old", None)])  # type: ignore[arg-type]
    assert mapping == {"new": 2}
