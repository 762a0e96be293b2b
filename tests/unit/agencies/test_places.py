"""Locations mean something: meaningless points are dropped (and noted), unknown districts refused.

The jurisdiction tables (shipped, tests', benchmark's) cover every district their users report in.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bench.places import TABLE as BENCH_TABLE
from bench.places import lattice_table

from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.agencies.places import NULL_ISLAND
from incidentbus.agencies.registry import load_adapter
from incidentbus.correlator.routing import UnroutableError, route_key
from incidentbus.devtools import natives
from incidentbus.kernel.jurisdictions import (
    SHIPPED,
    JurisdictionsError,
    load_jurisdictions,
    parse_jurisdictions,
    shipped_jurisdictions,
)
from incidentbus.kernel.settings import REPO_ROOT, BusSettings
from incidentbus.v1 import agency_events_pb2

T0 = 1_795_595_400_000  # 2026-11-25T08:30Z
AT = datetime(2026, 11, 25, 8, 29, tzinfo=UTC)
TEST_TABLE = REPO_ROOT / "tests" / "jurisdictions.toml"
GRID_CODE = re.compile(r"\b(\d{6})-\d{3}-\d{3}-\d{2}\b")


def report(agency: str, native: dict[str, Any]) -> agency_events_pb2.IncidentReported:
    event = canonical_event(load_adapter(agency), json.dumps(native).encode(), T0, 1_000_000)
    return event.incident_reported


def police(grid: str, **place: Any) -> dict[str, Any]:
    return natives.report("police", "P-1", "TA1", grid, AT, location={"grid": grid, **place})


def health(grid: str, lat: float, lng: float) -> dict[str, Any]:
    return natives.report("health", "H-1", "TRAUMA_RTC", grid, AT, coordinates={"lat": lat, "lng": lng})


def test_null_island_is_no_point_and_two_grids_do_not_become_one_place() -> None:
    first = report("police", police("310101-001-001-01", lat=0.0, lon=0.0))
    second = report("health", health("310101-009-009-09", 0.0, 0.0))
    for r in (first, second):
        assert not r.location.HasField("point")
        assert list(r.intake_notes) == [NULL_ISLAND]
    assert (first.location.grid_code, second.location.grid_code) == ("310101-001-001-01", "310101-009-009-09")


@pytest.mark.parametrize(
    ("agency", "native"),
    [
        ("police", police("310101-002-003-07", lat=39.9, lon=116.4)),  # Beijing
        ("health", health("310101-002-003-07", 31.23, -121.47)),  # a sign lost
        (
            "urban",
            natives.report("urban", "U-1", "0101", "310104-001-001-01", AT, latitude=31.6, longitude=121.4),
        ),
        (
            "community",
            natives.report("community", "G-1", "E01", "310101-001-001-01", AT, lat=31.0, lng=121.9),
        ),
    ],
)
def test_a_point_far_outside_the_grids_district_is_dropped_and_noted(
    agency: str, native: dict[str, Any]
) -> None:
    r = report(agency, native)
    assert not r.location.HasField("point")
    [note] = r.intake_notes
    assert note.startswith("location.point (")
    assert f"dropped: more than 0.05° outside district {r.location.jurisdiction.district}" in note
    assert r.location.grid_code  # the grid still places the report


def test_a_point_in_the_district_or_within_the_margin_is_kept() -> None:
    inside = report("police", police("310101-002-003-07", lat=31.23, lon=121.47))
    near = report("police", police("310101-002-003-07", lat=31.29, lon=121.47))  # 0.03° past the box
    for r in (inside, near):
        assert r.location.HasField("point")
        assert list(r.intake_notes) == []


def test_a_district_the_bus_does_not_know_is_refused_with_its_code() -> None:
    with pytest.raises(IntakeError) as caught:
        report("police", police("999999-001-001-01"))
    assert caught.value.reason == "intake.bad_location"
    assert "999999" in caught.value.detail


def test_another_table_can_be_given() -> None:
    table = parse_jurisdictions('[districts]\n"999999" = { name = "elsewhere", bbox = [0, 0, 1, 1] }\n')
    native = police("999999-001-001-01", lat=0.5, lon=0.5)
    event = canonical_event(load_adapter("police"), json.dumps(native).encode(), T0, 1_000_000, table)
    assert event.incident_reported.location.HasField("point")


def test_the_router_refuses_a_report_written_straight_to_events_in_an_unknown_district() -> None:
    good = canonical_event(
        load_adapter("police"), json.dumps(police("310101-001-001-01")).encode(), T0, 10**6
    )
    assert route_key(good, T0) == "310101"
    good.incident_reported.location.jurisdiction.district = "999999"
    with pytest.raises(UnroutableError) as caught:
        route_key(good, T0)
    assert caught.value.reason == "correlator.unknown_jurisdiction"
    assert (
        route_key(good, T0, parse_jurisdictions('[districts]\n"999999" = {name="x", bbox=[0,0,1,1]}'))
        == "999999"
    )


@pytest.mark.parametrize(
    "text",
    [
        '[districts]\n"31010" = { name = "x", bbox = [0, 0, 1, 1] }',
        '[districts]\n"310101" = { name = "x", bbox = [1, 0, 0, 1] }',
        '[districts]\n"310101" = { name = "x", bbox = [0, 0, 91, 1] }',
        '[districts]\n"310101" = { name = "x" }',
        "districts = [",
    ],
)
def test_a_malformed_table_is_refused(text: str) -> None:
    with pytest.raises(JurisdictionsError):
        parse_jurisdictions(text)


def test_the_shipped_table_knows_shanghais_sixteen_districts_and_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("INCIDENTBUS_JURISDICTIONS_PATH", raising=False)  # integration tests set it
    places = shipped_jurisdictions()
    assert len(places.districts) == 16
    assert places.district("310115") is not None
    assert places.district("310102") is None  # 南市, merged into Huangpu in 2000
    assert BusSettings().jurisdictions_path == SHIPPED


def test_the_tests_table_holds_every_shipped_district_unchanged() -> None:
    tests, shipped = load_jurisdictions(TEST_TABLE), shipped_jurisdictions()
    assert {c: tests.districts[c] for c in shipped.districts} == shipped.districts
    assert tests.margin == shipped.margin


def _districts_in(folder: Path) -> set[str]:
    return {m for path in folder.rglob("*.py") for m in GRID_CODE.findall(path.read_text("utf-8"))}


@pytest.mark.parametrize(
    ("folder", "table"),
    [
        ("services/incidentbus/demo", SHIPPED),
        ("services/incidentbus/devtools", SHIPPED),
        ("tests/integration", TEST_TABLE),
    ],
)
def test_every_district_a_user_reports_in_is_in_its_table(folder: str, table: Path) -> None:
    used = _districts_in(REPO_ROOT / folder)
    assert used, folder
    assert used - set(load_jurisdictions(table).districts) == set()


def test_the_benchmarks_table_is_generated_from_its_lattice() -> None:
    assert BENCH_TABLE.read_text("utf-8") == lattice_table(), (
        "run: python -m bench.places > bench/jurisdictions.toml"
    )
    bench = load_jurisdictions(BENCH_TABLE)
    assert {f"31010{n}" for n in range(1, 7)} | {f"3101{n}" for n in range(11, 17)} == set(bench.districts)
    assert bench.contains("310101", 40.0, -75.7)
    assert not bench.contains("310101", 40.3, -75.7)
