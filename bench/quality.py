"""Correlation quality on labelled real data: does the bus put the reports of one incident, and
only those, in one case?

    .venv/bin/python -m bench.quality [--json] [--limit N] [--nyc FILE] [--montco FILE] [--montco-day D]
        [--nyc2024 FILE]

Two sets, built here from ../shared/data (the product never reads it). Each row becomes one native
report of one of our agencies, in that agency's own JSON and codes, and goes through the real
adapters and the correlator's core offline, in its original time, with the shipped rules
(`incidentbus.ops.offline.correlate`, what `incidentbus correlate` runs). The labels are
heuristics, stated below; where they are arguably wrong the benchmark counts it ("label doubts")
rather than anything being tuned to them.

**NYC 311** (`nyc-311/nyc311_2022-05-01_0000-0206.csv`, 924 requests, 00:00–02:06): one incident =
the same 311 complaint type at the same normalised address (and borough), each request within
60 minutes of the previous one (`NYC_GAP`). 311 agencies and complaint types are mapped onto our
agencies' native codes in `NYC_CODES` (noise by its source, parking, encampments, disturbance ->
police; sanitation, rodents, streets, signs, lights, signals, vending, construction noise ->
urban; housing complaints by what failed, homeless outreach -> community; food poisoning ->
health); a type that fits no code, and a row without an address or a point, is counted as
unmapped, by reason.

**Montgomery County 911** (`montco-911/…csv`, one day: `--montco-day`, default 2018-11-15, the
one full day of the file: 743 calls): one incident = calls at the same normalised address and
township, each within 10 minutes of the previous one (`MONTCO_GAP`), whatever the service, so it
is cross-agency. EMS -> health, Traffic -> police, Fire -> police (fire, gas, alarms), urban
(rescues, pumping, spills) or health (cardiac, burns), exactly as the throughput mix maps them
(`bench.mix.classify`): there is no fire agency, and the code tables say who handles what.

**NYC 311 2024, the holdout** (`nyc-311/nyc311_2024-04-15_to_16_api_fieldnames.csv`,
`--nyc2024`, 1,000 requests, 2024-04-15 22:51 → 04-16 03:03; `bench/nyc2024.py`): a third set the
rules are calibrated on neither; it is only measured, to see whether what was tuned on the two
above holds elsewhere. Same mapping and label as the 2022 set (its reader puts the file's API field
names onto the export's). Plus a figure needing no label: of the requests the agency itself
resolved as duplicates, how many the bus put in a case holding an earlier report (a lower bound:
the original may predate the window).

Places: each point is put on the 0.01° lattice of bench/mix.py (2 × 3 districts of 25 × 25
cells); the lattice's origin is Montgomery County's for that set and New York City's for 311
(`bench.places.NYC_ORIGIN`), with the matching jurisdiction table, so every native carries the
grid code of its lattice cell and its point. Times: both files have local times without an offset
(America/New_York); they are converted here to ISO times with their offset. (Agencies may soon
declare their own time zone in their code tables; the benchmark would then pass the local time.)

Address normalisation for the labels (`normalise`): upper case, punctuation to spaces, spaces
collapsed, ordinal suffixes dropped (`55TH` -> `55`), ordinal words as numbers (`FIFTH` -> `5`),
standard abbreviations (AVENUE -> AVE, STREET -> ST, EAST -> E, SAINT -> ST, …), an
intersection's two streets sorted. Deliberately
simple and independent of any normaliser in the product.

Figures per set: rows read / used / unmapped (by reason) / refused by the bus (by reason);
pairwise precision, recall and F1 over pairs of reports (same case vs same labelled incident);
cases vs incidents; over-merged cases (holding reports of more than one incident); under-merged
incidents (split over more than one case); the largest case's extent (metres between its
farthest points, minutes between its first and last report) and the widest case's.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.machine import load_average, machine
from bench.mix import classify, grid_of, read_rows
from bench.mix import default_path as montco_default_path
from bench.places import MONTCO_ORIGIN, NYC_ORIGIN, lattice_jurisdictions
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.rulesfile import load_rules
from incidentbus.devtools import natives
from incidentbus.kernel.jurisdictions import Jurisdictions
from incidentbus.kernel.settings import REPO_ROOT, BusSettings
from incidentbus.ops.offline import Outcome, correlate

LOCAL = ZoneInfo("America/New_York")
NYC_DEFAULT = REPO_ROOT.parent / "shared" / "data" / "nyc-311" / "nyc311_2022-05-01_0000-0206.csv"
MONTCO_DAY = date(2018, 11, 15)
NYC_GAP = timedelta(minutes=60)
MONTCO_GAP = timedelta(minutes=10)
NEIGHBOUR_M = 100.0  # label doubt: different incidents this close, within the gap
MONTCO_NEIGHBOUR_M = 200.0  # a crash on a highway is named by several nearby intersections
MIN_MS = 60_000

# 311 (agency, complaint type) -> (our agency, its native code, its native severity). A type not
# here fits none of our agencies' codes and is counted as unmapped.
NYC_CODES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("NYPD", "Noise - Residential"): ("police", "NS2", "P4"),
    ("NYPD", "Noise - Street/Sidewalk"): ("police", "NS3", "P4"),
    ("NYPD", "Noise - Park"): ("police", "NS3", "P4"),
    ("NYPD", "Noise - House of Worship"): ("police", "NS3", "P4"),
    ("NYPD", "Noise - Commercial"): ("police", "NS4", "P4"),
    ("NYPD", "Noise - Vehicle"): ("police", "NS5", "P4"),
    ("EDC", "Noise - Helicopter"): ("police", "NS1", "P4"),
    ("DEP", "Noise"): ("urban", "0403", "HB"),  # DEP's noise is mostly construction and equipment
    ("NYPD", "Illegal Parking"): ("police", "PK1", "P4"),
    ("NYPD", "Blocked Driveway"): ("police", "PK2", "P4"),
    ("NYPD", "Abandoned Vehicle"): ("police", "PK3", "P4"),
    ("NYPD", "Encampment"): ("police", "HL1", "P4"),
    ("DHS", "Encampment"): ("community", "E17", "blue"),
    ("DHS", "Homeless Person Assistance"): ("community", "E17", "blue"),
    ("NYPD", "Illegal Fireworks"): ("police", "DS1", "P3"),
    ("NYPD", "Traffic"): ("police", "DS1", "P3"),  # all three are drag racing
    ("NYPD", "Drinking"): ("police", "DS1", "P4"),
    ("NYPD", "Panhandling"): ("police", "DS1", "P4"),
    ("NYPD", "Disorderly Youth"): ("police", "DS1", "P4"),
    ("DOHMH", "Rodent"): ("urban", "0104", "YB"),
    ("DOHMH", "Food Poisoning"): ("health", "FOOD_POISON", "3"),
    ("DOHMH", "Mobile Food Vendor"): ("urban", "0204", "HB"),
    ("DOT", "Street Condition"): ("urban", "0201", "YB"),
    ("DOT", "Street Light Condition"): ("urban", "0301", "YB"),
    ("DOT", "Traffic Signal Condition"): ("urban", "0302", "JJ"),
    ("DOT", "Street Sign - Damaged"): ("urban", "0303", "HB"),
    ("DOT", "Street Sign - Missing"): ("urban", "0303", "HB"),
    ("DOT", "Street Sign - Dangling"): ("urban", "0303", "YB"),
    ("DSNY", "Missed Collection"): ("urban", "0102", "YB"),
    ("DSNY", "Dumpster Complaint"): ("urban", "0102", "YB"),
    ("DSNY", "Residential Disposal Complaint"): ("urban", "0101", "YB"),
    ("DSNY", "Illegal Dumping"): ("urban", "0101", "YB"),
    ("DSNY", "Dirty Condition"): ("urban", "0103", "YB"),
    ("DSNY", "Street Sweeping Complaint"): ("urban", "0103", "HB"),
    ("DSNY", "Dead Animal"): ("urban", "0103", "YB"),
    # HPD's housing complaints, each its own type (one building's heat is not its neighbour's).
    ("HPD", "HEAT/HOT WATER"): ("community", "E13", "yellow"),
    ("HPD", "PLUMBING"): ("community", "E14", "blue"),
    ("HPD", "WATER LEAK"): ("community", "E32", "blue"),
    ("HPD", "PAINT/PLASTER"): ("community", "E26", "blue"),
    ("HPD", "DOOR/WINDOW"): ("community", "E27", "blue"),
    ("HPD", "FLOORING/STAIRS"): ("community", "E28", "blue"),
    ("HPD", "ELECTRIC"): ("community", "E29", "yellow"),
    ("HPD", "APPLIANCE"): ("community", "E30", "blue"),
    ("HPD", "SAFETY"): ("community", "E31", "yellow"),
    ("HPD", "GENERAL"): ("community", "E15", "blue"),
    ("HPD", "UNSANITARY CONDITION"): ("community", "E16", "blue"),
}

ABBREVIATIONS = {
    "AVENUE": "AVE",
    "AV": "AVE",
    "STREET": "ST",
    "ROAD": "RD",
    "BOULEVARD": "BLVD",
    "PLACE": "PL",
    "DRIVE": "DR",
    "LANE": "LN",
    "COURT": "CT",
    "TERRACE": "TER",
    "PARKWAY": "PKWY",
    "PIKE": "PK",
    "EXPRESSWAY": "EXPY",
    "HIGHWAY": "HWY",
    "TURNPIKE": "TPKE",
    "PLAZA": "PLZ",
    "SQUARE": "SQ",
    "CIRCLE": "CIR",
    "SAINT": "ST",
    "MOUNT": "MT",
    "FORT": "FT",
    "EAST": "E",
    "WEST": "W",
    "NORTH": "N",
    "SOUTH": "S",
}
ORDINAL = re.compile(r"^(\d+)(ST|ND|RD|TH)$")
ORDINALS = ("FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH", "TENTH")
ORDINAL_WORDS = {w: str(n) for n, w in enumerate(ORDINALS, 1)}  # NYC writes "FIFTH AVE" and "5 AVE"


def normalise(address: str) -> str:
    """The label's address key: upper case, punctuation to spaces, standard abbreviations,
    ordinals as numbers; the parts of an intersection (`A & B`) sorted."""
    parts = []
    for part in re.split(r"\s*&\s*|\s+AND\s+", address.upper()):
        words = re.sub(r"[^A-Z0-9 ]+", " ", part).split()
        words = [ABBREVIATIONS.get(w, w) for w in words]
        words = [m.group(1) if (m := ORDINAL.match(w)) else ORDINAL_WORDS.get(w, w) for w in words]
        if words:
            parts.append(" ".join(words))
    return " & ".join(sorted(parts))


@dataclass(frozen=True)
class Labelled:
    """One row as a native report of one of our agencies, with its labelled incident."""

    agency: str
    native: dict[str, Any]
    at: datetime  # aware
    lat: float
    lng: float
    key: str  # the label's key: (complaint type or service-free) place, for the incident and doubts
    kind: str  # 311 complaint type / montco title
    address: str  # normalised
    incident: str = ""

    @property
    def ms(self) -> int:
        return int(self.at.timestamp() * 1000)


@dataclass
class LabelledSet:
    name: str
    source: str
    label_rule: str
    rows_read: int
    reports: list[Labelled]
    unmapped: Counter[str] = field(default_factory=Counter)
    places: Jurisdictions | None = None
    doubts: dict[str, int] = field(default_factory=dict)  # pairs of the set each doubt covers
    doubt: Callable[[Labelled, Labelled], str] = lambda _a, _b: ""
    # the set's own figures from its used reports and their outcomes (the holdout's duplicates)
    extra: Callable[[list[tuple[Labelled, Outcome]]], dict[str, Any]] | None = None


# -- the sets -------------------------------------------------------------------------------------


def nyc_address(row: dict[str, str]) -> str:
    """The request's address as 311 gives it: a house address, an intersection, a block face."""
    kind = row["Address Type"]
    if kind == "INTERSECTION" and row["Intersection Street 1"] and row["Intersection Street 2"]:
        return f"{row['Intersection Street 1']} & {row['Intersection Street 2']}"
    if kind == "BLOCKFACE" and row["Street Name"]:
        return f"{row['Street Name']} BETWEEN {row['Cross Street 1']} & {row['Cross Street 2']}"
    return row["Incident Address"] or row["Street Name"]


