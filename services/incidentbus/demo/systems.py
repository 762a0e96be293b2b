"""The agencies' own systems, simulated: they write native reports to their inboxes, read their
outboxes, and answer tasks and verification requests with realistic delays. Citizens post their
requests to the Open311 gateway, and confirm a repair when the bus asks them (回访)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from incidentbus.demo.scenario import FAILS_FIRST_VERIFICATION, HABITS, NORMAL, VERIFY_AFTER, Report
from incidentbus.devtools import natives
from incidentbus.kernel.kafka import producer
from incidentbus.kernel.settings import BusSettings

AGENCIES = ("police", "health", "urban", "community")
CITIZEN = "citizen"


@dataclass
class Systems:
    """Every agency's system; `scale` demo minutes per real minute."""

    settings: BusSettings
    scale: float
    open311: str = ""  # the gateway's root, http://127.0.0.1:<port>/open311/v2
    sent: Counter[str] = field(default_factory=Counter)
    requests: dict[str, str] = field(default_factory=dict)  # the demo's name -> service_request_id
    verifications_failed: set[str] = field(default_factory=set)
    _pending: set[asyncio.Task[None]] = field(default_factory=set)

    def seconds(self, demo_minutes: float) -> float:
        return demo_minutes * 60.0 / self.scale

    async def write(self, client: AIOKafkaProducer, agency: str, native: dict[str, Any], key: str) -> None:
        value = json.dumps(native, ensure_ascii=False).encode()
        await client.send_and_wait(
            self.settings.topic(f"{agency}.inbox.v1"),
            value,
            key=key.encode(),
            headers=[("content-type", b"application/json")],
        )
        self.sent[agency] += 1

    async def report(self, client: AIOKafkaProducer, r: Report) -> None:
        if r.agency == CITIZEN:
            await self.post(r)
            return
        native = natives.report(r.agency, r.ref, r.code, r.grid, datetime.now(UTC), **dict(r.extra))
        await self.write(client, r.agency, native, r.ref)

    async def post(self, r: Report) -> None:
        """A citizen's app posts a GeoReport v2 request (the grid code as its address_id)."""
        form = {"service_code": r.code, "address_id": r.grid, **{k: str(v) for k, v in r.extra}}
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{self.open311}/requests.json", data=form) as sent,
        ):
            answer = await sent.json()
        if sent.status != 200:
            raise RuntimeError(f"the Open311 gateway refused {r.ref}: {answer}")
        self.requests[r.ref] = answer[0]["service_request_id"]
        self.sent[CITIZEN] += 1

    async def answer_tasks(self, stop: asyncio.Event) -> None:
        """Read every outbox and schedule each agency's answers until told to stop."""
        topics = {self.settings.topic(f"{a}.outbox.v1"): a for a in (*AGENCIES, CITIZEN)}
        consumer = AIOKafkaConsumer(
            *topics,
            **self.settings.kafka_client_options(),
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async with producer(self.settings) as client:
                while not stop.is_set():
                    for tp, messages in (await consumer.getmany(timeout_ms=200)).items():
                        for m in messages:
                            self._schedule(client, topics[tp.topic], json.loads(m.value or b"{}"))
                for task in list(self._pending):
                    task.cancel()
        finally:
            await consumer.stop()

    def _schedule(self, client: AIOKafkaProducer, agency: str, native: dict[str, Any]) -> None:
        if agency == CITIZEN:
            if native.get("push_kind") == "verification_request":
                self._start(self._confirm(client, native))
            return
        task = natives.task_of(agency, native)
        if task.kind == "cancel":
            return
        self._start(
            self._verify(client, task) if task.kind == "verification" else self._work(client, agency, task)
        )

    def _start(self, job: Any) -> None:
        pending = asyncio.create_task(job)
        self._pending.add(pending)
        pending.add_done_callback(self._pending.discard)

    async def _confirm(self, client: AIOKafkaProducer, native: dict[str, Any]) -> None:
        """The hotline calls the citizen back; the citizen says the streetlight works again."""
        await asyncio.sleep(self.seconds(VERIFY_AFTER))
        [request_id, *_] = native["service_request_ids"]
        answer = natives.citizen_verification(
            native["case_id"], native["verification_id"], request_id, True, datetime.now(UTC)
        )
        await self.write(client, CITIZEN, answer, native["verification_id"])

    async def _work(self, client: AIOKafkaProducer, agency: str, task: natives.NativeTask) -> None:
        done = 0.0
        for seq, (kind, minute) in enumerate(HABITS.get((agency, task.grid), NORMAL), start=1):
            await asyncio.sleep(self.seconds(minute - done))
            done = minute
            native = natives.reply(agency, kind, task.task_id, task.case_id, seq=seq, at=datetime.now(UTC))
            await self.write(client, agency, native, task.task_id)

    async def _verify(self, client: AIOKafkaProducer, task: natives.NativeTask) -> None:
        await asyncio.sleep(self.seconds(VERIFY_AFTER))
        fails = task.grid in FAILS_FIRST_VERIFICATION and task.case_id not in self.verifications_failed
        if fails:
            self.verifications_failed.add(task.case_id)
        native = natives.verification(task.case_id, task.task_id, not fails, datetime.now(UTC))
        await self.write(client, "community", native, task.task_id)
