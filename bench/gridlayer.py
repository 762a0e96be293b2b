"""The benchmark's grid layer: bench/mix.py's lattice as GeoJSON polygons (kernel/grids.py).

Every 0.01° cell of the lattice (2 × 3 districts, 310101…310106, of 25 × 25 cells) is one square
grid whose code is the one `bench.mix.grid_of` gives the points inside it, so a point-only report
is placed in the grid the mix would have named. The fixed load of bench/live.py (districts
310111…310116) reports grid codes without points and needs no polygons.

`python -m bench.gridlayer > bench/grids.geojson` rewrites the committed file; a unit test checks
that it is current. `bench.topics.bench_settings` points `grids_path` at it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

from bench.mix import CELL, DISTRICT_CELLS, DISTRICT_COLUMNS, LAT0, LNG0
from bench.places import DISTRICT_ROWS, FIRST_DISTRICT
from incidentbus.kernel.grids import GridLayer, Ring, geojson_text, parse_grid_layer

GRIDS = Path(__file__).with_name("grids.geojson")
HEADER = "incidentbus benchmark lattice: 0.01° cells, districts 310101-310106; generated, do not edit"


def cell_code(row: int, column: int) -> str:
    """The grid code of lattice cell (row from the south, column from the west), as grid_of gives it."""
    district_row, district_column = row // DISTRICT_CELLS, column // DISTRICT_CELLS
    district = FIRST_DISTRICT + district_row * DISTRICT_COLUMNS + district_column
    li, lj = row % DISTRICT_CELLS, column % DISTRICT_CELLS
    street = (li // 5) * 5 + lj // 5 + 1
    return f"{district}-{street:03d}-{li % 5 + 1:03d}-{lj % 5 + 1:02d}"


def lattice_cells(
    origin: tuple[float, float] = (LAT0, LNG0),
) -> Iterator[tuple[str, Ring, Mapping[str, str]]]:
    """Every cell of the lattice whose south-west corner is `origin` (latitude, longitude)."""
    lat0, lng0 = origin
    for row in range(DISTRICT_ROWS * DISTRICT_CELLS):
        for column in range(DISTRICT_COLUMNS * DISTRICT_CELLS):
            south, west = lat0 + row * CELL, lng0 + column * CELL
            north, east = south + CELL, west + CELL
            ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
            yield cell_code(row, column), ring, {}


def lattice_geojson(origin: tuple[float, float] = (LAT0, LNG0)) -> str:
    """The lattice as GeoJSON text (one feature a line)."""
    return geojson_text(sorted(lattice_cells(origin), key=lambda cell: cell[0]), HEADER)


@cache
def lattice_grid_layer(origin: tuple[float, float] = (LAT0, LNG0)) -> GridLayer:
    """The lattice as a grid layer, built once per origin."""
    return parse_grid_layer(lattice_geojson(origin))


if __name__ == "__main__":
    print(lattice_geojson(), end="")
