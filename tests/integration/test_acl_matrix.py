"""Identities and ACLs on a real secured broker: the whole catalog, principal by principal.

A secured KRaft node (infra/kafka-secure: SASL/SCRAM-SHA-512, StandardAuthorizer, no ACL means
no access) is started for this module, the catalog's topics are created as admin, every catalog
principal gets a user and the ACLs `acl_plan` derives from the catalog. Then every principal
tries to produce to and consume from every catalog topic: each attempt must succeed exactly when
the catalog lists the principal as a producer / consumer of that topic, and otherwise be refused
by the broker with an authorization error. The expectation is read from the catalog itself, not
from the ACL plan, so a wrong plan cannot agree with itself.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import aiohttp
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from incidentbus.agencies.registry import load_adapter
from incidentbus.agencies.service import build_app
from incidentbus.cli.main import app as cli
from incidentbus.kernel.admin import admin_client
from incidentbus.kernel.catalog import Catalog, Topic
from incidentbus.kernel.kafka import producer, read_all
from incidentbus.security.acl import (
    Binding,
    Operation,
    PatternType,
    ResourceType,
    acl_plan,
    faust_apps,
    system_groups,
)
from incidentbus.security.broker import (
    AclReport,
    apply_acls,
    apply_users,
    can_login,
    create_bindings,
    describe_bindings,
)
from incidentbus.security.users import (
    Password,
    UserChange,
)
from tests.integration.acl_probes import (
    Outcome,
    PrincipalProbe,
    free_port,
    group_consume,
)
from tests.integration.agencies.samples import SAMPLES
from tests.integration.secured_bus import SecuredBus, seed_records
from tests.integration.waits import CEILING

pytestmark = pytest.mark.broker


def test_every_principal_got_a_user_and_the_plan_was_applied(bus: SecuredBus) -> None:
    assert sorted(c.principal for c in bus.users) == sorted(bus.catalog.principals())
    # created on a fresh node; updated when an earlier module of the session made them (the node is
    # shared per session and every module sets fresh passwords), never kept
    assert {c.action for c in bus.users} <= {"create", "update"}
    assert set(bus.acls.created) == acl_plan(bus.catalog, bus.admin.topic_prefix)
    assert not bus.acls.deleted


def test_a_second_apply_changes_nothing(bus: SecuredBus) -> None:
    async def again() -> tuple[list[UserChange], AclReport]:
        return await apply_users(bus.admin, bus.passwords), await apply_acls(bus.admin, bus.catalog)

    users, acls = asyncio.run(again())
    assert {c.action for c in users} == {"keep"}
    assert not acls.changed
    assert acls.diff.in_sync
    assert len(acls.diff.present) == len(acls.plan)


def test_the_commands_say_no_changes(bus: SecuredBus) -> None:
    # The admin's settings as `infra/kafka-secure env` prints them: SASL_SSL with the node's CA.
    client_env = bus.broker.client_env()
    assert client_env["INCIDENTBUS_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert client_env["INCIDENTBUS_SSL_CAFILE"] == str(bus.broker.ca_file)
    env = {**bus.env, **client_env, "INCIDENTBUS_TOPIC_PREFIX": bus.admin.topic_prefix}
    runner = CliRunner()
    acls = runner.invoke(cli, ["acl", "apply"], env=env)
    assert acls.exit_code == 0, acls.output
    assert f"no changes: {len(bus.acls.plan)} bindings already match the catalog" in acls.output
    as_json = json.loads(runner.invoke(cli, ["acl", "apply", "--dry-run", "--json"], env=env).output)
    assert (as_json["changed"], as_json["missing"], as_json["extra"]) == (False, [], [])
    users = runner.invoke(cli, ["acl", "users"], env=env)
    assert users.exit_code == 0, users.output
    assert f"no changes: {len(bus.catalog.principals())} users" in users.output


def test_admin_commands_as_another_principal_say_not_authorized(bus: SecuredBus) -> None:
    """Topics, ACLs and users are the super user's: anyone else is told so, exit 2, no traceback."""
    client_env = bus.broker.client_env()
    operator = {
        **bus.env,
        **client_env,
        "INCIDENTBUS_TOPIC_PREFIX": bus.admin.topic_prefix,
        "INCIDENTBUS_SASL_USERNAME": "operator",
        "INCIDENTBUS_SASL_PASSWORD": bus.password("operator").get_secret_value(),
    }
    runner = CliRunner()
    for args in (["topics", "apply"], ["acl", "apply"], ["acl", "list"], ["acl", "users"]):
        result = runner.invoke(cli, args, env=operator)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert "not authorized" in result.output, (args, result.output)
    wrong = {**operator, "INCIDENTBUS_SASL_PASSWORD": "not-the-password"}
    for args in (["acl", "list"], ["dlq", "list"]):  # a refused login is not "cannot reach Kafka"
        result = runner.invoke(cli, args, env=wrong)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert "refused operator's login" in result.output, (args, result.output)


