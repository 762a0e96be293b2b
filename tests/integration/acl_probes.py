"""The secured broker for tests, and probes that try what a principal may or may not do.

The broker is `infra/kafka-secure` in a temporary home on free ports: it never touches the
plaintext broker (9092) or a developer's own secured node, and two test sessions on one machine
do not collide. INCIDENTBUS_KAFKA_OWNER_PID makes it die with this process even if the session
is killed before its teardown runs. It speaks only SASL_SSL: its CA and certificate are made by
`incidentbus tls init` in the temporary home, and every client here trusts that CA and checks
the broker's name (127.0.0.1) against the certificate.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shlex
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
    for_code,
)
from pydantic import SecretStr

from incidentbus.kernel.settings import REPO_ROOT, BusSettings
from incidentbus.security.broker import as_principal
from tests.integration.waits import CEILING, PROCESS_CEILING

SCRIPT = REPO_ROOT / "infra" / "kafka-secure"
DENIALS = (TopicAuthorizationFailedError, GroupAuthorizationFailedError, ClusterAuthorizationFailedError)
# Short timeouts keep the matrix fast; the broker is local and idle apart from us.
FAST = {"request_timeout_ms": 5000, "metadata_max_age_ms": 60000, "retry_backoff_ms": 50}
SILENCE_MS = 300  # a read without DESCRIBE gets nothing: listen this long to be sure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class SecuredBroker:
    """A running `infra/kafka-secure` node and what it takes to talk to it as admin."""

    home: Path
    bootstrap: str
    admin_password: SecretStr
    env: dict[str, str] = field(repr=False)

    @property
    def ca_file(self) -> Path:
        """The test CA (`infra/kafka` keeps its certificates in <home>/tls)."""
        return self.home / "tls" / "ca.crt"

    @classmethod
    def start(cls, home: Path) -> Self:
        port, controller = free_port(), free_port()
        password = secrets.token_urlsafe(18)  # a fresh admin secret per session, from configuration
        env = {
            **os.environ,
            "INCIDENTBUS_KAFKA_SECURE_HOME": str(home),
            "INCIDENTBUS_KAFKA_SECURE_PORT": str(port),
            "INCIDENTBUS_KAFKA_SECURE_CONTROLLER_PORT": str(controller),
            "INCIDENTBUS_KAFKA_ADMIN_PASSWORD": password,
            "INCIDENTBUS_KAFKA_OWNER_PID": str(os.getpid()),
        }
        broker = cls(home, f"127.0.0.1:{port}", SecretStr(password), env)
        try:
            broker.run("start")
        except BaseException:
            broker.run("reset")  # a half-started node must not outlive the failure either
            raise
        return broker

    def run(self, action: str) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), action],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=PROCESS_CEILING,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"infra/kafka-secure {action} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def stop(self) -> None:
        """Stop the node and delete its data (a test broker keeps nothing)."""
        self.run("reset")

    def client_env(self) -> dict[str, str]:
        """What `infra/kafka-secure env` prints (the admin's settings, TLS included), as a dict."""
        env: dict[str, str] = {}
        for line in self.run("env").splitlines():
            name, _, value = shlex.split(line.removeprefix("export "))[0].partition("=")
            env[name] = value
        return env

    def admin_settings(self, prefix: str) -> BusSettings:
        return BusSettings(
            bootstrap_servers=self.bootstrap,
            security_protocol="SASL_SSL",
            ssl_cafile=self.ca_file,
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username="admin",
            sasl_password=self.admin_password,
            topic_prefix=prefix,
            environment="test",
            client_id="incidentbus-acl-test-admin",
        )


Verdict = Literal["allowed", "denied"]


@dataclass(frozen=True)
class Outcome:
    """What the broker answered: allowed, or denied with the error that said so."""

    verdict: Verdict
    error: str = ""

    @classmethod
    def denied(cls, exc: BaseException | type[BaseException]) -> Self:
        kind = exc if isinstance(exc, type) else type(exc)
        return cls("denied", kind.__name__)


def _error_name(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class PrincipalProbe:
    """One principal's clients (a producer, a group-less consumer, an admin client), reused for
    every cell of its row of the matrix."""

    def __init__(self, settings: BusSettings, principal: str, password: SecretStr) -> None:
        self.principal = principal
        self.settings = as_principal(settings, principal, password)
        options = self.settings.kafka_client_options()
        self.consumer = AIOKafkaConsumer(
            **options, **FAST, group_id=None, enable_auto_commit=False, auto_offset_reset="earliest"
        )
        self.admin = AIOKafkaAdminClient(**options, request_timeout_ms=FAST["request_timeout_ms"])
        self.producer: AIOKafkaProducer | None = None
        self.producer_error: BaseException | None = None

    async def __aenter__(self) -> Self:
        await self.consumer.start()
        await self.admin.start()
        self.producer, self.producer_error = await self._producer(idempotent=True)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.producer is not None:
            await self.producer.stop()
        await self.consumer.stop()
        await self.admin.close()

    async def _producer(self, *, idempotent: bool) -> tuple[AIOKafkaProducer | None, BaseException | None]:
        """The services' producer (idempotent, acks=all). Starting it asks for a producer id,
        which needs IDEMPOTENT_WRITE on the cluster: a principal that produces nowhere has none."""
        producer = AIOKafkaProducer(
            **self.settings.kafka_client_options(),
            request_timeout_ms=FAST["request_timeout_ms"],
            retry_backoff_ms=FAST["retry_backoff_ms"],
            enable_idempotence=idempotent,
            acks="all",
        )
        try:
            await asyncio.wait_for(producer.start(), CEILING)
        except DENIALS as exc:
            await producer.stop()
            return None, exc
        return producer, None

    async def use_plain_producer(self) -> None:
        """For a principal refused a producer id: a plain producer, so each topic gives its own answer."""
        self.producer, _ = await self._producer(idempotent=False)

    async def produce(self, topic: str) -> Outcome:
        if self.producer is None:
            assert self.producer_error is not None
            return Outcome.denied(self.producer_error)
        try:
            await asyncio.wait_for(
                self.producer.send_and_wait(topic, b"probe", key=self.principal.encode()), CEILING
            )
        except DENIALS as exc:
            return Outcome.denied(exc)
        return Outcome("allowed")

    async def _describe_error(self, topic: str) -> int:
        described: list[dict[str, Any]] = await self.admin.describe_topics([topic])
        return int(described[0]["error_code"])

    async def consume(self, topic: str, partitions: int) -> Outcome:
        """Assign every partition, read from the beginning outside any group: the ops tools' way."""
        code = await self._describe_error(topic)
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        self.consumer.assign(tps)
        try:
            if code == TopicAuthorizationFailedError.errno:
                # No DESCRIBE: the consumer cannot even see the topic. aiokafka then retries
                # metadata quietly instead of raising (and a seek would wait out the request
                # timeout), so listen briefly and expect silence.
                batch = await self.consumer.getmany(timeout_ms=SILENCE_MS)
                assert not any(batch.values()), f"{self.principal} read {topic} without DESCRIBE"
                return Outcome.denied(for_code(code))
            await self.consumer.seek_to_beginning(*tps)
            return await self._read_something(tps)
        except DENIALS as exc:
            return Outcome.denied(exc)
        finally:
            self.consumer.unsubscribe()

    async def _read_something(self, tps: list[TopicPartition]) -> Outcome:
        deadline = asyncio.get_running_loop().time() + CEILING
        while asyncio.get_running_loop().time() < deadline:
            batch = await self.consumer.getmany(*tps, timeout_ms=1000)
            if any(batch.values()):
                return Outcome("allowed")
        raise AssertionError(f"{self.principal}: no error and no record on {tps[0].topic}")

    async def create_topic(self, name: str) -> Outcome:
        """Create a topic the way faust creates its changelogs (CreateTopics to the controller)."""
        response = await self.admin.create_topics([NewTopic(name, 1, 1)])
        for _topic, code, *_ in response.topic_errors:
            if code == TopicAuthorizationFailedError.errno:
                return Outcome.denied(TopicAuthorizationFailedError)
            if code:
                raise for_code(code)(f"{self.principal} creating {name}")
        return Outcome("allowed")


async def group_consume(settings: BusSettings, group: str, topic: str) -> Outcome:
    """Join `group`, read the topic's seeded record through it and commit: a faust service's way."""
    consumer = AIOKafkaConsumer(
        topic,
        **settings.kafka_client_options(),
        **FAST,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10000,
        heartbeat_interval_ms=500,
    )
    try:
        await asyncio.wait_for(consumer.start(), CEILING)
        deadline = asyncio.get_running_loop().time() + CEILING
        while not any((await consumer.getmany(timeout_ms=1000)).values()):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{settings.sasl_username} joined {group} but read nothing from {topic}")
        await consumer.commit()
    except DENIALS as exc:
        return Outcome.denied(exc)
    except KafkaError as exc:
        raise AssertionError(f"{settings.sasl_username} in {group}: {_error_name(exc)}") from exc
    finally:
        await consumer.stop()
    return Outcome("allowed")
