"""Open cases for the dashboard benchmark, made by the correlator's own pure core and produced onto
the real case topics, so the query service folds exactly what a correlator would have written.

Each case is one native report (police collision or fire, ambulance call, urban work order, in
turn), through its agency's real adapter (bench/feed.py) and stepped by `engine.run_input` over
one in-memory store (as `incidentbus replay` steps it). The reports sit on a lattice of points over
the benchmark's six districts (bench/grids.geojson), neighbours at least 520 m apart (more than
the widest radius of these types, hazard's 500 m) and of another type, each with an address of its
own (different house numbers are different places), so no report joins another's case: N reports,
N open cases, real (status ACTUAL). Their times are spread over the `span_ms` before the run, so
some acknowledge deadlines pass within the fill (the core escalates those cases as a later report
moves its clock on) and others pass while the page is watched, as on a busy day.

Only the case events and snapshots are produced (what the query service reads); dispatches and
alerts stay in memory.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from bench.feed import Feed
from bench.mix import CELL, DISTRICT_CELLS, DISTRICT_COLUMNS, LAT0, LNG0, Incident, grid_of
from bench.places import DISTRICT_ROWS
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import MemoryStore, output_record, run_input
from incidentbus.correlator.routing import area_of
from incidentbus.kernel.records import OutgoingRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import case_events_pb2

# (agency, native code, native severity): traffic, medical, urban management, hazard
KINDS = (
    ("police", "TA1", "P3"),
    ("health", "CARDIAC", "2"),
    ("urban", "0201", "YB"),
    ("police", "FI1", "P2"),
)
MIN_SPACING_M = 520.0
M_PER_DEG_LAT = 111_320.0
PRODUCED = ("case_event", "snapshot")
BATCH = 2_000  # records in flight at once while filling


def lattice(count: int) -> tuple[list[tuple[float, float]], int]:
    """`count` points on a lattice over the six districts, half a cell in from their outer edges,
    row by row, and the lattice's columns; ValueError when they would be nearer than MIN_SPACING_M."""
    south, west = LAT0 + CELL / 2, LNG0 + CELL / 2
    height = DISTRICT_ROWS * DISTRICT_CELLS * CELL - CELL
    width = DISTRICT_COLUMNS * DISTRICT_CELLS * CELL - CELL
    m_per_deg_lng = M_PER_DEG_LAT * math.cos(math.radians(south + height / 2))
    rows = max(1, math.ceil(math.sqrt(count * height * M_PER_DEG_LAT / (width * m_per_deg_lng))))
    columns = max(1, math.ceil(count / rows))
    d_lat, d_lng = height / max(1, rows - 1), width / max(1, columns - 1)
    spacing = min(d_lat * M_PER_DEG_LAT, d_lng * m_per_deg_lng)
    if count > 1 and spacing < MIN_SPACING_M:
        raise ValueError(f"{count} cases would be {spacing:.0f} m apart (at least {MIN_SPACING_M:.0f} m)")
    return [(south + (i // columns) * d_lat, west + (i % columns) * d_lng) for i in range(count)], columns


@dataclass
class Case:
    """One report stepped: its case and the records to produce (case events, then the snapshot)."""

    case_id: str
    records: list[OutgoingRecord]
    opened: bool  # the report opened a case of its own (did not join one)


@dataclass
class OpenCases:
    """The core's store and the lattice; `report(i, at_ms)` steps the i-th point's report."""

    settings: BusSettings
    rules: Rules
    total: int  # points laid out: the fill and the later updates
    feed: Feed = field(default_factory=Feed)
    store: MemoryStore = field(default_factory=MemoryStore)
    points: list[tuple[float, float]] = field(init=False)
    columns: int = field(init=False)

    def __post_init__(self) -> None:
        self.points, self.columns = lattice(self.total)

    def report(self, i: int, at_ms: int) -> Case:
        lat, lng = self.points[i]
        row, column = divmod(i, self.columns)
        agency, code, severity = KINDS[(row % 2) * 2 + column % 2]  # a neighbour is of another type
        when = datetime.fromtimestamp(at_ms / 1000, UTC)
        title = f"Bench: {100 + i} LATTICE RD"  # the address: a house number of its own
        incident = Incident(i, agency, code, severity, grid_of(lat, lng), lat, lng, when, at_ms, title)
        item = self.feed.native(agency, incident.native(f"DASH-{i:06d}"), at_ms)
        outputs = run_input(self.store, self.rules, item, area_of(item.event))
        return self._case(outputs)

    def _case(self, outputs: list[Output]) -> Case:
        """The report's case is the one it opened or joined (an input also fires the deadlines of
        other cases that fell due before it: their escalations come first)."""
        events = [o.message for o in outputs if isinstance(o.message, case_events_pb2.CaseEvent)]
        opened = [e.case_id for e in events if e.HasField("case_opened")]
        linked = [e.case_id for e in events if e.HasField("report_linked")]
        records = [output_record(self.settings, o) for o in outputs if o.kind in PRODUCED]
        return Case((opened or linked or [""])[0], records, bool(opened))

    def fill(self, count: int, span_ms: int, progress: Callable[[str], None]) -> list[Case]:
        """The first `count` reports, a case each, recorded over the `span_ms` before now."""
        now = int(time.time() * 1000)
        cases = []
        for i in range(count):
            cases.append(self.report(i, now - span_ms + (i * span_ms) // max(1, count)))
            if (i + 1) % 2_000 == 0:
                progress(f"core: {i + 1} of {count} reports stepped")
        joined = [c.case_id for c in cases if not c.opened]
        if joined or len({c.case_id for c in cases}) != count:
            raise RuntimeError(f"{len(joined)} of {count} reports joined another case: {joined[:5]}")
        return cases


async def produce(client: AIOKafkaProducer, records: list[OutgoingRecord]) -> float:
    """Send records (in order per partition), up to BATCH in flight; the wall clock (ms since the
    epoch) when the broker acknowledged the last of them."""
    for start in range(0, len(records), BATCH):
        futures = [
            await client.send(r.topic, r.value, key=r.key, headers=list(r.headers))
            for r in records[start : start + BATCH]
        ]
        await asyncio.gather(*futures)
    return time.time() * 1000
