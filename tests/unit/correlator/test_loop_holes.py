"""The review's situations, each with the right value (issue: the closed loop holds under every input).

Times are the bus's recorded_at; T0 is 2025-11-25T08:00Z in these tests, G the grid below."""

from __future__ import annotations

import pytest

from incidentbus.correlator.domain.invariants import violations
from incidentbus.v1 import bus_pb2, case_events_pb2, common_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import RULES, Run

G = "310101-002-003-07"
HOUR = 60 * MIN


def checked(run: Run, item: object) -> None:
    """Step with the invariants checked."""
    before = run.state.copy()
    out = run(item)  # type: ignore[arg-type]
    assert violations(before, out, run.state, RULES) == []


def task_of(run: Run, case_id: str, agency: str) -> str:
    return next(t.task_id for t in run.state.cases[case_id].tasks if t.agency == agency and t.active)


# -- 1. a case's lifecycle never contradicts its tasks ----------------------------------------


def test_work_joining_a_resolved_case_reopens_it_and_the_old_verification_cannot_close_it(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0, severity=2))
    case_id = run.only_case().case_id
    police = task_of(run, case_id, "police")
    checked(run, f.reply("police", "ack", police, case_id, T0 + 2 * MIN))
    checked(run, f.reply("police", "complete", police, case_id, T0 + 20 * MIN, disposition=1))
    assert run.only_case().status == "RESOLVED"
    checked(run, f.report("urban", "urban.road_damage", T0 + 25 * MIN, severity=2))  # joins, gets a task
    case = run.only_case()
    assert case.status == "DISPATCHED"
    assert "case_reopened" in run.bodies(case_id)
    urban = task_of(run, case_id, "urban")
    checked(run, f.verification(case_id, f"{case_id}/v1", T0 + 30 * MIN))  # answers the void request
    assert run.kinds("reject")[-1].reason == "correlator.stale_verification"
    assert run.only_case().status == "DISPATCHED"
    checked(run, f.reply("urban", "complete", urban, case_id, T0 + 90 * MIN, disposition=1))
    assert (run.only_case().status, run.only_case().verification_id) == ("RESOLVED", f"{case_id}/v2")
    checked(run, f.verification(case_id, f"{case_id}/v2", T0 + 95 * MIN))
    assert run.only_case().status == "CLOSED"
    checked(run, f.reply("urban", "complete", urban, case_id, T0 + 99 * MIN, disposition=1))
    assert run.only_case().status == "CLOSED"  # a closed case changes only through a reopen


def test_a_merge_into_a_resolved_case_voids_its_verification(run: Run) -> None:
    f = run.feed
    far = "310101-009-001-01"
    checked(run, f.report("community", "traffic.collision", T0, grid=far, severity=2))  # no point
    checked(run, f.report("police", "traffic.collision", T0 + MIN, severity=2, lat=31.23, lon=121.47))
    first = next(c.case_id for c in run.state.cases.values() if c.reports[0].source_agency == "police")
    checked(run, f.reply("police", "complete", task_of(run, first, "police"), first, T0 + MIN, disposition=1))
    assert run.state.cases[first].status == "RESOLVED"
    # at the police report's very point, in the community report's grid: both cases are this one
    checked(run, f.report("health", "traffic.collision", T0 + 2 * MIN, grid=far, lat=31.23, lon=121.47))
    assert "cases_merged" in run.bodies(first)
    [live] = [c for c in run.state.cases.values() if c.status != "MERGED"]
    assert live.case_id == first
    assert live.active_tasks()
    assert live.status != "RESOLVED"
    checked(run, f.verification(first, f"{first}/v1", T0 + 4 * MIN))
    assert run.state.resolve(first).status != "CLOSED"  # type: ignore[union-attr]


# -- 2. a revision replaces; it does not duplicate --------------------------------------------


