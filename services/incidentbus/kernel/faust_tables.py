"""A batch's table writes stored as faust stores them, without faust's one-record-at-a-time path.

faust writes a table key (`table[key] = value`) by putting its changelog record into the
producer's buffer, which one task drains a record at a time; past 100 buffered records its
consumer stops delivering records until the buffer has drained (`ProducerBuffer.wait_until_ebb`).
A correlator batch writes tens to hundreds of keys at once, so its input agent waited for
records about half the time (29 s of 61 s in the correlator-alone benchmark, 2026-11-30).

`write_table` stores the same records in the same places: each changelog record, serialized by
the table's own serializers, on the changelog partition of the input it came from, all handed to
the producer together; once every one is acknowledged, the local store (memory or RocksDB, the
partition of the same input) and the changelog offsets it holds (`set_persisted_offset`, what a
restart reads from) — what faust's `Table.__setitem__` and `_on_changelog_sent` do for a key.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import faust
from aiokafka.structs import RecordMetadata
from faust.streams import _current_event
from faust.types import TP, EventT


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


@dataclass(frozen=True)
class TableWrite:
    """One key to store: its value, or None to delete it, and the input record it came from (its
    partition is the key's changelog and store partition; None only for a table that is not
    faust's, which has no partitions)."""

    event: EventT[Any] | None
    key: Any
    value: Any | None


async def write_table(app: faust.App, table: MutableMapping[Any, Any], writes: Sequence[TableWrite]) -> None:
    """Store `writes` in a faust table: changelog records first (all sent, then all acknowledged),
    then the local store and its persisted changelog offsets. Idempotent: run again after a
    failure, it writes the same records (a compacted changelog keeps the last of a key).

    A mapping that is not a faust table (a dict standing in for one in tests) is written in place.
    Raises what the producer raises; the local store is then untouched, though some of the
    records may be on the changelog already (the retry writes them again). Raises TypeError for a
    write without an input record, ValueError for a table this does not write as faust would
    (one partitioned by key or global, or an app in a transaction), and faust's
    PartitionsMismatch when the input topic and the changelog differ in partitions."""
    if not isinstance(table, faust.Table):
        for write in writes:
            _put(table, write)
        return
    if not writes:
        return
    _check(table, writes)
    topic = table.changelog_topic
    name = topic.get_topic_name()
    sent: list[Awaitable[RecordMetadata]] = []
    try:
        for write in writes:
            assert write.event is not None  # _check
            key, headers = topic.prepare_key(write.key, table.key_serializer)
            value = None  # a tombstone deletes the key
            if write.value is not None:
                value, headers = topic.prepare_value(write.value, table.value_serializer)
            partition = write.event.message.partition
            sent.append(await app.producer.send(name, key, value, partition, None, headers))
    except BaseException:
        await asyncio.gather(*sent, return_exceptions=True)  # none left unawaited
        raise
    acknowledged = await asyncio.gather(*sent)
    for write in writes:
        assert write.event is not None  # _check
        with as_current(write.event):  # the RocksDB partition of the input
            _put(table.data, write)
    persisted: dict[TP, int] = {}
    for metadata in acknowledged:
        tp = metadata.topic_partition
        persisted[tp] = max(persisted.get(tp, -1), metadata.offset)
    for tp, offset in persisted.items():
        table.data.set_persisted_offset(tp, offset)


def _check(table: faust.Table[Any, Any], writes: Sequence[TableWrite]) -> None:
    """What faust checks before it writes a key, and what writing as faust does assumes."""
    if any(w.event is None for w in writes):
        raise TypeError(f"table {table.name}: a write needs the input record it came from")
    if table.use_partitioner or table.is_global or table.app.in_transaction:
        raise ValueError(f"table {table.name}: only at-least-once tables partitioned by their input")
    for topic in {w.event.message.topic for w in writes if w.event is not None}:
        table._verify_source_topic_partitions(topic)  # faust's own check (cached per topic)


def _put(mapping: MutableMapping[Any, Any], write: TableWrite) -> None:
    if write.value is None:
        mapping.pop(write.key, None)
    else:
        mapping[write.key] = write.value
