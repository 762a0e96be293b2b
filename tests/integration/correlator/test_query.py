"""The query API and metrics on the real broker answer with the right figures."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp

from incidentbus.devtools import natives
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.query import serve
from tests.integration.agencies.harness import free_port
from tests.integration.correlator.harness import Bus, case_of, history, now
from tests.integration.correlator.test_end_to_end import RULES, answer, fast_rules


async def closed_loop(bus: Bus, ref: str) -> str:
    await bus.send("police", natives.report("police", ref, "TA1", "310121-001-001-01", now()))
    [task] = await bus.until(lambda: _tasks(bus, "police", ref))
    await answer(bus, "police", task, ["ack", "arrived", "complete"])

    async def asked() -> list[Any]:
        return [
            e
            for e in history(await bus.case_events(), task["case_id"])
            if e.WhichOneof("body") == "verification_requested"
        ]

    [request] = await bus.until(asked)
    await bus.send(
        "community",
        natives.verification(task["case_id"], request.verification_requested.verification_id, True, now()),
    )
    await bus.until(lambda: _closed(bus, task["case_id"]))
    return str(task["case_id"])


async def _tasks(bus: Bus, agency: str, ref: str) -> list[dict[str, Any]]:
    case_id = case_of(await bus.case_events(), ref)
    return await bus.tasks_for(agency, case_id) if case_id else []


async def _closed(bus: Bus, case_id: str) -> bool:
    return any(e.WhichOneof("body") == "case_closed" for e in history(await bus.case_events(), case_id))


async def escalated(bus: Bus, ref: str) -> str:
    await bus.send("urban", natives.report("urban", ref, "0201", "310122-001-001-01", now()))

    async def twice() -> str:
        events = await bus.case_events()
        case_id = case_of(events, ref)
        found = [e for e in history(events, case_id) if e.WhichOneof("body") == "case_escalated"]
        return case_id if found else ""

    return str(await bus.until(twice))


def test_query_api_and_metrics(isolated: BusSettings) -> None:
    async def run() -> dict[str, Any]:
        police_ref = f"P-{uuid.uuid4().hex[:6]}"
        async with Bus(isolated, RULES) as bus:
            closed = await closed_loop(bus, police_ref)
        async with Bus(isolated, fast_rules()) as bus:
            late = await escalated(bus, f"U-{uuid.uuid4().hex[:6]}")
        port = free_port()
        # serve() yields once the read model has folded in everything already on the topics
        async with serve(isolated, port), aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            answers: dict[str, Any] = {"closed": closed, "late": late}
            for name, path in [
                ("case", f"/cases/{closed}"),
                ("open", "/cases?area=310122"),
                ("overdue", "/cases/overdue"),
                ("agencies", "/stats/agencies"),
                ("grids", "/stats/grids"),
                ("openapi", "/openapi.json"),
                ("missing", "/cases/C-nope"),
                ("report", f"/reports/police/{police_ref}"),
                ("no_report", "/reports/police/P-never"),
                ("drills", "/cases?area=310122&include_drills=true"),
                ("bad", "/stats/agencies?include_drills=perhaps"),
            ]:
                async with http.get(path) as response:
                    answers[name] = (response.status, await response.json())
            async with http.get("/metrics") as response:
                answers["metrics"] = await response.text()
        return answers

    a = asyncio.run(run())
    status, case = a["case"]
    assert (status, case["status"], case["event_status"]) == (200, "CASE_STATUS_CLOSED", "ACTUAL")
    assert [c["case_id"] for c in a["open"][1]["cases"]] == [a["late"]]
    assert a["late"] in [c["case_id"] for c in a["overdue"][1]["cases"]]
    assert a["closed"] not in [c["case_id"] for c in a["overdue"][1]["cases"]]
    police = a["agencies"][1]["police"]
    assert police["tasks"] == 1
    assert police["median_s_to_acknowledge"] is not None
    assert police["deadline_compliance"] == 1.0
    late_grid = a["grids"][1]["310122-001-001-01"]
    assert (late_grid["deadline_compliance"], late_grid["reminders"]) == (0.0, 0)
    assert late_grid["escalations"] >= 1
    assert a["missing"][0] == 404
    assert (a["report"][0], a["report"][1]["case_id"]) == (200, a["closed"])  # report -> its case
    assert a["no_report"] == (
        404,
        {"error": "not_found", "detail": "no case holds a police report 'P-never'"},
    )
    assert "/reports/{agency}/{ref}" in a["openapi"][1]["paths"]
    assert "/cases/overdue" in a["openapi"][1]["paths"]
    assert a["drills"][1]["cases"] == a["open"][1]["cases"]  # no drill on this bus: the same cases
    assert a["bad"][0] == 400
    assert "incidentbus_deadline_reminders 0.0" in a["metrics"]
    assert 'incidentbus_open_cases{area="310122"} 1.0' in a["metrics"]
    assert "incidentbus_deadline_breaches" in a["metrics"]
    assert "incidentbus_consumer_lag{" in a["metrics"]
