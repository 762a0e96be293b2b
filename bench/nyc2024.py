"""The held-out set of bench.quality: NYC 311, 2024-04-15 22:51 → 04-16 03:03 (1,000 requests).

The correlator's rules are calibrated on the other two sets (NYC 311 2022, Montgomery County 911);
this one is only measured, to see whether what was tuned there holds on a file it was not tuned
on. It is read from `nyc-311/nyc311_2024-04-15_to_16_api_fieldnames.csv`, which has the Socrata
API's field names (`created_date`, `complaint_type`, …) instead of the export's column names, ISO
times (`2024-04-16T03:03:15.000`) and embedded newlines in the quoted `location` field. The reader
(`read_api_rows`) turns each record into the export's row — its column names, its time format, its
`(lat, lng)` location — so the 2022 set's pieces are used as they are: `nyc_address`, `NYC_CODES`,
`normalise`, the label (same complaint type at the same normalised address and borough, each
within `NYC_GAP` of the previous), `nyc_doubt`.

One figure here needs no label: 70 rows' `resolution_description` says the agency found the
request a duplicate of an earlier one (HPD's building-wide conditions, DOT's potholes). Of those
the bus used, how many did it put in a case holding an earlier report — and, for context, how many
of the rows the agency did not call a duplicate it did the same with. The text never names the
original, which may have been filed before the window: the figure is a lower bound.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.mix import grid_of
from bench.places import NYC_ORIGIN, lattice_jurisdictions
from bench.quality import (
    NYC_CODES,
    NYC_GAP,
    Labelled,
    LabelledSet,
    _iso_local,
    _nyc_time,
    _report_native,
    doubts,
    label,
    normalise,
    nyc_address,
    nyc_doubt,
)
from incidentbus.kernel.settings import REPO_ROOT
from incidentbus.ops.offline import Outcome

NAME = "nyc311-2024"
NYC2024_DEFAULT = (
    REPO_ROOT.parent / "shared" / "data" / "nyc-311" / "nyc311_2024-04-15_to_16_api_fieldnames.csv"
)

# The Open Data export's 41 columns, in its order; each one's API field name is `api_name` of it.
EXPORT_FIELDS = (
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Agency",
    "Agency Name",
    "Complaint Type",
    "Descriptor",
    "Location Type",
    "Incident Zip",
    "Incident Address",
    "Street Name",
    "Cross Street 1",
    "Cross Street 2",
    "Intersection Street 1",
    "Intersection Street 2",
    "Address Type",
    "City",
    "Landmark",
    "Facility Type",
    "Status",
    "Due Date",
    "Resolution Description",
    "Resolution Action Updated Date",
    "Community Board",
    "BBL",
    "Borough",
    "X Coordinate (State Plane)",
    "Y Coordinate (State Plane)",
    "Open Data Channel Type",
    "Park Facility Name",
    "Park Borough",
    "Vehicle Type",
    "Taxi Company Borough",
    "Taxi Pick Up Location",
    "Bridge Highway Name",
    "Bridge Highway Direction",
    "Road Ramp",
    "Bridge Highway Segment",
    "Latitude",
    "Longitude",
    "Location",
)
TIME_FIELDS = ("Created Date", "Closed Date", "Due Date", "Resolution Action Updated Date")
EXPORT_TIME = "%m/%d/%Y %I:%M:%S %p"  # the export's clock, which `_nyc_time` reads


def api_name(export: str) -> str:
    """The Socrata API's name of an export column: `X Coordinate (State Plane)` ->
    `x_coordinate_state_plane`."""
    return re.sub(r"[^a-z0-9]+", "_", export.lower()).strip("_")


def export_row(api: dict[str, str | None]) -> dict[str, str]:
    """One API record as the export's row: its column names, its times, its location."""
    row = {name: api.get(api_name(name)) or "" for name in EXPORT_FIELDS}
    for name in TIME_FIELDS:
        if row[name]:
            row[name] = datetime.fromisoformat(row[name]).strftime(EXPORT_TIME)
    where = row["Location"]  # API: "<address>\n, <city> <zip>\n(lat, lng)"; export: "(lat, lng)"
    row["Location"] = where[where.index("(") :] if "(" in where else where.strip()
    return row


