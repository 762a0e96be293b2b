"""One line of plain language per case event, for the timeline people read.

The event itself stays the record (JSON output carries its ids and numbers); the summary only
says what happened, in the words an operator uses: who got which task, what was missed, where
the case climbed to, why it closed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from incidentbus.correlator.domain import names
from incidentbus.v1 import case_events_pb2


def short_task(task_id: str, case_id: str) -> str:
    """`C-310101-…/t2` -> `t2` inside its own case; other ids are kept whole."""
    return task_id.removeprefix(f"{case_id}/")


def _ref(ref: case_events_pb2.ReportRef) -> str:
    return f"{ref.source_agency}/{ref.source_ref}"


def _opened(b: case_events_pb2.CaseOpened, _: str) -> str:
    level = names.level_name(b.response_level)
    parts = [
        f"case opened: {b.incident_type} ({names.severity_name(b.severity).lower()})",
        f"grid {b.location.grid_code}",
        f"priority {b.priority}",
    ]
    if level != "NONE":
        parts.append(f"level {level}")
    if b.fast_path:
        parts.append("FAST PATH")
    return ", ".join(parts) + f", first report {_ref(b.first_report)}"


def _linked(b: case_events_pb2.ReportLinked, _: str) -> str:
    score = b.score
    how = (
        score.rule
        if score.rule in ("opened", "split", "named_case", "named_task")
        else (f"{score.rule}, score {score.total:.2f}")
    )
    casualties = f", {b.casualties} casualties" if b.casualties else ""
    return f"report {_ref(b.report)} linked: {b.incident_type} ({how}{casualties})"


def _assigned(b: case_events_pb2.TaskAssigned, case_id: str) -> str:
    text = f"task {b.task_id} assigned to {b.agency} ({names.role_name(b.role)}, rule {b.rule or '-'})"
    if b.replaces_task_id:
        text += f", replacing {short_task(b.replaces_task_id, case_id)}"
    return text


def _status(b: case_events_pb2.TaskStatusChanged, case_id: str) -> str:
    note = b.detail.strip().rstrip(":").strip()
    detail = f": {note}" if note else ""
    return f"task {short_task(b.task_id, case_id)} ({b.agency}) {names.task_status_name(b.status)}{detail}"


def _escalated(b: case_events_pb2.CaseEscalated, case_id: str) -> str:
    why = (
        f"missed {names.deadline_name(b.missed)} of {short_task(b.task_id, case_id)}"
        if b.task_id
        else b.reason or "-"
    )
    return (
        f"escalated {names.jurisdiction_name(b.from_level)} → {names.jurisdiction_name(b.to_level)} "
        f"{b.jurisdiction_code} ({why}), priority {b.priority}"
    )


def _reminded(b: case_events_pb2.ReminderIssued, case_id: str) -> str:
    return (
        f"reminder {b.reminder} to {b.jurisdiction_code or 'the top level'}: still missed "
        f"{names.deadline_name(b.missed)} of {short_task(b.task_id, case_id)}"
    )


def _corrected(b: case_events_pb2.ReportCorrected, _: str) -> str:
    return (
        f"report {_ref(b.report)} corrected (revision {b.previous_revision} → {b.report.revision}): "
        f"{b.incident_type}, {b.casualties} casualties; {b.note}"
    )


def _level(b: case_events_pb2.ResponseLevelChanged, _: str) -> str:
    text = f"response level {names.level_name(b.from_level)} → {names.level_name(b.to_level)} ({b.reason})"
    return text + (f", notify {', '.join(b.notify_agencies)}" if b.notify_agencies else "")


def _resolved(b: case_events_pb2.CaseResolved, case_id: str) -> str:
    done = ", ".join(short_task(t, case_id) for t in b.completed_task_ids) or "-"
    return f"resolved: tasks {done} completed"


def _closed(b: case_events_pb2.CaseClosed, _: str) -> str:
    if b.reason == case_events_pb2.CLOSURE_REASON_MERGED:
        return f"closed: merged into {b.merged_into}"
    if b.reason == case_events_pb2.CLOSURE_REASON_POLICY:
        return f"closed without verification under policy {b.policy}"
    if b.reason == case_events_pb2.CLOSURE_REASON_SUPERSEDED:
        return "closed: its only report was corrected into another incident"
    return "closed after verification"


def _reopened(b: case_events_pb2.CaseReopened, case_id: str) -> str:
    return f"reopened: {b.reason} (verification {short_task(b.verification_id, case_id)})"


def _merged(b: case_events_pb2.CasesMerged, _: str) -> str:
    return f"absorbed case {b.merged_case_id} ({len(b.moved_reports)} reports moved here)"


def _split(b: case_events_pb2.CaseSplit, _: str) -> str:
    moved = ", ".join(_ref(r) for r in b.moved_reports)
    return f"split: {moved} moved to new case {b.new_case_id} ({b.reason})"


def _verification(b: case_events_pb2.VerificationRequested, case_id: str) -> str:
    return f"verification {short_task(b.verification_id, case_id)} requested from {b.agency}"


def _verified(b: case_events_pb2.CaseVerified, _: str) -> str:
    satisfied = f", satisfaction {b.satisfaction}/5" if b.satisfaction else ""
    return f"resolution verified by {b.verified_by or '-'}{satisfied}"


SUMMARIES: dict[str, Callable[[Any, str], str]] = {
    "case_opened": _opened,
    "report_linked": _linked,
    "task_assigned": _assigned,
    "task_status_changed": _status,
    "case_escalated": _escalated,
    "response_level_changed": _level,
    "case_resolved": _resolved,
    "case_closed": _closed,
    "case_reopened": _reopened,
    "cases_merged": _merged,
    "case_split": _split,
    "verification_requested": _verification,
    "case_verified": _verified,
    "report_corrected": _corrected,
    "reminder_issued": _reminded,
}


def summarize(event: case_events_pb2.CaseEvent) -> str:
    """A short human sentence for a case event; an unknown body (a newer schema) is named as such."""
    body = event.WhichOneof("body")
    if body is None:
        return "(no body)"
    if body not in SUMMARIES:
        return f"({body})"
    return SUMMARIES[body](getattr(event, body), event.case_id)
