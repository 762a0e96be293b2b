"""Repeat reports: a report that matches a recently closed case is that incident again.

A repeat call four minutes after a noise case closed is not a new incident: it is linked to the
closed case on the record (`ReportLinked`, rule "repeat", gap scored against the category's
repeat window), and for the families the rules name the case reopens with a new lead task (the
incident is evidently not over). Without a match, or past the window, the report opens its own
case as usual. Merged and superseded cases are never repeated into
(area_index.REPEATABLE: only cases closed on verification or by policy are).
"""

from __future__ import annotations

from incidentbus.correlator.domain.decision import Decision
from incidentbus.correlator.domain.matching import (
    Score,
    agrees_with_all,
    case_types,
    category_score,
    near_all,
    place_score,
)
from incidentbus.correlator.domain.model import Case, Report


def repeat_score(report: Report, case: Case, d: Decision) -> Score | None:
    """The match of a report against a closed case: its place and type as for a link, its time
    as the gap since the case's last event within the repeat window."""
    window = d.rules.repeat_window_ms(case.incident_type, case.category)
    gap = report.reported_ms - case.updated_ms
    if window <= 0 or not case.reports or not 0 <= gap <= window:
        return None
    place, _, distance, radius = place_score(report, case.reports[0], d.rules)
    types = case_types(case.reports, case.incident_type)
    category = category_score([report.incident_type], types, d.rules)
    others = case.reports[1:]
    if not (place and category) or not near_all(report, others, d.rules):
        return None
    if not agrees_with_all(report, others, d.rules):
        return None
    time = round(1.0 - gap / window, 6)
    w = d.rules.correlation.weights
    total = round(w.place * place + w.category * category + w.time * time, 6)
    if total < d.rules.correlation.threshold:
        return None
    return Score(total, place, category, time, "repeat", distance, radius)


def repeated_case(d: Decision, report: Report, status: str) -> tuple[Score, Case] | None:
    """The recently closed case of the report's status it repeats best (ties to the older id)."""
    cases = d.state.cases
    found = d.state.index(d.rules).candidates(
        "repeat", report, d.rules.radius_m(report.incident_type, report.category)
    )
    closed = [cases[i] for i in sorted(found) if cases[i].event_status == status]
    scored = [(s, c) for c in closed if (s := repeat_score(report, c, d)) is not None]
    return min(scored, key=lambda sc: (-sc[0].total, sc[1].case_id)) if scored else None


def reopens(d: Decision, case: Case) -> bool:
    return d.rules.repeat_reopens(case.incident_type, case.category)
