"""Health (120) adapter: calls and task updates -> canonical, tasks -> dispatch orders, refusals named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incidentbus.agencies.base import MappingError
from incidentbus.agencies.health.adapter import HealthAdapter
from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.unit.agencies import commands

ADAPTER = HealthAdapter()
T0 = 1_795_595_400_000  # the inbox record's log time (ms): 2026-11-25T08:30Z


def call(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "record_type": "CALL",
        "call_id": "120-20261125-0042",
        "version": 0,
        "chief_complaint_code": "TRAUMA_RTC",
        "triage_level": 2,
        "patient_count": 2,
        "call_time": "2026-11-25T16:31:00+08:00",
        "address": "Renmin Rd / Xizang Rd",
        "grid_code": "310101-002-003-07",
        "coordinates": {"lat": 31.23, "lng": 121.47},
        "caller_name": "Li Si",
        "caller_phone": "13900000000",
        "notes": "car hit a cyclist, two hurt",
    }
    return base | changes


def update(status: str, **changes: Any) -> dict[str, Any]:
    base = {
        "record_type": "TASK_UPDATE",
        "call_id": "120-20261125-0042",
        "dispatch_id": "task-1",
        "case_id": "case-1",
        "update_no": 3,
        "status": status,
        "update_time": "2026-11-25T16:36:00+08:00",
        "ambulance_id": "AMB-07",
    }
    return base | changes


def to_event(message: dict[str, Any] | bytes) -> agency_events_pb2.AgencyEvent:
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return canonical_event(ADAPTER, raw, T0, 1_000_000)


def test_call_maps_field_by_field() -> None:
    event = to_event(call())
    report = event.incident_reported
    assert event.envelope.source_agency == "health"
    assert event.envelope.source_ref == "120-20261125-0042"
    assert event.envelope.source_revision == 0
    assert event.envelope.event_type == "incidentbus.v1.IncidentReported"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T08:31:00Z"
    assert event.envelope.recorded_at.ToMilliseconds() == T0
    assert (report.category, report.incident_type) == (
        common_pb2.CATEGORY_TRAFFIC,
        "traffic.collision_injury",
    )
    assert report.severity == common_pb2.SEVERITY_MAJOR
    assert report.patient_count == 2
    assert report.casualties == 0
    assert report.description == "car hit a cyclist, two hurt"
    assert report.location.grid_code == "310101-002-003-07"
    assert report.location.address == "Renmin Rd / Xizang Rd"
    assert report.location.jurisdiction.street == "310101-002"
    assert (report.location.point.latitude, report.location.point.longitude) == (31.23, 121.47)
    assert (report.reporter.name, report.reporter.phone, report.reporter.role) == (
        "Li Si",
        "13900000000",
        "caller",
    )
    assert dict(report.native_codes) == {"health.chief_complaint": "TRAUMA_RTC", "health.triage": "2"}


COMPLAINTS = [
    ("TRAUMA", "medical.injury", common_pb2.CATEGORY_MEDICAL),
    ("CARDIAC", "medical.cardiac", common_pb2.CATEGORY_MEDICAL),
    ("BREATHING", "medical.breathing", common_pb2.CATEGORY_MEDICAL),
    ("UNCONSCIOUS", "medical.unconscious", common_pb2.CATEGORY_MEDICAL),
    ("FOOD_POISON", "public_health.food_poisoning", common_pb2.CATEGORY_PUBLIC_HEALTH),
    ("CLUSTER_FEVER", "unknown.disease", common_pb2.CATEGORY_UNKNOWN_DISEASE),
]


@pytest.mark.parametrize(("code", "incident_type", "category"), COMPLAINTS)
def test_chief_complaints_map_to_incident_types(code: str, incident_type: str, category: int) -> None:
    report = to_event(call(chief_complaint_code=code)).incident_reported
    assert (report.incident_type, report.category) == (incident_type, category)


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        (1, common_pb2.SEVERITY_CRITICAL),
        (2, common_pb2.SEVERITY_MAJOR),
        (3, common_pb2.SEVERITY_MODERATE),
        (4, common_pb2.SEVERITY_MINOR),
    ],
)
def test_triage_level_sets_the_severity(level: int, severity: int) -> None:
    assert to_event(call(triage_level=level)).incident_reported.severity == severity


def test_a_call_without_coordinates_or_caller_is_located_by_grid() -> None:
    message = {k: v for k, v in call().items() if k not in ("coordinates", "caller_name", "caller_phone")}
    report = to_event(message).incident_reported
    assert not report.location.HasField("point")
    assert report.location.jurisdiction.grid == "310101-002-003-07"
    assert (report.reporter.name, report.reporter.phone) == ("", "")


def test_a_new_version_is_a_new_event_and_a_repeat_is_the_same_event() -> None:
    first, again, revised = to_event(call()), to_event(call()), to_event(call(version=1))
    assert first.envelope.event_id == again.envelope.event_id
    assert first.SerializeToString(deterministic=True) == again.SerializeToString(deterministic=True)
    assert revised.envelope.source_revision == 1
    assert revised.envelope.event_id != first.envelope.event_id


REPLIES = [
    (update("accepted", crew_lead="Dr Wang"), "task_acknowledged", {"acknowledged_by": "Dr Wang"}),
    (update("accepted"), "task_acknowledged", {"acknowledged_by": "AMB-07"}),
    (
        update("refused", refusal_code="NO_AMBULANCE", comment="all units busy"),
        "task_declined",
        {"reason": agency_events_pb2.DECLINE_REASON_NO_CAPACITY, "reason_text": "all units busy"},
    ),
    (
        update("refused", refusal_code="OUT_OF_AREA"),
        "task_declined",
        {"reason": agency_events_pb2.DECLINE_REASON_NOT_OUR_JURISDICTION},
    ),
    (update("ambulance_assigned"), "unit_dispatched", {"unit_id": "AMB-07"}),
    (update("arrived"), "unit_arrived", {"unit_id": "AMB-07"}),
    (update("note", comment="patient stable"), "progress_noted", {"note": "patient stable"}),
    (update("transporting", comment="to Ruijin"), "progress_noted", {"note": "to Ruijin"}),
    (
        update("completed", outcome_code="TRANSPORTED", comment="handed to ER"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_RESOLVED, "summary": "handed to ER"},
    ),
    (
        update("completed", outcome_code="NO_PATIENT"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_UNFOUNDED},
    ),
    (
        update("need_support", support_agency="police", comment="crowd"),
        "assistance_requested",
        {"requested_agency": "police", "reason": "crowd"},
    ),
]


@pytest.mark.parametrize(("native", "body", "fields"), REPLIES, ids=[r[1] for r in REPLIES])
def test_update_statuses_map_to_task_events(
    native: dict[str, Any], body: str, fields: dict[str, Any]
) -> None:
    event = to_event(native)
    assert event.WhichOneof("body") == body
    message = getattr(event, body)
    assert (message.task_id, message.case_id) == ("task-1", "case-1")
    for name, value in fields.items():
        assert getattr(message, name) == value, name
    assert event.envelope.source_ref == "120-20261125-0042/update/3"
    assert event.envelope.subject == "task-1"
    assert event.envelope.correlation_id == "case-1"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T08:36:00Z"


def test_an_update_without_call_id_is_referenced_by_its_dispatch() -> None:
    event = to_event({k: v for k, v in update("accepted").items() if k != "call_id"})
    assert event.envelope.source_ref == "task-1/update/3"


def test_dispatch_renders_a_120_dispatch_order() -> None:
    rendered = ADAPTER.render_task(
        commands.dispatch("health", "medical.cardiac", common_pb2.SEVERITY_CRITICAL, point=(31.2, 121.4))
    )
    assert rendered == {
        "record_type": "DISPATCH",
        "dispatch_id": "task-9",
        "case_id": "case-9",
        "chief_complaint_code": "CARDIAC",
        "bus_incident_type": "medical.cardiac",
        "triage_level": 1,
        "role": "lead",
        "grid_code": commands.GRID,
        "address": "No. 5 Lane 100",
        "coordinates": {"lat": 31.2, "lng": 121.4},
        "notes": "see the case",
        "deadlines": commands.DEADLINES,
    }


def test_dispatch_uses_the_first_code_of_a_type_and_null_for_codes_it_lacks() -> None:
    injury = ADAPTER.render_task(commands.dispatch("health", "medical.injury", common_pb2.SEVERITY_MODERATE))
    assert (injury["chief_complaint_code"], injury["triage_level"]) == ("TRAUMA", 3)
    assert injury["coordinates"] is None
    other = ADAPTER.render_task(commands.dispatch("health", "urban.garbage", common_pb2.SEVERITY_UNSPECIFIED))
    assert (other["chief_complaint_code"], other["triage_level"]) == (None, None)
    assert other["bus_incident_type"] == "urban.garbage"


def test_cancel_renders_a_stand_down() -> None:
    assert ADAPTER.render_task(commands.cancel()) == {
        "record_type": "STAND_DOWN",
        "dispatch_id": "task-9",
        "case_id": "case-9",
        "reason": "merged",
    }


def test_verification_requests_are_not_for_the_ambulance_service() -> None:
    with pytest.raises(MappingError) as caught:
        ADAPTER.render_task(commands.request_verification())
    assert caught.value.reason == "dispatch.unsupported"


REFUSALS = [
    (b"\xff\xfe\x00", "intake.encoding"),
    (b"{not json", "intake.json"),
    (b'"CALL"', "intake.not_object"),
    (b"", "intake.empty"),
    (b"x" * 2_000_000, "intake.oversized"),
    (call(chief_complaint_code="HEADACHE_XYZ"), "intake.unknown_code"),
    (call(triage_level=5), "intake.unknown_code"),
    (update("teleported"), "intake.unknown_code"),
    (update("refused", refusal_code="BAD_WEATHER"), "intake.unknown_code"),
    (update("refused"), "intake.unknown_code"),  # a refusal must say why
    (update("completed", outcome_code="???"), "intake.unknown_code"),
    ({k: v for k, v in call().items() if k not in ("grid_code", "coordinates")}, "intake.missing_location"),
    (call(grid_code="310101-2-3-7"), "intake.bad_location"),
    (call(coordinates={"lat": 31.2, "lng": 181.0}), "intake.bad_location"),
    (call(coordinates={"lat": 31.2}), "intake.validation"),
    (call(triage_level=0), "intake.validation"),
    (call(triage_level="1"), "intake.validation"),
    (call(patient_count=-1), "intake.validation"),
    (call(patient_count=1.5), "intake.validation"),
    (call(call_time="2026-11-31T16:31:00+08:00"), "intake.validation"),
    (call(record_type="call"), "intake.validation"),
    (call(record_type="INCIDENT"), "intake.validation"),
    ({k: v for k, v in call().items() if k != "call_id"}, "intake.validation"),
    (call(call_id=""), "intake.validation"),
    ({k: v for k, v in update("accepted").items() if k != "dispatch_id"}, "intake.validation"),
    (update("accepted", update_no=-1), "intake.validation"),
]


@pytest.mark.parametrize(("native", "reason"), REFUSALS)
def test_every_bad_input_is_refused_with_its_reason(native: dict[str, Any] | bytes, reason: str) -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(native)
    assert caught.value.reason == reason


def test_refusal_detail_names_the_field_but_not_the_value() -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(call(caller_phone=13900000000))
    assert "caller_phone" in caught.value.detail
    assert "13900000000" not in caught.value.detail
