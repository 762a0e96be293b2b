"""Statistics per task, from the task's own deadlines and each reply's own bus time.

Case events are built by hand here, so each test states exactly the history it judges, including
histories the correlator writes only when it lags (an escalation logged before a reply that came
in time).
"""

from __future__ import annotations

import pytest

from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from tests.unit.correlator.builders import GRID, MIN, T0
from tests.unit.correlator.conftest import Run
from tests.unit.ops_builders import ACK, History, case_events, deadline


def health_acknowledged_in_time_while_the_correlator_lagged() -> History:
    """Health's acceptance is logged at T0+5 (deadline T0+10); the correlator steps a tick at
    T0+11 first, escalates, and only then reads the acceptance."""
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "health", ack_due=T0 + 10 * MIN)
    case.escalated(1, at=T0 + 11 * MIN, ack_due=T0 + 21 * MIN)
    case.replied(1, ce.TASK_STATUS_ACKNOWLEDGED, logged=T0 + 11 * MIN, reported=T0 + 5 * MIN)
    return case


def test_a_reply_in_time_counts_from_its_own_bus_time_despite_a_lagging_escalation() -> None:
    model = health_acknowledged_in_time_while_the_correlator_lagged().model
    health = model.agency_stats(T0 + 60 * MIN)["health"]
    assert health["median_s_to_acknowledge"] == 300.0
    assert health["deadline_compliance"] == 1.0
    grid = model.grid_stats()[GRID]  # the case itself was escalated: the grid says so, apart
    assert (grid["escalations"], grid["reminders"], grid["deadline_compliance"]) == (1, 0, 0.0)


def test_arrival_and_completion_count_from_the_replies_too() -> None:
    case = health_acknowledged_in_time_while_the_correlator_lagged()
    model = case.model
    case.replied(1, ce.TASK_STATUS_ON_SCENE, logged=T0 + 30 * MIN, reported=T0 + 12 * MIN)
    case.replied(1, ce.TASK_STATUS_COMPLETED, logged=T0 + 31 * MIN, reported=T0 + 25 * MIN)
    health = model.agency_stats(T0 + 60 * MIN)["health"]
    assert (health["median_s_to_arrive"], health["median_s_to_complete"]) == (720.0, 1500.0)


def test_older_history_without_reported_at_falls_back_to_the_event_time() -> None:
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "police", ack_due=T0 + 10 * MIN)
    case.replied(1, ce.TASK_STATUS_UNIT_DISPATCHED, logged=T0 + 7 * MIN, reported=None)
    police = model.agency_stats(T0 + 60 * MIN)["police"]
    assert (police["median_s_to_acknowledge"], police["deadline_compliance"]) == (420.0, 1.0)


def test_a_reply_after_the_deadline_is_late_even_though_the_escalation_set_a_new_one() -> None:
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "health", ack_due=T0 + 10 * MIN)
    case.escalated(1, at=T0 + 11 * MIN, ack_due=T0 + 21 * MIN)
    case.replied(1, ce.TASK_STATUS_ACKNOWLEDGED, logged=T0 + 15 * MIN, reported=T0 + 15 * MIN)
    assert model.agency_stats(T0 + 60 * MIN)["health"]["deadline_compliance"] == 0.0


def test_each_task_is_judged_against_its_own_deadline() -> None:
    """Police (due T0+10, answered T0+12) is late; fire (assigned later, due T0+20, answered
    T0+12) is in time, though both replies are logged together."""
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "police", ack_due=T0 + 10 * MIN)
    case.assigned(2, "fire", ack_due=T0 + 20 * MIN, at=T0 + 5 * MIN)
    case.escalated(1, at=T0 + 11 * MIN, ack_due=T0 + 21 * MIN)
    case.replied(1, ce.TASK_STATUS_ACKNOWLEDGED, logged=T0 + 13 * MIN, reported=T0 + 12 * MIN)
    case.replied(2, ce.TASK_STATUS_ACKNOWLEDGED, logged=T0 + 13 * MIN, reported=T0 + 12 * MIN)
    stats = model.agency_stats(T0 + 60 * MIN)
    assert (stats["police"]["deadline_compliance"], stats["fire"]["deadline_compliance"]) == (0.0, 1.0)
    assert stats["fire"]["median_s_to_acknowledge"] == 420.0  # from its own assignment