def _report_native(
    agency: str,
    ref: str,
    code: str,
    urgency: str,
    *,
    grid: str,
    at: datetime,
    point: tuple[float, float],
    address: str,
) -> dict[str, Any]:
    """A native report in the agency's own JSON, with its grid, its point and its address."""
    lat, lng = point
    if agency == "police":
        place = {"grid": grid, "address": address[:200], "lat": lat, "lon": lng}
        return natives.report(agency, ref, code, grid, at, priority=urgency, location=place)
    if agency == "health":
        return natives.report(
            agency,
            ref,
            code,
            grid,
            at,
            triage_level=int(urgency),
            address=address[:200],
            coordinates={"lat": lat, "lng": lng},
        )
    if agency == "community":  # the grid worker's app: a warning colour, the household, a map pin
        return natives.report(
            agency, ref, code, grid, at, colour=urgency, household=address[:200], lat=lat, lng=lng
        )
    return natives.report(
        agency, ref, code, grid, at, urgency=urgency, address=address[:200], latitude=lat, longitude=lng
    )


def _iso_local(native: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The native's own time as local time with its offset (the file's clock), not UTC."""
    local = at.astimezone(LOCAL).isoformat()
    for key in ("reported_at", "call_time", "created", "observed_at"):
        if key in native:
            native[key] = local
    return native


def nyc_set(path: Path, limit: int | None = None) -> LabelledSet:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows.sort(key=lambda r: _nyc_time(r["Created Date"]))
    rows = rows[:limit] if limit else rows
    made = LabelledSet(
        "nyc311",
        str(path),
        "same 311 complaint type at the same normalised address and borough, "
        f"each within {int(NYC_GAP.total_seconds() // 60)} min of the previous",
        len(rows),
        [],
        places=lattice_jurisdictions(NYC_ORIGIN),
    )
    for row in rows:
        mapped = NYC_CODES.get((row["Agency"], row["Complaint Type"]))
        address = nyc_address(row)
        if mapped is None:
            made.unmapped[f"no code for {row['Agency']} '{row['Complaint Type']}'"] += 1
            continue
        if not address:
            made.unmapped["no address"] += 1
            continue
        if not (row["Latitude"] and row["Longitude"]):
            made.unmapped["no point"] += 1
            continue
        agency, code, urgency = mapped
        at = _nyc_time(row["Created Date"])
        lat, lng = float(row["Latitude"]), float(row["Longitude"])
        grid = grid_of(lat, lng, NYC_ORIGIN)
        native = _report_native(
            agency,
            f"NYC311-{row['Unique Key']}",
            code,
            urgency,
            grid=grid,
            at=at,
            point=(lat, lng),
            address=address,
        )
        norm = normalise(address)
        key = f"{row['Borough']}|{row['Complaint Type']}|{norm}"
        made.reports.append(
            Labelled(agency, _iso_local(native, at), at, lat, lng, key, row["Complaint Type"], norm)
        )
    label(made.reports, NYC_GAP)
    made.doubt = nyc_doubt
    made.doubts = doubts(made.reports, nyc_doubt, NYC_GAP)
    return made


def _nyc_time(text: str) -> datetime:
    return datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=LOCAL)


def montco_set(path: Path, day: date = MONTCO_DAY, limit: int | None = None) -> LabelledSet:
    every = read_rows(path)
    rows = sorted((r for r in every if r.local_time.date() == day), key=lambda r: r.local_time)
    rows = rows[:limit] if limit else rows
    made = LabelledSet(
        "montco911",
        f"{path} ({day.isoformat()}: {len(rows)} of {len(every)} rows)",
        "any service's calls at the same normalised address and township, "
        f"each within {int(MONTCO_GAP.total_seconds() // 60)} min of the previous",
        len(rows),
        [],
        places=lattice_jurisdictions(MONTCO_ORIGIN),
    )
    for n, row in enumerate(rows):
        if not row.addr.strip():
            made.unmapped["no address"] += 1
            continue
        agency, code, urgency = classify(row.title)
        grid = grid_of(row.lat, row.lng, MONTCO_ORIGIN)
        native = _report_native(
            agency,
            f"MC-{n:05d}",
            code,
            urgency,
            grid=grid,
            at=row.local_time,
            point=(row.lat, row.lng),
            address=row.addr,
        )
        norm = normalise(row.addr)
        made.reports.append(
            Labelled(
                agency,
                _iso_local(native, row.local_time),
                row.local_time,
                row.lat,
                row.lng,
                f"{row.twp}|{norm}",
                row.title,
                norm,
            )
        )
    label(made.reports, MONTCO_GAP)
    made.doubt = montco_doubt
    made.doubts = doubts(made.reports, montco_doubt, MONTCO_GAP)
    return made


def label(reports: list[Labelled], gap: timedelta) -> None:
    """Number the incidents: reports of one key, each within `gap` of the key's previous one."""
    last: dict[str, tuple[datetime, str]] = {}
    counter = 0
    for r in sorted(range(len(reports)), key=lambda i: reports[i].at):
        report = reports[r]
        seen = last.get(report.key)
        if seen is not None and report.at - seen[0] <= gap:
            incident = seen[1]
        else:
            counter += 1
            incident = f"I{counter:05d}"
        last[report.key] = (report.at, incident)
        reports[r] = replace(report, incident=incident)


