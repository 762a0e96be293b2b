"""Does a new report belong to an open case? Place, category and time, each scored in [0, 1].

A report joins the best-scoring open case at or above the threshold; ties go to the older case
id (deterministic). Every part of the score is recorded with the link.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from incidentbus.correlator.domain.model import Case, Place, Report
from incidentbus.correlator.domain.names import category_family
from incidentbus.correlator.domain.rules import Rules

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Score:
    total: float
    place: float
    category: float
    time: float
    rule: str


def distance_m(a: Place, b: Place) -> float | None:
    """Great-circle distance between two points; None when either place has no point."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def place_score(a: Place, b: Place, rules: Rules) -> tuple[float, str]:
    """Same grid, neighbouring grid (from the grid table), or within the radius."""
    c = rules.correlation
    if a.grid == b.grid:
        return c.same_grid_score, "grid"
    if b.grid in rules.neighbours(a.grid) or a.grid in rules.neighbours(b.grid):
        return c.neighbour_grid_score, "neighbour_grid"
    d = distance_m(a, b)
    if d is not None and d <= c.radius_m:
        return round(1.0 - d / c.radius_m, 6), "radius"
    return 0.0, ""


def _time_score(report: Report, case: Case, rules: Rules) -> float:
    window = rules.window_ms(category_family(case.category))
    gap = abs(report.reported_ms - case.last_report_ms)
    return 0.0 if gap > window else round(1.0 - gap / window, 6)


def score(report: Report, case: Case, rules: Rules) -> Score | None:
    """The match of a report against one open case, or None when any part rules it out."""
    place, rule = max((place_score(report.place, r.place, rules) for r in case.reports), default=(0.0, ""))
    category = max(
        (rules.compatibility(report.incident_type, r.incident_type) for r in case.reports), default=0.0
    )
    time = _time_score(report, case, rules)
    if not (place and category and time):
        return None
    w = rules.correlation.weights
    total = round(w.place * place + w.category * category + w.time * time, 6)
    return Score(total, place, category, time, rule) if total >= rules.correlation.threshold else None


def best_matches(report: Report, cases: list[Case], rules: Rules) -> list[tuple[Score, Case]]:
    """Matching open cases, best first; equal scores ordered by case id."""
    scored = [(s, c) for c in cases if (s := score(report, c, rules)) is not None]
    return sorted(scored, key=lambda sc: (-sc[0].total, sc[1].case_id))
