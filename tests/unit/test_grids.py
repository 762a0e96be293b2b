"""The grid layer (kernel/grids.py): locate, neighbours by adjacency, refusals, and the layers kept
in the repository (shipped sample, tests', benchmark lattice) current and coherent."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from bench.gridlayer import GRIDS as BENCH_GRIDS
from bench.gridlayer import lattice_geojson
from bench.mix import grid_of
from bench.topics import bench_settings

from incidentbus.devtools.gridsample import sample_layer
from incidentbus.kernel.grids import (
    SHIPPED,
    GridLayer,
    GridLayerError,
    geojson_text,
    load_grid_layer,
    parse_grid_layer,
    shipped_grid_layer,
)
from incidentbus.kernel.jurisdictions import load_jurisdictions, shipped_jurisdictions
from incidentbus.kernel.settings import REPO_ROOT, BusSettings
from tests.gridlayers import LAYER as TEST_LAYER
from tests.gridlayers import TABLE as TEST_TABLE
from tests.gridlayers import district_point, fictitious_districts, layer_text

GRID_CODE = re.compile(r"\b310101-\d{3}-\d{3}-\d{2}\b")
A, B = "310101-002-003-07", "310101-002-003-08"  # side by side: A west of B, edge at 121.4718° E


def square(code: str, west: float, south: float, side: float = 0.001) -> tuple[str, Any, dict[str, str]]:
    ring = [(west, south), (west + side, south), (west + side, south + side), (west, south + side)]
    return code, ring, {}


def layer(*cells: tuple[str, Any, dict[str, str]]) -> GridLayer:
    return parse_grid_layer(geojson_text(cells))


# ---- locate -------------------------------------------------------------------------------------

SAMPLE_POINTS = [
    ("inside, the tests' point", 31.23, 121.47, A),
    ("inside, the community test's point", 31.231, 121.471, A),
    ("inside its neighbour", 31.2305, 121.4730, B),
    ("on the edge A|B: the lowest code", 31.2305, 121.4718, A),
    ("on the corner of four grids: the lowest code", 31.2315, 121.4718, "310101-002-002-07"),
    ("on the layer's outer edge (its north-west corner)", 31.2435, 121.455, "310101-001-001-01"),
    ("in district 310101's box, outside the sample", 31.19, 121.515, None),
    ("Beijing", 39.9, 116.4, None),
    ("Null Island", 0.0, 0.0, None),
]


@pytest.mark.parametrize(("case", "lat", "lon", "expected"), SAMPLE_POINTS, ids=[p[0] for p in SAMPLE_POINTS])
def test_locate_on_the_sample(case: str, lat: float, lon: float, expected: str | None) -> None:
    found = shipped_grid_layer().locate(lat, lon)
    assert (found.code if found else None) == expected, case


def test_the_boundary_rule_does_not_depend_on_the_files_order() -> None:
    west_first = layer(square("310101-001-001-02", 0.0, 0.0), square("310101-001-001-01", 0.001, 0.0))
    east_first = layer(square("310101-001-001-01", 0.001, 0.0), square("310101-001-001-02", 0.0, 0.0))
    for each in (west_first, east_first):
        on_edge = each.locate(0.0005, 0.001)
        assert on_edge is not None
        assert on_edge.code == "310101-001-001-01"


@pytest.mark.parametrize(
    ("lat", "lon"), [(91.0, 0.0), (0.0, -180.5), (float("nan"), 0.0), (0.0, float("inf"))]
)
def test_locate_refuses_what_is_not_a_wgs84_point(lat: float, lon: float) -> None:
    with pytest.raises(ValueError, match="not a WGS84 point"):
        shipped_grid_layer().locate(lat, lon)


# ---- neighbours ---------------------------------------------------------------------------------

SAMPLE_NEIGHBOURS = [
    (A, {"310101-002-003-06", B, "310101-002-002-07", "310101-002-004-07"}),
    ("310101-002-003-06", {"310101-002-003-05", A, "310101-002-002-06", "310101-002-004-06"}),
    ("310101-001-001-01", {"310101-001-001-02", "310101-001-002-01"}),  # the layer's corner
    # across street and community borders: street 001's east edge meets street 007's west edge
    ("310101-001-001-09", {"310101-001-001-08", "310101-001-002-09", "310101-007-001-01"}),
    ("310101-001-004-01", {"310101-001-003-01", "310101-001-004-02", "310101-002-001-01"}),
    ("999999-001-001-01", set()),  # not in the layer: no neighbours, no error
]


@pytest.mark.parametrize(("grid", "expected"), SAMPLE_NEIGHBOURS, ids=[n[0] for n in SAMPLE_NEIGHBOURS])
def test_neighbours_on_the_sample(grid: str, expected: set[str]) -> None:
    assert shipped_grid_layer().neighbours(grid) == frozenset(expected)


def test_neighbours_are_symmetric_and_never_the_grid_itself() -> None:
    sample = shipped_grid_layer()
    for code in sample.grids:
        near = sample.neighbours(code)
        assert code not in near
        assert all(code in sample.neighbours(other) for other in near)
        assert 2 <= len(near) <= 4  # a regular block: edge-sharing only, corners do not count


M = 1e-5  # about a metre, in degrees


@pytest.mark.parametrize(
    ("case", "gap_west", "gap_south", "neighbours"),
    [
        ("sharing an edge", 0.0, 0.0, True),
        ("half a metre apart (a sliver)", 0.5 * M, 0.0, True),
        ("five metres apart", 5 * M, 0.0, False),
        ("meeting at one corner only", 0.0, 0.001, False),
        ("sharing a short stretch of edge (20 m)", 0.0, 0.001 - 2e-4, True),
        ("sharing a stretch shorter than 10 m", 0.0, 0.001 - 5e-5, False),
    ],
)
def test_neighbours_by_adjacency_within_the_tolerance(
    case: str, gap_west: float, gap_south: float, neighbours: bool
) -> None:
    pair = layer(
        square("310101-001-001-01", 0.0, 0.0), square("310101-001-001-02", 0.001 + gap_west, gap_south)
    )
    assert ("310101-001-001-02" in pair.neighbours("310101-001-001-01")) is neighbours, case


def test_a_multipolygon_grid_is_located_and_neighbours_by_any_of_its_parts() -> None:
    parts = [[[[0.0, 0.0], [0.001, 0.0], [0.001, 0.001], [0.0, 0.001], [0.0, 0.0]]]]
    parts.append([[[0.003, 0.0], [0.004, 0.0], [0.004, 0.001], [0.003, 0.001], [0.003, 0.0]]])
    features = [
        {"type": "Feature", "properties": {"grid_code": "310101-001-001-01", "name": "two islands"},
         "geometry": {"type": "MultiPolygon", "coordinates": parts}},
        json.loads(geojson_text([square("310101-001-001-02", 0.004, 0.0)]))["features"][0],
    ]  # fmt: skip
    two = parse_grid_layer(json.dumps({"type": "FeatureCollection", "features": features}))
    found = two.locate(0.0005, 0.0035)
    assert found is not None
    assert (found.code, found.name) == ("310101-001-001-01", "two islands")
    assert two.neighbours("310101-001-001-02") == {"310101-001-001-01"}


# ---- refusals -----------------------------------------------------------------------------------

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[121.46, 31.2], [121.47, 31.2], [121.47, 31.21], [121.46, 31.2]]],
}
SWAPPED = {
    "type": "Polygon",
    "coordinates": [[[31.2, 121.46], [31.2, 121.47], [31.21, 121.47], [31.2, 121.46]]],
}
BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


def collection(*features: dict[str, Any]) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def feature(geometry: dict[str, Any], code: str | None = "310101-001-001-01") -> dict[str, Any]:
    return {"type": "Feature", "properties": {"grid_code": code} if code else {}, "geometry": geometry}


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "not JSON"),
        ('{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
        (collection(), "without features"),
        (collection({"type": "Polygon"}), "not a GeoJSON Feature"),
        (collection(feature(POLYGON, None)), "grid_code None"),
        (collection(feature(POLYGON, "310101-1-1-1")), "not DDDDDD-SSS-CCC-GG"),
        (collection(feature(POLYGON), feature(POLYGON)), "listed twice"),
        (collection(feature({"type": "Point", "coordinates": [121.46, 31.2]})), "Polygon or a MultiPolygon"),
        (collection(feature(SWAPPED)), "outside WGS84"),
        (collection(feature(BOWTIE)), "invalid polygon"),
        (collection(feature({"type": "Polygon", "coordinates": [[[0, 0]]]})), "unreadable geometry"),
    ],
)
def test_a_malformed_layer_is_refused_with_the_reason(text: str, says: str) -> None:
    with pytest.raises(GridLayerError, match=re.escape(says)):
        parse_grid_layer(text)


def test_an_unreadable_file_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(GridLayerError, match="cannot read grid layer"):
        load_grid_layer(tmp_path / "missing.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    with pytest.raises(GridLayerError, match=re.escape(str(broken))):
        load_grid_layer(broken)


# ---- the layers in the repository ---------------------------------------------------------------


def test_the_shipped_sample_is_generated_and_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert SHIPPED.read_text("utf-8") == sample_layer(), (
        "run: python -m incidentbus.devtools.gridsample > services/incidentbus/data/grids.geojson"
    )
    monkeypatch.delenv("INCIDENTBUS_GRIDS_PATH", raising=False)  # integration tests set it
    assert BusSettings().grids_path == SHIPPED


def _codes_in(*paths: str) -> set[str]:
    files = [p for path in paths for p in [REPO_ROOT / path, *(REPO_ROOT / path).rglob("*")] if p.is_file()]
    return {
        code
        for f in files
        if f.suffix in (".py", ".toml")
        for code in GRID_CODE.findall(f.read_text("utf-8"))
    }


def test_the_sample_holds_every_310101_grid_the_demo_tests_and_rules_use_inside_its_district() -> None:
    used = _codes_in(
        "services/incidentbus/demo",
        "services/incidentbus/data/correlator_rules.toml",
        "tests/unit/correlator/builders.py",
        "tests/unit/correlator/test_correlation.py",  # neighbouring grids are the layer's: drawn
        "tests/unit/correlator/test_grid_neighbours.py",
        "tests/integration",
    )  # a report that names its grid needs no polygon: test_loop_holes' far-off 009-009-09 has none
    sample = shipped_grid_layer()
    assert len(used) > 20
    assert used - set(sample.grids) == set()
    district = shipped_jurisdictions().district("310101")
    assert district is not None
    for grid in sample.grids.values():
        west, south, east, north = grid.geometry.bounds
        assert district.contains(south, west), grid.code
        assert district.contains(north, east), grid.code


def test_the_tests_layer_is_generated_and_holds_the_sample_unchanged() -> None:
    assert TEST_LAYER.read_text("utf-8") == layer_text(), (
        "run: python -m tests.gridlayers > tests/grids.geojson"
    )
    tests, sample = load_grid_layer(TEST_LAYER), shipped_grid_layer()
    for code, grid in sample.grids.items():
        assert tests.grids[code].geometry.equals(grid.geometry)
    assert {g.district for g in tests.grids.values()} - set(load_jurisdictions(TEST_TABLE).districts) == set()
    for district in fictitious_districts():
        found = tests.locate(*district_point(district))
        assert found is not None
        assert found.code == f"{district}-002-003-07"
        assert f"{district}-001-001-01" in tests


def test_the_benchmarks_lattice_is_generated_and_names_cells_as_the_mix_does() -> None:
    assert BENCH_GRIDS.read_text("utf-8") == lattice_geojson(), (
        "run: python -m bench.gridlayer > bench/grids.geojson"
    )
    lattice = load_grid_layer(BENCH_GRIDS)
    assert len(lattice) == 2 * 3 * 25 * 25
    for code, grid in lattice.grids.items():
        centre = grid.geometry.centroid
        assert grid_of(centre.y, centre.x) == code
    # neighbours cross district borders: 310101's east edge meets 310102's west edge
    assert "310102-001-001-01" in lattice.neighbours("310101-005-001-05")
    assert bench_settings().grids_path == BENCH_GRIDS