# -- label doubts ---------------------------------------------------------------------------------


def distance_m(a: Labelled, b: Labelled) -> float:
    """Haversine metres between two reports' points."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lng - a.lng)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h)))


def _close_pairs(reports: list[Labelled], gap: timedelta) -> Iterable[tuple[Labelled, Labelled]]:
    """Pairs of reports within `gap` of each other (reports sorted by time)."""
    ordered = sorted(reports, key=lambda r: r.at)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b.at - a.at > gap:
                break
            yield a, b


NEAR_SAME_TYPE = f"same type at another address within {int(NEIGHBOUR_M)} m"
OTHER_NOISE = "another noise type at the same address"
NEAR_OTHER_ADDRESS = f"another address within {int(MONTCO_NEIGHBOUR_M)} m"
UNLIKE_REASONS = "one address, different reasons"
OTHER_TOWNSHIP = "one address, another township"  # one call's twp field naming its neighbour


def nyc_doubt(a: Labelled, b: Labelled) -> str:
    """Why the 311 label is arguably wrong about a pair ("" if it is not): the same type at a
    neighbouring address (one party heard from next door), or another noise type at the same
    address (one party, two complaint forms), both within the label's gap."""
    if a.incident == b.incident or abs(a.at - b.at) > NYC_GAP:
        return ""
    if a.kind == b.kind and a.address != b.address and distance_m(a, b) <= NEIGHBOUR_M:
        return NEAR_SAME_TYPE
    noise = a.kind.startswith("Noise") and b.kind.startswith("Noise")
    return OTHER_NOISE if noise and a.kind != b.kind and a.address == b.address else ""


