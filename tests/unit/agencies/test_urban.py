"""Urban management adapter: work orders and progress steps -> canonical, tasks -> assignments."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incidentbus.agencies.base import MappingError
from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.agencies.urban.adapter import UrbanAdapter
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.unit.agencies import commands

ADAPTER = UrbanAdapter()
T0 = 1_795_595_400_000  # the inbox record's log time (ms): 2026-11-25T08:30Z


def order(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "wo_type": "NEW",
        "work_order_id": "WO-2026-11-00871",
        "rev": 0,
        "category_code": "0305",
        "urgency": "JJ",
        "channel": "12345",
        "grid": "310101-002-003-07",
        "address": "outside No. 5 Lane 100",
        "longitude": 121.47,
        "latitude": 31.23,
        "photos": ["s3://urban/wo/00871/1.jpg", "s3://urban/wo/00871/2.jpg"],
        "description": "manhole cover missing on the pavement",
        "citizen": {"name": "Wang Wu", "mobile": "13700000000"},
        "created": "2026-11-25T09:05:00+08:00",
    }
    return base | changes


def progress(step: str, **changes: Any) -> dict[str, Any]:
    base = {
        "wo_type": "PROGRESS",
        "work_order_id": "WO-2026-11-00900",
        "assign_no": "task-1",
        "case_no": "case-1",
        "step_seq": 4,
        "step_code": step,
        "step_time": "2026-11-25T09:40:00+08:00",
        "team": "Squad-3",
    }
    return base | changes


def to_event(message: dict[str, Any] | bytes) -> agency_events_pb2.AgencyEvent:
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return canonical_event(ADAPTER, raw, T0, 1_000_000)


def test_work_order_maps_field_by_field() -> None:
    event = to_event(order())
    report = event.incident_reported
    assert event.envelope.source_agency == "urban"
    assert event.envelope.source_ref == "WO-2026-11-00871"
    assert event.envelope.event_type == "incidentbus.v1.IncidentReported"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T01:05:00Z"
    assert event.envelope.recorded_at.ToMilliseconds() == T0
    assert (report.category, report.incident_type) == (
        common_pb2.CATEGORY_URBAN_MANAGEMENT,
        "urban.manhole_cover",
    )
    assert report.severity == common_pb2.SEVERITY_MAJOR
    assert list(report.media_refs) == ["s3://urban/wo/00871/1.jpg", "s3://urban/wo/00871/2.jpg"]
    assert report.description == "manhole cover missing on the pavement"
    assert report.location.grid_code == "310101-002-003-07"
    assert report.location.address == "outside No. 5 Lane 100"
    assert report.location.jurisdiction.district == "310101"
    assert (report.location.point.latitude, report.location.point.longitude) == (31.23, 121.47)
    assert (report.reporter.name, report.reporter.phone, report.reporter.role) == (
        "Wang Wu",
        "13700000000",
        "citizen",
    )
    assert dict(report.native_codes) == {
        "urban.category_code": "0305",
        "urban.urgency": "JJ",
        "urban.channel": "12345",
    }


CATEGORIES = [
    ("0101", "urban.garbage", common_pb2.CATEGORY_URBAN_MANAGEMENT),
    ("0203", "traffic.road_obstruction", common_pb2.CATEGORY_TRAFFIC),
    ("0402", "urban.illegal_construction", common_pb2.CATEGORY_URBAN_MANAGEMENT),
    ("0501", "hazard.flooding", common_pb2.CATEGORY_HAZARD),
    ("0902", "unknown.liquid", common_pb2.CATEGORY_UNKNOWN_LIQUID),
]


@pytest.mark.parametrize(("code", "incident_type", "category"), CATEGORIES)
def test_category_codes_map_to_incident_types(code: str, incident_type: str, category: int) -> None:
    report = to_event(order(category_code=code)).incident_reported
    assert (report.incident_type, report.category) == (incident_type, category)


@pytest.mark.parametrize(
    ("urgency", "severity"),
    [
        ("TJ", common_pb2.SEVERITY_CRITICAL),
        ("JJ", common_pb2.SEVERITY_MAJOR),
        ("YB", common_pb2.SEVERITY_MODERATE),
        ("HB", common_pb2.SEVERITY_MINOR),
    ],
)
def test_urgency_sets_the_severity(urgency: str, severity: int) -> None:
    assert to_event(order(urgency=urgency)).incident_reported.severity == severity


def test_without_urgency_the_incident_types_default_severity_applies() -> None:
    message = {k: v for k, v in order(category_code="0101").items() if k != "urgency"}
    report = to_event(message).incident_reported
    assert report.severity == common_pb2.SEVERITY_MINOR  # urban.garbage's default
    assert "urban.urgency" not in report.native_codes


def test_an_order_without_photos_point_or_citizen_is_still_an_order() -> None:
    skip = ("photos", "longitude", "latitude", "citizen", "channel")
    report = to_event({k: v for k, v in order().items() if k not in skip}).incident_reported
    assert list(report.media_refs) == []
    assert not report.location.HasField("point")
    assert not report.HasField("reporter")


def test_a_new_rev_is_a_new_event_and_a_repeat_is_the_same_event() -> None:
    first, again, revised = to_event(order()), to_event(order()), to_event(order(rev=2))
    assert first.envelope.event_id == again.envelope.event_id
    assert first.SerializeToString(deterministic=True) == again.SerializeToString(deterministic=True)
    assert revised.envelope.source_revision == 2
    assert revised.envelope.event_id != first.envelope.event_id


REPLIES = [
    (progress("SIGNED", handler="Officer Zhao"), "task_acknowledged", {"acknowledged_by": "Officer Zhao"}),
    (
        progress("RETURNED", return_reason="R02", opinion="private property", transfer_to="community"),
        "task_declined",
        {
            "reason": agency_events_pb2.DECLINE_REASON_NOT_OUR_RESPONSIBILITY,
            "reason_text": "private property",
            "suggested_agency": "community",
        },
    ),
    (progress("DISPATCHED"), "unit_dispatched", {"unit_id": "Squad-3"}),
    (progress("ARRIVED"), "unit_arrived", {"unit_id": "Squad-3"}),
    (progress("NOTE", opinion="cordoned off"), "progress_noted", {"note": "cordoned off"}),
    (
        progress("FINISHED", finish_result="F01", opinion="cover replaced"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_RESOLVED, "summary": "cover replaced"},
    ),
    (
        progress("FINISHED", finish_result="F04"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_UNFOUNDED},
    ),
    (
        progress("TRANSFER", transfer_to="police", opinion="traffic control needed"),
        "assistance_requested",
        {"requested_agency": "police", "reason": "traffic control needed"},
    ),
]


@pytest.mark.parametrize(("native", "body", "fields"), REPLIES, ids=[r[1] for r in REPLIES])
def test_progress_steps_map_to_task_events(native: dict[str, Any], body: str, fields: dict[str, Any]) -> None:
    event = to_event(native)
    assert event.WhichOneof("body") == body
    message = getattr(event, body)
    assert (message.task_id, message.case_id) == ("task-1", "case-1")
    for name, value in fields.items():
        assert getattr(message, name) == value, name
    assert event.envelope.source_ref == "WO-2026-11-00900/progress/4"
    assert event.envelope.subject == "task-1"
    assert event.envelope.correlation_id == "case-1"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T01:40:00Z"


def test_progress_without_own_work_order_is_referenced_by_its_assignment() -> None:
    event = to_event({k: v for k, v in progress("SIGNED").items() if k != "work_order_id"})
    assert event.envelope.source_ref == "task-1/progress/4"
    assert event.task_acknowledged.acknowledged_by == "Squad-3"


def test_dispatch_renders_a_work_order_assignment() -> None:
    rendered = ADAPTER.render_task(
        commands.dispatch("urban", "urban.garbage", common_pb2.SEVERITY_MODERATE, point=(31.2, 121.4))
    )
    assert rendered == {
        "wo_type": "ASSIGN",
        "assign_no": "task-9",
        "case_no": "case-9",
        "category_code": "0101",  # the first code of urban.garbage
        "bus_incident_type": "urban.garbage",
        "urgency": "YB",
        "role": "lead",
        "grid": commands.GRID,
        "address": "No. 5 Lane 100",
        "longitude": 121.4,
        "latitude": 31.2,
        "description": "see the case",
        "deadlines": commands.DEADLINES,
    }


def test_dispatch_of_a_type_urban_has_no_code_for_keeps_the_canonical_type() -> None:
    rendered = ADAPTER.render_task(commands.dispatch("urban", "medical.cardiac"))
    assert (rendered["category_code"], rendered["bus_incident_type"]) == (None, "medical.cardiac")
    assert (rendered["longitude"], rendered["latitude"]) == (None, None)


def test_cancel_renders_a_revocation() -> None:
    assert ADAPTER.render_task(commands.cancel()) == {
        "wo_type": "REVOKE",
        "assign_no": "task-9",
        "case_no": "case-9",
        "reason": "merged",
    }


def test_verification_requests_are_not_for_urban_management() -> None:
    with pytest.raises(MappingError) as caught:
        ADAPTER.render_task(commands.request_verification())
    assert caught.value.reason == "dispatch.unsupported"


REFUSALS = [
    (b"\xff\xfe\x00", "intake.encoding"),
    (b"{not json", "intake.json"),
    (b"null", "intake.not_object"),
    (b"", "intake.empty"),
    (b"x" * 2_000_000, "intake.oversized"),
    (order(category_code="9999"), "intake.unknown_code"),
    (order(category_code="305"), "intake.unknown_code"),  # the leading zero is part of the code
    (order(urgency="ASAP"), "intake.unknown_code"),
    (progress("CLOSED"), "intake.unknown_code"),
    (progress("RETURNED", return_reason="R42"), "intake.unknown_code"),
    (progress("FINISHED"), "intake.unknown_code"),  # a finish must give its result
    (
        {k: v for k, v in order().items() if k not in ("grid", "latitude", "longitude")},
        "intake.missing_location",
    ),
    (order(grid="", latitude=None, longitude=None), "intake.missing_location"),
    (order(grid="310101002003007"), "intake.bad_location"),
    (order(latitude=None), "intake.bad_location"),
    (order(category_code=305), "intake.validation"),
    (order(photos="s3://one.jpg"), "intake.validation"),
    (order(photos=[""]), "intake.validation"),
    (order(photos=[f"p{i}" for i in range(21)]), "intake.validation"),
    (order(rev=-1), "intake.validation"),
    (order(created="2026-11-25T09:65:00+08:00"), "intake.validation"),
    (order(wo_type="CLOSE"), "intake.validation"),
    ({k: v for k, v in order().items() if k != "wo_type"}, "intake.validation"),
    ({k: v for k, v in order().items() if k != "category_code"}, "intake.validation"),
    ({k: v for k, v in progress("SIGNED").items() if k != "case_no"}, "intake.validation"),
    (progress("SIGNED", step_seq="4"), "intake.validation"),
]


@pytest.mark.parametrize(("native", "reason"), REFUSALS)
def test_every_bad_input_is_refused_with_its_reason(native: dict[str, Any] | bytes, reason: str) -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(native)
    assert caught.value.reason == reason


def test_refusal_detail_names_the_field_but_not_the_value() -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(order(citizen={"name": "Wang Wu", "mobile": 13700000000}))
    assert "citizen.mobile" in caught.value.detail
    assert "13700000000" not in caught.value.detail
