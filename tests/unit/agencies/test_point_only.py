"""Reports with a point and no grid code are placed by the grid layer, in every agency's format;
a point in no grid is refused (intake.bad_location) and dead-lettered with the original bytes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from incidentbus.agencies.pipeline import IntakeError, canonical_event, intake
from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.correlator.routing import route_key
from incidentbus.devtools import natives
from incidentbus.kernel.gate import Rejected
from incidentbus.kernel.grids import geojson_text, load_grid_layer, parse_grid_layer
from incidentbus.kernel.jurisdictions import load_jurisdictions, parse_jurisdictions
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.gridlayers import LAYER as TEST_LAYER
from tests.gridlayers import TABLE as TEST_TABLE
from tests.gridlayers import district_point

T0 = 1_795_595_400_000  # 2026-11-25T08:30Z
AT = datetime(2026, 11, 25, 8, 29, tzinfo=UTC)
GRID = "310101-002-003-07"
PLACED = f"location.grid_code {GRID} placed by the grid layer from the point"


def point_only(agency: str, lat: float, lon: float, ref: str = "R-1") -> dict[str, Any]:
    """A native report of `agency` with a point in its own fields and no grid code."""
    code = {
        "police": "TA1",
        "health": "TRAUMA_RTC",
        "urban": "0305",
        "community": "E01",
        "citizen": "pothole",
    }[agency]
    native = natives.report(agency, ref, code, "", AT)
    if agency == "police":
        native["location"] = {"address": "Renmin Rd", "lat": lat, "lon": lon}
    elif agency == "health":
        native |= {"grid_code": None, "coordinates": {"lat": lat, "lng": lon}}
    elif agency == "urban":
        native |= {"grid": None, "latitude": lat, "longitude": lon}
    elif agency == "citizen":
        del native["address_id"]
        native |= {"lat": lat, "long": lon}
    else:
        del native["grid_code"]
        native |= {"lat": lat, "lng": lon}
    return native


def event(native: dict[str, Any], **kwargs: Any) -> agency_events_pb2.AgencyEvent:
    """The canonical event the native's own agency makes of it (kwargs: places, grids)."""
    kinds = {"msg_type": "police", "record_type": "health", "wo_type": "urban", "report_kind": "community"}
    found = next(agency for key, agency in kinds.items() if key in native)
    adapter = load_adapter("citizen" if native.get("msg_type") == "service_request" else found)
    return canonical_event(adapter, json.dumps(native).encode(), T0, 1_000_000, **kwargs)


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_point_only_report_is_placed_in_the_grid_holding_its_point(agency: str) -> None:
    placed = event(point_only(agency, 31.23, 121.47))
    report = placed.incident_reported
    assert report.location.grid_code == GRID
    assert report.location.jurisdiction == common_pb2.JurisdictionPath(
        city="310100",
        district="310101",
        street="310101-002",
        community="310101-002-003",
        grid=GRID,
    )
    assert (report.location.point.latitude, report.location.point.longitude) == (31.23, 121.47)
    assert list(report.intake_notes) == [PLACED]
    assert route_key(placed, T0) == "310101"  # the correlator routes it like any report


@pytest.mark.parametrize("agency", AGENCIES)
@pytest.mark.parametrize(
    ("lat", "lon", "says"),
    [
        (31.19, 121.515, "lies in no grid of the layer"),  # in 310101's box, outside the sample
        (39.9, 116.4, "lies in no grid of the layer"),  # Beijing
        (0.0, 0.0, "Null Island"),
    ],
)
def test_a_point_only_report_in_no_grid_is_refused(agency: str, lat: float, lon: float, says: str) -> None:
    with pytest.raises(IntakeError) as caught:
        event(point_only(agency, lat, lon))
    assert caught.value.reason == "intake.bad_location"
    assert says in caught.value.detail


def test_a_refused_point_only_report_is_a_dead_letter_with_its_bytes() -> None:
    value = json.dumps(point_only("urban", 39.9, 116.4)).encode()
    record = RawRecord("urban.inbox.v1", 2, 41, T0, b"U-1", value)
    out = intake(load_adapter("urban"), record, BusSettings(environment="test"))
    assert isinstance(out, Rejected)
    letter = out.letter
    assert (letter.reason, letter.rejected_by, letter.phase) == ("intake.bad_location", "urban", "intake")
    assert "lies in no grid of the layer" in letter.detail
    assert (letter.original_value, letter.source_topic, letter.source_offset) == (value, "urban.inbox.v1", 41)


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_report_with_a_grid_and_a_point_keeps_its_grid(agency: str) -> None:
    native = point_only(agency, 31.23, 121.47)  # the point lies in 310101-002-003-07
    other = "310101-009-001-01"
    if agency == "police":
        native["location"]["grid"] = other
    else:
        native[
            {"health": "grid_code", "urban": "grid", "community": "grid_code", "citizen": "address_id"}[
                agency
            ]
        ] = other
    report = event(native).incident_reported
    assert report.location.grid_code == other
    assert report.location.HasField("point")
    assert list(report.intake_notes) == []


def test_neither_grid_nor_point_is_still_a_missing_location() -> None:
    native = point_only("community", 31.23, 121.47)
    del native["lat"], native["lng"]
    with pytest.raises(IntakeError) as caught:
        event(native)
    assert caught.value.reason == "intake.missing_location"


def test_the_settings_layer_places_reports_in_the_tests_fictitious_districts() -> None:
    settings = BusSettings(environment="test", jurisdictions_path=TEST_TABLE, grids_path=TEST_LAYER)
    native = point_only("police", *district_point("310199"))
    record = RawRecord("police.inbox.v1", 0, 7, T0, b"R-1", json.dumps(native).encode())
    assert not isinstance(intake(load_adapter("police"), record, settings), Rejected)
    placed = event(native, places=load_jurisdictions(TEST_TABLE), grids=load_grid_layer(TEST_LAYER))
    assert placed.incident_reported.location.grid_code == "310199-002-003-07"


def test_a_grid_the_layer_places_in_a_district_the_table_lacks_is_refused() -> None:
    layer = parse_grid_layer(
        geojson_text([("999999-001-001-01", [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)], {})])
    )
    with pytest.raises(IntakeError) as caught:
        event(point_only("health", 0.5, 0.5), grids=layer)
    assert caught.value.reason == "intake.bad_location"
    assert "999999" in caught.value.detail
    known = parse_jurisdictions('[districts]\n"999999" = { name = "elsewhere", bbox = [0, 0, 1, 1] }\n')
    placed = event(point_only("health", 0.5, 0.5), grids=layer, places=known)
    assert placed.incident_reported.location.grid_code == "999999-001-001-01"