def montco_doubt(a: Labelled, b: Labelled) -> str:
    """Why the 911 label is arguably wrong about a pair: calls at different address strings close
    together (one crash named by two intersections), the same address in two townships (a road on
    their border, one point), or one incident's calls about unlike things."""
    if abs(a.at - b.at) > MONTCO_GAP:
        return ""
    if a.incident != b.incident:
        if a.address == b.address:
            return OTHER_TOWNSHIP  # the label keys on the township too
        return NEAR_OTHER_ADDRESS if distance_m(a, b) <= MONTCO_NEIGHBOUR_M else ""
    return UNLIKE_REASONS if _reason(a.kind) != _reason(b.kind) else ""


def doubts(
    reports: list[Labelled], doubt: Callable[[Labelled, Labelled], str], gap: timedelta
) -> dict[str, int]:
    """How many pairs of the set each doubt covers."""
    found = Counter(doubt(a, b) for a, b in _close_pairs(reports, gap))
    found.pop("", None)
    return dict(found.most_common())


def _reason(title: str) -> str:
    return title.partition(":")[2].strip(" -")


# -- measuring ------------------------------------------------------------------------------------


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(cases: list[str], incidents: list[str]) -> dict[str, Any]:
    """Pairwise precision/recall/F1 of a case assignment against labelled incidents."""
    cells = Counter(zip(cases, incidents, strict=True))
    correct = sum(pairs(n) for n in cells.values())
    predicted = sum(pairs(n) for n in Counter(cases).values())
    true = sum(pairs(n) for n in Counter(incidents).values())
    precision = correct / predicted if predicted else 1.0
    recall = correct / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    incidents_of: dict[str, set[str]] = defaultdict(set)
    cases_of: dict[str, set[str]] = defaultdict(set)
    for case, incident in zip(cases, incidents, strict=True):
        incidents_of[case].add(incident)
        cases_of[incident].add(case)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "pairs_correct": correct,
        "pairs_predicted": predicted,
        "pairs_true": true,
        "cases": len(incidents_of),
        "incidents": len(cases_of),
        "over_merged_cases": sum(len(v) > 1 for v in incidents_of.values()),
        "under_merged_incidents": sum(len(v) > 1 for v in cases_of.values()),
    }


