"""A bus of separate processes on a broker of its own, to kill, restart and rebalance under load."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from incidentbus.correlator.domain.chain import check_chain
from incidentbus.devtools import natives
from incidentbus.kernel.admin import admin_client, apply_catalog
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.codec import decode
from incidentbus.kernel.kafka import producer, read_all
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.acl import CORRELATOR_CORE_GROUP
from incidentbus.v1 import case_events_pb2
from tests.integration.waits import CEILING

REPO = Path(__file__).resolve().parents[3]
AGENCIES = ("police", "health", "urban", "community")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    """A local KRaft node of its own (infra/kafka with another home and ports). The ports are free
    ones, so two test sessions on one machine do not collide."""

    home: Path
    port: int = field(default_factory=free_port)
    controller_port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        while self.controller_port == self.port:
            self.controller_port = free_port()

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
        return env | {
            "INCIDENTBUS_KAFKA_HOME": str(self.home),
            "INCIDENTBUS_KAFKA_PORT": str(self.port),
            "INCIDENTBUS_KAFKA_CONTROLLER_PORT": str(self.controller_port),
        }

    def run(self, action: str) -> None:
        subprocess.run(
            ["bash", str(REPO / "infra" / "kafka"), action],
            env=self.env(),
            check=True,
            capture_output=True,
            timeout=180,
        )


@dataclass
class Service:
    name: str
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    def start(self, log_dir: Path) -> None:
        self.port = free_port()
        args = [
            sys.executable,
            "-m",
            "incidentbus.cli",
            "run",
            self.name,
            "--web-port",
            str(self.port),
            "--loglevel",
            os.environ.get("FAULTS_LOGLEVEL", "warn"),
        ]
        if os.environ.get("FAULTS_STORE"):  # memory:// to compare; default: the command's (rocksdb://)
            args += ["--store", os.environ["FAULTS_STORE"]]
        log = (log_dir / f"{self.name}-{self.port}.log").open("wb")
        self.process = subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def kill9(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def workload(incidents: int = 60) -> list[tuple[str, dict[str, object]]]:
    """Native reports: each incident in a grid of its own; every third is reported twice."""
    codes = {"police": "TA1", "health": "TRAUMA_RTC", "urban": "0203", "community": "E12"}
    reports = []
    for n in range(incidents):
        grid = f"3101{20 + n % 6:02d}-{n:03d}-001-01"
        agency = AGENCIES[n % 4]
        at = datetime.now(UTC)
        reports.append((agency, natives.report(agency, f"F{n:03d}-{agency}", codes[agency], grid, at)))
        if n % 3 == 0:
            other = AGENCIES[(n + 1) % 4]
            reports.append((other, natives.report(other, f"F{n:03d}-{other}", codes[other], grid, at)))
    return reports


@dataclass
class Run:
    """One bus run on a fresh topic prefix; outcome() reads what it decided."""

    broker: Broker
    log_dir: Path
    settings: BusSettings = field(init=False)
    services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings = BusSettings(
            bootstrap_servers=self.broker.bootstrap, topic_prefix=f"f-{uuid.uuid4().hex[:6]}."
        )
        asyncio.run(apply_catalog(self.settings, load_catalog(self.settings.catalog_path)))

    def env(self) -> dict[str, str]:
        return self.broker.env() | {
            "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap,
            "INCIDENTBUS_TOPIC_PREFIX": self.settings.topic_prefix,
            "PYTHONUNBUFFERED": "1",  # a killed service's last log lines are evidence
        }

    def start(self, name: str) -> Service:
        # A data directory per running worker (RocksDB locks its files), reused by the worker that
        # takes a dead one's place: a restart after kill -9 finds the dead worker's local state.
        slot = sum(1 for s in self.services if s.name == name and s.alive())
        data = self.log_dir / "data" / f"{name}-{slot}"
        service = Service(name, self.env() | {"INCIDENTBUS_DATA_DIR": str(data)})
        service.start(self.log_dir)
        self.services.append(service)
        _wait_port(service)
        return service

    def send(self, reports: list[tuple[str, dict[str, object]]]) -> None:
        async def go() -> None:
            async with producer(self.settings) as client:
                for agency, native in reports:
                    await client.send_and_wait(
                        self.settings.topic(f"{agency}.inbox.v1"),
                        json.dumps(native).encode(),
                        key=str(native.get("incident_no") or native.get("call_id") or "k").encode(),
                        headers=[("content-type", b"application/json")],
                    )

        asyncio.run(go())

    def events(self) -> list[case_events_pb2.CaseEvent]:
        records = asyncio.run(read_all(self.settings, self.settings.topic("case.events.v1"), idle_ms=300))
        return [decode(r, case_events_pb2.CaseEvent).message for r in records]  # type: ignore[misc]

    def linked(self) -> int:
        return len(
            {
                e.report_linked.report.source_ref
                for e in self.events()
                if e.WhichOneof("body") == "report_linked"
            }
        )

    def wait_linked(self, count: int, timeout: float = CEILING) -> None:
        deadline = time.monotonic() + timeout
        while self.linked() < count:
            assert time.monotonic() < deadline, f"only {self.linked()} of {count} reports reached a case"
            time.sleep(1)

    def settle(self, timeout: float = CEILING) -> None:
        """Wait until the correlator's group has committed past every record now on the topics it
        reads: what it does about them (outputs, and repeats after a hand-over) is then on the record."""
        topics = [self.settings.topic(f"{a}.events.v1") for a in AGENCIES]
        topics.append(self.settings.topic("correlator.input.v1"))
        # the routers' group (faust's, the app id) and the correlate loop's
        groups = [self.settings.topic("incidentbus-correlator"), self.settings.topic(CORRELATOR_CORE_GROUP)]

        async def behind(end: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
            done: dict[TopicPartition, int] = {}
            async with admin_client(self.settings) as admin:
                for group in groups:
                    committed = await admin.list_consumer_group_offsets(group)
                    done |= {tp: meta.offset for tp, meta in committed.items()}
            return {tp: n for tp, n in end.items() if done.get(tp, 0) < n}

        async def go() -> None:
            end = await end_offsets(self.settings, topics)
            deadline = time.monotonic() + timeout
            while left := await behind(end):
                assert time.monotonic() < deadline, f"the correlator has not committed {left}"
                await asyncio.sleep(0.5)

        asyncio.run(go())

    def input_owners(self) -> dict[str, set[int]]:
        """Who owns the correlator's input partitions: member id -> partitions, while the correlate
        loop's group is stable ({} while it rebalances)."""
        group = self.settings.topic(CORRELATOR_CORE_GROUP)
        topic = self.settings.topic("correlator.input.v1")

        async def go() -> dict[str, set[int]]:
            async with admin_client(self.settings) as admin:
                [response] = await admin.describe_consumer_groups([group])
            [(_error, _group, state, _type, _protocol, members, *_)] = response.groups
            if state != "Stable":
                return {}
            return {
                member[0]: {
                    tp.partition
                    for tp in ConsumerProtocolMemberAssignment.decode(member[4]).partitions()
                    if tp.topic == topic
                }
                for member in members
            }

        return asyncio.run(go())

    def wait_owners(self, wanted: Callable[[dict[str, set[int]]], bool], timeout: float = CEILING) -> None:
        deadline = time.monotonic() + timeout
        while not wanted(owners := self.input_owners()):
            assert time.monotonic() < deadline, f"the correlator's input partitions are owned as {owners}"
            time.sleep(0.2)

    def stop(self) -> None:
        for service in self.services:
            service.stop()


