"""Police CAD adapter: native -> canonical field by field, codes from tables, every refusal named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.unit.agencies import commands

ADAPTER = PoliceAdapter()
T0 = 1_795_595_400_000  # the inbox record's log time (ms): 2026-11-25T08:30Z


def incident(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "msg_type": "incident",
        "incident_no": "P2026-000123",
        "type_code": "TA2",
        "priority": "P2",
        "reported_at": "2026-11-25T16:30:00+08:00",
        "location": {
            "grid": "310101-002-003-07",
            "address": "Renmin Rd / Xizang Rd",
            "lat": 31.23,
            "lon": 121.47,
        },
        "narrative": "two cars, one driver hurt",
        "caller": {"name": "Zhang San", "phone": "13800000000"},
        "injured": 1,
    }
    return base | changes


def status(code: str, **changes: Any) -> dict[str, Any]:
    base = {
        "msg_type": "status",
        "incident_no": "P2026-000123",
        "task_id": "task-1",
        "case_id": "case-1",
        "status_seq": 2,
        "status_code": code,
        "at": "2026-11-25T16:35:00+08:00",
        "unit": "PC-12",
    }
    return base | changes


def to_event(message: dict[str, Any] | bytes) -> agency_events_pb2.AgencyEvent:
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return canonical_event(ADAPTER, raw, T0, 1_000_000)


def test_incident_maps_field_by_field() -> None:
    event = to_event(incident())
    report = event.incident_reported
    assert event.envelope.source_agency == "police"
    assert event.envelope.source_ref == "P2026-000123"
    assert event.envelope.event_type == "incidentbus.v1.IncidentReported"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T08:30:00Z"
    assert event.envelope.recorded_at.ToMilliseconds() == T0
    assert (report.category, report.incident_type) == (
        common_pb2.CATEGORY_TRAFFIC,
        "traffic.collision_injury",
    )
    assert report.severity == common_pb2.SEVERITY_MAJOR
    assert report.casualties == 1
    assert report.location.grid_code == "310101-002-003-07"
    assert report.location.jurisdiction.community == "310101-002-003"
    assert report.location.jurisdiction.city == "310100"
    assert (report.location.point.latitude, report.location.point.longitude) == (31.23, 121.47)
    assert (report.reporter.name, report.reporter.phone) == ("Zhang San", "13800000000")
    assert dict(report.native_codes) == {"police.type_code": "TA2", "police.priority": "P2"}


def test_a_new_revision_is_a_new_event_and_a_repeat_is_the_same_event() -> None:
    first, again, revised = to_event(incident()), to_event(incident()), to_event(incident(revision=1))
    assert first.envelope.event_id == again.envelope.event_id
    assert first.SerializeToString(deterministic=True) == again.SerializeToString(deterministic=True)
    assert revised.envelope.event_id != first.envelope.event_id


REPLIES = [
    (status("ACK", officer="Sgt Li"), "task_acknowledged", {"acknowledged_by": "Sgt Li"}),
    (
        status("REJ", reject_code="JUR", remark="other precinct"),
        "task_declined",
        {"reason": agency_events_pb2.DECLINE_REASON_NOT_OUR_JURISDICTION, "reason_text": "other precinct"},
    ),
    (status("ENR"), "unit_dispatched", {"unit_id": "PC-12"}),
    (status("ONS"), "unit_arrived", {"unit_id": "PC-12"}),
    (status("UPD", remark="traffic diverted"), "progress_noted", {"note": "traffic diverted"}),
    (
        status("CLR", clear_code="RPT", remark="cleared"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_RESOLVED, "summary": "cleared"},
    ),
    (
        status("AST", assist_agency="health", remark="injured driver"),
        "assistance_requested",
        {"requested_agency": "health", "reason": "injured driver"},
    ),
]


@pytest.mark.parametrize(("native", "body", "fields"), REPLIES, ids=[r[1] for r in REPLIES])
def test_status_codes_map_to_task_events(native: dict[str, Any], body: str, fields: dict[str, Any]) -> None:
    event = to_event(native)
    assert event.WhichOneof("body") == body
    message = getattr(event, body)
    assert (message.task_id, message.case_id) == ("task-1", "case-1")
    for name, value in fields.items():
        assert getattr(message, name) == value, name
    assert event.envelope.source_ref == "P2026-000123/status/2"
    assert event.envelope.correlation_id == "case-1"


REFUSALS = [
    (b"\xff\xfe\x00", "intake.encoding"),
    (b"{not json", "intake.json"),
    (b"[1, 2]", "intake.not_object"),
    (b"", "intake.empty"),
    (b"x" * 2_000_000, "intake.oversized"),
    (incident(type_code="ZZ9"), "intake.unknown_code"),
    (incident(priority="P9"), "intake.unknown_code"),
    (status("XXX"), "intake.unknown_code"),
    (status("REJ", reject_code="???"), "intake.unknown_code"),
    (incident(location={"address": "somewhere"}), "intake.missing_location"),
    (incident(location={"grid": "nowhere"}), "intake.bad_location"),
    (incident(location={"grid": "310101-002-003-07", "lat": 91.0, "lon": 0.0}), "intake.bad_location"),
    (incident(location={"grid": "310101-002-003-07", "lat": 31.0}), "intake.bad_location"),
    (incident(injured="2"), "intake.validation"),
    (incident(injured=-1), "intake.validation"),
    (incident(reported_at="2026-11-25T24:30:00+08:00"), "intake.validation"),
    (incident(msg_type="weather"), "intake.validation"),
    ({k: v for k, v in incident().items() if k != "incident_no"}, "intake.validation"),
]


@pytest.mark.parametrize(("native", "reason"), REFUSALS)
def test_every_bad_input_is_refused_with_its_reason(native: dict[str, Any] | bytes, reason: str) -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(native)
    assert caught.value.reason == reason


def test_refusal_detail_names_the_field_but_not_the_value() -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(incident(caller={"name": 42, "phone": "13800000000"}))
    assert "caller.name" in caught.value.detail
    assert "13800000000" not in caught.value.detail


def test_a_claimed_time_a_day_ahead_of_the_bus_is_refused() -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(incident(reported_at="2999-01-01T00:00:00+00:00"))
    assert caught.value.reason == "intake.future_time"
    assert to_event(
        incident(reported_at="2025-11-25T16:00:00+08:00")
    ).incident_reported  # late is fine: a fact


def test_dispatch_renders_an_assignment_with_the_place_and_the_point() -> None:
    rendered = ADAPTER.render_task(
        commands.dispatch(
            "police", "traffic.collision_injury", common_pb2.SEVERITY_CRITICAL, point=(31.2, 121.4)
        )
    )
    assert rendered == {
        "msg_type": "assignment",
        "task_id": "task-9",
        "case_id": "case-9",
        "type_code": "TA2",
        "bus_incident_type": "traffic.collision_injury",
        "priority": "P1",
        "role": "lead",
        "location": {"grid": commands.GRID, "address": "No. 5 Lane 100", "lat": 31.2, "lon": 121.4},
        "narrative": "see the case",
        "deadlines": commands.DEADLINES,
    }


def test_dispatch_without_a_point_gives_the_place_as_the_cad_writes_it() -> None:
    rendered = ADAPTER.render_task(commands.dispatch("police", "medical.cardiac"))
    assert rendered["location"] == {"grid": commands.GRID, "address": "No. 5 Lane 100"}
    assert (rendered["type_code"], rendered["bus_incident_type"]) == (None, "medical.cardiac")


def test_cancel_renders_a_cancellation() -> None:
    assert ADAPTER.render_task(commands.cancel()) == {
        "msg_type": "cancel",
        "task_id": "task-9",
        "case_id": "case-9",
        "reason": "merged",
    }
