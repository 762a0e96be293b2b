"""Does a new report belong to a case? Place, category and time, each scored in [0, 1].

A case is held to its **anchor**, its first report, and to a bounded extent and age, so that a
busy case cannot chain from neighbour to neighbour across a district:

- *place*: when both the report and the anchor carry a point, the distance decides, within the
  category's radius (`1 − d/radius`); and the report must also be within that radius of every
  other point of the case, so no case grows wider than its radius. Only when either lacks a
  point does the grid decide: same grid, or a neighbouring grid;
- *category*: the report's type against every type of the case (same, or one compatibility
  group each: the weakest decides), so a case never holds two types no group pairs;
- *time*: the case's span with the report — from its earliest to its latest report — within a
  window (`1 − span/window`), so a case has a bounded age, not a window that restarts at every
  new report; and the report within the inactivity gap of the case's nearest report in time (a
  session window: calls about one crash keep coming minutes apart, a call after a longer silence
  is a new crash). Window and gap are those of the type of the latest report in event time
  (the newcomer or a case report), since it says how long reports of its kind go on describing
  one incident (crash calls minutes, the damage it left hours), whichever arrived first.

A report joins the best case at or above the link threshold (ties to the lower case id); it
merges another case it also matches only on stronger evidence (the merge threshold) and when
the two together still fit one radius, the shorter of their windows and gaps, and every pair of
their types and precise addresses. Every part of the score is recorded.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from incidentbus.correlator.domain.model import Case, Place, Report
from incidentbus.correlator.domain.rules import Rules
from incidentbus.kernel.addresses import (
    AddressKind,
    AddressMatch,
    NormalisedAddress,
    compare_addresses,
    normalise_address,
)

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Score:
    """The parts of a match. `rule` names what decided the place ("distance", "grid",
    "neighbour_grid") or why there was no scoring ("named_case", "opened", "split", ...)."""

    total: float
    place: float
    category: float
    time: float
    rule: str
    distance_m: float | None = None  # report to anchor, when both have points
    radius_m: float = 0.0  # the radius that applied


def distance_m(a: Place, b: Place) -> float | None:
    """Great-circle distance between two points (metres); None when either place has no point."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def reach_m(a: Report, b: Report, rules: Rules) -> float:
    """The radius two reports are held to: the smaller of their types' radii."""
    return min(rules.radius_m(a.incident_type, a.category), rules.radius_m(b.incident_type, b.category))


@lru_cache(maxsize=65_536)
def normalised(text: str) -> NormalisedAddress | None:
    return normalise_address(text) if text else None


def address_match(a: Place, b: Place) -> AddressMatch:
    """How two places' addresses compare, once normalised (cached: a pure function of the text)."""
    return compare_addresses(normalised(a.address), normalised(b.address))


PRECISE = (AddressKind.ADDRESS, AddressKind.INTERSECTION)  # a spot, not a whole street


def _address_conflict(match: AddressMatch, a: Place, b: Place, rules: Rules) -> bool:
    """Two precise addresses (a house number, or an intersection) that disagree. A street named
    alone, or free text read as one ("X Rd near Y Rd"), is too vague to rule a place out."""
    policy = rules.correlation.address
    x, y = normalised(a.address), normalised(b.address)
    if x is None or y is None or x.kind not in PRECISE or y.kind not in PRECISE:
        return False
    if match is AddressMatch.DIFFERENT:
        return policy.veto_different_streets
    if match is not AddressMatch.SAME_STREET:
        return False
    if x.number and y.number:
        return policy.veto_different_numbers and x.number != y.number
    both_intersections = x.kind is AddressKind.INTERSECTION and y.kind is AddressKind.INTERSECTION
    return both_intersections and policy.veto_different_cross_streets


def place_score(report: Report, anchor: Report, rules: Rules) -> tuple[float, str, float | None, float]:
    """(score, basis, distance, radius): the distance when both have points, else the grid; a
    matching address raises it, a conflicting one rules it out (`[correlation.address]`)."""
    radius = reach_m(report, anchor, rules)
    d = distance_m(report.place, anchor.place)
    match = address_match(report.place, anchor.place)
    if _address_conflict(match, report.place, anchor.place, rules):
        return 0.0, "", d, radius
    same = match in (AddressMatch.SAME_ADDRESS, AddressMatch.SAME_INTERSECTION)
    if same and (d is None or d <= radius):
        return rules.correlation.address.same_score, "address", d, radius
    if d is not None:
        return (round(1.0 - d / radius, 6), "distance", d, radius) if d <= radius else (0.0, "", d, radius)
    c, a, b = rules.correlation, report.place.grid, anchor.place.grid
    if a == b:
        return c.same_grid_score, "grid", None, radius
    if b in rules.neighbours(a) or a in rules.neighbours(b):
        return c.neighbour_grid_score, "neighbour_grid", None, radius
    return 0.0, "", None, radius


def near_all(report: Report, others: Iterable[Report], rules: Rules) -> bool:
    """The report's point is within the radius of every other point (no point: nothing to hold)."""
    for other in others:
        d = distance_m(report.place, other.place)
        if d is not None and d > reach_m(report, other, rules):
            return False
    return True


