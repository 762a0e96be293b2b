"""Categories with the granularity real reports have, and windows that fit each kind of report.

Noise is split by source as the PRC noise law divides it, housing complaints by what failed,
and the compatibility groups pair only types two agencies would use for one incident.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incidentbus.agencies.registry import load_adapter
from incidentbus.correlator.domain.rules import RulesError
from incidentbus.correlator.rulesfile import default_rules_text, load_rules
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run

RULES = load_rules()
HERE = {"lat": 31.2300, "lon": 121.4700}


def sizes(run: Run) -> list[int]:
    return sorted(len(c.reports) for c in run.state.cases.values())


@pytest.mark.parametrize(
    ("agency", "code", "canonical"),
    [
        ("police", "NS2", "public_safety.noise_residential"),
        ("police", "NS3", "public_safety.noise_public_place"),
        ("police", "NS4", "public_safety.noise_commercial"),
        ("police", "NS5", "traffic.noise_vehicle"),
        ("police", "NS6", "urban.noise_construction"),
        ("police", "PK2", "traffic.blocked_access"),
        ("police", "PK3", "traffic.abandoned_vehicle"),
        ("police", "HL1", "public_safety.encampment"),
        ("urban", "0206", "public_safety.encampment"),
        ("community", "E17", "public_safety.encampment"),
        ("urban", "0303", "urban.street_sign"),
        ("community", "E19", "urban.street_sign"),
        ("urban", "0403", "urban.noise_construction"),
        ("community", "E13", "community.heating"),
        ("community", "E14", "community.plumbing"),
        ("community", "E15", "community.housing_repair"),
        ("community", "E16", "community.housing_sanitation"),
    ],
)
def test_agency_codes_name_the_finer_types(agency: str, code: str, canonical: str) -> None:
    assert load_adapter(agency).codes.lookup("incident_types", code) == canonical


@pytest.mark.parametrize(
    ("incident_type", "lead"),
    [
        ("public_safety.noise_residential", "police"),
        ("public_safety.noise_commercial", "police"),
        ("traffic.noise_vehicle", "police"),
        ("urban.noise_construction", "urban"),
        ("public_safety.encampment", "community"),
        ("community.heating", "community"),
        ("urban.street_sign", "urban"),
    ],
)
def test_each_finer_type_has_its_responsible_agency(incident_type: str, lead: str) -> None:
    assert RULES.route(incident_type, "310101").lead == lead


def test_noise_from_different_sources_at_one_address_is_two_matters(run: Run) -> None:
    f = run.feed
    run(f.report("police", "public_safety.noise_residential", T0, address="364 W 127 ST", **HERE))
    run(f.report("police", "public_safety.noise_residential", T0 + 5 * MIN, address="364 W 127 ST", **HERE))
    run(f.report("police", "public_safety.noise_public_place", T0 + 6 * MIN, address="364 W 127 ST", **HERE))
    run(f.report("police", "traffic.noise_vehicle", T0 + 7 * MIN, address="364 W 127 ST", **HERE))
    assert sizes(run) == [1, 1, 2]


def test_noise_of_unstated_source_joins_a_specific_one_without_joining_them_to_each_other() -> None:
    assert RULES.compatibility("public_safety.noise", "public_safety.noise_commercial") == 0.7
    assert RULES.compatibility("public_safety.noise", "public_safety.noise_residential") == 0.7
    assert RULES.compatibility("public_safety.noise_commercial", "public_safety.noise_residential") == 0.0
    assert RULES.compatibility("public_safety.noise_residential", "community.dispute") == 0.7
    assert RULES.compatibility("public_safety.assault", "community.dispute") == 0.0  # once one group
    assert RULES.compatibility("public_safety.disturbance", "community.dispute") == 0.7  # the demo's quarrel


def test_one_encampment_reported_by_police_and_the_grid_is_one_case(run: Run) -> None:
    f = run.feed
    run(f.report("police", "public_safety.encampment", T0, address="Central Park West & W 100 St", **HERE))
    run(f.report("community", "public_safety.encampment", T0 + 20 * MIN, address="W 100 ST & CENTRAL PARK W"))
    case = run.only_case()
    assert run.links(case.case_id)[-1].score.rule == "address"
    assert [t.agency for t in case.tasks] == ["community"]


def test_a_sign_knocked_down_by_a_car_is_the_crash_police_reported(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, **HERE))
    run(f.report("urban", "urban.street_sign", T0 + 40 * MIN, lat=31.2303, lon=121.4700))
    case = run.only_case()
    link = run.links(case.case_id)[-1]
    assert (link.score.category, link.score.rule) == (0.7, "distance")


def test_heating_complaints_join_per_building_and_not_across_buildings(run: Run) -> None:
    f = run.feed
    run(f.report("community", "community.heating", T0, address="1025 BOYNTON AVE", **HERE))
    run(f.report("community", "community.heating", T0 + 90 * MIN, address="1025 Boynton Avenue", **HERE))
    run(f.report("community", "community.heating", T0 + 95 * MIN, address="1030 BOYNTON AVE", **HERE))
    run(f.report("community", "community.plumbing", T0 + 96 * MIN, address="1025 BOYNTON AVE", **HERE))
    assert sizes(run) == [1, 1, 2]


def test_a_second_crash_call_is_one_crash_only_within_minutes(run: Run) -> None:
    """Emergencies: calls about one crash come minutes apart; after 15 quiet minutes it is another."""
    f = run.feed
    run(f.report("police", "traffic.collision", T0, address="MAIN ST & CHERRY LN"))
    run(f.report("police", "traffic.collision", T0 + 10 * MIN, address="MAIN ST & CHERRY LN"))
    run(f.report("police", "traffic.collision", T0 + 25 * MIN, address="MAIN ST & CHERRY LN"))
    assert sizes(run) == [1, 2]
    assert RULES.gap_ms("traffic.collision", "traffic") == 10 * MIN


def test_calls_that_keep_coming_stay_one_case_up_to_its_maximum_age(run: Run) -> None:
    """A session window: each call within the gap of the last joins, until the case is 45 min old."""
    f = run.feed
    for minutes in (0, 9, 18, 27, 36, 44, 53):
        run(f.report("police", "traffic.collision", T0 + minutes * MIN, address="MAIN ST & CHERRY LN"))
    assert sizes(run) == [1, 6]  # 53 min is past the 45-minute window
    assert RULES.window_ms("traffic.collision", "traffic") == 45 * MIN


def test_a_late_report_between_two_calls_is_measured_to_the_nearest(run: Run) -> None:
    f = run.feed
    run(f.report("police", "traffic.collision", T0, address="MAIN ST & CHERRY LN"))
    run(f.report("police", "traffic.collision", T0 + 8 * MIN, address="MAIN ST & CHERRY LN"))
    run(f.report("health", "medical.injury", T0 + 4 * MIN, address="MAIN ST & CHERRY LN"))  # arrives late
    assert sizes(run) == [3]


def test_noise_goes_on_for_hours_while_the_calls_keep_coming(run: Run) -> None:
    f = run.feed
    for minutes in (0, 50, 100, 150):
        run(f.report("police", "public_safety.noise_residential", T0 + minutes * MIN, address="359 20 ST"))
    run(f.report("police", "public_safety.noise_residential", T0 + 215 * MIN, address="359 20 ST"))
    assert sizes(run) == [1, 4]  # 65 quiet minutes, and past three hours


def test_the_joining_reports_type_sets_the_window(run: Run) -> None:
    """The road damage a crash left is reported for hours; a parked car stays an hour."""
    f = run.feed
    run(f.report("police", "traffic.collision", T0, address="MAIN ST & CHERRY LN"))
    run(f.report("urban", "urban.road_damage", T0 + 3 * 60 * MIN, address="MAIN ST & CHERRY LN"))
    assert sizes(run) == [2]
    assert RULES.window_ms("traffic.illegal_parking", "traffic") == 60 * MIN
    assert RULES.gap_ms("traffic.illegal_parking", "traffic") == 60 * MIN  # not its family's 10
    assert RULES.gap_ms("medical.cardiac", "medical") == 10 * MIN


def test_two_intersections_of_one_street_are_two_spots(run: Run) -> None:
    """Same point in the data (a geocoder's street centroid), different cross streets."""
    f = run.feed
    run(f.report("police", "traffic.collision", T0, address="MONTGOMERY AVE & N ESSEX AVE", **HERE))
    run(
        f.report(
            "police",
            "traffic.collision",
            T0 + 5 * MIN,
            address="MCCLENAGHAN MILL RD & MONTGOMERY AVE",
            **HERE,
        )
    )
    run(
        f.report(
            "health", "medical.injury", T0 + 6 * MIN, address="N Essex Ave and Montgomery Avenue", **HERE
        )
    )
    assert sizes(run) == [1, 2]


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("traffic = 10\n", "traffic = nan\n", "positive number"),
        ("traffic = 10\n", "traffic = inf\n", "positive number"),
        ("traffic = 10\n", "traffic = 50\n", "longer than the window_minutes of ['traffic']"),
        (
            '"traffic.abandoned_vehicle" = 1440\nmedical',
            '"traffic.abandonned_vehicle" = 1440\nmedical',
            "abandonned",
        ),
        ('reopen = ["public_safety"', 'reopen = ["public_safty"', "public_safty"),
    ],
)
def test_rules_that_would_crash_the_core_or_do_nothing_are_refused(
    tmp_path: Path, old: str, new: str, says: str
) -> None:
    text = default_rules_text()
    assert old in text
    path = tmp_path / "rules.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(RulesError, match=re.escape(says)):
        load_rules(path)


