"""The shipped sample grid layer (data/grids.geojson): district 310101, drawn as a regular block.

Not a survey: a schematic of Huangpu (310101) inside its box in data/jurisdictions.toml, with
every grid code the demo, the tests and the correlator's rules use. 17 streets (001…017), each a
block of 4 communities stacked north to south (001…004), each community a row of 9 grids west to
east (01…09). The street blocks stand in 3 columns of 6, numbered north to south, then west to
east. A cell is 0.0024° of longitude by 0.002° of latitude (about 230 m × 220 m). The tests'
points (31.23, 121.47) and (31.231, 121.471) lie in 310101-002-003-07, the grid the tests name.

`python -m incidentbus.devtools.gridsample > services/incidentbus/data/grids.geojson` rewrites
the committed file; a unit test checks that it is current.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from incidentbus.kernel.grids import Ring, geojson_text

DISTRICT = "310101"
NORTH, WEST = 31.2435, 121.455
CELL_LAT, CELL_LON = 0.002, 0.0024
STREETS, STREET_ROWS = 17, 6  # street blocks per column
COMMUNITIES, GRIDS = 4, 9  # rows and columns of one street block
HEADER = "incidentbus sample grid layer: district 310101 (schematic); generated, do not edit"

Cell = tuple[str, Ring, Mapping[str, str]]


def square(west: float, north: float, width: float, height: float) -> Ring:
    """A cell's ring, counter-clockwise from its south-west corner, as (longitude, latitude)."""
    south, east = north - height, west + width
    return [(west, south), (east, south), (east, north), (west, north), (west, south)]


def block_cells(
    district: str, *, streets: int, street_rows: int, communities: int, grids: int, north: float, west: float
) -> Iterator[Cell]:
    """Grids of a schematic district whose north-west corner is at (north, west): `streets` blocks
    standing in columns of `street_rows`, each `communities` rows of `grids` cells."""
    for street in range(streets):
        block_row, block_column = street % street_rows, street // street_rows
        for community in range(communities):
            for grid in range(grids):
                row, column = block_row * communities + community, block_column * grids + grid
                code = f"{district}-{street + 1:03d}-{community + 1:03d}-{grid + 1:02d}"
                ring = square(west + column * CELL_LON, north - row * CELL_LAT, CELL_LON, CELL_LAT)
                yield code, ring, {}


def sample_cells() -> Iterator[Cell]:
    """The shipped sample's grids."""
    return block_cells(
        DISTRICT,
        streets=STREETS,
        street_rows=STREET_ROWS,
        communities=COMMUNITIES,
        grids=GRIDS,
        north=NORTH,
        west=WEST,
    )


def sample_layer() -> str:
    """The shipped sample as GeoJSON text."""
    return geojson_text(sample_cells(), HEADER)


if __name__ == "__main__":
    print(sample_layer(), end="")
