"""The agency intake in batches (agencies/service.py on_inbox, prepare): an event is published once,
also when copies of its native message land in one batch or in the next while the first awaits its
acknowledgement; its id is stored only once the batch's outputs are acknowledged, and the batch's
records are acknowledged to faust after that; a batch whose outputs fail forgets its ids."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaTimeoutError

from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.agencies.service import AgencyService
from incidentbus.devtools import natives
from incidentbus.kernel.faust_shell import Batching, make_app, record_of, run_batches
from incidentbus.kernel.faust_tables import as_current
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from tests.unit.test_shell_batches import App, EventStream, Producer

SETTINGS = BusSettings(topic_prefix="unit.", environment="test")
AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
T0 = 1_795_595_400_000


class Table(dict[str, int]):
    """faust's table with `default=int`: a missing key reads 0 and is not inserted."""

    def __missing__(self, key: str) -> int:
        return 0


def service() -> tuple[AgencyService, dict[str, int]]:
    """A police service whose `published` table is a dict (no faust app running)."""
    svc = AgencyService(PoliceAdapter(), SETTINGS, make_app(SETTINGS, "unit-police", web_port=6999))
    table = Table()
    svc.published = table  # type: ignore[assignment]
    return svc, table


def report(ref: str) -> bytes:
    return json.dumps(natives.report("police", ref, "TA2", "310101-002-003-07", AT)).encode()


def inbox(value: bytes, offset: int) -> RawRecord:
    return RawRecord("unit.police.inbox.v1", 0, offset, T0 + offset, b"k", value, ())


def event_id(record: OutgoingRecord) -> str:
    return dict(record.headers)["ce_id"].decode()


async def test_two_copies_in_one_batch_publish_one_event_stored_only_when_acknowledged() -> None:
    svc, table = service()
    first = await svc.on_inbox(inbox(report("P-1"), 1))
    again = await svc.on_inbox(inbox(report("P-1"), 2))
    other = await svc.on_inbox(inbox(report("P-2"), 3))
    assert (len(first), again, len(other)) == (1, [], 1)
    store = svc.prepare()
    assert not table  # sent, not acknowledged: nothing stored yet
    await store()
    assert table == {event_id(first[0]): T0 + 1, event_id(other[0]): T0 + 3}
    assert await svc.on_inbox(inbox(report("P-1"), 4)) == []  # stored: still a duplicate


async def test_a_copy_while_the_first_awaits_its_acknowledgement_is_not_published_again() -> None:
    svc, table = service()
    [event] = await svc.on_inbox(inbox(report("P-1"), 1))
    store = svc.prepare()  # batch 1 sent; batch 2 is handled meanwhile
    assert await svc.on_inbox(inbox(report("P-1"), 2)) == []
    store_next = svc.prepare()
    await store()
    await store()  # idempotent: a transient failure runs it again
    await store_next()
    assert table == {event_id(event): T0 + 1}
    assert not svc.sent


async def test_a_batch_whose_outputs_failed_publishes_its_events_again() -> None:
    svc, table = service()
    [event] = await svc.on_inbox(inbox(report("P-1"), 1))
    svc.prepare()
    svc.abandoned()  # its acknowledgements failed: the records are read again
    assert await svc.on_inbox(inbox(report("P-1"), 1)) == [event]
    await svc.prepare()()
    assert table == {event_id(event): T0 + 1}


async def test_dead_letters_keep_their_place_among_the_batch_outputs() -> None:
    svc, _ = service()
    outputs: list[OutgoingRecord] = []
    for offset, value in enumerate([report("P-1"), b"{not json", report("P-2")]):
        outputs += await svc.on_inbox(inbox(value, offset))
    assert [r.topic.split(".")[-2] for r in outputs] == ["events", "deadletters", "events"]
    assert svc.counts == {"records": 3, "rejected": 1}


class TopicProducer(Producer):
    async def send(self, topic: str, key: bytes, value: bytes, *_: object) -> asyncio.Future[None]:
        return await super().send(topic, key, topic.encode())


class Stream(EventStream):
    """Events whose values are native reports: offset n carries report P-<n // 2> (two copies each)."""

    async def events(self) -> Any:
        async for event in super().events():
            event.message.value = report(f"P-{event.message.offset // 2}")
            event.message.timestamp = (T0 + event.message.offset) / 1000
            yield event


def run_intake(offsets: list[int], *, fail_first_ack: bool = False) -> tuple[list[str], dict[str, int]]:
    """The intake agent's loop over a fake stream and producer: what was sent, stored and acked."""
    svc, table = service()
    log: list[str] = []
    stored_before_ack: list[bool] = []

    async def run() -> None:
        app, stream = App(log), Stream([(0.0, offsets)], log)
        app.producer = TopicProducer(log)
        prepare = svc.prepare

        def logged_prepare() -> Any:
            store = prepare()

            async def logged_store() -> None:
                await store()
                log.append(f"store {len(table)}")

            return logged_store

        async def handle(event: Any) -> list[OutgoingRecord]:
            with as_current(event):
                return await svc.on_inbox(record_of(event))

        batching = Batching(size=3, within_s=0.0, prepare=logged_prepare, abandoned=svc.abandoned)
        agent = asyncio.create_task(run_batches(app, stream, batching, handle))  # type: ignore[arg-type]
        acked = 0
        while sum(1 for line in log if line.startswith("ack")) < len(offsets) and not agent.done():
            await asyncio.sleep(0.005)
            for ack in app.producer.acks[acked:]:
                stored_before_ack.append(bool(table))
                ack.set_exception(KafkaTimeoutError()) if fail_first_ack and acked == 0 else ack.set_result(
                    None
                )
                acked += 1
        if not agent.done():
            agent.cancel()
        await asyncio.gather(agent, return_exceptions=True)
        await stream.fetcher

    asyncio.run(run())
    assert not any(stored_before_ack[:1])  # nothing stored before the first acknowledgement
    return log, table


def test_the_intake_agent_publishes_each_event_once_and_acks_records_after_storing() -> None:
    log, table = run_intake([0, 1, 2, 3, 4, 5])  # three reports, each twice; batches of three
    assert len([line for line in log if line.startswith("send")]) == 3
    assert len(table) == 3
    after_store = [line for line in log if line.startswith(("store", "ack"))]
    assert after_store == ["store 2", "ack 0", "ack 1", "ack 2", "store 3", "ack 3", "ack 4", "ack 5"]


def test_the_intake_agent_acks_nothing_and_stores_nothing_when_a_publish_fails() -> None:
    log, table = run_intake([0, 1, 2, 3], fail_first_ack=True)
    assert not table
    assert not [line for line in log if line.startswith(("ack", "store"))]
