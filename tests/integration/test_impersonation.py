"""One agency's credentials cannot act in another agency's name through the correlator.

On the secured node (SCRAM users and the catalog's ACLs), the real correlator runs as the
`correlator` principal. Writing only to its own `police.events.v1` as `police-service`, an
attacker tries what the review did: a completion of the ambulance service's task claiming to be
`health`, a report claiming to be `health`, and, honestly signed, a decline of another agency's
task. Each must be dead-lettered with its reason and change no case; the honest report opens
a case whose events name the topic that carried it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest

from incidentbus.agencies.registry import AGENCIES
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.correlator.service import build_app as correlator_app
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import case_events_pb2
from tests.integration.acl_probes import free_port
from tests.integration.cli import run_cli
from tests.integration.secured_bus import SecuredBus
from tests.integration.waits import CEILING
from tests.unit.correlator.builders import Feed

pytestmark = pytest.mark.broker
GRID = "310101-002-003-07"


async def _case_events(operator: BusSettings) -> list[case_events_pb2.CaseEvent]:
    records = await read_all(operator, operator.topic("case.events.v1"), idle_ms=300)
    found = []
    for record in records:
        if record.value and record.value != b"seed":
            found.append(decode(record, case_events_pb2.CaseEvent).message)
    return found  # type: ignore[return-value]


async def _until(probe: Any, what: str) -> Any:
    deadline = time.monotonic() + CEILING
    while time.monotonic() < deadline:
        found = await probe()
        if found:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out after {CEILING:.0f}s waiting for {what}")


def _letters(bus: SecuredBus) -> list[dict[str, Any]]:
    """Dead letters as the operator's own tool lists them."""
    env = {**bus.env, **_login_env(bus, "operator")}
    done = run_cli(bus.admin, "dlq", "list", "--json", env=env)
    assert done.returncode == 0, done.stderr
    letters: list[dict[str, Any]] = json.loads(done.stdout)["letters"]
    return letters


def _login_env(bus: SecuredBus, principal: str) -> dict[str, str]:
    settings = bus.as_(principal)
    env = {
        "INCIDENTBUS_BOOTSTRAP_SERVERS": settings.bootstrap_servers,
        "INCIDENTBUS_SECURITY_PROTOCOL": settings.security_protocol,
        "INCIDENTBUS_SASL_MECHANISM": settings.sasl_mechanism or "",
        "INCIDENTBUS_SASL_USERNAME": principal,
        "INCIDENTBUS_SASL_PASSWORD": bus.password(principal).get_secret_value(),
        "INCIDENTBUS_ENVIRONMENT": "test",
    }
    for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):  # TLS settings, when the node has them
        value = getattr(settings, name, None)
        if value:
            env[f"INCIDENTBUS_{name.upper()}"] = str(value)
    return env


def test_an_agency_cannot_act_in_another_agencys_name(bus: SecuredBus) -> None:
    police, operator = bus.as_("police-service"), bus.as_("operator")
    events_topic = police.topic("police.events.v1")
    feed, ref = Feed(), f"IMP-{uuid.uuid4().hex[:8]}"
    now_ms = int(time.time() * 1000)

    async def publish(item: Any) -> None:
        async with producer(police) as client:
            event = item.event
            await send(client, encode(event, topic=events_topic, key=event.envelope.source_ref))

    async def opened() -> tuple[str, dict[str, str]] | None:
        events = await _case_events(operator)
        linked = [e for e in events if e.WhichOneof("body") == "report_linked"]
        mine = [e.case_id for e in linked if e.report_linked.report.source_ref == ref]
        if not mine:
            return None
        assigned = [
            e.task_assigned
            for e in events
            if e.case_id == mine[0] and e.WhichOneof("body") == "task_assigned"
        ]
        tasks = {t.agency: t.task_id for t in assigned}
        return (mine[0], tasks) if {"health", "urban"} <= set(tasks) else None

    seen: list[list[dict[str, Any]]] = [[]]

    async def refused() -> list[str] | None:
        seen[0] = letters = await asyncio.to_thread(_letters, bus)
        # the router refuses on the agency's topic; the core on its input topic (where it read it)
        topics = (events_topic, police.topic("correlator.input.v1"))
        reasons = sorted(x["reason"] for x in letters if x["source_topic"] in topics)
        return reasons if len([r for r in reasons if r.startswith("authz.")]) >= 3 else None

    async def scenario() -> tuple[str, dict[str, str], list[str]]:
        correlator = bus.as_("correlator")
        app = correlator_app(correlator, rules_for(correlator), agencies=list(AGENCIES), web_port=free_port())
        await app.start()
        try:
            await publish(
                feed.report("police", "traffic.collision_injury", now_ms, grid=GRID, casualties=1, ref=ref)
            )
            case_id, tasks = await _until(opened, "the honest report's case and its tasks")
            later = now_ms + 1000
            # police-service, on its own topic: a completion of the ambulance task claiming to be health,
            await publish(feed.reply("health", "complete", tasks["health"], case_id, later, disposition=1))
            # a report claiming to be health,
            await publish(feed.report("health", "medical.injury", later, grid=GRID, ref=f"{ref}-forged"))
            # and, honestly signed, a decline of the urban task, which is not addressed to it
            await publish(feed.reply("police", "decline", tasks["urban"], case_id, later, reason=2))
            try:
                reasons = await _until(refused, "the three dead letters")
            except AssertionError as exc:
                seen_reasons = [(x["source_topic"], x["reason"]) for x in seen[0]]
                raise AssertionError(f"{exc}; letters seen: {seen_reasons}") from None
            return case_id, tasks, reasons
        finally:
            await app.stop()

    case_id, tasks, reasons = asyncio.run(scenario())
    authz = [r for r in reasons if r.startswith("authz.")]
    assert authz == ["authz.agency_mismatch", "authz.agency_mismatch", "authz.not_addressed"], reasons

    events = [e for e in asyncio.run(_case_events(operator)) if e.case_id == case_id]
    changed = [e.task_status_changed.task_id for e in events if e.WhichOneof("body") == "task_status_changed"]
    assert tasks["health"] not in changed
    assert tasks["urban"] not in changed
    assert [e.actor for e in events if e.actor not in ("police", "correlator")] == []
    first = min(events, key=lambda e: e.sequence)
    assert (first.actor, first.source_topic) == ("police", events_topic)
    assert {e.source_topic for e in events} <= {events_topic, police.topic("correlator.input.v1")}
    forged = [e for e in asyncio.run(_case_events(operator)) if e.WhichOneof("body") == "report_linked"]
    assert not [e for e in forged if e.report_linked.report.source_ref == f"{ref}-forged"]