def read_api_rows(path: Path) -> list[dict[str, str]]:
    """The file's records (a real CSV parser: quoted fields span lines) as export rows."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [api_name(n) for n in EXPORT_FIELDS if api_name(n) not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a 311 file with the API's field names (no {', '.join(missing)})")
        return [export_row(record) for record in reader]


def agency_duplicate(row: dict[str, str]) -> bool:
    """The agency resolved the request as a duplicate of an earlier one (its own word)."""
    return "duplicate" in row["Resolution Description"].lower()


AGENCY_SAID_DUPLICATE = "same type and address, the later one the agency's duplicate"


def agency_doubt(marked: set[tuple[datetime, str]]) -> Callable[[Labelled, Labelled], str]:
    """`nyc_doubt`, and one more: the label splits two complaints of one type at one address (past
    its gap) while the agency itself resolved the later one as a duplicate of an earlier one."""

    def doubt(a: Labelled, b: Labelled) -> str:
        if found := nyc_doubt(a, b):
            return found
        later = max(a, b, key=lambda r: r.at)
        same = a.kind == b.kind and a.address == b.address and a.incident != b.incident
        return AGENCY_SAID_DUPLICATE if same and (later.at, later.key) in marked else ""

    return doubt


def nyc2024_set(path: Path, limit: int | None = None) -> LabelledSet:
    """The holdout set: rows as in the 2022 set (`quality.nyc_set`), plus the agency's duplicates."""
    rows = sorted(read_api_rows(path), key=lambda r: _nyc_time(r["Created Date"]))
    rows = rows[:limit] if limit else rows
    made = LabelledSet(
        NAME,
        f"{path} (holdout: the rules are not tuned on it)",
        "same 311 complaint type at the same normalised address and borough, "
        f"each within {int(NYC_GAP.total_seconds() // 60)} min of the previous",
        len(rows),
        [],
        places=lattice_jurisdictions(NYC_ORIGIN),
    )
    duplicates: set[str] = set()  # native refs of the agency's duplicates
    marked: set[tuple[datetime, str]] = set()  # and their (time, label key), for the doubt
    unmapped_duplicates = 0
    for row in rows:
        mapped = NYC_CODES.get((row["Agency"], row["Complaint Type"]))
        address = nyc_address(row)
        reason = ""
        if mapped is None:
            reason = f"no code for {row['Agency']} '{row['Complaint Type']}'"
        elif not address:
            reason = "no address"
        elif not (row["Latitude"] and row["Longitude"]):
            reason = "no point"
        if mapped is None or reason:
            made.unmapped[reason] += 1
            unmapped_duplicates += agency_duplicate(row)
            continue
        agency, code, urgency = mapped
        at = _nyc_time(row["Created Date"])
        lat, lng = float(row["Latitude"]), float(row["Longitude"])
        ref = f"NYC311-{row['Unique Key']}"
        native = _report_native(
            agency,
            ref,
            code,
            urgency,
            grid=grid_of(lat, lng, NYC_ORIGIN),
            at=at,
            point=(lat, lng),
            address=address,
        )
        norm = normalise(address)
        key = f"{row['Borough']}|{row['Complaint Type']}|{norm}"
        if agency_duplicate(row):
            duplicates.add(ref)
            marked.add((at, key))
        made.reports.append(
            Labelled(agency, _iso_local(native, at), at, lat, lng, key, row["Complaint Type"], norm)
        )
    label(made.reports, NYC_GAP)
    made.doubt = agency_doubt(marked)
    made.doubts = doubts(made.reports, made.doubt, NYC_GAP)
    total = sum(agency_duplicate(r) for r in rows)
    made.extra = lambda used: holdout_figures(used, duplicates, total, unmapped_duplicates)
    return made


def holdout_figures(
    used: list[tuple[Labelled, Outcome]], duplicates: set[str], total: int, unmapped: int
) -> dict[str, Any]:
    """The agency's duplicates the bus put in a case holding an earlier report (at the end of the
    run, merges followed), and the same for the rows the agency did not call duplicates."""
    earliest: dict[str, tuple[int, int]] = {}
    by_incident: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for report, outcome in used:
        order = (outcome.recorded_ms, outcome.index)
        earliest[outcome.case_id] = min(earliest.get(outcome.case_id, order), order)
        by_incident[report.incident].append(order)
    dup_used = linked = label_earlier = other_used = other_linked = 0
    for report, outcome in used:
        order = (outcome.recorded_ms, outcome.index)
        after = earliest[outcome.case_id] < order
        if outcome.ref in duplicates:
            dup_used += 1
            linked += after
            label_earlier += min(by_incident[report.incident]) < order
        else:
            other_used += 1
            other_linked += after
    figures = {
        "rows": total,
        "unmapped": unmapped,
        "refused_by_bus": total - unmapped - dup_used,
        "used": dup_used,
        "linked_to_earlier": linked,
        "recall_lower_bound": round(linked / dup_used, 4) if dup_used else None,
        "label_has_earlier": label_earlier,
        "others_used": other_used,
        "others_linked_to_earlier": other_linked,
    }
    share = f"{linked / dup_used:.3f}" if dup_used else "-"
    notes = [
        f'agency\'s own duplicates (resolution says "duplicate"): {total} rows; {unmapped} unmapped, '
        f"{figures['refused_by_bus']} refused by the bus, {dup_used} used",
        f"  bus put in a case holding an earlier report: {linked} of {dup_used} ({share}); a lower bound:"
        " the original may lie before the window",
        f"  (the label has an earlier report of the same incident in the window for {label_earlier} of them)",
        f"not called duplicate by the agency, put in a case holding an earlier report: {other_linked} of "
        f"{other_used} used (context only: the agency marks few)",
    ]
    return {"holdout": True, "agency_duplicates": figures, "notes": notes}