def fits_extent(a: list[Report], b: list[Report], rules: Rules) -> bool:
    """Every point of `a` is within its radius of every point of `b`, and no precise address of
    `a` contradicts one of `b` (each side already fits)."""
    return all(near_all(report, b, rules) and agrees_with_all(report, b, rules) for report in a)


def agrees_with_all(report: Report, others: Iterable[Report], rules: Rules) -> bool:
    """No precise address among `others` contradicts the report's (the vetoes hold against every
    report of a case, not only its anchor)."""
    return not any(
        _address_conflict(address_match(report.place, o.place), report.place, o.place, rules) for o in others
    )


def case_types(reports: Iterable[Report], *also: str) -> set[str]:
    return {r.incident_type for r in reports} | set(also)


def category_score(types: Iterable[str], others: Iterable[str], rules: Rules) -> float:
    """The weakest compatibility of any type with any other: a case is one incident, so every
    pair of its types must be one incident as two agencies would name it (0 if any is not)."""
    theirs = set(others)
    return min((rules.compatibility(a, b) for a in set(types) for b in theirs), default=0.0)


def span_ms(reports: list[Report]) -> int:
    times = [r.reported_ms for r in reports]
    return max(times) - min(times) if times else 0


def silence_ms(reports: list[Report], case: Case) -> int:
    """How long the quietest newcomer lies from the case's nearest report in time (ms)."""
    if not reports or not case.reports:
        return 0
    return max(min(abs(n.reported_ms - r.reported_ms) for r in case.reports) for n in reports)


def time_score(reports: list[Report], case: Case, window: tuple[int, int]) -> float:
    """1 − span/window over the case's reports and the newcomers; 0 past the window (its
    maximum age) or when a newcomer comes after more than the inactivity gap of silence."""
    window_ms, gap_ms = window
    span = span_ms([*case.reports, *reports])
    if span > window_ms or silence_ms(reports, case) > gap_ms:
        return 0.0
    return round(1.0 - span / window_ms, 6)


def latest(reports: Iterable[Report]) -> Report:
    """The report latest in event time (ties by identity): its type sets the pair's window,
    whichever arrived first, so the order of arrival does not change the outcome."""
    return max(reports, key=lambda r: (r.reported_ms, r.identity))


def window_of(report: Report, rules: Rules) -> tuple[int, int]:
    """(window, inactivity gap) in ms that a report is held to: its own type's, since it says how
    long reports of its kind go on describing one incident (a crash call minutes, the damage it
    left hours) and how long a silence ends one (a session window with a maximum age)."""
    return (
        rules.window_ms(report.incident_type, report.category),
        rules.gap_ms(report.incident_type, report.category),
    )


def score(report: Report, case: Case, rules: Rules, threshold: float | None = None) -> Score | None:
    """The match of a report against one case (its anchor, extent and age), or None when any
    part rules it out or the total stays below the threshold (default: the link threshold)."""
    if not case.reports:
        return None
    anchor, others = case.reports[0], case.reports[1:]
    place, basis, d, radius = place_score(report, anchor, rules)
    if not place:  # most candidates: far away, nothing else to compute
        return None
    category = category_score([report.incident_type], case_types(case.reports, case.incident_type), rules)
    if not category:
        return None
    time = time_score([report], case, window_of(latest([*case.reports, report]), rules))
    if not time or not near_all(report, others, rules) or not agrees_with_all(report, others, rules):
        return None
    w = rules.correlation.weights
    total = round(w.place * place + w.category * category + w.time * time, 6)
    floor = rules.correlation.threshold if threshold is None else threshold
    return Score(total, place, category, time, basis, d, radius) if total >= floor else None


def best_matches(report: Report, cases: list[Case], rules: Rules) -> list[tuple[Score, Case]]:
    """Matching cases, best first; equal scores ordered by case id."""
    scored = [(s, c) for c in cases if (s := score(report, c, rules)) is not None]
    return sorted(scored, key=lambda sc: (-sc[0].total, sc[1].case_id))


def may_merge(report: Report, survivor: Case, other: Case, rules: Rules) -> Score | None:
    """The evidence for merging `other` into `survivor` (which the report joined), or None.

    The report must match `other` at the merge threshold, and the two cases with the report
    must still be one place and one time: every point within its radius of every other, the
    whole span within the survivor's window, the types compatible."""
    evidence = score(report, other, rules, rules.correlation.merge_threshold)
    mine = case_types([*survivor.reports, report], survivor.incident_type)
    if evidence is None or not category_score(mine, case_types(other.reports, other.incident_type), rules):
        return None
    if not fits_extent(list(other.reports), [*survivor.reports, report], rules):
        return None
    a, b = window_of(survivor.reports[0], rules), window_of(other.reports[0], rules)
    window = (min(a[0], b[0]), min(a[1], b[1]))
    if time_score([*other.reports, report], survivor, window) == 0:
        return None
    return evidence
