"""Producing many records at once as record batches (aiokafka's `create_batch`/`send_batch`):
one future per batch instead of one `send` call, future and accumulator entry per record, which
was the largest cost of the correlator's loop after its own steps (py-spy: 24% of the samples).

Records keep their order within a partition (a partition's batches are handed over in order,
and aiokafka sends one batch per partition at a time). A keyed record goes where the producer's
default partitioner would put it (murmur2 of the key, as the Java client), so readers keyed by
case or agency see the same partitions as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner


@dataclass
class BatchStats:
    """What a batching loop did (for the benchmark and logs): batches, records, and the seconds
    spent handling records, publishing and storing (`prepare` and its store)."""

    batches: int = 0
    records: int = 0
    largest: int = 0
    handle_s: float = 0.0
    send_s: float = 0.0  # handing the outputs to the producer
    publish_s: float = 0.0  # then awaiting their acknowledgements
    store_s: float = 0.0
    ack_wait_s: float = 0.0  # handling held back: the batch before still awaits its acknowledgements
    input_wait_s: float = 0.0  # awaiting the next batch of records

    def as_dict(self) -> dict[str, float]:
        return {
            "batches": self.batches,
            "records": self.records,
            "mean_batch": self.records / self.batches if self.batches else 0.0,
            "largest_batch": self.largest,
            "handle_s": round(self.handle_s, 3),
            "publish_s": round(self.publish_s, 3),
            "send_s": round(self.send_s, 3),
            "store_s": round(self.store_s, 3),
            "ack_wait_s": round(self.ack_wait_s, 3),
            "input_wait_s": round(self.input_wait_s, 3),
        }


@dataclass(frozen=True)
class Produce:
    """A record to produce; `partition` None: by its key, as the default partitioner."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()
    partition: int | None = None


@dataclass(frozen=True)
class SentBatch:
    """A batch handed to the producer: where it goes, how many records, its acknowledgement
    (the RecordMetadata of its first record)."""

    topic: str
    partition: int
    count: int
    ack: asyncio.Future[Any]

    async def last_offset(self) -> int:
        """The offset of the batch's last record, once acknowledged."""
        metadata = await self.ack
        return int(metadata.offset) + self.count - 1


@lru_cache(maxsize=65_536)
def _by_key(key: bytes, partitions: tuple[int, ...]) -> int:
    return int(DefaultPartitioner()(key, list(partitions), list(partitions)))


async def send_batches(producer: AIOKafkaProducer, records: Sequence[Produce]) -> list[SentBatch]:
    """Hand `records` to the producer in batches per partition, in order; the batches sent."""
    partitions: dict[str, tuple[int, ...]] = {}
    grouped: dict[tuple[str, int], list[Produce]] = {}
    for record in records:
        partition = record.partition
        if partition is None:
            if record.topic not in partitions:
                partitions[record.topic] = tuple(sorted(await producer.partitions_for(record.topic)))
            known = partitions[record.topic]
            partition = _by_key(record.key, known) if record.key is not None else known[0]
        grouped.setdefault((record.topic, partition), []).append(record)
    sent: list[SentBatch] = []
    for (topic, partition), items in grouped.items():
        batch, count = producer.create_batch(), 0
        for record in items:
            if not _append(batch, record):
                ack = await producer.send_batch(batch, topic, partition=partition)
                sent.append(SentBatch(topic, partition, count, ack))
                batch, count = producer.create_batch(), 0
                if not _append(batch, record):
                    raise ValueError(f"a record for {topic}[{partition}] is larger than a batch")
            count += 1
        if count:
            ack = await producer.send_batch(batch, topic, partition=partition)
            sent.append(SentBatch(topic, partition, count, ack))
    return sent


def _append(batch: Any, record: Produce) -> bool:
    """Whether the record fitted in the batch (a full batch takes nothing more)."""
    headers = list(record.headers)
    return batch.append(timestamp=None, key=record.key, value=record.value, headers=headers) is not None
