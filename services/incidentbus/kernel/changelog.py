"""A state changelog on Kafka: writing a batch's records (each with the input offset it reflects)
and reading a partition's tail back to restore a `PartitionState` (kernel/partition_state.py).

The changelog is compacted and has the input's partitions; a record goes to the partition of the
input it came from, whatever its key (the producer's key partitioner is not used), so one input
partition's state is one changelog partition.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from incidentbus.kernel.partition_state import GENERATION_HEADER, PROCESSED_HEADER, ChangelogRecord

READ_BATCH = 5_000  # records per getmany while restoring
READ_TIMEOUT_MS = 500


@dataclass(frozen=True)
class StateRecord:
    """One key's new value (None: delete) for a changelog partition, the last input offset
    whose state it reflects and its writer's consumer-group generation."""

    partition: int
    key: bytes
    value: bytes | None
    processed: int
    generation: int

    @property
    def headers(self) -> list[tuple[str, bytes]]:
        return state_headers(self.processed, self.generation)


def state_headers(processed: int, generation: int) -> list[tuple[str, bytes]]:
    """The headers of a changelog record: the input offset it reflects, its writer's generation."""
    return [(PROCESSED_HEADER, str(processed).encode()), (GENERATION_HEADER, str(generation).encode())]


def changelog_record(
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes]] | None,
) -> ChangelogRecord:
    """A consumed changelog record as the state restores it. ValueError for a record without a
    key or without the processed-offset and generation headers (not one this changelog writes)."""
    if key is None:
        raise ValueError(f"changelog partition {partition} offset {offset}: no key")
    found = dict(headers or ())
    missing = [h for h in (PROCESSED_HEADER, GENERATION_HEADER) if h not in found]
    if missing:
        raise ValueError(f"changelog partition {partition} offset {offset}: no {', '.join(missing)} header")
    return ChangelogRecord(
        bytes(key),
        None if value is None else bytes(value),
        offset,
        int(found[PROCESSED_HEADER]),
        int(found[GENERATION_HEADER]),
    )


async def read_to_end(
    consumer: AIOKafkaConsumer, tp: TopicPartition, after: int | None
) -> AsyncIterator[list[ConsumerRecord[bytes, bytes]]]:
    """A partition's records past offset `after` (all of it for None) up to its end as of now, as
    consumed, in batches. `consumer` is outside any group; the partition is assigned to it here."""
    consumer.assign([tp])
    if after is None:
        await consumer.seek_to_beginning(tp)
    else:
        consumer.seek(tp, after + 1)
    end = (await consumer.end_offsets([tp]))[tp]
    while await consumer.position(tp) < end:
        fetched = await consumer.getmany(tp, timeout_ms=READ_TIMEOUT_MS, max_records=READ_BATCH)
        batch = [m for m in fetched.get(tp, []) if m.offset < end]
        if batch:
            yield batch


async def read_tail(
    consumer: AIOKafkaConsumer, tp: TopicPartition, after: int | None
) -> AsyncIterator[list[ChangelogRecord]]:
    """The changelog partition's records past offset `after` (all of it for None) up to its end
    as of now, as the state restores them (`changelog_record`), in batches."""
    async for batch in read_to_end(consumer, tp, after):
        yield [changelog_record(tp.partition, m.offset, m.key, m.value, m.headers) for m in batch]
