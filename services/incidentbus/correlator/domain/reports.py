"""A report is one native record of one agency: its first revision is correlated, later ones
replace it where it is (or move it, when it no longer belongs there); older ones are refused."""

from __future__ import annotations

from dataclasses import replace

from incidentbus.correlator.domain import names, outputs
from incidentbus.correlator.domain.decision import Decision
from incidentbus.correlator.domain.handlers import correlate, destination, ensure_routing, level_for
from incidentbus.correlator.domain.inputs import Input, report_of
from incidentbus.correlator.domain.matching import place_score, score
from incidentbus.correlator.domain.model import Case, Report
from incidentbus.correlator.domain.rules import LEVELS
from incidentbus.v1 import agency_events_pb2, case_events_pb2


def on_report(d: Decision, item: Input) -> None:
    """A new report is correlated; a known one (same agency and native reference) is revised."""
    report, body = report_of(item), item.event.incident_reported
    status = names.event_status_name(item.event.envelope.status)
    known = d.state.case_of_report(report.identity)
    if known is None and (retired := d.state.retired_case(report.identity)):
        d.reject(
            retired,
            "correlator.stale_revision",
            f"{report.source_agency} {report.source_ref} revision {report.revision}: its case "
            "closed and left the working state",
        )
        return
    if known is None:
        correlate(d, report, body, status)
        return
    case, old = known
    if report.revision <= old.revision:
        d.reject(
            case.case_id,
            "correlator.stale_revision",
            f"{report.source_agency} {report.source_ref} revision {report.revision} "
            f"after revision {old.revision}",
        )
        return
    # A revision corrects the report, it is not a new one: it keeps the time the report was
    # first recorded (as the fold does), so a late correction is not judged as a late call.
    revise(d, case, old, replace(report, reported_ms=old.reported_ms), body, status)


def _fits(d: Decision, case: Case, old: Report, new: Report) -> bool:
    """Does the corrected report still describe this case's incident?"""
    others = tuple(r for r in case.reports if r.identity != new.identity)
    if others:
        return score(new, replace(case, reports=others), d.rules) is not None
    place = place_score(new, old, d.rules)[0]
    return bool(place and d.rules.compatibility(new.incident_type, old.incident_type))


def revise(  # noqa: PLR0917 - the correction's parts, each needed
    d: Decision,
    case: Case,
    old: Report,
    new: Report,
    body: agency_events_pb2.IncidentReported,
    status: str,
) -> None:
    """Record the correction on the case; keep the report there if it still fits, else move it
    out (closing the case as superseded when it was its only report) and correlate it afresh."""
    fits = not case.is_open or _fits(d, case, old, new)
    corrected = case.with_report(new)
    note = "kept in the case" if fits else f"no longer matches {case.case_id}: correlated afresh"
    wanted = level_for(d, corrected)
    if fits and LEVELS.index(wanted) < LEVELS.index(case.level):
        note += f"; response level stays {case.level} (levels are never lowered automatically)"
    record = case_events_pb2.ReportCorrected(
        report=outputs.report_ref(new),
        previous_revision=old.revision,
        category=names.category_of(new.category),
        incident_type=new.incident_type,
        severity=names.severity_of(new.severity),
        location=body.location,
        casualties=new.casualties,
        note=note,
        contactable=new.contactable,
    )
    case = d.emit(case.case_id, "report_corrected", record, actor=new.source_agency)
    if not case.is_open:
        return
    if fits:
        ensure_routing(d, case, new.incident_type)
        case = d.case(case.case_id)
        d.raise_level(case, level_for(d, case), f"revision of {new.source_ref}")
        return
    split = case_events_pb2.CaseSplit(
        new_case_id=destination(d, new, status, skip=case.case_id),
        moved_reports=[outputs.report_ref(new)],
        reason=f"revision {new.revision} of {new.source_agency} {new.source_ref} no longer matches",
    )
    case = d.emit(case.case_id, "case_split", split, actor=new.source_agency)
    if not case.reports:
        superseded = case_events_pb2.CaseClosed(reason=case_events_pb2.CLOSURE_REASON_SUPERSEDED)
        d.close(case.case_id, superseded)
    correlate(d, new, body, status, skip=case.case_id)