def test_a_revision_corrects_in_place_and_a_moved_one_leaves_exactly_one_live_case(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision_injury", T0, casualties=12, ref="P-100"))
    case_id = run.only_case().case_id
    assert run.only_case().level == "III"
    checked(
        run,
        f.report("police", "traffic.collision_injury", T0 + 2 * MIN, casualties=0, ref="P-100", revision=1),
    )
    case = run.only_case()
    assert (len(case.reports), case.casualties, case.reports[0].revision) == (1, 0, 1)
    assert case.level == "III"  # levels never drop silently ...
    [corrected] = [
        e.report_corrected for e in run.events(case_id) if e.WhichOneof("body") == "report_corrected"
    ]  # type: ignore[attr-defined]
    assert "response level stays III" in corrected.note  # ... and the record says so
    theft = "310101-009-001-01"
    checked(run, f.report("police", "public_safety.theft", T0 + 4 * MIN, grid=theft, ref="P-100", revision=2))
    live = [c for c in run.state.cases.values() if c.status not in ("CLOSED", "MERGED")]
    holders = [c for c in live if any(r.source_ref == "P-100" for r in c.reports)]
    assert [(c.place.grid, c.incident_type) for c in holders] == [(theft, "public_safety.theft")]
    old = run.state.cases[case_id]
    assert (old.status, old.closure, old.active_tasks()) == ("CLOSED", "SUPERSEDED", ())
    cancelled = {
        o.message.cancel_task.task_id for o in run.kinds("dispatch") if o.message.HasField("cancel_task")
    }  # type: ignore[union-attr]
    assert {t.task_id for t in old.tasks} <= cancelled
    # a revision overtaken by a later one (arriving out of order) is refused, not applied
    checked(run, f.report("police", "public_safety.theft", T0 + 5 * MIN, grid=theft, ref="P-200"))
    checked(run, f.report("police", "public_safety.theft", T0 + 6 * MIN, grid=theft, ref="P-200", revision=2))
    checked(run, f.report("police", "traffic.collision", T0 + 7 * MIN, grid=theft, ref="P-200", revision=1))
    assert run.kinds("reject")[-1].reason == "correlator.stale_revision"


# -- 3. names the bus does not know are refused, never routed ---------------------------------


def test_unknown_agencies_get_no_task(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0))
    case_id = run.only_case().case_id
    police = task_of(run, case_id, "police")
    checked(run, f.reply("police", "assist", police, case_id, T0 + MIN, requested_agency="fire brigade"))
    assert run.kinds("reject")[-1].reason == "correlator.unknown_agency"
    checked(
        run,
        f.reply("police", "decline", police, case_id, T0 + 2 * MIN, reason=2, suggested_agency="police-dept"),
    )
    case = run.only_case()
    assert {t.agency for t in case.tasks} <= set(RULES.agencies)
    assert case.active_tasks()[0].agency == "community"  # the rule's fallback for traffic
    [declined] = [
        e.task_status_changed.detail  # type: ignore[attr-defined]
        for e in run.events(case_id)
        if e.WhichOneof("body") == "task_status_changed" and "police-dept" in e.task_status_changed.detail  # type: ignore[attr-defined]
    ]
    assert "not a bus agency" in declined


# -- 4. what the core cannot act on is refused, never raised ----------------------------------


def test_reports_the_core_cannot_act_on_are_refused_with_a_reason(run: Run) -> None:
    f = run.feed
    other_district = f.report("police", "traffic.collision", T0, grid="310104-001-001-01")
    no_severity = f.report("police", "traffic.collision", T0, severity=0)
    for item, reason in (
        (other_district, "correlator.wrong_area"),
        (no_severity, "correlator.invalid_report"),
    ):
        assert [o.reason for o in run(item)] == [reason]
    assert not run.state.cases


def test_null_island_is_no_place(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0, grid="310101-001-001-01", lat=0.0, lon=0.0))
    checked(run, f.report("health", "medical.injury", T0 + MIN, grid="310101-009-009-09", lat=0.0, lon=0.0))
    assert len(run.state.cases) == 2


# -- 6. deadlines and escalation account for every task, and stop shouting -------------------


def test_a_declining_last_resort_escalates_and_the_climb_stops_at_the_top(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "public_safety.disturbance", T0, severity=2))
    case_id = run.only_case().case_id
    checked(
        run, f.reply("police", "decline", task_of(run, case_id, "police"), case_id, T0 + 5 * MIN, reason=2)
    )
    for n in range(1, 13):
        community = task_of(run, case_id, "community")
        checked(run, f.reply("community", "decline", community, case_id, T0 + (5 + 10 * n) * MIN, reason=2))
    due: dict[str, int] = {}  # task id -> its latest acknowledge due time, as the record says
    for event in run.events(case_id):
        body = getattr(event, event.WhichOneof("body"))  # type: ignore[attr-defined]
        if event.WhichOneof("body") == "task_assigned" and body.rule == "reroute:last-resort":  # type: ignore[attr-defined]
            assert _ack(body.deadlines) == due[body.replaces_task_id]  # no fresh time for the last resort
        for deadlines in ("deadlines", "rescheduled", "retuned"):
            for d in getattr(body, deadlines, ()):
                if d.kind == common_pb2.DEADLINE_KIND_ACKNOWLEDGE:
                    due[d.task_id] = d.due_at.ToMilliseconds()
    bodies = run.bodies(case_id)
    assert 1 <= bodies.count("case_escalated") <= 4
    assert run.only_case().supervising == "city"
    assert any(a.message.kind == bus_pb2.ALERT_KIND_ESCALATED for a in run.kinds("alert"))  # type: ignore[union-attr]


