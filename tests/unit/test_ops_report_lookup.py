"""Report -> case lookup in the read model and the query API: `GET /reports/{agency}/{ref}`."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.openapi import OPENAPI
from incidentbus.ops.query import build_web
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from tests.unit.correlator.conftest import Run
from tests.unit.ops_builders import accident_reports

FIRST, SURVIVOR, OTHER = "C-310101-first", "C-310101-survivor", "C-310101-other"


def snapshot(
    case_id: str, status: int, sequence: int, reports: list[tuple[str, str]], merged_into: str = ""
) -> ce.CaseSnapshot:
    snap = ce.CaseSnapshot(case_id=case_id, status=status, last_sequence=sequence, merged_into=merged_into)  # type: ignore[arg-type]
    for agency, ref in reports:
        snap.reports.add(source_agency=agency, source_ref=ref)
    return snap


def merged_model() -> ReadModel:
    """P-1 opened FIRST; FIRST was merged into SURVIVOR (which also holds H-9); P-2 was split out
    of SURVIVOR into OTHER."""
    model = ReadModel()
    model.apply_snapshot(snapshot(FIRST, ce.CASE_STATUS_DISPATCHED, 2, [("police", "P-1")]))
    model.apply_snapshot(
        snapshot(SURVIVOR, ce.CASE_STATUS_DISPATCHED, 3, [("health", "H-9"), ("police", "P-2")])
    )
    model.apply_snapshot(snapshot(FIRST, ce.CASE_STATUS_MERGED, 4, [("police", "P-1")], merged_into=SURVIVOR))
    model.apply_snapshot(
        snapshot(SURVIVOR, ce.CASE_STATUS_DISPATCHED, 6, [("health", "H-9"), ("police", "P-1")])
    )
    model.apply_snapshot(snapshot(OTHER, ce.CASE_STATUS_DISPATCHED, 2, [("police", "P-2")]))
    return model


def test_a_report_is_found_in_its_live_case_after_a_merge_and_a_split() -> None:
    model = merged_model()
    found, _ = model.case_of_report("police", "P-1")
    assert found is not None
    assert (found["case_id"], found["report"]) == (SURVIVOR, {"agency": "police", "ref": "P-1"})
    moved, _ = model.case_of_report("police", "P-2")
    assert moved is not None
    assert moved["case_id"] == OTHER  # the survivor's latest snapshot no longer lists it


def test_a_merged_case_alone_is_followed_to_its_survivor() -> None:
    """Only the merged case's snapshot has been read (the survivor's not yet): follow merged_into."""
    model = ReadModel()
    model.apply_snapshot(snapshot(SURVIVOR, ce.CASE_STATUS_DISPATCHED, 1, [("health", "H-9")]))
    model.apply_snapshot(snapshot(FIRST, ce.CASE_STATUS_MERGED, 4, [("police", "P-1")], merged_into=SURVIVOR))
    found, _ = model.case_of_report("police", "P-1")
    assert found is not None
    assert (found["case_id"], found["merged_from"]) == (SURVIVOR, [FIRST])


def test_an_unknown_report_says_why() -> None:
    found, why = merged_model().case_of_report("urban", "U-1")
    assert found is None
    assert why == "no case holds a urban report 'U-1'"


def test_reports_of_the_core_are_found_through_the_api() -> None:
    run = Run()
    for report in accident_reports(run.feed):
        run(report)
    case = run.only_case()
    model = ReadModel()
    for out in run.kinds("snapshot"):
        model.apply_snapshot(out.message)  # type: ignore[arg-type]
    police_ref, health_ref = (
        r.source_ref for r in sorted(case.reports, key=lambda r: r.source_agency != "police")
    )

    async def ask() -> dict[str, tuple[int, Any]]:
        answers = {}
        async with TestClient(TestServer(build_web(BusSettings(topic_prefix="x."), model))) as http:
            for path in (
                f"/reports/police/{police_ref}",
                f"/reports/health/{health_ref}",
                "/reports/police/nope",
            ):
                response = await http.get(path)
                answers[path] = (response.status, await response.json())
        return answers

    a = asyncio.run(ask())
    assert a[f"/reports/police/{police_ref}"][0] == 200
    assert a[f"/reports/police/{police_ref}"][1]["case_id"] == case.case_id
    assert a[f"/reports/health/{health_ref}"][1]["case_id"] == case.case_id
    assert a["/reports/police/nope"] == (
        404,
        {"error": "not_found", "detail": "no case holds a police report 'nope'"},
    )


def test_the_lookup_is_in_the_openapi() -> None:
    op = OPENAPI["paths"]["/reports/{agency}/{ref}"]["get"]
    assert {p["name"] for p in op["parameters"]} == {"agency", "ref"}
    assert set(op["responses"]) == {"200", "401", "404"}  # 401: when an access token is set
