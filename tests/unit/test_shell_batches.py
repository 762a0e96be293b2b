"""The correlator's batches (kernel/faust_shell.py take_buffered, run_batches): what the stream has
already fetched, up to the size, with one short wait when nothing more is there; never a record
twice or out of order; a batch stored only after its outputs are acknowledged, and after the batch
before it, while the next batch is handled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from incidentbus.kernel.faust_shell import Batching, Store, run_batches, take_buffered
from incidentbus.kernel.records import OutgoingRecord


class FakeStream:
    """A stream over a channel queue: `arrivals` are (delay s, records) put on the queue by a
    fetcher in the background, as faust's consumer does."""

    def __init__(self, arrivals: list[tuple[float, list[int]]]) -> None:
        self.channel = self
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.arrivals = arrivals

    async def _fetch(self) -> None:
        for delay, records in self.arrivals:
            await asyncio.sleep(delay)
            for record in records:
                self.queue.put_nowait(record)

    async def events(self) -> AsyncIterator[Any]:
        self.fetcher = asyncio.create_task(self._fetch())
        while True:
            yield await self.queue.get()


def batches(arrivals: list[tuple[float, list[int]]], size: int, within_s: float) -> list[list[int]]:
    async def collect() -> list[list[int]]:
        stream = FakeStream(arrivals)
        total = sum(len(records) for _, records in arrivals)
        taken: list[list[int]] = []
        async for batch in take_buffered(stream, size, within_s):
            taken.append([int(record) for record in batch])  # type: ignore[call-overload]
            if sum(map(len, taken)) == total:
                break
            await asyncio.sleep(0.01)  # handling the batch: the fetcher goes on meanwhile
        await stream.fetcher
        return taken

    return asyncio.run(collect())


def test_a_backlog_is_taken_in_full_batches_at_once() -> None:
    taken = batches([(0.0, list(range(25)))], size=10, within_s=1.0)
    assert taken == [list(range(10)), list(range(10, 20)), list(range(20, 25))]


def test_a_batch_waits_once_for_more_then_goes() -> None:
    # 3 records, then 2 more within the wait, then 1 long after it
    taken = batches([(0.0, [0, 1, 2]), (0.02, [3, 4]), (0.5, [5])], size=10, within_s=0.1)
    assert taken == [[0, 1, 2, 3, 4], [5]]


def test_without_a_wait_a_trickle_goes_one_by_one() -> None:
    taken = batches([(0.05, [0]), (0.05, [1]), (0.05, [2])], size=10, within_s=0.0)
    assert taken == [[0], [1], [2]]


def test_records_that_arrive_while_a_batch_is_handled_make_the_next_batch() -> None:
    taken = batches([(0.0, [0]), (0.002, [1, 2, 3])], size=10, within_s=0.0)
    assert [r for batch in taken for r in batch] == [0, 1, 2, 3]
    assert taken[0] == [0]
    assert taken[1:] == [[1, 2, 3]]


class Message:
    def __init__(self, offset: int) -> None:
        self.topic, self.partition, self.offset, self.timestamp = "in.v1", 0, offset, 1.0
        self.key, self.value, self.headers = b"k", b"v", list[tuple[str, bytes]]()


class Event:
    def __init__(self, offset: int) -> None:
        self.message = Message(offset)


class Producer:
    """Hands out one future per record; the test resolves them (the broker's acknowledgements)."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.acks: list[asyncio.Future[None]] = []

    async def send(self, topic: str, key: bytes, value: bytes, *_: object) -> asyncio.Future[None]:
        self.log.append(f"send {value.decode()}")
        ack: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acks.append(ack)
        return ack


class App:
    def __init__(self, log: list[str]) -> None:
        self.producer = Producer(log)


class EventStream(FakeStream):
    def __init__(self, arrivals: list[tuple[float, list[int]]], log: list[str]) -> None:
        super().__init__(arrivals)
        self.log = log
        self.enable_acks = True

    async def events(self) -> AsyncIterator[Any]:
        async for offset in super().events():
            yield Event(offset)

    async def ack(self, event: Event) -> None:
        self.log.append(f"ack {event.message.offset}")


def pipeline(arrivals: list[tuple[float, list[int]]], *, fail_first_ack: bool = False) -> list[str]:
    """Run `run_batches` over a stream: handling, sends, state encoded and stored, acks, in order."""
    log: list[str] = []

    async def run() -> None:
        app, stream = App(log), EventStream(arrivals, log)
        total = sum(len(records) for _, records in arrivals)

        async def handle(event: Any) -> list[OutgoingRecord]:
            log.append(f"handle {event.message.offset}")
            return [OutgoingRecord("out.v1", b"k", str(event.message.offset).encode())]

        def prepare() -> Store:
            log.append("encode")

            async def store() -> None:
                log.append("store")

            return store

        batching = Batching(size=2, within_s=0.0, prepare=prepare, abandoned=lambda: log.append("abandoned"))
        agent = asyncio.create_task(run_batches(app, stream, batching, handle))  # type: ignore[arg-type]
        acked = 0
        while sum(1 for line in log if line.startswith("ack")) < total and not agent.done():
            await asyncio.sleep(0.005)
            for ack in app.producer.acks[acked:]:
                if fail_first_ack and acked == 0:
                    ack.set_exception(KafkaTimeoutError())
                else:
                    ack.set_result(None)
                acked += 1
        if fail_first_ack:
            with pytest.raises(KafkaTimeoutError):
                await agent
        else:
            agent.cancel()
        await stream.fetcher

    asyncio.run(run())
    return log


def test_the_next_batch_is_handled_while_one_awaits_its_acknowledgements() -> None:
    log = pipeline([(0.0, [0, 1, 2, 3])])
    assert log[:5] == ["handle 0", "handle 1", "encode", "send 0", "send 1"]
    # batch 2 was handled and sent before batch 1 was stored (its acks had not come back)
    assert log.index("handle 2") < log.index("store")
    # each batch is stored only after its outputs are acknowledged, then its records acked,
    # batch 1 before batch 2
    assert [line for line in log if line.startswith(("store", "ack"))] == [
        "store",
        "ack 0",
        "ack 1",
        "store",
        "ack 2",
        "ack 3",
    ]


def test_a_batch_whose_outputs_fail_is_abandoned_and_nothing_after_it_is_stored() -> None:
    log = pipeline([(0.0, [0, 1, 2, 3])], fail_first_ack=True)
    assert "abandoned" in log
    assert "store" not in log
    assert not [line for line in log if line.startswith("ack")]