def test_only_the_right_password_logs_in(bus: SecuredBus) -> None:
    async def tries() -> list[bool]:
        return [
            await can_login(bus.admin, "operator", bus.password("operator")),
            await can_login(bus.admin, "operator", SecretStr("not-the-password")),
            await can_login(bus.admin, "operator", bus.password("auditor")),
            await can_login(bus.admin, "nobody-at-all", SecretStr("whatever")),
        ]

    assert asyncio.run(tries()) == [True, False, False, False]


def test_a_changed_password_is_written_and_an_unchanged_one_kept(bus: SecuredBus) -> None:
    """On a user outside the catalog, so the other tests' principals keep their passwords."""
    first = Password("acl-test-rotation", SecretStr("first-password-1"), "env", "test")
    second = Password("acl-test-rotation", SecretStr("second-password-2"), "env", "test")

    async def rotate() -> list[str]:
        actions = []
        for password in (first, first, second):
            changes = await apply_users(bus.admin, {password.principal: password})
            actions.append(changes[0].action)
        return actions

    assert asyncio.run(rotate()) == ["create", "keep", "update"]
    assert asyncio.run(can_login(bus.admin, "acl-test-rotation", second.value))
    assert not asyncio.run(can_login(bus.admin, "acl-test-rotation", first.value))


def test_bindings_outside_the_catalog_are_reported_and_pruned_only_on_request(bus: SecuredBus) -> None:
    stray = Binding(
        "operator",
        ResourceType.TOPIC,
        bus.admin.topic("stray.topic.v1"),
        PatternType.LITERAL,
        Operation.READ,
    )

    async def run() -> tuple[AclReport, AclReport, AclReport, set[Binding]]:
        async with admin_client(bus.admin) as client:
            await create_bindings(client, [stray])
        kept = await apply_acls(bus.admin, bus.catalog)
        pruned = await apply_acls(bus.admin, bus.catalog, prune=True)
        after = await apply_acls(bus.admin, bus.catalog, prune=True)
        async with admin_client(bus.admin) as client:
            return kept, pruned, after, set(await describe_bindings(client))

    kept, pruned, after, remaining = asyncio.run(run())
    assert kept.diff.extra == (stray,)
    assert not kept.changed
    assert pruned.deleted == (stray,)
    assert not after.changed
    assert stray not in remaining


# ---- the matrix ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    principal: str
    topic: str
    operation: str
    expected: bool
    outcome: Outcome

    @property
    def agrees(self) -> bool:
        return self.expected == (self.outcome.verdict == "allowed")


def _produces_somewhere(catalog: Catalog, principal: str) -> bool:
    return any(principal in t.producers for t in catalog.topics)


async def _row(bus: SecuredBus, principal: str) -> tuple[list[Cell], str | None]:
    """Every catalog topic, produce then consume, as one principal with one set of clients."""
    cells: list[Cell] = []
    async with PrincipalProbe(bus.admin, principal, bus.password(principal)) as probe:
        refused_id = type(probe.producer_error).__name__ if probe.producer_error else None
        if refused_id and not _produces_somewhere(bus.catalog, principal):
            await probe.use_plain_producer()  # so each topic still gives its own answer
        for topic in bus.catalog.topics:
            name = bus.admin.topic(topic.name)
            produced = await probe.produce(name)
            cells.append(Cell(principal, topic.name, "produce", principal in topic.producers, produced))
            consumed = await probe.consume(name, topic.partitions)
            cells.append(Cell(principal, topic.name, "consume", principal in topic.consumers, consumed))
    return cells, refused_id


