"""`write_table` (kernel/faust_tables.py) stores a batch as faust stores a key: the changelog record
faust itself would send (same topic, partition, key and value bytes), then the local store and
the changelog offset it reflects, only once every record is acknowledged; nothing locally when
a send fails. A real faust Table (memory store, no broker); the producer is a fake that the test
acknowledges."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import RecordMetadata, TopicPartition

from incidentbus.kernel.faust_shell import make_app
from incidentbus.kernel.faust_tables import TableWrite, as_current, write_table
from incidentbus.kernel.settings import BusSettings

SETTINGS = BusSettings(topic_prefix="unit.", environment="test")


class Message:
    def __init__(self, partition: int, topic: str = "unit.in.v1", **record: Any) -> None:
        self.topic, self.partition = topic, partition
        self.tp = TopicPartition(topic, partition)
        self.key, self.value, self.offset = record.get("key"), record.get("value"), record.get("offset", 0)


class Event:
    def __init__(self, partition: int, topic: str = "unit.in.v1", **record: Any) -> None:
        self.message = Message(partition, topic, **record)


class Producer:
    """Records what is sent and hands out a future per record; the test acknowledges them."""

    def __init__(self, *, fail: bool = False, refuse_after: int | None = None) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int | None]] = []
        self.acks: list[asyncio.Future[RecordMetadata]] = []
        self.fail = fail
        self.refuse_after = refuse_after  # raise on the send after this many

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, partition: int | None, *_: object
    ) -> asyncio.Future[RecordMetadata]:
        if self.refuse_after is not None and len(self.sent) >= self.refuse_after:
            raise KafkaTimeoutError()
        self.sent.append((topic, key, value, partition))
        ack: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack

    def acknowledge(self) -> None:
        for offset, (ack, (topic, _, _, partition)) in enumerate(zip(self.acks, self.sent, strict=True)):
            if ack.done():
                continue
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


def table(value_type: type, settings: BusSettings = SETTINGS, store: str = "memory://") -> Any:
    app = make_app(settings, "unit-tables", web_port=6998, store=store)
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
    while len(producer.sent) < len(writes) and not task.done():
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


async def test_a_send_refused_midway_stores_nothing_locally_and_leaves_no_ack_unawaited() -> None:
    target, producer = table(int), Producer(refuse_after=1)
    seen = persisted(target.data)
    task = asyncio.create_task(
        write_table(App(producer), target, [TableWrite(Event(1), "id-1", 7), TableWrite(Event(1), "id-2", 8)])  # type: ignore[arg-type]
    )
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(producer.sent) == 1  # the second send failed
    assert not task.done()  # the failure waits for the first record's acknowledgement
    producer.acknowledge()
    with pytest.raises(KafkaTimeoutError):
        await task
    assert (dict(target.data.items()), seen) == ({}, {})


async def test_rocksdb_holds_what_recovery_from_the_changelog_rebuilds(tmp_path: Path) -> None:
    """The RocksDB store written by write_table, and a fresh store that recovery fills from the
    records it sent (faust's `apply_changelog_batch`), hold the same keys, values and offsets."""
    written = table(
        int, BusSettings(topic_prefix="unit.", environment="test", data_dir=tmp_path / "a"), "rocksdb://"
    )
    producer = Producer()
    first = [TableWrite(Event(2), "a", 5), TableWrite(Event(4), "b", 7), TableWrite(Event(2), "c", 9)]
    await store(producer, written, first)
    sent_before = len(producer.sent)
    await store(producer, written, [TableWrite(Event(2), "c", None), TableWrite(Event(4), "b", 8)])
    assert len(producer.sent) == sent_before + 2
    changelog = written.changelog_topic.get_topic_name()
    recovered = table(
        int, BusSettings(topic_prefix="unit.", environment="test", data_dir=tmp_path / "b"), "rocksdb://"
    )
    records = [
        Event(partition, topic, key=key, value=value, offset=100 + offset)
        for offset, (topic, key, value, partition) in enumerate(producer.sent)
    ]
    recovered.data.apply_changelog_batch(records, recovered._to_key, recovered._to_value)
    for partition, key, value in ((2, "a", 5), (4, "b", 8), (2, "c", None), (4, "c", None)):
        with as_current(Event(partition)):  # type: ignore[arg-type]  # a key is read in its partition
            assert written.get(key) == recovered.get(key) == value
    for partition, offset in ((2, 103), (4, 104)):
        tp = TopicPartition(changelog, partition)
        assert written.data.persisted_offset(tp) == recovered.data.persisted_offset(tp) == offset


async def test_a_write_without_its_input_record_is_refused() -> None:
    with pytest.raises(TypeError, match="input record"):
        await write_table(App(Producer()), table(int), [TableWrite(None, "id-1", 7)])  # type: ignore[arg-type]


async def test_a_plain_mapping_is_written_in_place() -> None:
    mapping: dict[str, int] = {"old": 1}
    await write_table(App(Producer()), mapping, [TableWrite(None, "new", 2), TableWrite(None, "old", None)])  # type: ignore[arg-type]
    assert mapping == {"new": 2}
