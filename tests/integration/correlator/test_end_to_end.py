"""The correlator on the real broker, driven only through the agency services' native interfaces."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from incidentbus.correlator.domain.chain import check_chain
from incidentbus.correlator.domain.rules import Rules, parse_rules
from incidentbus.correlator.rulesfile import default_rules_text, rules_for
from incidentbus.devtools import natives
from incidentbus.devtools.natives import OUTBOX_IDS
from incidentbus.kernel.kafka import producer, send
from incidentbus.kernel.records import OutgoingRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2
from tests.integration.correlator.harness import Bus, bodies, case_of, history, now

# District 310199 is this module's own (other tests report in 310101); its grids 07 and 08 neighbour
# in the tests' grid layer (tests/grids.geojson), which conftest.py names in INCIDENTBUS_GRIDS_PATH:
# the rules get it as the correlator service and `incidentbus replay` (test_replay.py) do.
RULES = rules_for(BusSettings())


def ref(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def fast_rules() -> Rules:
    """Shipped rules with seconds-long deadlines for moderate incidents, so escalation shows in a test."""
    text = default_rules_text().replace(
        "[deadlines.severity.moderate]\nacknowledge = 30\narrive = 120",
        "[deadlines.severity.moderate]\nacknowledge = 0.05\narrive = 0.05",
    )
    return parse_rules(text).with_grid_neighbours(RULES.grid_neighbours)


async def answer(
    bus: Bus, agency: str, task: dict[str, Any], kinds: list[str], start: int = 1, **kw: Any
) -> None:
    task_key, case_key = OUTBOX_IDS[agency]
    for seq, kind in enumerate(kinds, start=start):
        await bus.send(
            agency, natives.reply(agency, kind, task[task_key], task[case_key], seq=seq, at=now(), **kw)
        )


def test_one_accident_from_three_agencies_becomes_one_case_that_closes_after_verification(
    applied: BusSettings,
) -> None:
    police_ref, health_ref, grid_ref = ref("P"), ref("H"), ref("G")

    async def run() -> tuple[str, list[Any]]:
        async with Bus(applied, RULES) as bus:
            await bus.send(
                "police", natives.report("police", police_ref, "TA2", "310199-002-003-07", now(), injured=1)
            )
            await bus.send(
                "health", natives.report("health", health_ref, "TRAUMA_RTC", "310199-002-003-07", now())
            )
            await bus.send(
                "community", natives.report("community", grid_ref, "E12", "310199-002-003-08", now())
            )

            async def three_linked() -> str:
                events = await bus.case_events()
                cases = {case_of(events, r) for r in (police_ref, health_ref, grid_ref)}
                return cases.pop() if len(cases) == 1 and "" not in cases else ""

            case_id = await bus.until(three_linked)
            tasks = {}
            for agency in ("police", "health", "urban"):
                tasks[agency] = (await bus.until(lambda a=agency: bus.tasks_for(a, case_id)))[0]  # type: ignore[misc]
            for agency, task in tasks.items():
                await answer(bus, agency, task, ["ack", "arrived", "complete"])

            async def verification_request() -> list[Any]:
                return [
                    n
                    for n in await bus.records("community.outbox.v1")
                    if case_id.encode() in (n.value or b"") and b"verification_id" in (n.value or b"")
                ]

            [request] = await bus.until(verification_request)
            asked = json.loads(request.value or b"{}")
            await bus.send("community", natives.verification(case_id, asked["verification_id"], True, now()))

            async def closed() -> list[Any]:
                events = await bus.case_events()
                return events if "case_closed" in bodies(events, case_id) else []

            return case_id, await bus.until(closed)

    case_id, events = asyncio.run(run())
    steps = bodies(events, case_id)
    assert steps.count("report_linked") == 3
    assigned = [
        e.task_assigned.agency for e in history(events, case_id) if e.WhichOneof("body") == "task_assigned"
    ]
    assert sorted(assigned) == ["health", "police", "urban"]
    order = [
        "case_opened",
        "task_assigned",
        "case_resolved",
        "verification_requested",
        "case_verified",
        "case_closed",
    ]
    assert [s for s in steps if s in order and s != "task_assigned"] == [
        o for o in order if o != "task_assigned"
    ]
    assert history(events, case_id)[-1].case_closed.reason == 1  # CLOSURE_REASON_VERIFIED
    assert check_chain(case_id, history(events, case_id)) == []


def test_declined_task_is_rerouted(applied: BusSettings) -> None:
    report = ref("P")

    async def run() -> list[str]:
        async with Bus(applied, RULES) as bus:
            await bus.send("police", natives.report("police", report, "TA1", "310102-001-001-01", now()))

            async def police_task() -> list[Any]:
                case_id = case_of(await bus.case_events(), report)
                return await bus.tasks_for("police", case_id) if case_id else []

            [task] = await bus.until(police_task)
            await answer(bus, "police", task, ["decline"])
            case_id = task["case_id"]
            rerouted = await bus.until(lambda: bus.tasks_for("community", case_id))
            assert rerouted[0]["case_id"] == case_id
            return bodies(await bus.case_events(), case_id)

    steps = asyncio.run(run())
    assert steps.count("task_assigned") == 2
    assert "task_status_changed" in steps


def test_missed_deadline_escalates_twice(applied: BusSettings) -> None:
    report = ref("P")

    async def run() -> list[Any]:
        async with Bus(applied, fast_rules(), tick_seconds=0.5) as bus:
            await bus.send(
                "police", natives.report("police", report, "TA1", "310103-001-001-01", now(), priority="P3")
            )

            async def escalated_twice() -> list[Any]:
                events = await bus.case_events()
                case_id = case_of(events, report)
                found = [e for e in history(events, case_id) if e.WhichOneof("body") == "case_escalated"]
                return found if len(found) >= 2 else []

            return await bus.until(escalated_twice)  # type: ignore[no-any-return]

    first, second = asyncio.run(run())[:2]
    assert (first.case_escalated.from_level, first.case_escalated.to_level) == (1, 2)  # grid -> community
    assert (second.case_escalated.from_level, second.case_escalated.to_level) == (2, 3)  # community -> street
    assert second.case_escalated.priority > first.case_escalated.priority


def test_unknown_gas_takes_the_fast_path(applied: BusSettings) -> None:
    report = ref("G")

    async def run() -> list[bus_pb2.AlertRaised]:
        async with Bus(applied, RULES) as bus:
            await bus.send(
                "community", natives.report("community", report, "E20", "310104-001-001-01", now())
            )

            async def fast_alert() -> list[bus_pb2.AlertRaised]:
                case_id = case_of(await bus.case_events(), report)
                alerts = await bus.alerts(case_id) if case_id else []
                return [a for a in alerts if a.kind == bus_pb2.ALERT_KIND_FAST_PATH]

            return await bus.until(fast_alert)  # type: ignore[no-any-return]

    [alert] = asyncio.run(run())
    assert set(alert.notify_agencies) == {"police", "health", "urban", "community"}
    assert alert.priority == 5
    assert alert.target_jurisdiction == "310104-001-001"  # one level above the grid


def test_disputed_verification_reopens(applied: BusSettings) -> None:
    report = ref("U")

    async def run() -> list[str]:
        async with Bus(applied, RULES) as bus:
            await bus.send("urban", natives.report("urban", report, "0201", "310105-001-001-01", now()))

            async def urban_task() -> list[Any]:
                case_id = case_of(await bus.case_events(), report)
                return await bus.tasks_for("urban", case_id) if case_id else []

            [task] = await bus.until(urban_task)
            case_id = task["case_no"]
            await answer(bus, "urban", task, ["ack", "complete"])

            async def asked() -> list[Any]:
                events = await bus.case_events()
                return [
                    e for e in history(events, case_id) if e.WhichOneof("body") == "verification_requested"
                ]

            [request] = await bus.until(asked)
            vid = request.verification_requested.verification_id
            await bus.send("community", natives.verification(case_id, vid, False, now()))

            async def reopened() -> list[str]:
                steps = bodies(await bus.case_events(), case_id)
                return steps if "case_reopened" in steps and steps[-1] == "task_assigned" else []

            return await bus.until(reopened)  # type: ignore[no-any-return]

    steps = asyncio.run(run())
    assert steps.index("case_reopened") > steps.index("verification_requested")
    assert "case_closed" not in steps


def test_a_redelivered_batch_adds_no_case_events(applied: BusSettings) -> None:
    report = ref("P")

    async def run() -> tuple[int, int]:
        async with Bus(applied, RULES) as bus:
            await bus.send("police", natives.report("police", report, "TA1", "310106-001-001-01", now()))

            async def opened() -> str:
                return case_of(await bus.case_events(), report)

            case_id = await bus.until(opened)
            batch = [
                r for r in await bus.records("police.events.v1") if r.header("ce_subject") == report.encode()
            ]
            before = len({(e.case_id, e.sequence) for e in await bus.case_events() if e.case_id == case_id})
            async with producer(applied) as client:  # redeliver the agency's events, byte for byte
                for r in batch:
                    await send(client, OutgoingRecord(r.topic, r.key, r.value or b"", r.headers))
            sentinel = ref("P")
            await bus.send(
                "police", natives.report("police", sentinel, "TA1", "310106-001-001-01", now()), key=report
            )

            async def sentinel_seen() -> str:
                return case_of(await bus.case_events(), sentinel)

            await bus.until(sentinel_seen)
            events = [e for e in await bus.case_events() if e.case_id == case_id]
            versions = {(e.sequence, e.SerializeToString(deterministic=True)) for e in events}
            assert len(versions) == len({s for s, _ in versions}), "a case event exists in two versions"
            return before, len({s for s, _ in versions if s <= before})

    before, after = asyncio.run(run())
    assert before == after