# -- found by a review that tried to break the rework ---------------------------------------------


def test_a_correction_keeps_the_reports_first_time_and_its_case(run: Run) -> None:
    """A casualty count corrected 15 min on is not a late call: the crash stays one case."""
    f = run.feed
    run(f.report("police", "traffic.collision_injury", T0, ref="P-1", address="MAIN ST & CHERRY LN"))
    run(f.report("health", "medical.injury", T0 + 2 * MIN, address="MAIN ST & CHERRY LN"))
    run(f.report("police", "traffic.collision_injury", T0 + 15 * MIN, ref="P-1", revision=1, casualties=0))
    assert sizes(run) == [2]


def test_a_case_never_holds_two_types_no_group_pairs(run: Run) -> None:
    """Unstated noise pairs with each source, but commercial and residential noise stay apart."""
    f = run.feed
    for minutes, kind in (
        (0, "public_safety.noise"),
        (5, "public_safety.noise_commercial"),
        (10, "public_safety.noise_residential"),
    ):
        run(f.report("police", kind, T0 + minutes * MIN, address="129 ALLEN ST"))
    assert sizes(run) == [1, 2]
    for case in run.state.cases.values():
        kinds = {r.incident_type for r in case.reports}
        assert not {"public_safety.noise_commercial", "public_safety.noise_residential"} <= kinds


def test_the_later_report_sets_the_window_whichever_arrives_first() -> None:
    """Road damage 30 min after a crash joins it, also when the crash's record arrives late."""
    outcomes = []
    for order in ((0, 30), (30, 0)):
        run = Run()
        for minutes in order:
            kind, agency = ("traffic.collision", "police") if minutes == 0 else ("urban.road_damage", "urban")
            run(run.feed.report(agency, kind, T0 + minutes * MIN, address="MAIN ST & CHERRY LN"))
        outcomes.append(sizes(run))
    assert outcomes == [[2], [2]]


def test_an_address_veto_holds_against_every_report_of_the_case(run: Run) -> None:
    """A case opened by a street named alone: the house numbers its later reports give still count."""
    f = run.feed
    run(f.report("community", "community.heating", T0, address="BOYNTON AVE", **HERE))
    run(f.report("community", "community.heating", T0 + 5 * MIN, address="1025 BOYNTON AVE", **HERE))
    run(f.report("community", "community.heating", T0 + 10 * MIN, address="1030 BOYNTON AVE", **HERE))
    assert sizes(run) == [1, 2]