def wrong_pairs(
    used: list[tuple[Labelled, Outcome]], doubt: Callable[[Labelled, Labelled], str]
) -> tuple[dict[str, int], dict[str, int]]:
    """The pairs the bus got wrong by the label — joined but not one incident, one incident but
    not joined — counted by the doubt that covers them ("none": the label is plausibly right)."""
    false: Counter[str] = Counter()
    missed: Counter[str] = Counter()
    by_case: dict[str, list[Labelled]] = defaultdict(list)
    by_incident: dict[str, list[tuple[Labelled, str]]] = defaultdict(list)
    for report, outcome in used:
        by_case[outcome.case_id].append(report)
        by_incident[report.incident].append((report, outcome.case_id))
    for members in by_case.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.incident != b.incident:
                    false[doubt(a, b) or "none"] += 1
    for pairs_of in by_incident.values():
        for i, (a, case_a) in enumerate(pairs_of):
            for b, case_b in pairs_of[i + 1 :]:
                if case_a != case_b:
                    missed[doubt(a, b) or "none"] += 1
    return dict(false.most_common()), dict(missed.most_common())


def undoubted(figures: dict[str, Any], false: dict[str, int], missed: dict[str, int]) -> dict[str, float]:
    """Precision and recall with the pairs the label is in doubt about set aside: a doubted pair
    the bus joined counts neither as right nor wrong, nor does a doubted pair it kept apart."""
    doubted_false = sum(n for why, n in false.items() if why != "none")
    doubted_missed = sum(n for why, n in missed.items() if why != "none")
    correct = figures["pairs_correct"]
    predicted, true = figures["pairs_predicted"] - doubted_false, figures["pairs_true"] - doubted_missed
    return {
        "precision_undoubted": round(correct / predicted, 4) if predicted else 1.0,
        "recall_undoubted": round(correct / true, 4) if true else 1.0,
    }


