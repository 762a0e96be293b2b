"""Where a report is, held to the jurisdictions the bus knows (kernel/jurisdictions.py).

The grid places a report; a WGS84 point only refines it. A point that says nothing — (0, 0),
"Null Island", written by devices without a fix — or one plainly outside the grid's district
would make two unrelated reports look like one place, so it is dropped and the drop is noted on
the report; the report keeps its grid. A district the table lacks is refused: the bus could
not escalate there, and it must not become an area of its own.
"""

from __future__ import annotations

from incidentbus.agencies.base import MappingError
from incidentbus.kernel.jurisdictions import Jurisdictions
from incidentbus.v1 import agency_events_pb2

NULL_ISLAND = "location.point (0, 0) dropped: Null Island, a device without a fix"


def settle_location(report: agency_events_pb2.IncidentReported, places: Jurisdictions) -> None:
    """Refuse an unknown district; drop a meaningless point and say so in `intake_notes`."""
    location = report.location
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
