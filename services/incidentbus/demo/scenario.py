"""The demo's day in district 310101 (08:00-20:00), as native reports and the agencies' habits.

Times are minutes after 08:00 of demo time; the runner compresses them (default 360x: the day
takes two minutes). Each special incident has a grid of its own, so the agency bots can tell
which habit applies from the task they receive.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCIDENT_GRID = "310101-002-003-07"  # police, ambulance and a grid worker report one collision
ACCIDENT_NEIGHBOUR = "310101-002-003-08"
UNKNOWN_GAS_GRID = "310101-003-001-02"  # the six unknowns: fast path
DECLINED_GRID = "310101-004-002-01"  # urban management returns the work order: rerouted
IGNORED_GRID = "310101-005-001-03"  # police let the noise report sit: deadlines missed, escalation
REWORK_GRID = "310101-006-001-01"  # manhole fixed badly: verification fails, case reopens
STREETLIGHT_GRID = "310101-017-004-07"  # a citizen reports it over Open311 and confirms the repair
GARBAGE_GRID = "310101-011-002-02"  # urban's work order, and a citizen's request that joins it


@dataclass(frozen=True)
class Report:
    minute: float
    agency: str
    ref: str
    code: str  # the agency's own code
    grid: str
    extra: tuple[tuple[str, object], ...] = ()


DAY: tuple[Report, ...] = (
    Report(5, "police", "110-0805-001", "TA2", ACCIDENT_GRID, (("injured", 2), ("priority", "P1"))),
    Report(
        7, "health", "120-0807-014", "TRAUMA_RTC", ACCIDENT_GRID, (("patient_count", 2), ("triage_level", 1))
    ),
    Report(
        9,
        "community",
        "GW-0809-233",
        "E12",
        ACCIDENT_NEIGHBOUR,
        (("text", "crash debris blocking the lane"),),
    ),
    Report(
        30,
        "community",
        "GW-0830-240",
        "E20",
        UNKNOWN_GAS_GRID,
        (("text", "strange sweet smell in stairwell"),),
    ),
    Report(45, "police", "110-0845-007", "PK1", "310101-007-002-04", (("priority", "P4"),)),
    Report(60, "urban", "UM-0900-3121", "0201", DECLINED_GRID, (("description", "pothole on the lane"),)),
    Report(75, "health", "120-0915-031", "CARDIAC", "310101-008-001-02", (("triage_level", 1),)),
    Report(
        90, "community", "GW-0930-251", "E02", "310101-009-003-01", (("text", "elderly resident not seen"),)
    ),
    Report(120, "police", "110-1000-019", "NS1", IGNORED_GRID, (("priority", "P4"),)),
    Report(150, "community", "GW-1030-260", "E01", "310101-010-001-05", (("text", "neighbours arguing"),)),
    Report(152, "police", "110-1032-022", "DS1", "310101-010-001-05", (("priority", "P3"),)),
    Report(180, "urban", "UM-1100-3188", "0305", REWORK_GRID, (("description", "manhole cover missing"),)),
    Report(
        200,
        "citizen",
        "citizen-streetlight",  # the demo's name; the gateway gives the service_request_id
        "streetlight",
        STREETLIGHT_GRID,
        (("description", "streetlight out for three nights"), ("email", "li.wei@example.cn")),
    ),
    Report(240, "urban", "UM-1200-3200", "0101", GARBAGE_GRID, (("description", "garbage overflowing"),)),
    Report(
        250, "citizen", "citizen-garbage", "garbage", GARBAGE_GRID, (("description", "bins overflowing"),)
    ),
    Report(300, "health", "120-1300-055", "FALL", "310101-012-001-01", (("triage_level", 3),)),
    Report(360, "police", "110-1400-040", "TH1", "310101-013-002-03", (("priority", "P3"),)),
    Report(
        420, "community", "GW-1500-301", "E08", "310101-014-001-01", (("text", "bags dumped by the gate"),)
    ),
    Report(421, "urban", "UM-1501-3290", "0101", "310101-014-001-01", (("description", "dumped garbage"),)),
    Report(480, "police", "110-1600-052", "TA1", "310101-015-003-02", (("priority", "P3"),)),
    Report(540, "health", "120-1700-077", "BREATHING", "310101-016-001-01", (("triage_level", 2),)),
    Report(600, "community", "GW-1800-330", "E04", "310101-017-002-01", (("text", "broken railing"),)),
)
END_MINUTE = 720.0
DRAIN_MINUTES = 120.0  # after the last report, time for the last tasks and verifications

# How each agency answers a task, in demo minutes after receiving it.
NORMAL = (("ack", 3), ("dispatched", 5), ("arrived", 12), ("complete", 40))
HABITS: dict[tuple[str, str], tuple[tuple[str, float], ...]] = {
    ("urban", DECLINED_GRID): (("decline", 6),),
    ("police", IGNORED_GRID): (("ack", 150), ("arrived", 155), ("complete", 160)),
}
VERIFY_AFTER = 15.0
FAILS_FIRST_VERIFICATION = {REWORK_GRID}
