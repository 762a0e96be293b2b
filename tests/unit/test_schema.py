"""Reflection over the generated schema: event types, wrappers and sensitive fields."""

from __future__ import annotations

import pytest

from incidentbus.kernel.schema import all_event_types, body_types, message_class, sensitive_paths, wire_type
from incidentbus.v1 import agency_events_pb2, bus_pb2, case_events_pb2


def test_sensitive_fields_are_found_from_the_schema_options() -> None:
    paths = set(sensitive_paths(agency_events_pb2.AgencyEvent.DESCRIPTOR))
    assert paths == {
        "incident_reported.reporter.name",
        "incident_reported.reporter.phone",
        "incident_reported.reporter.id_number",
        "incident_reported.reporter.email",
    }


def test_no_case_or_task_message_carries_sensitive_fields() -> None:
    for wrapper in (
        case_events_pb2.CaseEvent,
        case_events_pb2.CaseSnapshot,
        bus_pb2.TaskCommand,
        bus_pb2.AlertRaised,
    ):
        assert list(sensitive_paths(wrapper.DESCRIPTOR)) == [], wrapper.DESCRIPTOR.full_name


def test_every_agency_and_case_event_named_by_the_domain_exists() -> None:
    types = all_event_types()
    wanted = [
        "IncidentReported",
        "TaskAcknowledged",
        "TaskDeclined",
        "UnitDispatched",
        "UnitArrived",
        "ProgressNoted",
        "TaskCompleted",
        "AssistanceRequested",
        "ResolutionVerified",
        "ResolutionDisputed",
        "CaseOpened",
        "ReportLinked",
        "TaskAssigned",
        "CaseEscalated",
        "ResponseLevelChanged",
        "CaseResolved",
        "CaseClosed",
        "CaseReopened",
        "CasesMerged",
        "CaseSplit",
        "AlertRaised",
        "DeadLetter",
    ]
    missing = [name for name in wanted if f"incidentbus.v1.{name}" not in types]
    assert missing == []


def test_body_types_follow_field_numbers() -> None:
    assert body_types(agency_events_pb2.AgencyEvent)[0] == "incidentbus.v1.IncidentReported"
    assert body_types(bus_pb2.DeadLetter) == ["incidentbus.v1.DeadLetter"]


def test_lookups_fail_loudly() -> None:
    with pytest.raises(KeyError):
        message_class("incidentbus.v1.NoSuchThing")
    with pytest.raises(ValueError, match="not a bus message"):
        wire_type("incidentbus.v1.Location")