def _report(cells: list[Cell], bus: SecuredBus, seconds: float) -> str:
    verdicts = Counter(c.outcome.verdict for c in cells)
    errors = Counter(c.outcome.error for c in cells if c.outcome.error)
    principals, topics = len(bus.catalog.principals()), len(bus.catalog.topics)
    return (
        f"ACL matrix: {principals} principals x {topics} topics x 2 operations = {len(cells)} checks; "
        f"{verdicts['allowed']} allowed, {verdicts['denied']} denied ({dict(errors)}); "
        f"{len(bus.acls.plan)} bindings; {seconds:.1f}s"
    )


def test_every_principal_can_do_exactly_what_the_catalog_says(
    bus: SecuredBus, capsys: pytest.CaptureFixture[str], record_property: pytest.RecordProperty
) -> None:
    assert bus.admin.uses_tls  # the whole matrix runs over SASL_SSL (the node has no other listener)
    principals = bus.catalog.principals()
    started = time.monotonic()

    async def walk() -> list[tuple[list[Cell], str | None]]:
        return await asyncio.gather(*(_row(bus, p) for p in principals))

    rows = asyncio.run(walk())
    seconds = time.monotonic() - started
    cells = [cell for row, _ in rows for cell in row]
    summary = _report(cells, bus, seconds)
    record_property("acl_matrix", summary)
    with capsys.disabled():
        print(f"\n{summary}")

    assert len(cells) == len(principals) * len(bus.catalog.topics) * 2
    wrong = [
        f"{c.principal} {c.operation} {c.topic}: expected {'allowed' if c.expected else 'denied'}, "
        f"got {c.outcome.verdict} {c.outcome.error}"
        for c in cells
        if not c.agrees
    ]
    assert not wrong, "\n".join(wrong)
    # Topic-level refusals, not incidental ones: every denial names the topic's authorization.
    assert {c.outcome.error for c in cells if c.outcome.verdict == "denied"} == {
        "TopicAuthorizationFailedError"
    }
    # A producer id (IDEMPOTENT_WRITE) exactly for the principals that produce somewhere.
    refused = {p: refused_id for p, (_, refused_id) in zip(principals, rows, strict=True) if refused_id}
    assert refused == {
        p: "ClusterAuthorizationFailedError" for p in principals if not _produces_somewhere(bus.catalog, p)
    }


def _readable_topic(catalog: Catalog, principal: str) -> Topic:
    return next(t for t in catalog.topics if principal in t.consumers)


def test_only_a_service_may_use_its_own_consumer_group(bus: SecuredBus) -> None:
    """Every principal tries every faust app's group (the app id, under the prefix) and a group
    under every agency system's own prefix (`<agency>-system.outbox`)."""
    owners = {app: p for p, app in faust_apps(bus.catalog).items()}
    owners |= {f"{prefix}outbox": p for p, prefix in system_groups(bus.catalog).items()}
    groups = sorted(owners)

    async def tries(principal: str) -> list[tuple[str, str, Outcome]]:
        topic = bus.admin.topic(_readable_topic(bus.catalog, principal).name)
        settings = bus.as_(principal)
        return [
            (principal, group, await group_consume(settings, bus.admin.topic(group), topic))
            for group in groups
        ]

    async def walk() -> list[tuple[str, str, Outcome]]:
        rows = await asyncio.gather(*(tries(p) for p in bus.catalog.principals()))
        return [t for row in rows for t in row]

    results = asyncio.run(walk())
    wrong = [
        f"{p} in group {g}: {o.verdict} {o.error}"
        for p, g, o in results
        if (o.verdict == "allowed") != (owners[g] == p)
    ]
    assert not wrong, "\n".join(wrong)
    assert {o.error for _, _, o in results if o.verdict == "denied"} == {"GroupAuthorizationFailedError"}
    assert sum(o.verdict == "allowed" for _, _, o in results) == len(owners)


