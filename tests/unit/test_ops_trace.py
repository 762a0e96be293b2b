"""trace: a case's timeline, pending deadlines, source reports and merges, from its events alone."""

from __future__ import annotations

from incidentbus.kernel.records import RawRecord
from incidentbus.ops.summaries import summarize
from incidentbus.ops.trace import SourceReport, checked, physical_topic, trace
from incidentbus.v1 import case_events_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run
from tests.unit.ops_builders import accident_reports, altered, case_events, closed_loop, records


def closed_trace() -> tuple[Run, str, list[RawRecord]]:
    run = Run()
    case_id = closed_loop(run, accident_reports(run.feed))
    return run, case_id, records(case_events(run))


def test_every_step_of_a_closed_loop_is_on_the_timeline() -> None:
    run, case_id, log = closed_trace()
    found = trace("case.events.v1", log, case_id)
    assert found is not None
    assert [s.event_type for s in found.steps] == run.bodies(case_id)
    assert [s.sequence for s in found.steps] == list(range(1, len(found.steps) + 1))
    assert (found.steps[0].event_type, found.steps[-1].event_type, found.status) == (
        "case_opened",
        "case_closed",
        "CLOSED",
    )
    assert (found.steps[0].actor, found.steps[0].source_topic) == ("police", "police.events.v1")
    assert {s.source_topic for s in found.steps} >= {"health.events.v1", "community.events.v1"}
    assert all(s.causes and s.time.endswith("Z") for s in found.steps)
    assert not found.warnings


def test_summaries_say_what_happened() -> None:
    _, case_id, log = closed_trace()
    found = trace("t", log, case_id)
    assert found is not None
    text: dict[str, str] = {}
    for step in found.steps:
        text.setdefault(step.event_type, step.summary)  # the first of each kind
    assert text["case_opened"].startswith("case opened: traffic.collision_injury")
    assert f"task {case_id}/t1 assigned to police (LEAD, rule " in text["task_assigned"]
    assert text["case_escalated"].startswith("escalated grid → community")
    assert "missed ACKNOWLEDGE" in text["case_escalated"]
    assert text["case_closed"] == "closed after verification"


def test_pending_deadlines_follow_assignments_and_are_cleared() -> None:
    _, case_id, log = closed_trace()
    found = trace("t", log, case_id)
    assert found is not None
    first_task = next(s for s in found.steps if s.event_type == "task_assigned")
    assert {(d.kind, d.task_id) for d in first_task.deadlines or ()} == {
        (k, f"{case_id}/t1") for k in ("ACKNOWLEDGE", "ARRIVE", "RESOLVE")
    }
    acknowledged = next(s for s in found.steps if "t1 (police) ACKNOWLEDGED" in s.summary)
    assert ("ACKNOWLEDGE", f"{case_id}/t1") not in {(d.kind, d.task_id) for d in acknowledged.deadlines or ()}
    requested = next(s for s in found.steps if s.event_type == "verification_requested")
    assert [d.kind for d in requested.deadlines or ()] == ["VERIFY"]
    assert found.steps[-1].deadlines == ()
    escalated = next(s for s in found.steps if s.event_type == "case_escalated")
    assert all(d.due > escalated.time for d in escalated.deadlines or ())


def test_source_reports_are_listed_with_their_positions() -> None:
    _, case_id, log = closed_trace()
    found = trace("t", log, case_id)
    assert found is not None
    assert [(r.ref.source_agency, r.ref.topic, r.rule) for r in found.reports] == [
        ("police", "police.events.v1", "opened"),
        ("health", "health.events.v1", "grid"),
    ]
    assert [r.check for r in found.reports] == ["unchecked", "unchecked"]


def test_report_check_compares_the_record_id() -> None:
    ref = case_events_pb2.ReportRef(event_id="e-1", topic="p.events.v1", partition=1, offset=7)
    report = SourceReport(ref, 2, "grid")

    def at(ce_id: bytes) -> RawRecord:
        return RawRecord("p.events.v1", 1, 7, 0, None, b"", (("ce_id", ce_id),))

    assert checked(report, at(b"e-1")).check == "confirmed"
    assert (checked(report, at(b"e-2")).check, checked(report, at(b"e-2")).found_id) == ("mismatch", "e-2")
    assert checked(report, None).check == "not_found"


def test_catalog_topic_names_are_put_under_the_prefix() -> None:
    assert physical_topic("police.events.v1", "") == "police.events.v1"
    assert physical_topic("police.events.v1", "it-1.") == "it-1.police.events.v1"
    assert physical_topic("it-1.police.events.v1", "it-1.") == "it-1.police.events.v1"


def test_an_absorbed_case_says_where_it_went() -> None:
    run = Run()
    f = run.feed
    far = "310101-009-001-01"  # a grid-only case, then a report that places it at the first one's point
    run(f.report("police", "traffic.collision", T0, lat=31.23, lon=121.47))
    run(f.report("urban", "traffic.collision", T0 + MIN, grid=far))
    run(f.report("health", "traffic.collision", T0 + 2 * MIN, grid=far, lat=31.23, lon=121.47))
    survivor = run.only_case().case_id
    [absorbed] = [c.case_id for c in run.state.cases.values() if c.status == "MERGED"]
    log = records(case_events(run))
    gone = trace("t", log, absorbed)
    assert gone is not None
    assert (gone.merged_into, gone.status, gone.steps[-1].summary) == (
        [survivor],
        "MERGED",
        f"closed: merged into {survivor}",
    )
    alive = trace("t", log, survivor)
    assert alive is not None
    assert alive.absorbed == [absorbed]
    assert len(alive.reports) == 3


def test_unknown_cases_and_conflicting_versions() -> None:
    run, case_id, log = closed_trace()
    assert trace("t", log, "C-000000-nothing") is None
    events = case_events(run)
    doubled = trace("t", [*log, *records([events[1], altered(events[2])], start=900)], case_id)
    assert doubled is not None
    assert len(doubled.steps) == len(events)  # the repeat collapsed, the forgery not shown
    assert doubled.warnings == [
        "sequence 3 has another version at 0/901; showing the first (run `incidentbus verify`)"
    ]


def test_a_timeline_with_a_gap_stops_guessing_deadlines() -> None:
    run, case_id, _ = closed_trace()
    events = case_events(run)
    found = trace("t", records(events[1:]), case_id)
    assert found is not None
    assert all(s.deadlines is None and s.status == "?" for s in found.steps)


def test_every_body_has_a_summary() -> None:
    names = [f.name for f in case_events_pb2.CaseEvent.DESCRIPTOR.oneofs_by_name["body"].fields]
    for name in names:
        event = case_events_pb2.CaseEvent(case_id="C-1")
        getattr(event, name).SetInParent()
        assert not summarize(event).startswith("("), name


def test_after_a_missing_event_the_state_is_unknown() -> None:
    run, case_id, _ = closed_trace()
    events = case_events(run)
    found = trace("t", records(events[:5] + events[6:]), case_id)
    assert found is not None
    assert all(s.deadlines is not None for s in found.steps[:5])
    assert all(s.deadlines is None and s.status == "?" for s in found.steps[5:])
