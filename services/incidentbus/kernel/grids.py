"""The grid layer: grid polygons, which grid a WGS84 point lies in, and which grids neighbour.

Agency systems know coordinates; the bus places a report in a grid (`DDDDDD-SSS-CCC-GG`:
district, street, community, grid). A layer is a GeoJSON FeatureCollection whose features are
Polygons or MultiPolygons in WGS84 degrees (GeoJSON order: longitude, latitude), each with the
property `grid_code` and optionally `name`, `street_name`, `community_name`. Shipped:
data/grids.geojson (a sample for district 310101); the setting `INCIDENTBUS_GRIDS_PATH` names
another (the tests' and the benchmark's lattice do).

Lookups use shapely's STRtree (a packed R-tree): `locate` is a point-in-polygon query, and
neighbours come from the polygons themselves, not a hand-kept table: two grids neighbour when
their boundaries run together for at least `min_shared` degrees (default 1e-4°, about 10 m)
within `tolerance` degrees of each other (default 1e-5°, about 1 m, so that slivers between
surveyed polygons do not separate them). Grids that meet only at a corner do not neighbour.

Pure: no I/O except `load_grid_layer`, deterministic, safe for the correlator's core.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry

GRID_CODE = re.compile(r"^(\d{6})-(\d{3})-(\d{3})-(\d{2})$")
DEFAULT_TOLERANCE = 1e-5  # degrees, about 1 m
DEFAULT_MIN_SHARED = 1e-4  # degrees, about 10 m
NAME_PROPERTIES = ("name", "street_name", "community_name")
SHIPPED = Path(__file__).resolve().parents[1] / "data" / "grids.geojson"


class GridLayerError(Exception):
    """A grid layer that is unreadable or malformed (the message says which feature and why)."""


@dataclass(frozen=True)
class Grid:
    """One grid: its code, its polygon (WGS84 degrees, x = longitude, y = latitude), its names."""

    code: str
    geometry: Polygon | MultiPolygon = field(compare=False, repr=False)
    name: str = ""
    street_name: str = ""
    community_name: str = ""

    @property
    def district(self) -> str:
        """The district code, the first six digits of the grid code."""
        return self.code[:6]


class GridLayer:
    """Grids by code, with a spatial index for `locate` and polygon adjacency for `neighbours`.

    `tolerance` and `min_shared` are in degrees (see the module's docstring). Grid codes are
    unique and follow `DDDDDD-SSS-CCC-GG`; GridLayerError otherwise.
    """

    def __init__(
        self,
        grids: Iterable[Grid],
        *,
        tolerance: float = DEFAULT_TOLERANCE,
        min_shared: float = DEFAULT_MIN_SHARED,
    ) -> None:
        ordered = sorted(grids, key=lambda g: g.code)
        for grid in ordered:
            if not GRID_CODE.match(grid.code):
                raise GridLayerError(f"grid code {grid.code!r} is not DDDDDD-SSS-CCC-GG")
        duplicates = sorted(code for code, n in Counter(g.code for g in ordered).items() if n > 1)
        if duplicates:
            raise GridLayerError(f"grid codes listed twice: {', '.join(duplicates)}")
        self._grids = tuple(ordered)  # by code: an index into it is also an order of codes
        self._by_code = {g.code: g for g in ordered}
        self._tree = shapely.STRtree([g.geometry for g in ordered])
        self.tolerance, self.min_shared = tolerance, min_shared

    @property
    def grids(self) -> Mapping[str, Grid]:
        """Every grid, by code."""
        return self._by_code

    def __len__(self) -> int:
        return len(self._grids)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def grid(self, code: str) -> Grid | None:
        """The grid with this code, or None."""
        return self._by_code.get(code)

    def locate(self, lat: float, lon: float) -> Grid | None:
        """The grid a WGS84 point (degrees) lies in, or None when it lies in none.

        A point on a boundary lies in every grid the boundary belongs to (polygons cover their
        edges); when two or more grids hold it, the one with the lowest grid code is chosen, so
        the answer never depends on the order of the file. ValueError for a point that is not
        WGS84 (latitude outside ±90, longitude outside ±180, or not a finite number).
        """
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(f"({lat}, {lon}) is not a WGS84 point")
        hits = self._tree.query(Point(lon, lat), predicate="covered_by")
        return self._grids[int(hits.min())] if len(hits) else None

    def neighbours(self, code: str) -> frozenset[str]:
        """The codes of the grids that share a boundary with this one (never itself).

        Symmetric: b is in neighbours(a) exactly when a is in neighbours(b). A code that is not
        in the layer has no neighbours (an empty set, not an error): reports may name grids a
        layer does not draw.
        """
        return self._adjacency.get(code, frozenset())

    @property
    def adjacency(self) -> Mapping[str, frozenset[str]]:
        """Every grid's neighbours, by code: plain data for the correlator's rules, which may not
        hold the layer itself (its core is pure)."""
        return self._adjacency

    @cached_property
    def _adjacency(self) -> dict[str, frozenset[str]]:
        geometries = self._tree.geometries
        left, right = self._tree.query(geometries, predicate="dwithin", distance=self.tolerance)
        pairs = left < right  # each pair once, never a grid with itself
        left, right = left[pairs], right[pairs]
        grown = shapely.buffer(geometries, self.tolerance, quad_segs=2)  # once per grid
        shared = shapely.length(shapely.intersection(grown[left], shapely.boundary(geometries[right])))
        found: dict[str, set[str]] = {g.code: set() for g in self._grids}
        for i, j in zip(left[shared >= self.min_shared], right[shared >= self.min_shared], strict=True):
            a, b = self._grids[int(i)].code, self._grids[int(j)].code
            found[a].add(b)
            found[b].add(a)
        return {code: frozenset(near) for code, near in found.items()}


def _grid(number: int, feature: Any) -> Grid:
    where = f"feature {number}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise GridLayerError(f"{where}: not a GeoJSON Feature")
    properties = feature.get("properties") or {}
    code = properties.get("grid_code") if isinstance(properties, dict) else None
    if not isinstance(code, str) or not GRID_CODE.match(code):
        raise GridLayerError(f"{where}: properties.grid_code {code!r} is not DDDDDD-SSS-CCC-GG")
    where = f"{where} ({code})"
    names = {key: properties.get(key, "") for key in NAME_PROPERTIES}
    if not all(isinstance(value, str) for value in names.values()):
        raise GridLayerError(f"{where}: {', '.join(NAME_PROPERTIES)} must be strings")
    raw = feature.get("geometry")
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        raise GridLayerError(f"{where}: the geometry must be a Polygon or a MultiPolygon")
    try:
        geometry: BaseGeometry = shape(raw)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise GridLayerError(f"{where}: unreadable geometry ({exc})") from exc
    if not isinstance(geometry, Polygon | MultiPolygon) or geometry.is_empty:
        raise GridLayerError(f"{where}: an empty geometry")
    west, south, east, north = geometry.bounds
    if not (west >= -180 and east <= 180 and south >= -90 and north <= 90):
        raise GridLayerError(f"{where}: coordinates outside WGS84 (GeoJSON order is longitude, latitude)")
    if not geometry.is_valid:
        raise GridLayerError(f"{where}: invalid polygon ({shapely.is_valid_reason(geometry)})")
    return Grid(code, geometry, **names)


def parse_grid_layer(
    text: str, *, tolerance: float = DEFAULT_TOLERANCE, min_shared: float = DEFAULT_MIN_SHARED
) -> GridLayer:
    """A layer from GeoJSON text; GridLayerError naming the feature and the fault when malformed."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GridLayerError(f"invalid grid layer: not JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise GridLayerError("invalid grid layer: not a GeoJSON FeatureCollection")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise GridLayerError("invalid grid layer: a FeatureCollection without features")
    grids = [_grid(n, feature) for n, feature in enumerate(features)]
    return GridLayer(grids, tolerance=tolerance, min_shared=min_shared)


@cache
def load_grid_layer(path: Path) -> GridLayer:
    """The layer in a GeoJSON file, read once per path (services and tests share it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GridLayerError(f"cannot read grid layer {path}: {exc}") from exc
    try:
        return parse_grid_layer(text)
    except GridLayerError as exc:
        raise GridLayerError(f"{path}: {exc}") from exc


def shipped_grid_layer() -> GridLayer:
    """The layer that ships with the bus (data/grids.geojson)."""
    return load_grid_layer(SHIPPED)


Ring = list[tuple[float, float]]  # (longitude, latitude) pairs, closed or not


def geojson_text(cells: Iterable[tuple[str, Ring, Mapping[str, str]]], header: str = "") -> str:
    """A FeatureCollection of single-ring polygons as text, one feature a line (diffable).

    `cells` holds (grid code, outer ring in (longitude, latitude) degrees, extra properties).
    Coordinates are rounded to 7 decimals (about 1 cm); rings are closed; output is deterministic.
    """
    lines = []
    for code, ring, extra in cells:
        points = [[round(x, 7), round(y, 7)] for x, y in ring]
        if points[0] != points[-1]:
            points.append(points[0])
        feature = {
            "type": "Feature",
            "properties": {"grid_code": code, **extra},
            "geometry": {"type": "Polygon", "coordinates": [points]},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = f'"name":{json.dumps(header, ensure_ascii=False)},' if header else ""
    return '{"type":"FeatureCollection",' + head + '"features":[\n' + ",\n".join(lines) + "\n]}\n"
