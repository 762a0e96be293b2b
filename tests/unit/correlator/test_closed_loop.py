"""Routing, the closed loop, deadlines and escalation, response levels, the fast path, idempotency."""

from __future__ import annotations

from dataclasses import replace

from incidentbus.v1 import bus_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run


def open_case(run: Run, incident_type: str = "traffic.collision", **kw: object) -> str:
    run(run.feed.report("police", incident_type, T0, **kw))  # type: ignore[arg-type]
    return run.only_case().case_id


def test_full_loop_closes_only_after_verification(run: Run) -> None:
    f, case_id = run.feed, open_case(run)
    [task] = run.only_case().tasks
    for n, kind in enumerate(["ack", "dispatched", "arrived"], start=1):
        run(f.reply("police", kind, task.task_id, case_id, T0 + n * MIN))
    assert run.only_case().status == "ON_SCENE"
    run(f.reply("police", "complete", task.task_id, case_id, T0 + 20 * MIN, disposition=1))
    case = run.only_case()
    assert case.status == "RESOLVED"
    [request] = [o for o in run.kinds("dispatch") if o.message.WhichOneof("body") == "request_verification"]  # type: ignore[union-attr]
    assert request.agency == "community"
    run(f.verification(case_id, case.verification_id, T0 + 30 * MIN))
    assert run.only_case().status == "CLOSED"
    assert run.bodies(case_id)[-2:] == ["case_verified", "case_closed"]


def test_disputed_verification_reopens_with_a_new_lead_task(run: Run) -> None:
    f, case_id = run.feed, open_case(run)
    [task] = run.only_case().tasks
    run(f.reply("police", "complete", task.task_id, case_id, T0 + 5 * MIN, disposition=1))
    run(f.verification(case_id, run.only_case().verification_id, T0 + 6 * MIN, ok=False))
    case = run.only_case()
    assert case.status == "DISPATCHED"
    assert "case_reopened" in run.bodies(case_id)
    assert [(t.agency, t.role, t.active) for t in case.tasks][-1] == ("police", "LEAD", True)
    # a stale answer to the old verification is refused, not applied
    run(f.verification(case_id, f"{case_id}/v1", T0 + 7 * MIN))
    assert run.kinds("reject")[-1].reason == "correlator.stale_verification"


def test_policy_closes_minor_nuisance_without_verification(run: Run) -> None:
    f, case_id = run.feed, open_case(run, "public_safety.noise", severity=1)
    [task] = run.only_case().tasks
    run(f.reply("police", "complete", task.task_id, case_id, T0 + 5 * MIN, disposition=2))
    closed = run.events(case_id)[-1].case_closed  # type: ignore[attr-defined]
    assert closed.policy == "minor-nuisance-auto-close"
    assert run.only_case().status == "CLOSED"


def test_declined_lead_is_rerouted_and_the_case_never_loses_its_owner(run: Run) -> None:
    f, case_id = run.feed, open_case(run)
    [task] = run.only_case().tasks
    run(f.reply("police", "decline", task.task_id, case_id, T0 + MIN, reason=1, suggested_agency="urban"))
    case = run.only_case()
    assert [(t.agency, t.status) for t in case.tasks] == [("police", "DECLINED"), ("urban", "ASSIGNED")]
    urban = case.tasks[-1]
    run(f.reply("urban", "decline", urban.task_id, case_id, T0 + 2 * MIN, reason=2))
    case = run.only_case()
    assert case.tasks[-1].agency == "community"  # the rule's fallback after urban
    assert case.active_tasks()
    run(f.reply("community", "decline", case.tasks[-1].task_id, case_id, T0 + 3 * MIN, reason=3))
    case = run.only_case()
    assert case.active_tasks(), "every candidate declined, yet someone must own the case"
    assert case.tasks[-1].agency == "community"


def test_assistance_request_adds_a_task(run: Run) -> None:
    f, case_id = run.feed, open_case(run)
    [task] = run.only_case().tasks
    run(
        f.reply(
            "police", "assist", task.task_id, case_id, T0 + MIN, requested_agency="health", reason="injured"
        )
    )
    assert [(t.agency, t.role) for t in run.only_case().tasks] == [("police", "LEAD"), ("health", "ASSIST")]


