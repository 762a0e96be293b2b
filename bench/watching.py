"""Watching what the bus writes: a consumer outside any group reads topics from the beginning and
hands every record to a callback with the time it arrived (`time.perf_counter`, in this process).

`Outputs` is the callback the correlator-only parts use: it counts the records of every output
topic of the correlator and notes when the first case event citing each input event arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.topics import BenchTopics
from incidentbus.agencies.registry import AGENCIES
from incidentbus.v1 import case_events_pb2

Handle = Callable[[str, bytes, Any, float], None]  # physical topic, value, headers, arrival time
CASE_EVENTS = "case.events.v1"
# Everything the correlator's core writes (engine.output_record, and dead letters).
OUTPUT_TOPICS = (
    CASE_EVENTS,
    "case.snapshots.v1",
    "bus.alerts.v1",
    "correlator.deadletters.v1",
    *(f"{agency}.dispatch.v1" for agency in AGENCIES),
)


def header(headers: Any, name: str) -> bytes | None:
    return next((bytes(v) for k, v in headers or () if k == name), None)


class TopicWatcher:
    """Feeds every record of the named catalog topics (all partitions) to `handle` as it arrives."""

    def __init__(self, topics: BenchTopics, names: list[str] | tuple[str, ...], handle: Handle) -> None:
        self.settings = topics.settings
        self.partitions = [
            TopicPartition(self.settings.topic(n), p) for n in names for p in range(topics.like(n).partitions)
        ]
        self.handle = handle
        self.consumer = AIOKafkaConsumer(
            **self.settings.kafka_client_options(),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        self.task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> TopicWatcher:
        await self.consumer.start()
        self.consumer.assign(self.partitions)
        await self.consumer.seek_to_beginning(*self.partitions)
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=200)
            now = time.perf_counter()
            for records in batch.values():
                for m in records:
                    self.handle(m.topic, m.value or b"", m.headers, now)

    async def __aexit__(self, *exc: object) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()


@dataclass
class Outputs:
    """The correlator's outputs as they arrive: counts by catalog topic, and for every input event
    id the arrival of the first case event citing it (`cause_event_ids`)."""

    prefix: str
    counts: Counter[str] = field(default_factory=Counter)
    caused: dict[str, float] = field(default_factory=dict)
    case_event_ids: set[str] = field(default_factory=set)  # distinct case events (repeats apart)
    opened: int = 0  # CaseOpened events
    first: float = 0.0  # arrival of the first output
    last: float = 0.0  # arrival of the latest output

    def handle(self, topic: str, value: bytes, headers: Any, now: float) -> None:
        name = topic.removeprefix(self.prefix)
        self.counts[name] += 1
        self.first = self.first or now
        self.last = now
        if name == CASE_EVENTS:
            event = case_events_pb2.CaseEvent.FromString(value)
            self.case_event_ids.add(event.envelope.event_id)
            for cause in event.cause_event_ids:
                self.caused.setdefault(cause, now)
            self.opened += event.WhichOneof("body") == "case_opened"

    def reached(self, expected: Counter[str], cited: frozenset[str] = frozenset()) -> bool:
        """Every topic has its expected records, and a case event cites each of `cited` (so
        repeated records cannot make up for missing ones)."""
        return all(self.counts[name] >= n for name, n in expected.items()) and all(
            c in self.caused for c in cited
        )

    @property
    def repeated_case_events(self) -> int:
        return self.counts[CASE_EVENTS] - len(self.case_event_ids)


async def until(probe: Callable[[], bool], outputs: Outputs, stall: float) -> bool:
    """Wait until `probe()`, or until no output has arrived for `stall` seconds."""
    since = time.perf_counter()
    while not probe():
        if time.perf_counter() - max(outputs.last, since) > stall:
            return False
        await asyncio.sleep(0.05)
    return True
