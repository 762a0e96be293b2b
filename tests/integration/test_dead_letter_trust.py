"""Dead letters and redrive on the secured node, through real clients under each principal's own
identity: a forged letter is refused and nothing reaches the inbox it names; the operator redrives
a legitimate letter and nothing else; a principal without the rights is told "not authorized" and
the command exits non-zero. And an agency system keeps its outbox offsets in a group of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from typer.testing import CliRunner, Result

from incidentbus.cli.main import app as cli
from incidentbus.kernel.admin import admin_client
from incidentbus.kernel.deadletter import dead_letter, dead_letter_record
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.redrive import REDRIVE_HEADER
from incidentbus.security.acl import system_groups
from incidentbus.v1 import bus_pb2
from tests.integration.agencies.samples import SAMPLES
from tests.integration.secured_bus import SecuredBus
from tests.integration.waits import CEILING

pytestmark = pytest.mark.broker


def cli_env(settings: BusSettings) -> dict[str, str]:
    """The environment that makes `incidentbus` connect with these settings (a principal's)."""
    env = {
        **os.environ,
        "COLUMNS": "250",  # tables unwrapped
        "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix,
        "INCIDENTBUS_SECURITY_PROTOCOL": settings.security_protocol,
        "INCIDENTBUS_SASL_MECHANISM": settings.sasl_mechanism or "",
        "INCIDENTBUS_SASL_USERNAME": settings.sasl_username or "",
        "INCIDENTBUS_SASL_PASSWORD": settings.sasl_password.get_secret_value()
        if settings.sasl_password
        else "",
    }
    cafile = getattr(settings, "ssl_cafile", None)
    if cafile is not None:
        env["INCIDENTBUS_SSL_CAFILE"] = str(cafile)
    return env


def dlq(bus: SecuredBus, principal: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["dlq", *args], env=cli_env(bus.as_(principal)))


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def letter_for(
    settings: BusSettings, source_topic: str, value: bytes, *, rejected_by: str, key: str
) -> OutgoingRecord:
    """A dead letter as a service writes it: `rejected_by` chooses its writer's dead-letter topic."""
    record = RawRecord(settings.topic(source_topic), 0, 7, 1_764_057_600_000, key.encode(), value, ())
    letter = dead_letter(
        record, reason="intake.unknown_code", detail="test", phase="intake", rejected_by=rejected_by
    )
    return dead_letter_record(letter, settings)


def letter_id(record: OutgoingRecord) -> str:
    message = bus_pb2.DeadLetter()
    message.ParseFromString(record.value)
    return str(message.envelope.event_id)


async def write(settings: BusSettings, records: list[OutgoingRecord]) -> None:
    async with producer(settings) as client:
        for record in records:
            await send(client, record)


def redriven_to(bus: SecuredBus, topic: str) -> list[str]:
    """The letter ids of the redriven records on a topic (read as the broker's admin)."""
    records = asyncio.run(read_all(bus.admin, bus.admin.topic(topic), idle_ms=300))
    return [r.header(REDRIVE_HEADER).decode() for r in records if r.header(REDRIVE_HEADER) is not None]  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def letters(bus: SecuredBus) -> dict[str, str]:
    """Letters written by the services themselves, under their own identities."""
    police, correlator = bus.as_("police-service"), bus.as_("correlator")
    ref = f"DLQ-{uuid.uuid4().hex[:8]}"
    native = json.dumps(SAMPLES["police"].report(ref)).encode()
    legitimate = letter_for(police, "police.inbox.v1", native, rejected_by="police", key=ref)
    # The forgery: the police service names the ambulance service's inbox ...
    forged = letter_for(
        police, "health.inbox.v1", b'{"record_type": "CALL"}', rejected_by="police", key="F-1"
    )
    # ... and, claiming to be the health service, still can only write its own dead-letter topic.
    claimed = letter_for(
        police, "health.inbox.v1", b'{"record_type": "CALL"}', rejected_by="health", key="F-2"
    )
    posing = OutgoingRecord(
        police.topic("police.deadletters.v1"), claimed.key, claimed.value, claimed.headers
    )
    # The correlator reads police.events.v1 but may not write it: its letter cannot go back there.
    overreach = letter_for(correlator, "police.events.v1", b"\x08\x01", rejected_by="correlator", key="E-1")
    # Trusted (the correlator writes its own input), but not the operator's to write.
    own_input = letter_for(
        correlator, "correlator.input.v1", b"\x08\x01", rejected_by="correlator", key="I-1"
    )
    assert legitimate.topic == bus.admin.topic("police.deadletters.v1")
    assert overreach.topic == bus.admin.topic("correlator.deadletters.v1")
    asyncio.run(write(police, [legitimate, forged, posing]))
    asyncio.run(write(correlator, [overreach, own_input]))
    return {
        "legitimate": letter_id(legitimate),
        "forged": letter_id(forged),
        "posing": letter_id(posing),
        "overreach": letter_id(overreach),
        "own_input": letter_id(own_input),
    }


def test_a_writer_can_write_only_its_own_dead_letter_topic(bus: SecuredBus) -> None:
    """What makes the topic a trustworthy writer identity: the broker refuses anything else."""
    police = bus.as_("police-service")
    for other in ("health.deadletters.v1", "correlator.deadletters.v1"):
        record = OutgoingRecord(police.topic(other), b"k", b"forged", ())
        with pytest.raises(TopicAuthorizationFailedError):
            asyncio.run(write(police, [record]))


def test_forged_letters_are_refused_with_the_reason_and_nothing_reaches_the_inbox(
    bus: SecuredBus, letters: dict[str, str]
) -> None:
    health_inbox_before = asyncio.run(read_all(bus.admin, bus.admin.topic("health.inbox.v1"), idle_ms=300))
    forged = [letters["forged"], letters["posing"], letters["overreach"]]
    result = dlq(bus, "operator", "redrive", *forged, "--json")
    assert result.exit_code == 1, result.output
    report = as_json(result)
    outcomes = {o["letter_id"]: o for o in report["outcomes"]}
    assert {o["action"] for o in outcomes.values()} == {"refused"}
    assert report["refused"] == 3
    assert (
        "written by police-service (on police.deadletters.v1), which may not write health.inbox.v1"
        in (outcomes[letters["forged"]]["note"])
    )
    assert (
        "claims rejected_by 'health' but was written on police.deadletters.v1"
        in (outcomes[letters["posing"]]["note"])
    )
    assert (
        "written by correlator (on correlator.deadletters.v1), which may not write police.events.v1"
        in (outcomes[letters["overreach"]]["note"])
    )
    health_inbox = asyncio.run(read_all(bus.admin, bus.admin.topic("health.inbox.v1"), idle_ms=300))
    assert health_inbox == health_inbox_before  # nothing produced to health's inbox
    assert redriven_to(bus, "police.events.v1") == []
    table = dlq(bus, "operator", "redrive", letters["forged"])
    assert table.exit_code == 1
    assert "refused" in table.output
    assert "may not write health.inbox.v1" in table.output


def test_the_operator_redrives_a_legitimate_letter_once(bus: SecuredBus, letters: dict[str, str]) -> None:
    listed = as_json(dlq(bus, "operator", "list", "--json"))
    mine = {x["letter_id"]: x for x in listed["letters"]}
    assert set(letters.values()) <= set(mine)
    assert mine[letters["legitimate"]]["written_by"] == ["police-service"]
    assert mine[letters["overreach"]]["dead_letter_topic"] == bus.admin.topic("correlator.deadletters.v1")

    dry = dlq(bus, "operator", "redrive", letters["legitimate"], "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert [o["action"] for o in as_json(dry)["outcomes"]] == ["would_redrive"]

    first = dlq(bus, "operator", "redrive", letters["legitimate"], "--json")
    assert first.exit_code == 0, first.output
    [done] = as_json(first)["outcomes"]
    assert done["action"] == "redriven"
    assert done["target"].startswith(bus.admin.topic("police.inbox.v1") + "/")
    again = dlq(bus, "operator", "redrive", letters["legitimate"], "--json")
    assert again.exit_code == 0, again.output
    assert [o["action"] for o in as_json(again)["outcomes"]] == ["already_redriven"]
    assert redriven_to(bus, "police.inbox.v1") == [letters["legitimate"]]

    # Mixed with a forgery, the legitimate letter is still only there once and the run exits 1.
    mixed = dlq(bus, "operator", "redrive", letters["legitimate"], letters["forged"], "--json")
    assert mixed.exit_code == 1
    assert [o["action"] for o in as_json(mixed)["outcomes"]] == ["already_redriven", "refused"]


def test_the_operator_can_write_nothing_else(bus: SecuredBus) -> None:
    """Its redrive rights are the agencies' inboxes; an agency's events, dispatches, outbox, the
    correlator's input, the case history and the dead-letter topics stay closed to it."""
    operator = bus.as_("operator")
    closed = [
        "police.events.v1",
        "police.dispatch.v1",
        "police.outbox.v1",
        "correlator.input.v1",
        "case.events.v1",
        "police.deadletters.v1",
    ]
    for name in closed:
        with pytest.raises(TopicAuthorizationFailedError):
            asyncio.run(write(operator, [OutgoingRecord(operator.topic(name), b"k", b"v", ())]))


def test_the_operator_is_not_authorized_to_redrive_into_the_correlators_input(
    bus: SecuredBus, letters: dict[str, str]
) -> None:
    result = dlq(bus, "operator", "redrive", letters["own_input"], "--json")
    assert result.exit_code == 1, result.output
    [outcome] = as_json(result)["outcomes"]
    assert outcome["action"] == "not_authorized"
    assert "not authorized to write" in outcome["note"]
    assert "TopicAuthorizationFailedError for operator" in outcome["note"]
    assert redriven_to(bus, "correlator.input.v1") == []


def test_redrive_without_the_rights_says_not_authorized(bus: SecuredBus, letters: dict[str, str]) -> None:
    # The auditor reads dead letters but may not read or write the inbox: the letter is not sent.
    auditor = dlq(bus, "auditor", "redrive", letters["legitimate"], "--json")
    assert auditor.exit_code == 1, auditor.output
    [outcome] = as_json(auditor)["outcomes"]
    assert outcome["action"] == "not_authorized"
    assert "not authorized" in outcome["note"]
    # An agency system may not even read the dead letters: the command cannot run.
    for args in (("redrive", letters["legitimate"]), ("list",), ("show", letters["legitimate"])):
        system = dlq(bus, "police-system", *args)
        assert system.exit_code == 2, system.output
        assert "not authorized" in system.output
        assert "TopicAuthorizationFailedError" in system.output
        assert "does not exist" not in system.output


def test_a_missing_topic_is_not_a_refusal(bus: SecuredBus) -> None:
    """As the super user (a principal without DESCRIBE is told "not authorized" whether or not the
    topic exists: the broker does not reveal which topics exist to those who may not see them)."""
    env = cli_env(bus.admin) | {"INCIDENTBUS_TOPIC_PREFIX": f"nowhere-{uuid.uuid4().hex[:6]}."}
    result = CliRunner().invoke(cli, ["dlq", "list"], env=env)
    assert result.exit_code == 2
    assert "does not exist" in result.output
    assert "not authorized" not in result.output


# ---- point 4: an agency system's own consumer group -------------------------------------------


async def committed(admin: BusSettings, group: str) -> dict[TopicPartition, int]:
    async with admin_client(admin) as client:
        offsets = await client.list_consumer_group_offsets(group)
    return {tp: meta.offset for tp, meta in offsets.items()}


async def _at_end(consumer: AIOKafkaConsumer) -> bool:
    assigned = list(consumer.assignment())
    if not assigned:
        return False
    end = await consumer.end_offsets(assigned)
    return all([await consumer.position(tp) >= end[tp] for tp in assigned])


async def read_outbox_in_group(settings: BusSettings, group: str, outbox: str) -> int:
    """Join the group, read the outbox through it and commit: how a real agency system reads."""
    consumer = AIOKafkaConsumer(
        outbox,
        **settings.kafka_client_options(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=10000,
        heartbeat_interval_ms=500,
    )
    try:
        await asyncio.wait_for(consumer.start(), CEILING)
        deadline = asyncio.get_running_loop().time() + CEILING
        read = 0
        # Read until the group has assigned the partitions and the position reached the end of
        # each: whatever it was going to read (the seeded record, or nothing after a commit past
        # it) has then been read.
        while not await _at_end(consumer):
            assert asyncio.get_running_loop().time() < deadline, f"{group} did not reach the end"
            batch = await consumer.getmany(timeout_ms=1000)
            read += sum(len(records) for records in batch.values())
        await consumer.commit()
        return read
    finally:
        await consumer.stop()


def test_an_agency_system_commits_its_outbox_offsets_in_its_own_group(bus: SecuredBus) -> None:
    system, outbox = bus.as_("police-system"), bus.admin.topic("police.outbox.v1")
    group = bus.admin.topic(f"{system_groups(bus.catalog)['police-system']}outbox")
    assert group == f"{bus.admin.topic_prefix}police-system.outbox"
    assert asyncio.run(read_outbox_in_group(system, group, outbox)) >= 1  # the seeded record
    offsets = asyncio.run(committed(bus.admin, group))
    partitions = bus.catalog.get("police.outbox.v1").partitions
    # One seed record in partition 0, committed past; the other partitions are empty.
    assert offsets == {TopicPartition(outbox, p): int(p == 0) for p in range(partitions)}
    # A restarted reader resumes after the committed offset: nothing is read twice.
    assert asyncio.run(read_outbox_in_group(system, group, outbox)) == 0


@pytest.mark.parametrize(
    "group",
    ["health-system.outbox", "incidentbus-police", "police-system", "outbox"],
)
def test_an_agency_system_cannot_use_another_group(bus: SecuredBus, group: str) -> None:
    system = bus.as_("police-system")
    with pytest.raises(GroupAuthorizationFailedError):
        asyncio.run(read_outbox_in_group(system, bus.admin.topic(group), bus.admin.topic("police.outbox.v1")))
