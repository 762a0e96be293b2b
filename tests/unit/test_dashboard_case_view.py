"""The dashboard's case view (board.case_view): the timeline as `incidentbus trace` shows it, the
source reports with their positions, merges and splits, and never the reporters."""

from __future__ import annotations

import json

from incidentbus.ops.dashboard import board
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run
from tests.unit.dashboard_builders import event, snapshot
from tests.unit.ops_builders import accident_reports, case_events, closed_loop, from_source

PARTITION, FIRST_OFFSET = 2, 100


def folded(run: Run) -> ReadModel:
    """Every case event of the run at consecutive offsets of one partition, and every snapshot."""
    model = ReadModel()
    for n, e in enumerate(case_events(run)):
        model.apply_event(e, PARTITION, FIRST_OFFSET + n)
    for out in run.kinds("snapshot"):
        model.apply_snapshot(out.message)  # type: ignore[arg-type]
    return model


def test_a_closed_loop_shows_every_step_with_its_position_and_the_reports_with_theirs() -> None:
    run = Run()
    police, health = accident_reports(run.feed)
    reports = [from_source(police, "police.events.v1", 4, 77), from_source(health, "health.events.v1", 1, 9)]
    case_id = closed_loop(run, reports)
    model = folded(run)
    view = board.case_view(model, case_id)
    assert view is not None
    steps = view["events"]
    assert [s["event_type"] for s in steps] == run.bodies(case_id)
    assert [s["sequence"] for s in steps] == list(range(1, len(steps) + 1))
    assert [s["position"] for s in steps] == [f"{PARTITION}/{FIRST_OFFSET + n}" for n in range(len(steps))]
    assert [s["event_id"] for s in steps] == [e.envelope.event_id for e in case_events(run, case_id)]
    assert (steps[0]["status"], steps[-1]["status"], steps[-1]["pending_deadlines"]) == (
        "REPORTED",
        "CLOSED",
        [],
    )
    assert (steps[0]["actor"], steps[0]["source_topic"]) == ("police", "police.events.v1")
    assert [
        (r["source_agency"], r["topic"], r["partition"], r["offset"], r["rule"]) for r in view["reports"]
    ] == [
        ("police", "police.events.v1", 4, 77, "opened"),
        ("health", "health.events.v1", 1, 9, "grid"),
    ]
    assert [r["event_id"] for r in view["reports"]] == [
        police.event.envelope.event_id,
        health.event.envelope.event_id,
    ]
    assert view["case"] == board.row(model, model.snapshots[case_id])
    assert (view["case"]["status"], view["case"]["open"], view["case"]["escalations"]) == ("CLOSED", False, 1)
    assert (view["merged_into"], view["absorbed"], view["split_into"]) == ([], [], [])
    assert view["reporters"] == "sealed"
    assert json.loads(json.dumps(view)) == view  # served as JSON as it is


def test_the_view_names_no_reporter() -> None:
    run = Run()
    case_id = closed_loop(run, accident_reports(run.feed))
    view = board.case_view(folded(run), case_id)
    assert view is not None
    assert set(view) == {"case", "events", "reports", "merged_into", "absorbed", "split_into", "reporters"}
    assert not any("reporter" in key for r in view["reports"] for key in r)


def test_an_unknown_case_has_no_view() -> None:
    run = Run()
    case_id = closed_loop(run, accident_reports(run.feed))
    model = folded(run)
    assert board.case_view(model, "C-310101-nope") is None
    assert board.case_view(ReadModel(), case_id) is None


def test_a_merge_through_the_core_shows_on_both_cases() -> None:
    """A case opened without a point merges into the one a third report places beside it."""
    run = Run()
    f = run.feed
    run(f.report("police", "traffic.collision", T0, lat=31.2300, lon=121.4700))
    run(f.report("community", "traffic.collision", T0 + MIN, grid="310101-009-001-01"))
    run(
        f.report(
            "health", "traffic.collision", T0 + 2 * MIN, grid="310101-009-001-01", lat=31.2301, lon=121.47
        )
    )
    [merged] = [c.case_id for c in run.state.cases.values() if c.status == "MERGED"]
    live = run.only_case().case_id
    model = folded(run)
    gone, kept = board.case_view(model, merged), board.case_view(model, live)
    assert gone is not None
    assert kept is not None
    assert (gone["merged_into"], gone["absorbed"]) == ([live], [])
    assert (kept["merged_into"], kept["absorbed"]) == ([], [merged])
    assert (gone["case"]["status"], gone["case"]["open"]) == ("MERGED", False)
    assert gone["events"][-1]["status"] == "MERGED"


def test_a_split_through_the_core_shows_where_the_report_went() -> None:
    run = Run()
    f = run.feed
    run(f.report("police", "traffic.collision", T0))
    run(f.report("health", "medical.injury", T0 + MIN))
    case = run.only_case()
    moved = case.reports[1].event_id
    run(f.split(case.case_id, [moved], T0 + 2 * MIN))
    [new] = [c for c in run.state.cases if c != case.case_id]
    model = folded(run)
    view = board.case_view(model, case.case_id)
    assert view is not None
    assert view["split_into"] == [new]
    assert {r["event_id"]: r["moved_to"] for r in view["reports"]} == {
        case.reports[0].event_id: "",
        moved: new,
    }
    assert view["events"][-1]["event_type"] == "case_split"
    other = board.case_view(model, new)
    assert other is not None
    assert [r["rule"] for r in other["reports"]] == ["split"]


def test_a_chain_of_merges_is_followed_to_its_end() -> None:
    """A was merged into B, B into C; C then split D off."""
    model = ReadModel()
    a, b, c, d = (f"C-310101-{x}" for x in "abcd")
    model.apply_event(event(a, 1, T0, case_opened=ce.CaseOpened()))
    model.apply_event(event(b, 1, T0, case_opened=ce.CaseOpened()))
    model.apply_event(event(c, 1, T0, case_opened=ce.CaseOpened()))
    model.apply_event(event(b, 2, T0 + MIN, cases_merged=ce.CasesMerged(merged_case_id=a)))
    model.apply_event(event(a, 2, T0 + MIN, case_closed=ce.CaseClosed(merged_into=b)))
    model.apply_event(event(c, 2, T0 + 2 * MIN, cases_merged=ce.CasesMerged(merged_case_id=b)))
    model.apply_event(event(b, 3, T0 + 2 * MIN, case_closed=ce.CaseClosed(merged_into=c)))
    model.apply_event(event(c, 3, T0 + 3 * MIN, case_split=ce.CaseSplit(new_case_id=d)))
    model.apply_snapshot(snapshot(a, status=ce.CASE_STATUS_MERGED, sequence=2, merged_into=b))
    model.apply_snapshot(snapshot(b, status=ce.CASE_STATUS_MERGED, sequence=3, merged_into=c))
    model.apply_snapshot(snapshot(c, sequence=3))
    views = {x: board.case_view(model, x) for x in (a, b, c)}
    shown = {x: (v["merged_into"], v["absorbed"], v["split_into"]) for x, v in views.items() if v is not None}
    assert shown == {a: ([b, c], [], []), b: ([c], [a], []), c: ([], [b], [d])}
    assert board.case_view(model, d) is None  # no event of it folded yet
