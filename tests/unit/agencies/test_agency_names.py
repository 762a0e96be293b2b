"""Names of other agencies come from each agency's `[agencies]` table: unknown ones never pass through.

An assistance request naming an unknown agency is refused; a decline is a fact, so it is kept,
without the unknown transfer suggestion, and the refusal is written into its text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.agencies.registry import load_adapter
from incidentbus.devtools import natives
from incidentbus.v1 import agency_events_pb2

T0 = 1_795_595_400_000
AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def event(agency: str, native: dict[str, Any]) -> agency_events_pb2.AgencyEvent:
    return canonical_event(load_adapter(agency), json.dumps(native).encode(), T0, 1_000_000)


def reply(agency: str, kind: str, other: str, note: str = "") -> dict[str, Any]:
    return natives.reply(agency, kind, "T-1", "C-1", seq=1, at=AT, other_agency=other, note=note)


ASSISTS = [
    ("police", "120", "health"),
    ("police", "urban", "urban"),
    ("health", "POLICE", "police"),
    ("urban", "GA", "police"),
    ("urban", "SQ", "community"),
    ("community", "派出所", "police"),
]


@pytest.mark.parametrize(("agency", "native_name", "canonical"), ASSISTS)
def test_an_assistance_request_names_the_agency_in_the_buses_terms(
    agency: str, native_name: str, canonical: str
) -> None:
    assert (
        event(agency, reply(agency, "assist", native_name)).assistance_requested.requested_agency == canonical
    )


@pytest.mark.parametrize("agency", ["police", "health", "urban", "community"])
def test_an_assistance_request_naming_an_unknown_agency_is_refused(agency: str) -> None:
    with pytest.raises(IntakeError) as caught:
        event(agency, reply(agency, "assist", "fire brigade"))
    assert caught.value.reason == "intake.unknown_code"
    assert "agencies" in caught.value.detail


def test_the_police_assist_agency_fire_brigade_is_refused() -> None:
    native = reply("police", "assist", "") | {"assist_agency": "fire brigade", "status_code": "AST"}
    with pytest.raises(IntakeError) as caught:
        event("police", native)
    assert caught.value.reason == "intake.unknown_code"


@pytest.mark.parametrize(("agency", "field"), [("urban", "transfer_to"), ("community", "help_agency")])
def test_a_decline_with_an_unknown_transfer_keeps_the_decline_without_the_suggestion(
    agency: str, field: str
) -> None:
    declined = event(agency, reply(agency, "decline", "police-dept", note="private property")).task_declined
    assert declined.suggested_agency == ""
    assert declined.reason == agency_events_pb2.DECLINE_REASON_NOT_OUR_RESPONSIBILITY
    assert declined.reason_text == f"private property; {field} 'police-dept' is not a known agency; refused"


def test_an_urban_return_to_police_dept_is_recorded_as_refused() -> None:
    native = reply("urban", "decline", "police-dept")
    assert native["step_code"] == "RETURNED"
    declined = event("urban", native).task_declined
    assert (declined.suggested_agency, declined.reason_text) == (
        "",
        "transfer_to 'police-dept' is not a known agency; refused",
    )


@pytest.mark.parametrize(
    ("native_name", "canonical"), [("CG", "urban"), ("community", "community"), ("", "")]
)
def test_a_decline_with_a_known_transfer_suggests_it(native_name: str, canonical: str) -> None:
    declined = event("urban", reply("urban", "decline", native_name, note="n")).task_declined
    assert (declined.suggested_agency, declined.reason_text) == (canonical, "n")


def test_an_assistance_request_without_an_agency_leaves_the_choice_to_the_bus() -> None:
    assert event("police", reply("police", "assist", "")).assistance_requested.requested_agency == ""
