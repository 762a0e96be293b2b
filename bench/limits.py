"""Part 3: what this machine does with the same messages and no incident logic at all.

Each passthrough reads native JSON messages from a topic shaped like an inbox (A) and writes them
unchanged to one shaped like an events topic (B). The messages are preloaded into A before the
clock starts; the clock runs from the first record read to the last one acknowledged by the
broker (acks=all), and stops early after `budget` seconds, so a figure is records / seconds
over what was actually done.

- raw aiokafka: one consumer, one idempotent producer; a fetched batch is sent at once and its
  acknowledgements awaited together (the fastest honest loop).
- raw aiokafka, ack each: the same, awaiting every record's acknowledgement before the next
  (the discipline the services use: `send_and_wait` per output).
- faust passthrough: an empty faust agent (`kernel.faust_shell.make_app`, `raw_topic`) reading
  raw bytes from A and producing to B with the kernel's `publish` (send_and_wait, as services do).
- faust passthrough, buffered: the same agent with `topic.send()` (faust batches, acks awaited
  at the end).

Each faust pass runs in an app of its own, started after the topic is loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.live import free_port
from bench.topics import BenchTopics
from incidentbus.kernel.faust_shell import make_app, publish, raw_topic
from incidentbus.kernel.records import OutgoingRecord
from incidentbus.kernel.settings import BusSettings

Message = tuple[bytes, bytes]  # key, value
JSON_HEADERS = [("content-type", b"application/json")]
START_ALLOWANCE = 60.0  # seconds a pass may take beyond its budget (joining the group, rebalancing)


@dataclass(frozen=True)
class Pass:
    records: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0


def _producer(settings: BusSettings, **extra: Any) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka_client_options(),
        enable_idempotence=True,
        max_request_size=settings.max_message_bytes * 4,
        **extra,
    )


async def preload(settings: BusSettings, topic: str, messages: list[Message]) -> None:
    """Write the messages to a topic as fast as the producer goes (not measured)."""
    producer = _producer(settings, linger_ms=5)
    await producer.start()
    try:
        for start in range(0, len(messages), 2000):
            sends = [
                await producer.send(topic, value, key=key, headers=JSON_HEADERS)
                for key, value in messages[start : start + 2000]
            ]
            await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _raw(
    settings: BusSettings, source: str, target: str, total: int, budget: float, *, each: bool
) -> Pass:
    consumer = AIOKafkaConsumer(
        source,
        **settings.kafka_client_options(),
        group_id=f"{source}-raw",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = _producer(settings)
    await asyncio.gather(consumer.start(), producer.start())
    done, first, last = 0, 0.0, 0.0
    idle_since = time.perf_counter()
    try:
        while done < total:
            batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            if not batch:
                if time.perf_counter() - idle_since > START_ALLOWANCE:
                    break  # nothing more is coming
                continue
            idle_since = time.perf_counter()
            first = first or time.perf_counter()
            messages = [m for records in batch.values() for m in records]
            if each:
                for m in messages:
                    await producer.send_and_wait(target, m.value, key=m.key, headers=list(m.headers))
            else:
                sends = [
                    await producer.send(target, m.value, key=m.key, headers=list(m.headers)) for m in messages
                ]
                await asyncio.gather(*sends)
            await consumer.commit({TopicPartition(m.topic, m.partition): m.offset + 1 for m in messages})
            done += len(messages)
            last = time.perf_counter()
            if last - first >= budget:
                break
    finally:
        await asyncio.gather(consumer.stop(), producer.stop())
    return Pass(done, last - first)


@dataclass
class _Counter:
    total: int
    budget: float
    done: int = 0
    first: float = 0.0
    last: float = 0.0
    finished: asyncio.Event = field(default_factory=asyncio.Event)  # no more records to forward
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # and every one acknowledged

    def count(self) -> bool:
        """Count one record; True when the pass is over (all done, or the time budget spent)."""
        now = time.perf_counter()
        self.first = self.first or now
        self.done += 1
        self.last = now
        if self.done >= self.total or now - self.first >= self.budget:
            self.finished.set()
            return True
        return False


def _passthrough_agent(app: Any, counter: _Counter, target: str, buffered: bool) -> Any:
    """An agent that forwards every record unchanged to `target`, counting them."""
    out = raw_topic(app, target)

    async def agent(stream: Any) -> None:
        pending: list[Any] = []
        async for event in stream.events():
            if counter.finished.is_set():
                continue  # the pass is over; the app stops soon
            message = event.message
            if buffered:
                pending.append(await out.send(key=message.key, value=message.value, headers=message.headers))
            else:
                await publish(app, OutgoingRecord(target, message.key, message.value, tuple(message.headers)))
            if counter.count():
                await asyncio.gather(*pending)
                counter.last = time.perf_counter()
                counter.settled.set()

    return agent


async def _faust(
    settings: BusSettings,
    source: str,
    target: str,
    *,
    buffered: bool,
    total: int,
    budget: float,
    datadir: Path,
) -> Pass:
    """A faust app of its own with one empty agent forwarding `source` to `target`.

    One app per pass: agents of one app share its fetcher, and a full stream buffer of an agent
    that is not yet reading stalls the other agents' deliveries too.
    """
    name = "bench-passthrough-buffered" if buffered else "bench-passthrough"
    app = make_app(settings, name, web_port=free_port())
    app.conf.datadir = datadir / app.conf.id
    counter = _Counter(total, budget)
    app.agent(raw_topic(app, source), name=name)(_passthrough_agent(app, counter, target, buffered))
    await app.start()
    try:
        with contextlib.suppress(TimeoutError):  # start-up and rebalancing take a few seconds
            await asyncio.wait_for(counter.settled.wait(), budget + START_ALLOWANCE)
    finally:
        counter.finished.set()
        await app.stop()
    return Pass(counter.done, counter.last - counter.first)


@dataclass(frozen=True)
class Limits:
    raw: Pass
    raw_ack_each: Pass
    faust: Pass
    faust_buffered: Pass


async def run_limits(
    topics: BenchTopics,
    messages: Callable[[str, int], list[Message]],
    *,
    counts: dict[str, int],
    budget: float,
    datadir: Path,
) -> Limits:
    """The four passthroughs; `messages(tag, n)` gives n native messages (key, value)."""
    settings = topics.settings
    names = {
        kind: (f"passthrough.{kind}.a", f"passthrough.{kind}.b")
        for kind in ("raw", "raw_each", "faust", "faust_buffered")
    }
    await topics.create_raw(
        {n: m for a, b in names.values() for n, m in ((a, "police.inbox.v1"), (b, "police.events.v1"))}
    )
    t = settings.topic
    for kind, (a, _b) in names.items():
        await preload(settings, t(a), messages(kind, counts[kind]))
    raw = await _raw(settings, t(names["raw"][0]), t(names["raw"][1]), counts["raw"], budget, each=False)
    each = await _raw(
        settings, t(names["raw_each"][0]), t(names["raw_each"][1]), counts["raw_each"], budget, each=True
    )
    plain = await _faust(
        settings,
        *map(t, names["faust"]),
        buffered=False,
        total=counts["faust"],
        budget=budget,
        datadir=datadir,
    )
    buffered = await _faust(
        settings,
        *map(t, names["faust_buffered"]),
        buffered=True,
        total=counts["faust_buffered"],
        budget=budget,
        datadir=datadir,
    )
    return Limits(raw, each, plain, buffered)
