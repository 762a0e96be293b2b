"""Correlation: which reports become one case, and why (score parts recorded with the link)."""

from __future__ import annotations

from incidentbus.correlator.domain.chain import check_chain
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run


def test_one_accident_reported_by_three_agencies_is_one_case_with_three_tasks(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision_injury", T0, casualties=1))
    run(f.report("health", "medical.injury", T0 + 2 * MIN))
    run(f.report("community", "traffic.road_obstruction", T0 + 3 * MIN, grid="310101-002-003-08"))
    case = run.only_case()
    assert len(case.reports) == 3
    assert {r.source_agency for r in case.reports} == {"police", "health", "community"}
    assert sorted((t.agency, t.role) for t in case.tasks) == [
        ("health", "SUPPORT"),
        ("police", "LEAD"),
        ("urban", "SUPPORT"),
    ]
    assert sorted(o.agency for o in run.kinds("dispatch")) == ["health", "police", "urban"]
    links = run.links(case.case_id)
    assert [link.score.rule for link in links] == ["opened", "grid", "neighbour_grid"]
    assert links[1].score.category == 0.7  # compatible types
    assert links[1].score.place == 1.0  # same grid
    assert 0 < links[2].score.time < 1
    assert links[2].score.total >= 0.55


def test_far_away_or_unrelated_or_late_reports_open_their_own_cases(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0))
    run(f.report("police", "traffic.collision", T0 + MIN, grid="310101-009-001-01"))  # not a neighbour
    run(f.report("urban", "urban.garbage", T0 + 2 * MIN))  # same grid, incompatible type
    run(f.report("police", "traffic.collision", T0 + 200 * MIN))  # outside the 45-minute window
    assert len(run.state.cases) == 4


def test_points_within_the_radius_match_across_grids(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, grid="310101-005-001-01", lat=31.2300, lon=121.4700))
    run(f.report("health", "medical.injury", T0 + MIN, grid="310101-005-002-01", lat=31.2308, lon=121.4700))
    case = run.only_case()
    assert len(case.reports) == 2
    link = run.links(case.case_id)[-1]
    assert link.score.rule == "radius"
    assert 0 < link.score.place < 1


def test_a_report_naming_a_case_always_links(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0))
    case_id = run.only_case().case_id
    run(f.report("urban", "urban.garbage", T0 + 300 * MIN, grid="310101-009-001-01", case_ref=case_id))
    assert len(run.only_case().reports) == 2
    assert run.links(case_id)[-1].score.rule == "named_case"


def test_a_report_bridging_two_open_cases_merges_them(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, grid="310101-002-003-06"))
    run(f.report("urban", "urban.road_damage", T0 + MIN, grid="310101-002-003-08"))
    assert len(run.state.cases) == 2  # 06 and 08 are not neighbours of each other
    run(f.report("health", "medical.injury", T0 + 2 * MIN, grid="310101-002-003-07"))  # neighbour of both
    live = run.only_case()
    merged = [c for c in run.state.cases.values() if c.status == "MERGED"]
    assert len(merged) == 1
    assert merged[0].merged_into == live.case_id
    assert len(live.reports) == 3
    assert {r.source_agency for r in live.reports} == {"police", "urban", "health"}
    assert run.state.resolve(merged[0].case_id) == live
    assert "cases_merged" in run.bodies(live.case_id)
    assert run.bodies(merged[0].case_id)[-1] == "case_closed"
    assert all(not t.active for t in merged[0].tasks)


def test_ties_are_broken_by_case_id_and_runs_are_identical() -> None:
    def play() -> list[bytes]:
        r = Run()
        r(r.feed.report("police", "traffic.collision", T0, grid="310101-002-003-06"))
        r(r.feed.report("police", "traffic.collision", T0, grid="310101-002-003-08"))
        r(r.feed.report("health", "medical.injury", T0, grid="310101-002-003-07"))
        return [o.message.SerializeToString(deterministic=True) for o in r.outputs if o.message is not None]

    assert play() == play()


def test_every_case_chain_verifies(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision_injury", T0, casualties=4))
    run(f.report("health", "medical.injury", T0 + MIN))
    run(f.tick(T0 + 500 * MIN))
    case_id = run.only_case().case_id
    assert check_chain(case_id, run.events(case_id)) == []  # type: ignore[arg-type]


def test_a_wrong_merge_can_be_split(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0))
    run(f.report("health", "medical.injury", T0 + MIN))
    case = run.only_case()
    moved = case.reports[1].event_id
    run(f.split(case.case_id, [moved], T0 + 2 * MIN))
    origin = run.state.cases[case.case_id]
    [new] = [c for c in run.state.cases.values() if c.case_id != case.case_id]
    assert [r.event_id for r in origin.reports] == [case.reports[0].event_id]
    assert [r.event_id for r in new.reports] == [moved]
    assert new.active_tasks()  # the split case is routed on its own
    assert run.bodies(case.case_id)[-1] == "case_split"
    assert run.links(new.case_id)[0].score.rule == "split"


def test_splitting_all_or_foreign_reports_is_refused(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0))
    case = run.only_case()
    run(f.split(case.case_id, [case.reports[0].event_id], T0 + MIN))  # would leave the case empty
    run(f.split(case.case_id, ["not-a-report"], T0 + MIN))
    assert [r.reason for r in run.kinds("reject")] == ["correlator.split_invalid"] * 2
    assert len(run.state.cases) == 1
