"""Correlation: which reports become one case, and why (score parts recorded with the link)."""

from __future__ import annotations

from itertools import combinations

from incidentbus.correlator.domain.chain import check_chain
from incidentbus.correlator.domain.matching import distance_m
from incidentbus.correlator.domain.model import Case
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
    run(f.report("police", "traffic.collision", T0 + 200 * MIN))  # outside the 15-minute window
    assert len(run.state.cases) == 4


def test_points_within_the_radius_match_across_grids(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, grid="310101-005-001-01", lat=31.2300, lon=121.4700))
    run(f.report("health", "medical.injury", T0 + MIN, grid="310101-005-002-01", lat=31.2308, lon=121.4700))
    case = run.only_case()
    assert len(case.reports) == 2
    link = run.links(case.case_id)[-1]
    assert (link.score.rule, link.score.radius_m) == ("distance", 150.0)  # traffic and medical: 150 m
    assert 88 < link.score.distance_m < 90  # 0.0008 degrees of latitude
    assert 0 < link.score.place < 1


def test_when_both_have_points_the_distance_decides_not_the_grid(run: Run) -> None:
    """The review's encampment report joined a party case 871 m away: same grid, place 1.0."""
    f = run.feed
    run(f.report("police", "public_safety.noise", T0, lat=31.2300, lon=121.4700))
    run(f.report("community", "public_safety.disturbance", T0 + MIN, lat=31.2300, lon=121.4792))  # ~871 m
    assert len(run.state.cases) == 2
    run(f.report("urban", "public_safety.noise", T0 + 2 * MIN))  # no point: the grid decides
    assert len(run.state.cases) == 2
    assert "grid" in [link.score.rule for c in run.state.cases for link in run.links(c)]


def test_each_category_has_its_own_reach(run: Run) -> None:
    f = run.feed
    run(f.report("police", "public_safety.noise", T0, lat=31.2300, lon=121.4700))
    run(f.report("police", "public_safety.noise", T0 + MIN, lat=31.2311, lon=121.4700))  # ~122 m: > 100 m
    assert len(run.state.cases) == 2
    run(f.report("police", "traffic.collision", T0, lat=31.2400, lon=121.4700))
    run(f.report("health", "traffic.collision", T0 + MIN, lat=31.2411, lon=121.4700))  # ~122 m: < 150 m
    assert len(run.state.cases) == 3


def test_a_case_does_not_chain_from_neighbour_to_neighbour(run: Run) -> None:
    """Each report is near the last one; only those near the anchor (and every point) join."""
    f = run.feed
    for n in range(4):  # 0, 80, 160, 240 m east, one minute apart
        run(f.report("police", "traffic.collision", T0 + n * MIN, lat=31.2300, lon=121.4700 + n * 0.00084))
    sizes = sorted(len(c.reports) for c in run.state.cases.values())
    assert sizes == [2, 2]  # 0 and 80 m; 160 m is within 150 m of 80 but not of the anchor
    assert max(_extent(c) for c in run.state.cases.values()) <= 150


def test_a_case_has_a_bounded_age(run: Run) -> None:
    """The window runs from the case's first report, not from its latest (urban: 12 h)."""
    f = run.feed
    for minutes in (0, 400, 800):
        run(f.report("urban", "urban.road_damage", T0 + minutes * MIN))
    assert sorted(len(c.reports) for c in run.state.cases.values()) == [1, 2]


def test_a_report_bridging_two_cases_merges_them_only_on_strong_evidence(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, grid="310101-002-003-06"))
    run(f.report("urban", "urban.road_damage", T0 + MIN, grid="310101-002-003-08"))
    assert len(run.state.cases) == 2  # 06 and 08 are not neighbours of each other
    run(f.report("health", "medical.injury", T0 + 2 * MIN, grid="310101-002-003-07"))  # neighbour of both
    assert [c.status for c in run.state.cases.values()].count("MERGED") == 0  # 0.7 and 0.7 prove nothing
    assert sorted(len(c.reports) for c in run.state.cases.values()) == [1, 2]


def test_a_case_opened_without_a_point_merges_when_a_report_places_both(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, lat=31.2300, lon=121.4700))
    run(f.report("community", "traffic.collision", T0 + MIN, grid="310101-009-001-01"))  # no point, elsewhere
    assert len(run.state.cases) == 2
    # in the second's grid, a few metres from the first: one incident
    run(
        f.report(
            "health", "traffic.collision", T0 + 2 * MIN, grid="310101-009-001-01", lat=31.2301, lon=121.47
        )
    )
    merged = [c for c in run.state.cases.values() if c.status == "MERGED"]
    assert len(merged) == 1
    [live] = [c for c in run.state.cases.values() if c.status != "MERGED"]
    assert len(live.reports) == 3
    assert run.state.resolve(merged[0].case_id) == live
    assert all(not t.active for t in merged[0].tasks)
    [evidence] = [
        e.cases_merged.evidence for e in run.events(live.case_id) if e.WhichOneof("body") == "cases_merged"
    ]  # type: ignore[attr-defined]
    assert evidence.total >= 0.9