def extent(members: list[Labelled]) -> tuple[float, float]:
    """(metres between the farthest two points, minutes between first and last report)."""
    metres = max((distance_m(a, b) for i, a in enumerate(members) for b in members[i + 1 :]), default=0.0)
    times = [m.at for m in members]
    return round(metres, 1), round((max(times) - min(times)).total_seconds() / 60, 1)


def measure(labelled: LabelledSet, rules: Rules) -> dict[str, Any]:
    started = time.perf_counter()
    assert labelled.places is not None
    run = correlate(((r.agency, r.native, r.ms) for r in labelled.reports), rules, labelled.places)
    seconds = time.perf_counter() - started
    used: list[tuple[Labelled, Outcome]] = []
    refused: Counter[str] = Counter()
    for report, outcome in zip(labelled.reports, run.outcomes, strict=True):
        if outcome.case_id and outcome.outcome in ("opened", "linked", "duplicate"):
            used.append((report, outcome))
        else:
            refused[outcome.reason or outcome.outcome] += 1
    figures = pairwise([o.case_id for _, o in used], [r.incident for r, _ in used])
    wrong = wrong_pairs(used, labelled.doubt)
    members: dict[str, list[Labelled]] = defaultdict(list)
    for report, outcome in used:
        members[outcome.case_id].append(report)
    largest_id = max(members, key=lambda c: (len(members[c]), c), default="")
    largest = members.get(largest_id, [])
    metres, minutes = extent(largest)
    widths = {c: extent(m)[0] for c, m in members.items()}
    widest = max(widths, key=lambda c: (widths[c], c), default="")
    return {
        "source": labelled.source,
        "label_rule": labelled.label_rule,
        "rows_read": labelled.rows_read,
        "rows_unmapped": sum(labelled.unmapped.values()),
        "unmapped_by_reason": dict(labelled.unmapped.most_common()),
        "reports": len(labelled.reports),
        "refused_by_bus": dict(refused.most_common()),
        "rows_used": len(used),
        **figures,
        "largest_case": {
            "case_id": largest_id,
            "reports": len(largest),
            "incidents": len({r.incident for r in largest}),
            "addresses": len({r.address for r in largest}),
            "metres": metres,
            "minutes": minutes,
        },
        "widest_case": {
            "case_id": widest,
            "reports": len(members.get(widest, [])),
            "metres": widths.get(widest, 0.0),
        },
        "merges": run.merges,
        "ticks": run.ticks,
        "label_doubts": labelled.doubts,
        **undoubted(figures, *wrong),
        "false_pairs_by_doubt": wrong[0],  # pairs in one case, not one incident: which the label doubts
        "missed_pairs_by_doubt": wrong[1],  # pairs of one incident, not one case
        "seconds": round(seconds, 2),
        **(labelled.extra(used) if labelled.extra else {}),
    }