async def end_offsets(settings: BusSettings, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or [])]
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


def _wait_port(service: Service, timeout: float = CEILING) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", service.port)) == 0:
                return
        assert service.alive(), f"{service.name} exited at start"
        assert time.monotonic() < deadline, f"{service.name} did not start"
        time.sleep(0.3)


def outcome(events: list[case_events_pb2.CaseEvent]) -> tuple[frozenset[frozenset[str]], list[str]]:
    """The cases as sets of report refs (live cases only), and every chain problem found."""
    merged = {
        e.case_id: e.case_closed.merged_into
        for e in events
        if e.WhichOneof("body") == "case_closed" and e.case_closed.merged_into
    }
    split_out: dict[str, set[str]] = {}
    for e in events:
        if e.WhichOneof("body") == "case_split":
            split_out.setdefault(e.case_id, set()).update(r.source_ref for r in e.case_split.moved_reports)
    cases: dict[str, set[str]] = {}
    for e in events:
        if e.WhichOneof("body") == "report_linked" and e.case_id not in merged:
            cases.setdefault(e.case_id, set()).add(e.report_linked.report.source_ref)
    by_case: dict[str, list[case_events_pb2.CaseEvent]] = {}
    for e in events:
        by_case.setdefault(e.case_id, []).append(e)
    problems = [
        f"{p.case_id}#{p.sequence} {p.problem}" for cid, evs in by_case.items() for p in check_chain(cid, evs)
    ]
    return frozenset(frozenset(refs - split_out.get(cid, set())) for cid, refs in cases.items()), problems
