"""Drills stay drills at the agency edge: a native drill marker in -> EXERCISE/TEST envelope;
a drill or test task out -> the agency's own marker; an actual task carries none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from incidentbus.agencies.base import MappingError
from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.agencies.registry import load_adapter
from incidentbus.devtools import natives
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.unit.agencies import commands

T0 = 1_795_595_400_000
AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
ACTUAL, EXERCISE, TEST = (
    common_pb2.EVENT_STATUS_ACTUAL,
    common_pb2.EVENT_STATUS_EXERCISE,
    common_pb2.EVENT_STATUS_TEST,
)
REPORT_CODES = {"police": "TA1", "health": "TRAUMA_RTC", "urban": "0203", "community": "E12"}
# agency: (native field, live code, drill code, test code) -- as documented in README "Agency services"
MARKERS = {
    "police": ("mode", "LIVE", "DRILL", "TEST"),
    "health": ("call_mode", "REAL", "EXERCISE", "SYSTEM_TEST"),
    "urban": ("wo_nature", "ZS", "YL", "CS"),
    "community": ("scenario", "real", "drill", "test"),
}
INTAKE = [
    (agency, position, status)
    for agency in MARKERS
    for position, status in ((1, ACTUAL), (2, EXERCISE), (3, TEST), (None, ACTUAL))
]


def event(agency: str, native: dict[str, Any]) -> agency_events_pb2.AgencyEvent:
    return canonical_event(load_adapter(agency), json.dumps(native).encode(), T0, 1_000_000)


def report(agency: str) -> dict[str, Any]:
    return natives.report(agency, "R-1", REPORT_CODES[agency], "310101-002-003-07", AT)


def marked(agency: str, native: dict[str, Any], position: int | None) -> dict[str, Any]:
    """The native message with the marker at `position` of MARKERS (None: without a marker)."""
    return native if position is None else native | {MARKERS[agency][0]: MARKERS[agency][position]}


@pytest.mark.parametrize(("agency", "position", "status"), INTAKE)
def test_a_report_carries_the_status_its_native_marker_gives(
    agency: str, position: int | None, status: int
) -> None:
    assert event(agency, marked(agency, report(agency), position)).envelope.status == status


@pytest.mark.parametrize("agency", MARKERS)
def test_a_reply_and_a_verification_answer_carry_it_too(agency: str) -> None:
    native = natives.reply(agency, "ack", "T-1", "C-1", seq=1, at=AT)
    assert event(agency, marked(agency, native, 2)).envelope.status == EXERCISE
    if agency == "community":
        answer = natives.verification("C-1", "V-1", True, AT)
        assert event(agency, marked(agency, answer, 2)).envelope.status == EXERCISE


@pytest.mark.parametrize("agency", MARKERS)
def test_a_drill_keeps_the_event_id_scheme(agency: str) -> None:
    drill, actual = event(agency, marked(agency, report(agency), 2)), event(agency, report(agency))
    assert drill.envelope.event_id == actual.envelope.event_id  # the status is carried, not hashed in


@pytest.mark.parametrize("agency", MARKERS)
def test_an_unknown_marker_is_refused(agency: str) -> None:
    with pytest.raises(IntakeError) as caught:
        event(agency, report(agency) | {MARKERS[agency][0]: "maybe"})
    assert caught.value.reason == "intake.unknown_code"


RENDER = [(agency, status, position) for agency in MARKERS for status, position in ((EXERCISE, 2), (TEST, 3))]


@pytest.mark.parametrize(("agency", "status", "position"), RENDER)
def test_a_drill_or_test_task_is_marked_in_the_agencys_format(
    agency: str, status: int, position: int
) -> None:
    adapter, (field, *codes) = load_adapter(agency), MARKERS[agency]
    dispatch = adapter.render_task(commands.dispatch(agency, "traffic.collision", status=status))
    cancel = adapter.render_task(commands.cancel(status=status))
    assert dispatch[field] == cancel[field] == codes[position - 1]


@pytest.mark.parametrize("agency", MARKERS)
def test_an_actual_task_carries_no_marker(agency: str) -> None:
    adapter, field = load_adapter(agency), MARKERS[agency][0]
    assert field not in adapter.render_task(commands.dispatch(agency, "traffic.collision"))
    assert field not in adapter.render_task(commands.cancel())


def test_a_drill_verification_request_is_marked_for_the_grid_worker() -> None:
    community = load_adapter("community")
    assert community.render_task(commands.request_verification(status=EXERCISE))["scenario"] == "drill"
    assert "scenario" not in community.render_task(commands.request_verification())


def test_an_agency_that_cannot_mark_a_drill_is_not_sent_one_as_if_it_were_real() -> None:
    class Unmarked(PoliceAdapter):
        status_field = ""

    adapter = Unmarked(PoliceAdapter().codes)
    with pytest.raises(MappingError) as caught:
        adapter.render_task(commands.dispatch("police", "traffic.collision", status=EXERCISE))
    assert caught.value.reason == "dispatch.unsupported"
    assert "mode" not in adapter.render_task(commands.dispatch("police", "traffic.collision"))