def _ack(deadlines: list[common_pb2.Deadline]) -> int:
    return next(
        d.due_at.ToMilliseconds() for d in deadlines if d.kind == common_pb2.DEADLINE_KIND_ACKNOWLEDGE
    )


def test_a_deadline_waits_the_allowed_lateness(run: Run) -> None:
    f = run.feed
    checked(run, f.report("health", "medical.injury", T0, severity=3))  # major: acknowledge in 10 min
    checked(run, f.tick(T0 + 10 * MIN + 5_000))
    assert "case_escalated" not in run.bodies(run.only_case().case_id)
    checked(run, f.tick(T0 + 10 * MIN + 11_000))
    assert "case_escalated" in run.bodies(run.only_case().case_id)


def test_a_reply_keeps_its_own_bus_time_when_the_clock_is_ahead(run: Run) -> None:
    f = run.feed
    checked(run, f.report("health", "medical.injury", T0, severity=3))
    case_id = run.only_case().case_id
    checked(run, f.tick(T0 + 11 * MIN))  # the correlator's tick stepped before the lagging reply
    checked(run, f.reply("health", "ack", task_of(run, case_id, "health"), case_id, T0 + 5 * MIN))
    change = run.events(case_id)[-1].task_status_changed  # type: ignore[attr-defined]
    assert change.reported_at.ToMilliseconds() == T0 + 5 * MIN


def test_an_unanswered_task_climbs_to_the_top_then_is_reminded_ever_more_rarely(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0, severity=2))
    case_id = run.only_case().case_id
    for minute in range(0, 4 * 24 * 60, 10):
        checked(run, f.tick(T0 + minute * MIN))
    bodies = run.bodies(case_id)
    assert bodies.count("case_escalated") == 4  # grid -> community -> street -> district -> city
    reminders = [e.reminder_issued for e in run.events(case_id) if e.WhichOneof("body") == "reminder_issued"]  # type: ignore[attr-defined]
    assert 3 <= len(reminders) <= 12
    gaps = [
        (r.rescheduled[0].due_at.ToMilliseconds() - r.rescheduled[0].set_at.ToMilliseconds())
        for r in reminders
    ]
    assert gaps == sorted(gaps)
    assert gaps[-1] <= RULES.response_levels.escalation.reminder_max_minutes * MIN


# -- 8. a verification answered after the case closed -----------------------------------------


def _closed_manhole(run: Run) -> str:
    f = run.feed
    checked(run, f.report("urban", "urban.manhole_cover", T0, severity=2))
    case_id = run.only_case().case_id
    checked(
        run, f.reply("urban", "complete", task_of(run, case_id, "urban"), case_id, T0 + HOUR, disposition=1)
    )
    checked(run, f.verification(case_id, f"{case_id}/v1", T0 + 2 * HOUR))
    assert run.only_case().status == "CLOSED"
    return case_id


def test_a_dissatisfied_follow_up_within_the_window_reopens_with_a_new_lead_task(run: Run) -> None:
    case_id = _closed_manhole(run)
    checked(run, run.feed.verification(case_id, f"{case_id}/v1", T0 + 2 * HOUR + 10 * MIN, ok=False))
    case = run.only_case()
    assert case.status == "DISPATCHED"
    assert "case_reopened" in run.bodies(case_id)
    assert [(t.agency, t.role) for t in case.active_tasks()] == [("urban", "LEAD")]


def test_a_dissatisfied_follow_up_after_the_window_is_a_dead_letter_and_an_alert(run: Run) -> None:
    case_id = _closed_manhole(run)
    checked(run, run.feed.verification(case_id, f"{case_id}/v1", T0 + 8 * 24 * HOUR, ok=False))
    assert run.only_case().status == "CLOSED"
    assert run.kinds("reject")[-1].reason == "correlator.reopen_window_passed"
    assert run.kinds("alert")[-1].message.kind == bus_pb2.ALERT_KIND_LATE_DISPUTE  # type: ignore[union-attr]