def test_missed_deadlines_escalate_level_by_level_and_raise_priority(run: Run) -> None:
    f, case_id = run.feed, open_case(run, severity=2)  # moderate: acknowledge within 30 minutes
    priority = run.only_case().priority
    run(f.tick(T0 + 29 * MIN))
    assert run.only_case().supervising == "grid"
    run(f.tick(T0 + 31 * MIN))
    case = run.only_case()
    assert (case.supervising, case.priority) == ("community", priority + 1)
    [alert] = run.kinds("alert")
    assert alert.message.kind == bus_pb2.ALERT_KIND_DEADLINE_MISSED  # type: ignore[union-attr]
    assert alert.message.target_jurisdiction == "310101-002-003"  # type: ignore[union-attr]
    run(f.tick(T0 + 62 * MIN))
    assert run.only_case().supervising == "street"
    assert run.bodies(case_id).count("case_escalated") == 2


def test_acknowledging_in_time_stops_the_escalation(run: Run) -> None:
    f, case_id = run.feed, open_case(run, severity=2)
    [task] = run.only_case().tasks
    run(f.reply("police", "ack", task.task_id, case_id, T0 + 10 * MIN))
    run(f.reply("police", "arrived", task.task_id, case_id, T0 + 20 * MIN))
    run(f.tick(T0 + 119 * MIN))
    assert "case_escalated" not in run.bodies(case_id)


def test_unknown_gas_takes_the_fast_path(run: Run) -> None:
    run(run.feed.report("community", "unknown.gas", T0, severity=2))
    case = run.only_case()
    assert (case.priority, case.fast_path, case.level) == (5, True, "IV")
    fast = [a.message for a in run.kinds("alert") if a.message.kind == bus_pb2.ALERT_KIND_FAST_PATH]  # type: ignore[union-attr]
    assert len(fast) == 1
    assert set(fast[0].notify_agencies) == {"police", "health", "urban", "community"}  # type: ignore[attr-defined]
    assert fast[0].target_level == 2  # community: one level above the grid  # type: ignore[attr-defined]
    assert {o.agency for o in run.kinds("dispatch")} == {"police", "health", "urban", "community"}


def test_casualties_raise_the_response_level_and_shorten_deadlines(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision_injury", T0, casualties=1))
    before = {(d.kind, d.task_id): d.due_ms for d in run.only_case().deadlines}
    run(f.report("health", "medical.injury", T0 + MIN, casualties=4))
    case = run.only_case()
    assert case.level == "IV"
    after = {(d.kind, d.task_id): d.due_ms for d in case.deadlines}
    assert all(after[k] < before[k] for k in before)


def test_redelivered_and_duplicate_inputs_change_nothing(run: Run) -> None:
    f = run.feed
    report = f.report("police", "traffic.collision", T0)
    first = run(report)
    assert first
    assert run(report) == []  # same position: redelivery
    moved = replace(report, at=replace(report.at, offset=99))
    assert run(moved) == []  # same event id at another offset: duplicate fact


def test_replies_to_unknown_tasks_are_rejected_not_dropped(run: Run) -> None:
    run(run.feed.reply("police", "ack", "C-x/t1", "C-x", T0))
    [reject] = run.kinds("reject")
    assert reject.reason == "correlator.unknown_task"


def test_closed_cases_leave_the_working_state_a_day_later(run: Run) -> None:
    f, case_id = run.feed, open_case(run, "public_safety.noise", severity=1)
    [task] = run.only_case().tasks
    run(f.reply("police", "complete", task.task_id, case_id, T0 + 5 * MIN, disposition=2))  # policy close
    run(f.tick(T0 + 23 * 60 * MIN))
    assert case_id in run.state.cases
    run(f.tick(T0 + 25 * 60 * MIN))
    assert case_id not in run.state.cases  # its history stays on the record
    run(f.reply("police", "progress", task.task_id, case_id, T0 + 26 * 60 * MIN, note="late"))
    assert run.kinds("reject")[-1].reason == "correlator.unknown_task"
