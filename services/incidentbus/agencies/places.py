"""Where a report is, held to the jurisdictions the bus knows (kernel/jurisdictions.py).

The grid places a report; a WGS84 point only refines it. A point that says nothing — (0, 0),
"Null Island", written by devices without a fix — or one plainly outside the grid's district
would make two unrelated reports look like one place, so it is dropped and the drop is noted on
the report; the report keeps its grid. A district the table lacks is refused: the bus could
not escalate there, and it must not become an area of its own.

A report with a point and no grid code is placed by the grid layer (kernel/grids.py): the grid
whose polygon holds the point gives the grid code and the jurisdiction path, and a note on the
report says so. A point in no grid of the layer, or at Null Island, cannot place a report: it is
refused (`intake.bad_location`). A report with both keeps the grid it was given.
"""

from __future__ import annotations

from incidentbus.agencies.base import MappingError, jurisdiction_path
from incidentbus.kernel.grids import GridLayer, shipped_grid_layer
from incidentbus.kernel.jurisdictions import Jurisdictions
from incidentbus.v1 import agency_events_pb2

NULL_ISLAND = "location.point (0, 0) dropped: Null Island, a device without a fix"


def place_by_point(report: agency_events_pb2.IncidentReported, grids: GridLayer) -> None:
    """Fill a point-only report's grid code and jurisdiction path from the grid holding its point,
    noted in `intake_notes`; MappingError `intake.bad_location` when no grid holds it."""
    location = report.location
    lat, lon = location.point.latitude, location.point.longitude
    if lat == 0 and lon == 0:
        raise MappingError("intake.bad_location", "no grid code, and the point (0, 0) is Null Island: no fix")
    grid = grids.locate(lat, lon)
    if grid is None:
        raise MappingError(
            "intake.bad_location", f"no grid code, and the point ({lat}, {lon}) lies in no grid of the layer"
        )
    location.grid_code = grid.code
    location.jurisdiction.CopyFrom(jurisdiction_path(grid.code))
    report.intake_notes.append(f"location.grid_code {grid.code} placed by the grid layer from the point")


def settle_location(
    report: agency_events_pb2.IncidentReported, places: Jurisdictions, grids: GridLayer | None = None
) -> None:
    """Place a point-only report by the grid layer (`grids`, default the shipped one); refuse an
    unknown district; drop a meaningless point and say so in `intake_notes`."""
    location = report.location
    if not location.grid_code and location.HasField("point"):
        place_by_point(report, grids if grids is not None else shipped_grid_layer())
    code = location.jurisdiction.district
    district = places.district(code)
    if district is None:
        raise MappingError(
            "intake.bad_location",
            f"district {code!r} (of grid {location.grid_code!r}) is not in the jurisdiction table",
        )
    if not location.HasField("point"):
        return
    lat, lon = location.point.latitude, location.point.longitude
    if lat == 0 and lon == 0:
        note = NULL_ISLAND
    elif not places.contains(code, lat, lon):
        note = (
            f"location.point ({lat}, {lon}) dropped: more than {places.margin}° outside "
            f"district {code} ({district.name}) of grid {location.grid_code}"
        )
    else:
        return
    location.ClearField("point")
    report.intake_notes.append(note)