@pytest.mark.parametrize(
    ("retuned_due", "reply", "compliance"),
    [
        (T0 + 6 * MIN, T0 + 8 * MIN, 0.0),  # shortened at T0+3 and missed, before the original
        (T0 + 15 * MIN, T0 + 12 * MIN, 1.0),  # lengthened at T0+3 before the original was due
    ],
)
def test_a_retuned_deadline_replaces_the_old_one_from_its_own_time(
    retuned_due: int, reply: int, compliance: float
) -> None:
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "fire", ack_due=T0 + 10 * MIN)
    level = ce.ResponseLevelChanged(retuned=[deadline(ACK, case.task(1), retuned_due)])
    case(T0 + 3 * MIN, response_level_changed=level)
    case.replied(1, ce.TASK_STATUS_ACKNOWLEDGED, logged=reply, reported=reply)
    assert model.agency_stats(T0 + 60 * MIN)["fire"]["deadline_compliance"] == compliance


def test_an_unanswered_task_is_judged_once_its_deadline_has_passed() -> None:
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "urban", ack_due=T0 + 10 * MIN)
    assert model.agency_stats(T0 + 9 * MIN)["urban"]["deadline_compliance"] is None
    assert model.agency_stats(T0 + 11 * MIN)["urban"]["deadline_compliance"] == 0.0
    assert model.agency_stats()["urban"]["deadline_compliance"] is None  # the bus clock: T0


def test_a_decline_before_the_deadline_is_not_a_miss() -> None:
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "urban", ack_due=T0 + 10 * MIN)
    case.replied(1, ce.TASK_STATUS_DECLINED, logged=T0 + 2 * MIN, reported=T0 + 2 * MIN)
    assert model.agency_stats(T0 + 60 * MIN)["urban"]["deadline_compliance"] is None


def test_reminders_are_counted_apart_and_move_the_deadline() -> None:
    model = ReadModel()
    case = History(model)
    case.opened()
    case.assigned(1, "community", ack_due=T0 + 10 * MIN)
    case.escalated(1, at=T0 + 11 * MIN, ack_due=T0 + 21 * MIN)
    reminder = ce.ReminderIssued(
        missed=ACK, task_id=case.task(1), reminder=1, rescheduled=[deadline(ACK, case.task(1), T0 + 40 * MIN)]
    )
    case(T0 + 22 * MIN, reminder_issued=reminder)
    grid = model.grid_stats()[GRID]
    assert (grid["escalations"], grid["reminders"]) == (1, 1)
    assert model.tasks[case.task(1)].ack_deadlines[-1] == (T0 + 22 * MIN, T0 + 40 * MIN)


def test_the_correlator_core_lagging_behind_health_still_yields_300_s_in_time() -> None:
    """The issue's scenario through the real core: a tick at T0+11 is stepped before health's
    acceptance recorded at T0+5; the core escalates, then records the acceptance."""
    run = Run()
    run(run.feed.report("health", "medical.injury", T0, casualties=1))
    case = run.only_case()
    [task] = case.active_tasks()
    run(run.feed.tick(T0 + 11 * MIN))
    run(run.feed.reply("health", "ack", task.task_id, case.case_id, T0 + 5 * MIN))
    assert run.bodies(case.case_id)[-2:] == ["case_escalated", "task_status_changed"]
    model = ReadModel()
    for event in case_events(run):
        model.apply_event(event)
    health = model.agency_stats(T0 + 60 * MIN)["health"]
    assert (health["median_s_to_acknowledge"], health["deadline_compliance"]) == (300.0, 1.0)


def test_repeat_reports_after_closure_are_counted_per_grid() -> None:
    """A noise case closed, then two repeat calls (the first reopens it): the grid shows both."""
    run = Run()
    f = run.feed
    run(f.report("police", "public_safety.noise", T0))
    case_id = run.only_case().case_id
    lead = run.only_case().active_tasks()[0]
    run(f.reply("police", "complete", lead.task_id, case_id, T0 + 20 * MIN, disposition=1))
    run(f.report("community", "public_safety.noise", T0 + 24 * MIN))
    lead = next(t for t in run.only_case().active_tasks() if t.role == "LEAD")
    run(f.reply("police", "complete", lead.task_id, case_id, T0 + 40 * MIN, disposition=1))
    run(f.report("urban", "public_safety.noise", T0 + 45 * MIN))
    model = ReadModel()
    for event in case_events(run):
        model.apply_event(event)
    grid = model.grid_stats()[GRID]
    assert (grid["cases"], grid["repeat_reports"], grid["cases_repeated"]) == (1, 2, 1)
