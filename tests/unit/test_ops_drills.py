"""Drills stay drills: EXERCISE and TEST cases are out of lists, statistics and gauges unless asked."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from incidentbus.kernel.envelope import timestamp_ms
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.figures import Figures, from_model, prometheus_text
from incidentbus.ops.query import build_web
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from incidentbus.v1 import common_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run
from tests.unit.ops_builders import History, case_events

REAL, DRILL, UNSTAMPED = "C-310101-real", "C-310102-drill", "C-310103-old"
LATER = T0 + 60 * MIN


def snapshot(case_id: str, status: int, sequence: int) -> ce.CaseSnapshot:
    snap = ce.CaseSnapshot(case_id=case_id, status=ce.CASE_STATUS_DISPATCHED, last_sequence=sequence)
    snap.envelope.status = status  # type: ignore[assignment]
    snap.location.grid_code = f"{case_id[2:8]}-001-001-01"
    snap.location.jurisdiction.district = case_id[2:8]
    task = snap.tasks.add(task_id=f"{case_id}/t1", agency="police")
    task.deadlines.add(kind=common_pb2.DEADLINE_KIND_ACKNOWLEDGE).due_at.CopyFrom(timestamp_ms(T0 + 10 * MIN))
    return snap


def escalated_case(model: ReadModel, case_id: str, status: int) -> None:
    """An open case whose police task missed its acknowledge deadline and was escalated."""
    case = History(model, case_id, status)
    case.opened(f"{case_id[2:8]}-001-001-01")
    case.assigned(1, "police", ack_due=T0 + 10 * MIN)
    case.escalated(1, at=T0 + 11 * MIN, ack_due=T0 + 21 * MIN)
    model.apply_snapshot(snapshot(case_id, status, case.sequence))


@pytest.fixture
def model() -> ReadModel:
    model = ReadModel()
    escalated_case(model, REAL, common_pb2.EVENT_STATUS_ACTUAL)
    escalated_case(model, DRILL, common_pb2.EVENT_STATUS_EXERCISE)
    escalated_case(model, UNSTAMPED, common_pb2.EVENT_STATUS_UNSPECIFIED)  # history before the stamp
    return model


def ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["case_id"] for c in cases]


def test_lists_and_statistics_leave_drills_out_unless_asked(model: ReadModel) -> None:
    assert ids(model.open_cases()) == [REAL, UNSTAMPED]
    assert ids(model.open_cases(include_drills=True)) == [REAL, DRILL, UNSTAMPED]
    assert ids(model.overdue(LATER)) == [REAL, UNSTAMPED]
    assert ids(model.overdue(LATER, include_drills=True)) == [REAL, DRILL, UNSTAMPED]
    assert model.agency_stats(LATER)["police"]["tasks"] == 2
    assert model.agency_stats(LATER, include_drills=True)["police"]["tasks"] == 3
    assert "310102-001-001-01" not in model.grid_stats()
    assert model.grid_stats(include_drills=True)["310102-001-001-01"]["escalations"] == 1


def test_every_case_shows_its_status_and_a_drill_is_found_by_id(model: ReadModel) -> None:
    assert [c["event_status"] for c in model.open_cases(include_drills=True)] == [
        "ACTUAL",
        "EXERCISE",
        "ACTUAL",
    ]
    found = model.case(DRILL)
    assert found is not None
    assert found["event_status"] == "EXERCISE"


def test_a_drill_stays_a_drill_whichever_record_says_so() -> None:
    """A TEST snapshot marks the case even when its events were folded unstamped first, and a
    later unstamped record does not turn it back into a real case."""
    model = ReadModel()
    escalated_case(model, DRILL, common_pb2.EVENT_STATUS_UNSPECIFIED)
    model.apply_snapshot(snapshot(DRILL, common_pb2.EVENT_STATUS_TEST, 3))
    model.apply_snapshot(snapshot(DRILL, common_pb2.EVENT_STATUS_UNSPECIFIED, 3))
    assert model.open_cases() == []
    assert model.event_status(DRILL) == "TEST"


def test_gauges_leave_drills_out_unless_asked(model: ReadModel) -> None:
    real = from_model(Figures(), model)
    assert (real.open_cases, real.cases_by_status, real.deadline_breaches) == (
        {"310101": 1, "310103": 1},
        {"dispatched": 2},
        2,
    )
    assert 'incidentbus_open_cases{area="310102"}' not in prometheus_text(real).decode()
    every = from_model(Figures(), model, include_drills=True)
    assert (every.open_cases["310102"], every.deadline_breaches) == (1, 3)


def test_the_query_api_takes_include_drills_and_refuses_a_non_boolean(model: ReadModel) -> None:
    async def ask() -> dict[str, tuple[int, Any]]:
        app = build_web(BusSettings(topic_prefix="x."), model)
        answers: dict[str, tuple[int, Any]] = {}
        async with TestClient(TestServer(app)) as http:
            for path in (
                "/cases",
                "/cases?include_drills=true",
                "/cases/overdue?include_drills=1",
                "/stats/agencies?include_drills=false",
                "/stats/grids?include_drills=TRUE",
                f"/cases/{DRILL}",
                "/stats/grids?include_drills=maybe",
            ):
                response = await http.get(path)
                answers[path] = (response.status, await response.json())
        return answers

    a = asyncio.run(ask())
    assert ids(a["/cases"][1]["cases"]) == [REAL, UNSTAMPED]
    assert ids(a["/cases?include_drills=true"][1]["cases"]) == [REAL, DRILL, UNSTAMPED]
    assert ids(a["/cases/overdue?include_drills=1"][1]["cases"]) == [REAL, DRILL, UNSTAMPED]
    assert a["/stats/agencies?include_drills=false"][1]["police"]["tasks"] == 2
    assert "310102-001-001-01" in a["/stats/grids?include_drills=TRUE"][1]
    assert a[f"/cases/{DRILL}"][1]["event_status"] == "EXERCISE"
    assert a["/stats/grids?include_drills=maybe"] == (
        400,
        {"error": "bad_parameter", "detail": "include_drills must be true or false"},
    )


def test_a_drill_reported_to_the_core_stays_out_of_the_figures() -> None:
    """The core stamps a drill's outputs with the status of the report that opened it."""
    run = Run()
    run(run.feed.report("police", "traffic.collision_injury", T0, status=common_pb2.EVENT_STATUS_EXERCISE))
    model = ReadModel()
    for event in case_events(run):
        model.apply_event(event)
    assert model.agency_stats(LATER) == {}
    assert model.grid_stats() == {}
    assert set(model.agency_stats(LATER, include_drills=True)) == {"police", "health", "urban"}
    assert model.event_status(run.only_case().case_id) == "EXERCISE"
