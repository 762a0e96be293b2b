"""Neighbouring grids come from the grid layer's polygons, not a hand-kept table: the shell loads
the layer (`rulesfile.rules_for`, `load_rules(grids=...)`) and hands the core its adjacency as data
(`Rules.with_grid_neighbours`). A report without a point in a grid the layer says borders the
case's grid joins it; one in a grid that meets it only at a corner, or lies farther, does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidentbus.correlator.domain.rules import RulesError, parse_rules
from incidentbus.correlator.rulesfile import default_rules_text, load_rules, rules_for
from incidentbus.kernel.grids import load_grid_layer, shipped_grid_layer
from incidentbus.kernel.settings import BusSettings
from tests.gridlayers import LAYER, relabelled_sample
from tests.unit.correlator.builders import GRID, MIN, T0
from tests.unit.correlator.conftest import RULES, Run

# The tests' layer (the shipped sample's polygons) around the cases' grid, 310101-002-003-07:
ALONG_AN_EDGE = (  # west, east, north and south of it
    "310101-002-003-06",
    "310101-002-003-08",
    "310101-002-002-07",
    "310101-002-004-07",
)
AT_A_CORNER = ("310101-002-002-06", "310101-002-002-08", "310101-002-004-06", "310101-002-004-08")
FORMERLY_LISTED = "310101-002-004-01"  # the removed [grids] table called it a neighbour: 1.1 km west
FAR = "310101-009-001-01"


def two_reports(grid: str, run: Run | None = None) -> Run:
    """A collision without a point in the cases' grid, then one two minutes later in `grid`."""
    run = run or Run()
    run(run.feed.report("police", "traffic.collision", T0))
    run(run.feed.report("health", "traffic.collision", T0 + 2 * MIN, grid=grid))
    return run


def test_the_rules_neighbours_are_the_layers_adjacency() -> None:
    layer = load_grid_layer(LAYER)
    assert RULES.neighbours(GRID) == frozenset(ALONG_AN_EDGE) == layer.neighbours(GRID)
    for corner in AT_A_CORNER:  # they do touch: at a single point
        assert layer.grids[GRID].geometry.intersection(layer.grids[corner].geometry).geom_type == "Point"
    assert FORMERLY_LISTED not in RULES.neighbours(GRID)
    assert RULES.neighbours("999999-001-001-01") == frozenset()  # a grid no layer draws


@pytest.mark.parametrize("grid", ALONG_AN_EDGE)
def test_a_report_without_a_point_in_a_bordering_grid_joins_as_neighbour_grid(grid: str) -> None:
    run = two_reports(grid)
    case = run.only_case()
    assert len(case.reports) == 2
    link = run.links(case.case_id)[-1].score
    time = round(1 - 2 * MIN / RULES.window_ms("traffic.collision", "traffic"), 6)
    w = RULES.correlation.weights
    assert link.rule == "neighbour_grid"
    assert (link.place, link.category, link.time) == pytest.approx((0.7, 1.0, time))
    assert link.total == pytest.approx(w.place * 0.7 + w.category * 1.0 + w.time * time)


@pytest.mark.parametrize("grid", [*AT_A_CORNER, FORMERLY_LISTED, FAR])
def test_a_grid_meeting_the_case_only_at_a_corner_or_farther_is_no_neighbour(grid: str) -> None:
    run = two_reports(grid)
    assert len(run.state.cases) == 2
    assert [link.score.rule for case in run.state.cases for link in run.links(case)] == ["opened", "opened"]


def test_the_core_judges_by_the_adjacency_it_is_given_and_nothing_else() -> None:
    given = RULES.with_grid_neighbours({GRID: [FAR]})  # one direction suffices: matching asks both
    assert given.neighbours(FAR) == frozenset()
    joined = two_reports(FAR, Run(rules=given))
    assert joined.links(joined.only_case().case_id)[-1].score.rule == "neighbour_grid"
    assert len(two_reports("310101-002-003-08", Run(rules=given)).state.cases) == 2
    assert given.compressed(60).grid_neighbours == given.grid_neighbours  # drills keep it


def test_parsing_the_rules_file_gives_no_neighbours_and_refuses_a_grids_table() -> None:
    assert parse_rules(default_rules_text()).grid_neighbours == {}
    table = '\n[grids."310101-002-003-07"]\nneighbours = ["310101-002-004-01"]\n'
    with pytest.raises(RulesError, match=r"\[grids\] is no longer read: .* grid layer"):
        parse_rules(default_rules_text() + table)
    with pytest.raises(RulesError, match="grid_neighbours comes from the grid layer"):
        parse_rules('grid_neighbours = { "310101-002-003-07" = [] }\n' + default_rules_text())


def test_load_rules_defaults_to_the_shipped_layer() -> None:
    assert load_rules().grid_neighbours == {k: v for k, v in shipped_grid_layer().adjacency.items() if v}


def test_rules_for_takes_the_layer_the_settings_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    layer = tmp_path / "grids.geojson"
    layer.write_text(relabelled_sample("310101-002-003-08", FAR), "utf-8")  # FAR now lies east of GRID
    assert FAR in rules_for(BusSettings(grids_path=layer)).neighbours(GRID)
    monkeypatch.setenv("INCIDENTBUS_GRIDS_PATH", str(layer))
    rules = rules_for(BusSettings())
    assert FAR in rules.neighbours(GRID)
    assert "310101-002-003-08" not in rules.neighbours(GRID)
    joined = two_reports(FAR, Run(rules=rules))
    assert joined.links(joined.only_case().case_id)[-1].score.rule == "neighbour_grid"
