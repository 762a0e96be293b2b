"""Run an agency service in-process against the real broker, and talk to it like its agency does."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Callable
from typing import Any, Self

import aiohttp
import faust

from incidentbus.agencies.pipeline import dispatch_topic, inbox_topic
from incidentbus.agencies.registry import load_adapter
from incidentbus.agencies.service import build_app
from incidentbus.kernel.codec import encode
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2
from tests.integration.waits import CEILING


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: all held open until all are picked, so no two picks collide
    (one at a time, the system may hand out the port it just took back)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


def as_bytes(native: dict[str, Any] | bytes) -> bytes:
    return native if isinstance(native, bytes) else json.dumps(native, ensure_ascii=False).encode()


class AgencyHarness:
    """An agency service running in this event loop, on the session's topic prefix."""

    def __init__(self, settings: BusSettings, agency: str) -> None:
        self.settings, self.agency = settings, agency
        self.port = free_port()
        self.app: faust.App = build_app(load_adapter(agency), settings, web_port=self.port)

    async def __aenter__(self) -> Self:
        await self.app.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.app.stop()

    async def send_inbox(self, native: dict[str, Any] | bytes, key: str = "k") -> tuple[int, int]:
        record = OutgoingRecord(
            self.settings.topic(inbox_topic(self.agency)),
            key.encode(),
            as_bytes(native),
            (("content-type", b"application/json"),),
        )
        async with producer(self.settings) as client:
            return await send(client, record)

    async def send_command(self, command: bus_pb2.TaskCommand) -> tuple[int, int]:
        out = encode(
            command, topic=self.settings.topic(dispatch_topic(self.agency)), key=command.envelope.subject
        )
        async with producer(self.settings) as client:
            return await send(client, out)

    async def post(self, native: dict[str, Any] | bytes) -> tuple[int, dict[str, Any]]:
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{self.port}/v1/intake"
            async with session.post(url, data=as_bytes(native)) as response:
                return response.status, await response.json()

    async def wait_for(
        self, topic: str, wanted: Callable[[list[RawRecord]], bool], timeout: float = CEILING
    ) -> list[RawRecord]:
        """Poll a topic until `wanted(records)` holds; AssertionError with what was seen otherwise."""
        deadline = asyncio.get_running_loop().time() + timeout
        records: list[RawRecord] = []
        while asyncio.get_running_loop().time() < deadline:
            records = await read_all(self.settings, self.settings.topic(topic), idle_ms=200)
            if wanted(records):
                return records
            await asyncio.sleep(0.3)
        raise AssertionError(f"timed out waiting on {topic}: {len(records)} records seen")
