"""The event mix: Montgomery County PA 911 calls (../shared/data/montco-911) as native agency reports.

Each CSV row (`lat, lng, title, timeStamp, twp, addr`, no header) becomes one native report of
one agency, in that agency's own JSON (`incidentbus.devtools.natives.report`):

- `EMS: …`     -> health (120): chief complaint code + triage level
- `Fire: …`    -> police hazard (fire, gas) or urban management (rescues, pumping, fuel, hazmat);
                  the few medical ones (cardiac arrest, burn victim) -> health
- `Traffic: …` -> police (110): collision, obstruction, vehicle fire

The grid code is synthetic but stable: the point is bucketed into a 0.01° lattice, and the lattice
is cut into six districts (310101…310106) of 25 × 25 cells, each cell one `DDDDDD-SSS-CCC-GG`
grid. Event time comes from the row's timestamp; the file holds 34 three-hour slices (12:00–15:00
on the 15th of each month), which are laid end to end, six hours apart, so the bus sees one long
busy stretch instead of month-long silences. When the file is missing, a seeded synthetic mix
with the same shape is used instead, and the result says so.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from incidentbus.devtools import natives

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ENV = "INCIDENTBUS_BENCH_MONTCO"
LOCAL = ZoneInfo("America/New_York")
SLICE_GAP = timedelta(hours=6)
LAT0, LNG0, CELL = 39.95, -75.75, 0.01
DISTRICT_CELLS = 25
DISTRICT_COLUMNS = 3

# (agency, native code, severity code) by the title's service and reason; first match wins.
EMS: list[tuple[tuple[str, ...], str, int]] = [
    (("VEHICLE ACCIDENT",), "TRAUMA_RTC", 2),
    (("CARDIAC",), "CARDIAC", 1),
    (("RESPIRATORY", "CHOKING", "ALLERGIC"), "BREATHING", 1),
    (("UNCONSCIOUS", "UNRESPONSIVE", "SYNCOPAL"), "UNCONSCIOUS", 1),
    (("FALL VICTIM",), "FALL", 3),
    (("INJURY", "FRACTURE", "LACERATION", "HEMORRHAG", "BITE"), "TRAUMA", 3),
    (("ASSAULT",), "ASSAULT", 2),
    (("FIRE",), "BURNS", 2),
    (("GAS-ODOR", "HAZARDOUS MATERIALS", "CARBON MONOXIDE"), "TOXIC_EXPOSURE", 1),
]
FIRE: list[tuple[tuple[str, ...], str, str, str]] = [
    (("CARDIAC",), "health", "CARDIAC", "1"),
    (("BURN VICTIM",), "health", "BURNS", "2"),
    (("GAS-ODOR", "CARBON MONOXIDE"), "police", "GS1", "P1"),
    (("VEHICLE ACCIDENT",), "police", "TA1", "P2"),
    (("FIRE POLICE",), "police", "TA3", "P3"),
    (("FIRE ALARM",), "police", "FI1", "P3"),
    (("HAZARDOUS MATERIALS",), "urban", "0902", "TJ"),
    (("LEAKING FUEL", "DEBRIS/FLUIDS"), "urban", "0203", "YB"),
    (("ELEVATOR", "RESCUE - GENERAL", "RESCUE - TECHNICAL"), "urban", "0502", "JJ"),
    (("RESCUE - WATER", "PUMP DETAIL"), "urban", "0501", "JJ"),
    (("SPECIAL SERVICE",), "urban", "0306", "YB"),
    (("FIRE",), "police", "FI1", "P2"),
]
TRAFFIC: list[tuple[tuple[str, ...], str, str]] = [
    (("VEHICLE ACCIDENT",), "TA1", "P2"),
    (("DISABLED VEHICLE",), "TA3", "P4"),
    (("VEHICLE FIRE",), "FI1", "P2"),
    (("OBSTRUCTION", "HAZARDOUS ROAD", "DEBRIS"), "TA3", "P3"),
]
SYNTHETIC_TITLES = [
    ("Traffic: VEHICLE ACCIDENT -", 30),
    ("Traffic: DISABLED VEHICLE -", 16),
    ("Fire: FIRE ALARM", 5),
    ("EMS: FALL VICTIM", 4),
    ("EMS: VEHICLE ACCIDENT", 4),
    ("EMS: RESPIRATORY EMERGENCY", 4),
    ("EMS: CARDIAC EMERGENCY", 3),
    ("Traffic: ROAD OBSTRUCTION -", 3),
    ("EMS: SUBJECT IN PAIN", 2),
    ("EMS: HEAD INJURY", 2),
    ("Fire: GAS-ODOR/LEAK", 1),
    ("Fire: VEHICLE ACCIDENT", 1),
    ("EMS: UNCONSCIOUS SUBJECT", 1),
]


@dataclass(frozen=True)
class Row:
    lat: float
    lng: float
    title: str
    local_time: datetime  # aware, America/New_York
    twp: str
    addr: str


@dataclass(frozen=True)
class Incident:
    """One row as the agency that owns it would report it."""

    index: int
    agency: str
    code: str  # the agency's native incident code
    urgency: str  # the agency's native severity code (priority, triage level, urgency)
    grid: str
    lat: float
    lng: float
    occurred: datetime  # the row's own time (the source's claim)
    event_ms: int  # event time on the bus: the row's time with the slices laid end to end
    title: str

    @property
    def district(self) -> str:
        return self.grid.split("-", 1)[0]

    def native(self, ref: str, *, grid: str | None = None, point: bool = True) -> dict[str, Any]:
        """The agency's native JSON for this report (devtools.natives, as the demo's simulator writes).

        `grid` replaces the row's grid; `point=False` leaves the WGS84 point and the address out
        (then only the grid places the report, so a report in a grid of its own cannot join
        another's case; the address is the row's title, and two titles read as one intersection,
        such as "GAS-ODOR/LEAK", joined reports of different grids by the address rule).
        """
        where, when = grid or self.grid, self.occurred
        address = self.title.split(":", 1)[1].strip(" -")[:60] if point else ""
        if self.agency == "police":
            place: dict[str, Any] = {"grid": where, "address": address}
            if point:
                place |= {"lat": self.lat, "lon": self.lng}
            return natives.report(
                "police", ref, self.code, where, when, priority=self.urgency, location=place
            )
        if self.agency == "health":
            extra: dict[str, Any] = {"coordinates": {"lat": self.lat, "lng": self.lng}} if point else {}
            return natives.report(
                "health",
                ref,
                self.code,
                where,
                when,
                triage_level=int(self.urgency),
                address=address,
                **extra,
            )
        extra = {"latitude": self.lat, "longitude": self.lng} if point else {}
        return natives.report(
            "urban", ref, self.code, where, when, urgency=self.urgency, description=address, **extra
        )


@dataclass(frozen=True)
class Mix:
    incidents: list[Incident]
    source: str  # where the rows came from
    real: bool  # False: the synthetic fallback


def grid_of(lat: float, lng: float, origin: tuple[float, float] = (LAT0, LNG0)) -> str:
    """A stable synthetic grid code for a point: 0.01° cells, 25 × 25 cells per district.

    `origin` is the lattice's south-west corner: Montgomery County's by default; bench/quality.py
    lays the same lattice over New York City (`bench.places.NYC_ORIGIN`)."""
    i = max(0, int((lat - origin[0]) / CELL))
    j = max(0, int((lng - origin[1]) / CELL))
    di, dj = min(i // DISTRICT_CELLS, 1), min(j // DISTRICT_CELLS, DISTRICT_COLUMNS - 1)
    district = 310101 + di * DISTRICT_COLUMNS + dj
    li, lj = i - di * DISTRICT_CELLS, j - dj * DISTRICT_CELLS
    li, lj = min(li, DISTRICT_CELLS - 1), min(lj, DISTRICT_CELLS - 1)
    street = (li // 5) * 5 + lj // 5 + 1
    return f"{district}-{street:03d}-{li % 5 + 1:03d}-{lj % 5 + 1:02d}"


def _match(reason: str, words: tuple[str, ...]) -> bool:
    return any(w in reason for w in words)


def classify(title: str) -> tuple[str, str, str]:
    """(agency, native code, native severity code) for a montco title such as `EMS: FALL VICTIM`."""
    service, _, reason = title.partition(":")
    reason = reason.strip(" -").upper()
    if service == "EMS":
        code, triage = next(((c, t) for words, c, t in EMS if _match(reason, words)), ("ILLNESS", 3))
        return "health", code, str(triage)
    if service == "Fire":
        return next(((a, c, u) for words, a, c, u in FIRE if _match(reason, words)), ("police", "FI1", "P3"))
    return "police", *next(((c, p) for words, c, p in TRAFFIC if _match(reason, words)), ("TA1", "P3"))


def default_path() -> Path:
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured)
    folder = REPO_ROOT.parent / "shared" / "data" / "montco-911"
    found = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    return found[0] if found else folder / "montco911_15th-of-month_2016-2018_noheader.csv"


def read_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for lat, lng, title, stamp, twp, addr, *_ in csv.reader(handle):
            when = datetime.strptime(stamp, "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL)
            rows.append(Row(float(lat), float(lng), title, when, twp, addr))
    return rows


def synthetic_rows(count: int = 3051, seed: int = 911) -> list[Row]:
    """Rows shaped like the montco file (34 three-hour slices, the same title mix and area)."""
    rng = random.Random(seed)
    titles, weights = zip(*SYNTHETIC_TITLES, strict=True)
    start = datetime(2016, 1, 15, 12, 0, tzinfo=LOCAL)
    rows = []
    for n in range(count):
        day = start + timedelta(days=31 * (n * 34 // count))
        when = day + timedelta(minutes=rng.randrange(180))
        rows.append(
            Row(
                round(rng.uniform(39.98, 40.42), 6),
                round(rng.uniform(-75.71, -75.03), 6),
                rng.choices(titles, weights)[0],
                when,
                "SYNTHETIC",
                f"ROAD {rng.randrange(400)}",
            )
        )
    return sorted(rows, key=lambda r: r.local_time)


def incidents_of(rows: list[Row], base_ms: int) -> list[Incident]:
    """Rows in time order -> incidents, with the slices (one per calendar day) laid end to end."""
    rows = sorted(rows, key=lambda r: r.local_time)
    out: list[Incident] = []
    day_start: dict[date, datetime] = {}
    for row in rows:
        day_start.setdefault(row.local_time.date(), row.local_time)  # the day's first call
    order = {day: n for n, day in enumerate(sorted(day_start))}
    for n, row in enumerate(rows):
        day = row.local_time.date()
        offset = row.local_time - day_start[day] + order[day] * SLICE_GAP
        agency, code, urgency = classify(row.title)
        out.append(
            Incident(
                n,
                agency,
                code,
                urgency,
                grid_of(row.lat, row.lng),
                row.lat,
                row.lng,
                row.local_time,
                base_ms + int(offset.total_seconds() * 1000),
                row.title,
            )
        )
    return out


def load_mix(base_ms: int, path: Path | None = None) -> Mix:
    """The montco mix, or the synthetic one when the file is not there."""
    path = path or default_path()
    if path.is_file():
        return Mix(incidents_of(read_rows(path), base_ms), str(path), True)
    return Mix(
        incidents_of(synthetic_rows(), base_ms), f"synthetic (no file at {path}; set {DATA_ENV})", False
    )