# -- the script -----------------------------------------------------------------------------------

ROWS = [
    ("rows read", "rows_read"),
    ("rows unmapped", "rows_unmapped"),
    ("refused by the bus", "refused_total"),
    ("rows used", "rows_used"),
    ("labelled incidents", "incidents"),
    ("cases", "cases"),
    ("pairwise precision", "precision"),
    ("pairwise recall", "recall"),
    ("pairwise F1", "f1"),
    ("precision, label doubts aside", "precision_undoubted"),
    ("recall, label doubts aside", "recall_undoubted"),
    ("pairs: correct / predicted / true", "pairs"),
    ("over-merged cases", "over_merged_cases"),
    ("under-merged incidents", "under_merged_incidents"),
    ("largest case: reports (incidents, addresses)", "largest"),
    ("largest case: metres, minutes", "largest_extent"),
    ("widest case: metres (reports)", "widest"),
    ("merges of live cases", "merges"),
    ("seconds (offline run)", "seconds"),
]


def _cell(result: dict[str, Any], key: str) -> str:
    big, wide = result["largest_case"], result["widest_case"]
    special = {
        "refused_total": lambda: str(sum(result["refused_by_bus"].values())),
        "pairs": lambda: f"{result['pairs_correct']} / {result['pairs_predicted']} / {result['pairs_true']}",
        "largest": lambda: f"{big['reports']} ({big['incidents']}, {big['addresses']})",
        "largest_extent": lambda: f"{big['metres']:.0f} m, {big['minutes']:.0f} min",
        "widest": lambda: f"{wide['metres']:.0f} m ({wide['reports']})",
    }
    if key in special:
        return special[key]()
    value = result[key]
    ratio = isinstance(value, float) and key.startswith(("precision", "recall", "f1"))
    return f"{value:.3f}" if ratio else str(value)


