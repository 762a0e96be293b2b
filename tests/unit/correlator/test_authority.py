"""Each agency speaks only for itself: the publisher (whose topic carried an event) decides who
spoke, not the envelope's claim; replies change only tasks addressed to their publisher; every
case event names the topic of its cause (issue 12, point 1)."""

from __future__ import annotations

from dataclasses import replace

from incidentbus.correlator.domain.outputs import Output
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import RULES, Run, checked


def refused(out: list[Output]) -> list[str]:
    return [o.reason for o in out if o.kind == "reject"]


def acted(out: list[Output]) -> list[Output]:
    return [o for o in out if o.kind == "case_event"]


def opened(run: Run) -> tuple[str, dict[str, str]]:
    """A collision with an injury: police lead, health and urban support (tasks by agency)."""
    checked(run, run.feed.report("police", "traffic.collision_injury", T0, casualties=1))
    case = run.only_case()
    return case.case_id, {t.agency: t.task_id for t in case.active_tasks()}


def test_a_completion_claiming_another_agency_is_refused_and_changes_nothing(run: Run) -> None:
    case_id, tasks = opened(run)
    before = run.state.cases[case_id]
    forged = run.feed.reply(
        "health", "complete", tasks["health"], case_id, T0 + MIN, by="police", disposition=1
    )
    out = checked(run, forged)
    assert refused(out) == ["authz.agency_mismatch"]
    assert acted(out) == []
    assert run.state.cases[case_id].tasks == before.tasks


def test_an_honest_agency_cannot_answer_a_task_addressed_to_another(run: Run) -> None:
    case_id, tasks = opened(run)
    out = checked(run, run.feed.reply("police", "decline", tasks["health"], case_id, T0 + MIN, reason=2))
    assert refused(out) == ["authz.not_addressed"]
    assert acted(out) == []
    assert run.state.cases[case_id].task(tasks["health"]).active  # type: ignore[union-attr]


def test_a_report_claiming_another_agency_opens_no_case(run: Run) -> None:
    out = checked(run, run.feed.report("health", "medical.injury", T0, by="police"))
    assert refused(out) == ["authz.agency_mismatch"]
    assert run.state.cases == {}


def test_only_the_verifier_verifies(run: Run) -> None:
    case_id, tasks = opened(run)
    for agency, task_id in tasks.items():
        checked(run, run.feed.reply(agency, "complete", task_id, case_id, T0 + 5 * MIN, disposition=1))
    case = run.only_case()
    assert case.status == "RESOLVED"
    out = checked(run, run.feed.verification(case_id, case.verification_id, T0 + 9 * MIN, by="police"))
    assert refused(out) == ["authz.not_addressed"]
    assert run.only_case().status == "RESOLVED"
    checked(run, run.feed.verification(case_id, case.verification_id, T0 + 10 * MIN, by=RULES.verifier))
    assert run.only_case().status == "CLOSED"


def test_commands_come_from_operators_and_facts_from_agencies(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0))
    checked(run, f.report("police", "traffic.collision", T0 + MIN))
    case = run.only_case()
    split = f.split(case.case_id, [case.reports[-1].event_id], T0 + 2 * MIN, by="urban")
    assert refused(checked(run, split)) == ["authz.wrong_publisher"]
    as_operator = f.report("operator", "traffic.collision", T0 + 2 * MIN)
    assert refused(checked(run, as_operator)) == ["authz.wrong_publisher"]
    assert [c.case_id for c in run.state.open_cases()] == [case.case_id]


def test_case_events_name_the_topic_and_publisher_that_caused_them(run: Run) -> None:
    f = run.feed
    checked(run, f.report("police", "traffic.collision", T0))
    checked(run, f.report("police", "traffic.collision", T0 + MIN))
    case = run.only_case()
    out = checked(run, f.split(case.case_id, [case.reports[-1].event_id], T0 + 2 * MIN))
    events = [o.message for o in acted(out)]
    assert {e.source_topic for e in events} == {"case.commands.v1"}  # type: ignore[attr-defined]
    assert {e.actor for e in events} <= {"operator", "correlator"}  # type: ignore[attr-defined]
    [split] = [e.case_split for e in events if e.WhichOneof("body") == "case_split"]  # type: ignore[attr-defined]
    assert split.requested_by == "op-1"
    first = run.events(case.case_id)[0]
    assert (first.actor, first.source_topic) == ("police", "police.events.v1")  # type: ignore[attr-defined]


def test_only_the_correlator_keeps_the_clock(run: Run) -> None:
    tick = run.feed.tick(T0 + 60 * MIN)
    forged = replace(tick, publisher="police")
    assert refused(checked(run, forged)) == ["authz.agency_mismatch"]
    assert run.state.clock_ms < T0 + 60 * MIN


def test_a_refused_input_neither_moves_the_clock_nor_fires_anyones_deadlines(run: Run) -> None:
    """Found by review: a refused reply stamped ahead used to escalate another agency's task."""
    case_id, tasks = opened(run)
    clock = run.state.clock_ms
    far = T0 + 6 * 60 * MIN  # every acknowledge deadline long past
    out = checked(run, run.feed.reply("police", "progress", tasks["urban"], case_id, far))
    assert refused(out) == ["authz.not_addressed"]
    assert acted(out) == []
    assert run.state.clock_ms == clock
    assert [o for o in out if o.kind == "alert"] == []


def test_an_agency_cannot_take_the_id_of_another_agencys_future_event(run: Run) -> None:
    """Found by review: ids are predictable and a seen id is dropped as a duplicate, so police
    published, in its own name, an event under the id health's acknowledgement would have."""
    case_id, tasks = opened(run)
    decoy = run.feed.reply("police", "ack", tasks["police"], case_id, T0 + MIN)
    real = run.feed.reply("health", "ack", tasks["health"], case_id, T0 + 2 * MIN)  # logged after it
    decoy.event.envelope.event_id = real.event.envelope.event_id
    assert refused(checked(run, decoy)) == ["authz.event_id_mismatch"]
    checked(run, real)
    assert run.state.cases[case_id].task(tasks["health"]).status == "ACKNOWLEDGED"  # type: ignore[union-attr]
    assert run.state.cases[case_id].task(tasks["police"]).status == "ASSIGNED"  # type: ignore[union-attr]
