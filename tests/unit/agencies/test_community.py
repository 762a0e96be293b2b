"""Community (grid worker) adapter: patrols, task replies and verification answers -> canonical;
tasks and verification requests -> the grid app's pushes; every refusal named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incidentbus.agencies.base import MappingError
from incidentbus.agencies.community.adapter import CommunityAdapter, Outcome
from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.v1 import agency_events_pb2, bus_pb2, common_pb2
from tests.unit.agencies import commands

ADAPTER = CommunityAdapter()
T0 = 1_795_595_400_000  # the inbox record's log time (ms): 2026-11-25T08:30Z


def patrol(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "report_kind": "patrol",
        "report_id": "GW-310101-0007-1125-03",
        "edit_no": 0,
        "grid_code": "310101-002-003-07",
        "event_type": "E20",
        "colour": "orange",
        "household": "Bldg 3, Unit 2, Rm 401",
        "lat": 31.231,
        "lng": 121.471,
        "worker_id": "GW-0007",
        "worker_name": "Chen Liu",
        "observed_at": "2026-11-25T10:15:00+08:00",
        "text": "sweet chemical smell in the stairwell, source unknown",
        "attachments": ["app://photo/8812"],
        "injured": 0,
    }
    return base | changes


def reply(action: str, **changes: Any) -> dict[str, Any]:
    base = {
        "report_kind": "task_reply",
        "report_id": "GW-R-0042",
        "task_id": "task-1",
        "case_id": "case-1",
        "reply_seq": 5,
        "action": action,
        "replied_at": "2026-11-25T10:40:00+08:00",
        "worker_id": "GW-0007",
    }
    return base | changes


def answer(result: str, **changes: Any) -> dict[str, Any]:
    base = {
        "report_kind": "verification",
        "verification_id": "ver-1",
        "case_id": "case-1",
        "result": result,
        "score": 4,
        "comment": "cover is back, residents happy",
        "worker_id": "GW-0007",
        "answered_at": "2026-11-26T15:00:00+08:00",
    }
    return base | changes


def to_event(message: dict[str, Any] | bytes) -> agency_events_pb2.AgencyEvent:
    raw = message if isinstance(message, bytes) else json.dumps(message).encode()
    return canonical_event(ADAPTER, raw, T0, 1_000_000)


def test_patrol_maps_field_by_field() -> None:
    event = to_event(patrol())
    report = event.incident_reported
    assert event.envelope.source_agency == "community"
    assert event.envelope.source_ref == "GW-310101-0007-1125-03"
    assert event.envelope.event_type == "incidentbus.v1.IncidentReported"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T02:15:00Z"
    assert event.envelope.recorded_at.ToMilliseconds() == T0
    assert (report.category, report.incident_type) == (common_pb2.CATEGORY_UNKNOWN_GAS, "unknown.gas")
    assert report.severity == common_pb2.SEVERITY_MAJOR  # the worker's colour, as claimed
    assert report.description == "sweet chemical smell in the stairwell, source unknown"
    assert list(report.media_refs) == ["app://photo/8812"]
    assert report.location.grid_code == "310101-002-003-07"
    assert report.location.address == "Bldg 3, Unit 2, Rm 401"
    assert report.location.jurisdiction.community == "310101-002-003"
    assert (report.location.point.latitude, report.location.point.longitude) == (31.231, 121.471)
    assert (report.reporter.name, report.reporter.phone, report.reporter.role) == (
        "Chen Liu",
        "",
        "grid_worker",
    )
    assert dict(report.native_codes) == {"community.event_type": "E20", "community.colour": "orange"}


EVENT_TYPES = [
    ("E01", "community.dispute", common_pb2.CATEGORY_COMMUNITY_AFFAIRS),
    ("E02", "community.elderly_welfare", common_pb2.CATEGORY_COMMUNITY_AFFAIRS),
    ("E20", "unknown.gas", common_pb2.CATEGORY_UNKNOWN_GAS),
    ("E21", "unknown.liquid", common_pb2.CATEGORY_UNKNOWN_LIQUID),
    ("E22", "unknown.species", common_pb2.CATEGORY_UNKNOWN_SPECIES),
    ("E23", "unknown.object", common_pb2.CATEGORY_UNKNOWN_OBJECT),
    ("E24", "unknown.sign", common_pb2.CATEGORY_UNKNOWN_SIGN),
]


@pytest.mark.parametrize(("code", "incident_type", "category"), EVENT_TYPES)
def test_event_types_map_to_incident_types(code: str, incident_type: str, category: int) -> None:
    report = to_event(patrol(event_type=code)).incident_reported
    assert (report.incident_type, report.category) == (incident_type, category)


def test_without_a_colour_the_incident_types_default_severity_applies() -> None:
    message = {k: v for k, v in patrol(event_type="E02").items() if k != "colour"}
    report = to_event(message).incident_reported
    assert report.severity == common_pb2.SEVERITY_MODERATE  # community.elderly_welfare's default
    assert dict(report.native_codes) == {"community.event_type": "E02"}


def test_a_new_edit_is_a_new_event_and_a_repeat_is_the_same_event() -> None:
    first, again, edited = to_event(patrol()), to_event(patrol()), to_event(patrol(edit_no=1))
    assert first.envelope.event_id == again.envelope.event_id
    assert first.SerializeToString(deterministic=True) == again.SerializeToString(deterministic=True)
    assert edited.envelope.source_revision == 1
    assert edited.envelope.event_id != first.envelope.event_id


REPLIES = [
    (reply("received", worker_name="Chen Liu"), "task_acknowledged", {"acknowledged_by": "Chen Liu"}),
    (reply("received"), "task_acknowledged", {"acknowledged_by": "GW-0007"}),
    (
        reply("not_mine", decline_code="not_my_grid", text="next grid", help_agency="community"),
        "task_declined",
        {
            "reason": agency_events_pb2.DECLINE_REASON_NOT_OUR_JURISDICTION,
            "reason_text": "next grid",
            "suggested_agency": "community",
        },
    ),
    (reply("on_the_way"), "unit_dispatched", {"unit_id": "GW-0007"}),
    (reply("on_site"), "unit_arrived", {"unit_id": "GW-0007"}),
    (reply("follow_up", text="talked to both"), "progress_noted", {"note": "talked to both"}),
    (
        reply("done", result_code="mediated", text="agreement signed"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_RESOLVED, "summary": "agreement signed"},
    ),
    (
        reply("done", result_code="handed_over"),
        "task_completed",
        {"disposition": agency_events_pb2.DISPOSITION_REFERRED},
    ),
    (
        reply("need_help", help_agency="health", text="elderly resident unwell"),
        "assistance_requested",
        {"requested_agency": "health", "reason": "elderly resident unwell"},
    ),
]


@pytest.mark.parametrize(("native", "body", "fields"), REPLIES, ids=[r[1] for r in REPLIES])
def test_reply_actions_map_to_task_events(native: dict[str, Any], body: str, fields: dict[str, Any]) -> None:
    event = to_event(native)
    assert event.WhichOneof("body") == body
    message = getattr(event, body)
    assert (message.task_id, message.case_id) == ("task-1", "case-1")
    for name, value in fields.items():
        assert getattr(message, name) == value, name
    assert event.envelope.source_ref == "GW-R-0042/reply/5"
    assert event.envelope.subject == "task-1"
    assert event.envelope.correlation_id == "case-1"


def test_a_reply_without_report_id_is_referenced_by_its_task() -> None:
    event = to_event({k: v for k, v in reply("received").items() if k != "report_id"})
    assert event.envelope.source_ref == "task-1/reply/5"


@pytest.mark.parametrize("result", ["satisfied", "basically_satisfied"])
def test_a_satisfied_answer_verifies_the_resolution(result: str) -> None:
    event = to_event(answer(result))
    assert event.WhichOneof("body") == "resolution_verified"
    body = event.resolution_verified
    assert (body.case_id, body.verification_id) == ("case-1", "ver-1")
    assert (body.verified_by, body.comment, body.satisfaction) == (
        "GW-0007",
        "cover is back, residents happy",
        4,
    )
    assert event.envelope.event_type == "incidentbus.v1.ResolutionVerified"
    assert event.envelope.source_ref == "ver-1"
    assert event.envelope.subject == "ver-1"
    assert event.envelope.correlation_id == "case-1"
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-26T07:00:00Z"


@pytest.mark.parametrize("result", ["unsatisfied", "not_fixed"])
def test_an_unsatisfied_answer_disputes_the_resolution(result: str) -> None:
    event = to_event(answer(result, score=1, comment="still leaking"))
    assert event.WhichOneof("body") == "resolution_disputed"
    body = event.resolution_disputed
    assert (body.case_id, body.verification_id) == ("case-1", "ver-1")
    assert (body.disputed_by, body.reason) == ("GW-0007", "still leaking")
    assert event.envelope.event_type == "incidentbus.v1.ResolutionDisputed"
    assert event.envelope.correlation_id == "case-1"


def test_an_answer_without_score_verifies_with_satisfaction_zero() -> None:
    body = to_event({k: v for k, v in answer("satisfied").items() if k != "score"}).resolution_verified
    assert body.satisfaction == 0


def test_a_verified_and_a_disputed_answer_are_different_events() -> None:
    assert (
        to_event(answer("satisfied")).envelope.event_id != to_event(answer("unsatisfied")).envelope.event_id
    )


def test_every_verification_code_means_verified_or_disputed() -> None:
    rows = ADAPTER.codes.tables["verification"]
    assert {Outcome(name) for name in rows.values()} == set(Outcome)


def test_dispatch_renders_a_task_push() -> None:
    rendered = ADAPTER.render_task(
        commands.dispatch("community", "community.dispute", common_pb2.SEVERITY_MINOR)
    )
    assert rendered == {
        "push_kind": "task",
        "task_id": "task-9",
        "case_id": "case-9",
        "event_type": "E01",
        "bus_incident_type": "community.dispute",
        "colour": "blue",
        "role": "lead",
        "grid_code": commands.GRID,
        "household": "No. 5 Lane 100",
        "text": "see the case",
        "deadlines": commands.DEADLINES,
    }


def test_dispatch_of_a_type_the_app_has_no_code_for_keeps_the_canonical_type() -> None:
    rendered = ADAPTER.render_task(commands.dispatch("community", "traffic.collision_injury"))
    assert (rendered["event_type"], rendered["colour"]) == (None, "orange")
    assert rendered["bus_incident_type"] == "traffic.collision_injury"


def test_cancel_renders_a_withdrawal() -> None:
    assert ADAPTER.render_task(commands.cancel()) == {
        "push_kind": "withdraw",
        "task_id": "task-9",
        "case_id": "case-9",
        "reason": "merged",
    }


def test_request_verification_renders_a_verification_request_for_the_grid_worker() -> None:
    assert ADAPTER.render_task(commands.request_verification()) == {
        "push_kind": "verification_request",
        "verification_id": "ver-9",
        "case_id": "case-9",
        "grid": commands.GRID,
        "address": "No. 5 Lane 100",
        "summary": "cover replaced",
        "due": "2026-11-27T08:30:00Z",
    }


def test_a_task_and_a_verification_request_carry_the_point_as_the_app_pins_it() -> None:
    task = ADAPTER.render_task(commands.dispatch("community", "community.dispute", point=(31.2, 121.4)))
    check = ADAPTER.render_task(commands.request_verification(point=(31.2, 121.4)))
    for rendered in (task, check):
        assert (rendered["lat"], rendered["lng"]) == (31.2, 121.4)
    assert check["address"] == task["household"] == "No. 5 Lane 100"


def test_a_verification_request_without_due_time_says_so() -> None:
    assert ADAPTER.render_task(commands.request_verification(due=False))["due"] is None


def test_an_empty_command_is_unsupported() -> None:
    with pytest.raises(MappingError) as caught:
        ADAPTER.render_task(bus_pb2.TaskCommand(envelope=commands.cancel().envelope))
    assert caught.value.reason == "dispatch.unsupported"


REFUSALS = [
    (b"\xff\xfe\x00", "intake.encoding"),
    (b"{not json", "intake.json"),
    (b"42", "intake.not_object"),
    (b"", "intake.empty"),
    (b"x" * 2_000_000, "intake.oversized"),
    (patrol(event_type="E99"), "intake.unknown_code"),
    (patrol(colour="purple"), "intake.unknown_code"),
    (reply("gone_fishing"), "intake.unknown_code"),
    (reply("not_mine", decline_code="lazy"), "intake.unknown_code"),
    (reply("done"), "intake.unknown_code"),  # a finished task must give its result
    (answer("meh"), "intake.unknown_code"),
    ({k: v for k, v in patrol().items() if k not in ("grid_code", "lat", "lng")}, "intake.missing_location"),
    (patrol(grid_code="grid 7"), "intake.bad_location"),
    (patrol(lng=None), "intake.bad_location"),
    (patrol(injured="0"), "intake.validation"),
    (patrol(injured=-2), "intake.validation"),
    (patrol(attachments=[""]), "intake.validation"),
    (patrol(observed_at="2026-13-25T10:15:00+08:00"), "intake.validation"),
    (patrol(observed_at="yesterday"), "intake.validation"),
    (patrol(report_kind="inspection"), "intake.validation"),
    ({k: v for k, v in patrol().items() if k != "report_kind"}, "intake.validation"),
    ({k: v for k, v in patrol().items() if k != "worker_id"}, "intake.validation"),
    ({k: v for k, v in patrol().items() if k != "event_type"}, "intake.validation"),
    ({k: v for k, v in reply("received").items() if k != "task_id"}, "intake.validation"),
    (reply("received", reply_seq=1.0), "intake.validation"),
    (answer("satisfied", score=6), "intake.validation"),
    (answer("satisfied", score="5"), "intake.validation"),
    (answer("satisfied", case_id=""), "intake.validation"),
    ({k: v for k, v in answer("satisfied").items() if k != "verification_id"}, "intake.validation"),
    (answer("satisfied", answered_at="2026-11-26T15:00:00+25:00"), "intake.validation"),
]


@pytest.mark.parametrize(("native", "reason"), REFUSALS)
def test_every_bad_input_is_refused_with_its_reason(native: dict[str, Any] | bytes, reason: str) -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(native)
    assert caught.value.reason == reason


def test_refusal_detail_names_the_field_but_not_the_value() -> None:
    with pytest.raises(IntakeError) as caught:
        to_event(patrol(household=["Bldg 3, Unit 2, Rm 401"]))
    assert "household" in caught.value.detail
    assert "Rm 401" not in caught.value.detail