def _extent(case: Case) -> float:
    pairs = [distance_m(a.place, b.place) for a, b in combinations(case.reports, 2)]
    return max((d for d in pairs if d is not None), default=0.0)


def test_a_report_naming_a_case_always_links(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0))
    case_id = run.only_case().case_id
    run(f.report("urban", "urban.garbage", T0 + 300 * MIN, grid="310101-009-001-01", case_ref=case_id))
    assert len(run.only_case().reports) == 2
    assert run.links(case_id)[-1].score.rule == "named_case"


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


def _close_by_lead(run: Run, case_id: str, at: int) -> None:
    lead = next(t for t in run.state.cases[case_id].tasks if t.active and t.role == "LEAD")
    run(run.feed.reply(lead.agency, "complete", lead.task_id, case_id, at, disposition=1))


def test_a_repeat_call_after_a_noise_case_closed_reopens_it(run: Run) -> None:
    """The review's repeat: noise closes when the police complete; a call four minutes later."""
    f = run.feed
    run(f.report("police", "public_safety.noise", T0))
    case_id = run.only_case().case_id
    _close_by_lead(run, case_id, T0 + 20 * MIN)
    assert run.only_case().status == "CLOSED"  # minor-nuisance-auto-close
    run(f.report("community", "public_safety.noise", T0 + 24 * MIN))
    case = run.only_case()
    assert (case.case_id, len(case.reports)) == (case_id, 2)
    assert run.links(case_id)[-1].score.rule == "repeat"
    assert case.status != "CLOSED"
    assert [t.agency for t in case.active_tasks() if t.role == "LEAD"] == ["police"]
    assert run.bodies(case_id)[-4:].count("case_reopened") == 1


def test_a_repeat_in_a_family_that_does_not_reopen_is_recorded_only(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.illegal_parking", T0))
    case_id = run.only_case().case_id
    _close_by_lead(run, case_id, T0 + 10 * MIN)
    run(f.report("police", "traffic.illegal_parking", T0 + 15 * MIN))
    case = run.only_case()
    assert (case.status, len(case.reports), case.active_tasks()) == ("CLOSED", 2, ())
    assert run.links(case_id)[-1].score.rule == "repeat"


def test_a_call_after_the_repeat_window_is_a_new_incident(run: Run) -> None:
    f = run.feed
    run(f.report("police", "public_safety.noise", T0))
    _close_by_lead(run, run.only_case().case_id, T0 + 20 * MIN)
    run(f.report("police", "public_safety.noise", T0 + 90 * MIN))  # 70 min after closing: window 60
    assert sorted(c.status for c in run.state.cases.values()) == ["CLOSED", "DISPATCHED"]


def test_the_same_address_is_one_place_and_different_addresses_are_not(run: Run) -> None:
    f = run.feed
    run(f.report("police", "public_safety.noise", T0, address="123 WEST 45 STREET"))
    run(
        f.report("community", "public_safety.noise", T0 + MIN, address="123 W 45th St")
    )  # same, spelled otherwise
    case = run.only_case()
    assert run.links(case.case_id)[-1].score.rule == "address"
    # a few metres away, but another house on the street, or another street: other places
    run(
        f.report(
            "police", "public_safety.noise", T0 + 2 * MIN, address="125 W 45 ST", lat=31.2300, lon=121.47
        )
    )
    run(
        f.report(
            "police", "public_safety.noise", T0 + 3 * MIN, address="10 BROADWAY", lat=31.2300, lon=121.47
        )
    )
    assert sorted(len(c.reports) for c in run.state.cases.values()) == [1, 1, 2]


def test_an_intersection_is_one_place_whichever_street_is_named_first(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, address="MAIN ST & CHERRY LN", grid="310101-009-001-01"))
    run(f.report("health", "medical.injury", T0 + MIN, address="Cherry Lane and Main Street"))
    case = run.only_case()
    assert run.links(case.case_id)[-1].score.rule == "address"


def test_a_vague_address_does_not_rule_a_place_out(run: Run) -> None:
    """Free text read as a street ("X Rd near Y Rd") is no evidence against an intersection."""
    f = run.feed
    run(
        f.report(
            "police",
            "traffic.collision",
            T0,
            address="Yan'an East Rd & Henan Middle Rd",
            lat=31.2304,
            lon=121.4837,
        )
    )
    run(
        f.report(
            "health",
            "medical.injury",
            T0 + MIN,
            address="Yan'an East Rd near Henan Rd",
            lat=31.2306,
            lon=121.4839,
        )
    )
    assert len(run.only_case().reports) == 2