# -- 9. drills stay drills ---------------------------------------------------------------------


def test_a_drill_never_joins_a_real_case_and_all_its_outputs_say_exercise(run: Run) -> None:
    f = run.feed
    drill = f.report(
        "police", "traffic.collision_injury", T0, casualties=5, status=common_pb2.EVENT_STATUS_EXERCISE
    )
    checked(run, drill)
    checked(run, f.report("health", "medical.injury", T0 + MIN))
    by_status = {c.event_status: c.case_id for c in run.state.cases.values()}
    assert set(by_status) == {"EXERCISE", "ACTUAL"}
    for output in run.outputs:
        expected = (
            common_pb2.EVENT_STATUS_EXERCISE
            if output.key == by_status["EXERCISE"]
            else common_pb2.EVENT_STATUS_ACTUAL
        )
        assert output.message.envelope.status == expected, output.kind  # type: ignore[union-attr]
    assert {o.kind for o in run.outputs if o.key == by_status["EXERCISE"]} >= {
        "case_event",
        "dispatch",
        "alert",
        "snapshot",
    }


def test_a_revision_of_a_closed_report_is_recorded_without_reopening(run: Run) -> None:
    case_id = _closed_manhole(run)
    [report] = run.only_case().reports
    checked(
        run,
        run.feed.report(
            "urban", "urban.manhole_cover", T0 + 3 * HOUR, severity=2, ref=report.source_ref, revision=1
        ),
    )
    assert run.bodies(case_id)[-1] == "report_corrected"
    assert run.only_case().status == "CLOSED"
    assert isinstance(run.events(case_id)[-1], case_events_pb2.CaseEvent)


def test_compressed_rules_scale_every_event_time_duration() -> None:
    """A drill that plays a day in minutes keeps lateness, reminders and reopen window in proportion."""
    fast = RULES.compressed(360)
    assert fast.deadlines.allowed_lateness_seconds * 360 == pytest.approx(
        RULES.deadlines.allowed_lateness_seconds
    )
    assert (
        fast.response_levels.escalation.reminder_max_minutes * 360
        == RULES.response_levels.escalation.reminder_max_minutes
    )
    assert fast.closing.reopen_window_days * 360 == pytest.approx(RULES.closing.reopen_window_days)


def test_reports_split_out_again_after_a_merge_get_a_new_case(run: Run) -> None:
    """Found by the lifecycle property test: the second split of the same report must not reuse
    the id of the case the first split made, which a merge has since closed."""
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0, grid=G))
    checked(run, f.report("police", "traffic.collision", T0, grid=G))
    first = run.only_case()
    checked(run, f.split(first.case_id, [first.reports[-1].event_id], T0 + MIN))
    checked(run, f.report("police", "traffic.collision", T0 + MIN, grid=G))  # joins one, merges the other
    merged = [c.case_id for c in run.state.cases.values() if c.status == "MERGED"]
    assert merged
    [live] = [c for c in run.state.cases.values() if c.is_open]
    checked(run, f.split(live.case_id, [live.reports[-1].event_id], T0 + 2 * MIN))
    opened = [e.case_id for e in run.events() if e.WhichOneof("body") == "case_opened"]  # type: ignore[attr-defined]
    assert len(opened) == len(set(opened)) == 3


def test_a_revision_after_its_case_left_the_working_state_is_refused_not_a_second_case(run: Run) -> None:
    """Found by the lifecycle property test: the closed case was let go after a day, and the
    revision opened a new case, so one report had two homes on the record."""
    f = run.feed
    run(f.report("police", "public_safety.noise", T0, ref="P-7"))
    case = run.only_case()
    run(f.reply("police", "complete", case.tasks[0].task_id, case.case_id, T0 + MIN))
    run(f.tick(T0 + 25 * 60 * MIN))  # a day after closing: the case leaves the working state
    assert run.state.cases == {}
    run(f.report("police", "traffic.collision", T0 + 26 * 60 * MIN, ref="P-7", revision=1))
    assert run.state.cases == {}
    [refusal] = run.kinds("reject")
    assert (refusal.key, refusal.reason) == (case.case_id, "correlator.stale_revision")
    run(f.tick(T0 + 9 * 24 * 60 * MIN))  # past the bus's memory (7 days after it left)
    assert run.state.retired == {}