def _by_doubt(counts: dict[str, int]) -> str:
    if not counts:
        return "0 pairs"
    parts = [f"{n} {'label plausibly right' if k == 'none' else 'doubted: ' + k}" for k, n in counts.items()]
    return f"{sum(counts.values())} pairs ({'; '.join(parts)})"


def table(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    width = max(len(label) for label, _ in ROWS)
    heads = [n + (" (holdout)" if results[n].get("holdout") else "") for n in names]
    lines = [f"{'figure':<{width}}  " + "  ".join(f"{n:>26}" for n in heads)]
    lines.append("-" * len(lines[0]))
    for label_text, key in ROWS:
        lines.append(f"{label_text:<{width}}  " + "  ".join(f"{_cell(results[n], key):>26}" for n in names))
    for name, result in results.items():
        lines.append("")
        lines.append(f"{name}: {result['source']}")
        lines.append(f"  label: {result['label_rule']}")
        for reason, count in result["unmapped_by_reason"].items():
            lines.append(f"  unmapped: {count:4d}  {reason}")
        for reason, count in result["refused_by_bus"].items():
            lines.append(f"  refused by the bus: {count:4d}  {reason}")
        for doubt, count in result["label_doubts"].items():
            lines.append(f"  label doubt: {count:4d} pairs  {doubt}")
        false, missed = result["false_pairs_by_doubt"], result["missed_pairs_by_doubt"]
        lines.append(f"  joined, not one incident: {_by_doubt(false)}")
        lines.append(f"  one incident, not joined: {_by_doubt(missed)}")
        lines.extend(f"  {note}" for note in result.get("notes", []))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    parser.add_argument("--limit", type=int, default=None, help="at most N rows of each set (a quick run)")
    parser.add_argument("--nyc", type=Path, default=NYC_DEFAULT, help="the NYC 311 CSV (2022 window)")
    parser.add_argument("--montco", type=Path, default=None, help="the Montgomery County 911 CSV")
    parser.add_argument("--montco-day", type=date.fromisoformat, default=MONTCO_DAY, help="the day to use")
    parser.add_argument("--nyc2024", type=Path, default=None, help="the NYC 311 CSV of 2024 (holdout)")
    parser.add_argument("--rules", type=Path, default=None, help="correlator rules (default: shipped)")
    args = parser.parse_args(argv)
    from bench import nyc2024  # it imports this module

    montco = args.montco or montco_default_path()
    holdout = args.nyc2024 or nyc2024.NYC2024_DEFAULT
    missing = [str(p) for p in (args.nyc, montco, holdout) if not p.is_file()]
    if missing:
        print(f"bench.quality: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    rules = load_rules(args.rules)
    started = datetime.now(UTC)
    sets = [nyc_set(args.nyc, args.limit), montco_set(montco, args.montco_day, args.limit)]
    sets.append(nyc2024.nyc2024_set(holdout, args.limit))
    results = {s.name: measure(s, rules) for s in sets}
    command = " ".join([".venv/bin/python -m bench.quality", *(argv if argv is not None else sys.argv[1:])])
    if args.json:
        out = {
            "sets": results,
            "rules": str(args.rules or "shipped"),
            "command": command,
            "date": started.isoformat(timespec="seconds"),
            "machine": machine(BusSettings()) | {"load_average": load_average()},
        }
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(table(results))
        print(f"\n{command}  ({started.isoformat(timespec='seconds')}, rules: {args.rules or 'shipped'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
