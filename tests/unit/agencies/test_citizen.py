"""Citizen adapter (Open311 requests, 回访 answers): native -> canonical, table-driven; verification
requests -> the hotline's push; tasks refused; every refusal named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incidentbus.agencies.base import CodeTables, MappingError
from incidentbus.agencies.citizen.adapter import CitizenAdapter
from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.unit.agencies import commands

ADAPTER = CitizenAdapter()
T0 = 1_795_595_400_000  # the inbox record's log time (ms): 2026-11-25T08:30Z
GRID = "310101-002-003-07"


def request(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "msg_type": "service_request",
        "service_request_id": "20261125-00aa11bb22cc33dd",
        "service_code": "pothole",
        "requested_datetime": "2026-11-25T08:29:00+00:00",
        "lat": 31.23,
        "long": 121.47,
        "address_string": "Renmin Rd by the bus stop",
        "description": "deep pothole",
        "client": "city app",
    }
    return base | changes


def mapped(native: dict[str, Any]) -> agency_events_pb2.AgencyEvent:
    return canonical_event(ADAPTER, json.dumps(native).encode(), T0, 1_000_000)


@pytest.mark.parametrize(
    ("code", "incident_type", "category"),
    [
        ("pothole", "urban.road_damage", common_pb2.CATEGORY_URBAN_MANAGEMENT),
        ("noise-residential", "public_safety.noise_residential", common_pb2.CATEGORY_PUBLIC_SAFETY),
        ("unknown-object", "unknown.object", common_pb2.CATEGORY_UNKNOWN_OBJECT),
        ("elderly-welfare", "community.elderly_welfare", common_pb2.CATEGORY_COMMUNITY_AFFAIRS),
    ],
)
def test_a_service_code_maps_to_its_canonical_type(code: str, incident_type: str, category: int) -> None:
    report = mapped(request(service_code=code)).incident_reported
    assert (report.incident_type, report.category) == (incident_type, category)
    assert report.native_codes == {"open311.service_code": code, "open311.client": "city app"}


def test_a_point_is_placed_by_the_grid_layer_and_the_request_is_the_reference() -> None:
    event = mapped(request())
    assert event.envelope.source_ref == "20261125-00aa11bb22cc33dd"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T08:29:00Z"
    assert event.incident_reported.location.grid_code == GRID
    assert event.incident_reported.location.address == "Renmin Rd by the bus stop"


@pytest.mark.parametrize(
    ("contact", "contactable"),
    [
        ({}, False),
        ({"first_name": "Li", "last_name": "Wei"}, False),  # a name is no way to reach anyone
        ({"phone": "13800000000"}, True),
        ({"email": "li.wei@example.cn"}, True),
    ],
)
def test_the_report_says_whether_a_contact_was_left(contact: dict[str, str], contactable: bool) -> None:
    reporter = mapped(request(**contact)).incident_reported.reporter
    assert (reporter.contactable, reporter.role) == (contactable, "citizen")
    assert reporter.phone == contact.get("phone", "")  # sealed later by intake, with every personal field
    assert reporter.email == contact.get("email", "")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"service_code": "no-such"}, "intake.unknown_code"),
        ({"lat": None, "long": None}, "intake.missing_location"),
        ({"lat": None, "long": None, "address_id": "not-a-grid"}, "intake.bad_location"),
        ({"lat": 31.23, "long": None}, "intake.bad_location"),
        ({"event_status": "rehearsal"}, "intake.unknown_code"),
        ({"description": "x" * 4001}, "intake.validation"),
    ],
)
def test_a_request_that_cannot_be_mapped_is_refused_with_its_reason(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(IntakeError) as refused:
        mapped(request(**changes))
    assert refused.value.reason == reason


def test_an_exercise_request_is_a_drill_on_the_bus() -> None:
    assert mapped(request(event_status="exercise")).envelope.status == common_pb2.EVENT_STATUS_EXERCISE


@pytest.mark.parametrize(
    ("result", "body"), [("confirmed", "resolution_verified"), ("not_fixed", "resolution_disputed")]
)
def test_a_citizens_answer_verifies_or_disputes(result: str, body: str) -> None:
    native = {
        "msg_type": "verification",
        "verification_id": "C-1/v1",
        "case_id": "C-1",
        "service_request_id": "SR-1",
        "result": result,
        "score": 4,
        "comment": "still a hole" if body == "resolution_disputed" else "fixed",
        "answered_at": "2026-11-25T09:00:00+00:00",
    }
    event = mapped(native)
    assert event.WhichOneof("body") == body
    assert (event.envelope.subject, event.envelope.correlation_id) == ("C-1/v1", "C-1")
    assert event.envelope.source_ref == "C-1/v1/SR-1"
    with pytest.raises(IntakeError) as refused:
        mapped(native | {"result": "maybe"})
    assert refused.value.reason == "intake.unknown_code"


def test_a_verification_request_names_the_citizens_requests() -> None:
    command = commands.request_verification()
    command.request_verification.report_refs.extend(["SR-1", "SR-3"])
    native = ADAPTER.render_task(command)
    assert native["push_kind"] == "verification_request"
    assert native["service_request_ids"] == ["SR-1", "SR-3"]
    assert native["verification_id"] == command.request_verification.verification_id


def test_citizens_take_no_tasks() -> None:
    with pytest.raises(MappingError) as refused:
        ADAPTER.render_task(commands.dispatch("citizen", "urban.road_damage"))
    assert refused.value.reason == "dispatch.unsupported"


def test_a_service_naming_an_unknown_type_fails_when_the_table_loads() -> None:
    tables = {"services": {"x": {"type": "no.such_type", "name": "X"}}, "event_status": {"actual": "actual"}}
    with pytest.raises(ValueError, match="service 'x' needs a known `type`"):
        CitizenAdapter(CodeTables("citizen", tables)).services()


def test_cancellations_and_drills_render_like_any_agencys() -> None:
    native = ADAPTER.render_task(commands.cancel())
    assert (native["push_kind"], native["verification_id"], native["case_id"]) == (
        "withdraw",
        "task-9",
        "case-9",
    )
    drill = ADAPTER.render_task(commands.request_verification(status=common_pb2.EVENT_STATUS_EXERCISE))
    assert drill["event_status"] == "exercise"
