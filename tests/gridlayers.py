"""The tests' grid layer (tests/grids.geojson): the shipped sample, plus grids for the fictitious
districts of tests/jurisdictions.toml, so a test module can send point-only reports in an area of
its own.

Each fictitious district is a strip of 2 streets × 3 communities × 9 grids (codes
DDDDDD-001-001-01 … DDDDDD-002-003-09), drawn like the sample's streets, the strips side by side
along 31.1° N, 0.05° apart, away from the sample's district 310101. `district_point` gives a
point inside one of their grids. tests/integration/conftest.py points INCIDENTBUS_GRIDS_PATH here.

`python -m tests.gridlayers > tests/grids.geojson` rewrites the file; a unit test checks that it
is current.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterator
from pathlib import Path

from incidentbus.devtools.gridsample import CELL_LAT, CELL_LON, Cell, block_cells, sample_cells
from incidentbus.kernel.grids import geojson_text
from incidentbus.kernel.jurisdictions import SHIPPED

HERE = Path(__file__).parent
LAYER = HERE / "grids.geojson"
TABLE = HERE / "jurisdictions.toml"
NORTH, WEST, STEP = 31.10, 121.0, 0.05
STREETS, COMMUNITIES, GRIDS = 2, 3, 9
HEADER = "incidentbus tests' grid layer: the shipped sample + fictitious districts; generated, do not edit"


def fictitious_districts() -> list[str]:
    """The districts of the tests' table that the shipped table lacks, in code order."""
    tests = tomllib.loads(TABLE.read_text("utf-8"))["districts"]
    shipped = tomllib.loads(SHIPPED.read_text("utf-8"))["districts"]
    return sorted(set(tests) - set(shipped))


def _origin(district: str) -> tuple[float, float]:
    return NORTH, WEST + fictitious_districts().index(district) * STEP


def district_point(district: str, street: int = 2, community: int = 3, grid: int = 7) -> tuple[float, float]:
    """(lat, lon) at the centre of grid DDDDDD-SSS-CCC-GG of a fictitious district."""
    north, west = _origin(district)
    row, column = community - 1, (street - 1) * GRIDS + grid - 1
    return north - (row + 0.5) * CELL_LAT, west + (column + 0.5) * CELL_LON


def layer_cells() -> Iterator[Cell]:
    fictitious = (
        block_cells(
            district,
            streets=STREETS,
            street_rows=1,
            communities=COMMUNITIES,
            grids=GRIDS,
            north=_origin(district)[0],
            west=_origin(district)[1],
        )
        for district in fictitious_districts()
    )
    return itertools.chain(sample_cells(), *fictitious)


def layer_text() -> str:
    """The tests' layer as GeoJSON text."""
    return geojson_text(layer_cells(), HEADER)


def relabelled_sample(a: str, b: str, *, without: str = "") -> str:
    """The shipped sample as GeoJSON text with the codes of grids `a` and `b` exchanged (each on
    the other's polygon) and grid `without` left out: a layer unlike the shipped one, for tests
    that a command runs by the layer its settings name (INCIDENTBUS_GRIDS_PATH)."""
    codes = {a: b, b: a}
    cells = [(codes.get(code, code), ring, extra) for code, ring, extra in sample_cells() if code != without]
    return geojson_text(sorted(cells, key=lambda cell: cell[0]))


if __name__ == "__main__":
    print(layer_text(), end="")