def test_faust_internal_topics_belong_to_their_service(bus: SecuredBus) -> None:
    """Each service creates, writes and reads `<app id>-...` topics; nobody else can touch them."""
    apps = faust_apps(bus.catalog)
    internal = {app: bus.admin.topic(f"{app}-acl-probe-changelog") for app in sorted(set(apps.values()))}

    async def tries(principal: str, operations: tuple[str, ...]) -> list[tuple[str, str, str, Outcome]]:
        async with PrincipalProbe(bus.admin, principal, bus.password(principal)) as probe:
            attempts = {
                "create": probe.create_topic,
                "produce": probe.produce,
                "consume": lambda name: probe.consume(name, 1),
            }
            return [
                (principal, app, op, await attempts[op](name))
                for app, name in internal.items()
                for op in operations
            ]

    async def each(operations: tuple[str, ...]) -> list[tuple[str, str, str, Outcome]]:
        rows = await asyncio.gather(*(tries(p, operations) for p in bus.catalog.principals()))
        return [result for row in rows for result in row]

    async def walk() -> list[tuple[str, str, str, Outcome]]:
        created = await each(("create",))
        await seed_records(bus.admin, list(internal.values()))
        return created + await each(("produce", "consume"))

    results = asyncio.run(walk())
    wrong = [
        f"{p} {op} {app}-*: {o.verdict} {o.error}"
        for p, app, op, o in results
        if (o.verdict == "allowed") != (apps.get(p) == app)
    ]
    assert not wrong, "\n".join(wrong)
    creations = [o for _, _, op, o in results if op == "create" and o.verdict == "allowed"]
    assert len(creations) == len(apps)  # each service created its own, and only its own


def test_an_agency_service_runs_as_its_principal(bus: SecuredBus) -> None:
    """The real faust service under its own identity, over TLS: it joins its group, creates its
    changelog, reads the inbox written by its system and publishes the event the operator reads."""
    agency, ref = "police", f"ACL-{uuid.uuid4().hex[:8]}"
    service, system, operator = (
        bus.as_(f"{agency}-service"),
        bus.as_(f"{agency}-system"),
        bus.as_("operator"),
    )
    events = bus.admin.topic(f"{agency}.events.v1")

    async def run() -> list[str]:
        app = build_app(load_adapter(agency), service, web_port=free_port())
        # Over TLS: faust speaks SASL_SSL exactly when its SASL credentials carry a TLS context.
        credentials = app.conf.broker_credentials
        assert credentials.protocol.value == "SASL_SSL"
        assert credentials.ssl_context.check_hostname
        await app.start()
        try:
            async with producer(system) as client:
                native = json.dumps(SAMPLES[agency].report(ref)).encode()
                await client.send_and_wait(bus.admin.topic(f"{agency}.inbox.v1"), native, key=ref.encode())
            deadline = time.monotonic() + CEILING
            while time.monotonic() < deadline:
                records = await read_all(operator, events, idle_ms=300)
                if any(r.key == ref.encode() for r in records):
                    break
                await asyncio.sleep(0.5)
        finally:
            await app.stop()
        async with admin_client(bus.admin) as client:
            return list(await client.list_topics())

    topics = asyncio.run(run())
    assert bus.admin.topic(f"incidentbus-{agency}-{agency}-published-changelog") in topics
    records = asyncio.run(read_all(operator, events, idle_ms=300))
    assert any(r.key == ref.encode() for r in records), "the event never reached the operator"


def test_http_intake_logs_on_the_inbox_as_the_service(bus: SecuredBus) -> None:
    agency, ref, port = "police", f"ACL-HTTP-{uuid.uuid4().hex[:8]}", free_port()
    service = bus.as_(f"{agency}-service")

    async def post() -> int:
        app = build_app(load_adapter(agency), service, web_port=port)
        await app.start()
        try:
            async with aiohttp.ClientSession() as session:
                body = json.dumps(SAMPLES[agency].report(ref)).encode()
                async with session.post(f"http://127.0.0.1:{port}/v1/intake", data=body) as response:
                    return response.status
        finally:
            await app.stop()

    assert asyncio.run(post()) == 202
