"""Task replies and verification answers: the closed loop from dispatch to closure."""

from __future__ import annotations

from typing import Any

from incidentbus.correlator.domain import names
from incidentbus.correlator.domain.decision import Decision
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.model import Case, Deadline, Task
from incidentbus.correlator.domain.rules import Rules
from incidentbus.v1 import agency_events_pb2, bus_pb2, case_events_pb2

STATUS_OF_REPLY = {
    "task_acknowledged": "ACKNOWLEDGED",
    "unit_dispatched": "UNIT_DISPATCHED",
    "unit_arrived": "ON_SCENE",
    "task_completed": "COMPLETED",
    "task_declined": "DECLINED",
}
ORDER = ("ASSIGNED", "ACKNOWLEDGED", "UNIT_DISPATCHED", "ON_SCENE", "COMPLETED")


def on_reply(d: Decision, item: Input) -> None:
    kind = item.event.WhichOneof("body") or ""
    body = getattr(item.event, kind)
    found = d.state.find_task(body.case_id, body.task_id)
    if found is None:
        d.reject(
            body.case_id or body.task_id,
            "correlator.unknown_task",
            f"{kind} for unknown task {body.task_id!r}",
        )
        return
    case, task = found
    actor = item.publisher  # the task's own agency: admission refused anyone else
    if not task.active:
        d.reject(
            case.case_id, "correlator.stale_reply", f"{kind} for task {task.task_id} that is {task.status}"
        )
        return
    if kind == "assistance_requested":
        _assistance(d, case, body, actor)
    elif kind == "progress_noted":
        _status(d, case, task, status=task.status, detail=body.note, actor=actor)
    else:
        _advance(d, case, task, kind=kind, body=body, actor=actor)


def _status(d: Decision, case: Case, task: Task, *, status: str, detail: str, actor: str) -> Case:
    """A task's change, stamped with the reply's own bus time (statistics measure from it)."""
    change = case_events_pb2.TaskStatusChanged(
        task_id=task.task_id, agency=task.agency, status=names.task_status_of(status), detail=detail
    )
    change.reported_at.FromMilliseconds(d.input_ms)
    return d.emit(case.case_id, "task_status_changed", change, actor=actor)


def _advance(d: Decision, case: Case, task: Task, *, kind: str, body: Any, actor: str) -> None:
    status = STATUS_OF_REPLY[kind]
    if status in ORDER and ORDER.index(status) <= ORDER.index(task.status):
        _status(d, case, task, status=task.status, detail=f"late {kind} (already {task.status})", actor=actor)
        return
    before = tuple(dl for dl in case.deadlines if dl.task_id == task.task_id)
    suggestion = ""
    detail = _detail(kind, body)
    if kind == "task_declined" and body.suggested_agency:
        if body.suggested_agency in d.rules.agencies:
            suggestion = body.suggested_agency
        else:
            detail += f" (suggested agency {body.suggested_agency!r} is not a bus agency: refused)"
    case = _status(d, case, task, status=status, detail=detail, actor=actor)
    if status == "DECLINED":
        _reroute(d, case, task, suggestion, before)
    elif status == "COMPLETED" and not case.active_tasks():
        _resolved(d, case)


def _detail(kind: str, body: Any) -> str:
    if kind == "task_declined":
        reason = names.short(agency_events_pb2.DeclineReason, body.reason, "DECLINE_REASON_")
        return f"{reason}: {body.reason_text}"
    if kind == "task_completed":
        disposition = names.short(agency_events_pb2.Disposition, body.disposition, "DISPOSITION_")
        return f"{disposition}: {body.summary}"
    return str(getattr(body, "unit_id", ""))


def _reroute(d: Decision, case: Case, task: Task, suggested: str, before: tuple[Deadline, ...]) -> None:
    """A declined task goes to the next candidate; a case never stays without an owner.

    When every candidate has declined, the last resort (the default owner) gets the work again
    with the declined task's deadlines (no fresh time), and the case escalates at once."""
    holding = {t.agency for t in case.active_tasks()}
    if task.role != "LEAD" and holding:
        if suggested and suggested not in holding | set(case.declined):
            d.assign(case.case_id, suggested, task.role, "reroute", replaces=task.task_id)
        return
    route = d.rules.route(case.incident_type, case.area)
    candidates = [suggested, *route.fallback, d.rules.default_owner]
    free = [a for a in candidates if a and a not in case.declined and a not in holding]
    if free:
        d.assign(case.case_id, free[0], "LEAD", "reroute", replaces=task.task_id)
        return
    owner = d.rules.default_owner
    d.assign(case.case_id, owner, "LEAD", "reroute:last-resort", replaces=task.task_id, inherit=before)
    d.escalate(d.case(case.case_id), f"every candidate declined; {owner} holds it as last resort")


def _assistance(d: Decision, case: Case, body: Any, actor: str) -> None:
    if body.requested_agency and body.requested_agency not in d.rules.agencies:
        d.reject(
            case.case_id,
            "correlator.unknown_agency",
            f"assistance from {body.requested_agency!r}, which is not a bus agency",
        )
        return
    holding = {t.agency for t in case.active_tasks()}
    if body.requested_agency and body.requested_agency not in holding:
        d.assign(case.case_id, body.requested_agency, "ASSIST", f"assistance:{actor}")


def _resolved(d: Decision, case: Case) -> None:
    """Every task done: close by a named policy, or ask the verifier to confirm (回访)."""
    done = [t.task_id for t in case.tasks if t.status == "COMPLETED"]
    case = d.emit(case.case_id, "case_resolved", case_events_pb2.CaseResolved(completed_task_ids=done))
    policy = d.rules.close_policy(case.incident_type)
    if policy:
        closed = case_events_pb2.CaseClosed(reason=case_events_pb2.CLOSURE_REASON_POLICY, policy=policy)
        d.close(case.case_id, closed)
        return
    d.verify(case, *addressee(d.rules, case))


def addressee(rules: Rules, case: Case) -> tuple[str, tuple[str, ...], str]:
    """Who confirms a resolution, whose reports, and why: the reporters who left a contact in
    reports of the rules' reporter verifier (citizens, called back by the hotline), else the
    rules' verifier (the grid worker)."""
    if rules.reporter_verifier:
        refs = tuple(
            r.source_ref for r in case.reports if r.source_agency == rules.reporter_verifier and r.contactable
        )
        if refs:
            return rules.reporter_verifier, refs, "reporter"
    return rules.verifier, (), "verifier"


def on_verification(d: Decision, item: Input) -> None:
    kind = item.event.WhichOneof("body") or ""
    body = getattr(item.event, kind)
    case = d.state.resolve(body.case_id)
    actor = item.publisher  # a verifier: admission refused anyone else
    # A case stored before verifiers were recorded names none: its verification is the rules' verifier's.
    addressee = (case.verifier or d.rules.verifier) if case is not None else ""
    if case is not None and case.verification_id == body.verification_id and actor != addressee:
        d.reject(
            body.case_id,
            "authz.not_addressed",
            f"{kind} by {actor!r}: verification {body.verification_id!r} is addressed to {addressee!r}",
        )
        return
    if case is not None and _reopens_closed(case, kind, body):
        _reopen_closed(d, case, body, actor)
        return
    if case is None or case.status != "RESOLVED" or case.verification_id != body.verification_id:
        state = case.status if case else "unknown"
        d.reject(
            body.case_id,
            "correlator.stale_verification",
            f"{kind} {body.verification_id!r} for a case that is {state}",
        )
        return
    if kind == "resolution_verified":
        verified = case_events_pb2.CaseVerified(
            verification_id=body.verification_id,
            verified_by=body.verified_by,
            satisfaction=body.satisfaction,
            comment=body.comment,
        )
        d.emit(case.case_id, "case_verified", verified, actor=actor)
        d.close(case.case_id, case_events_pb2.CaseClosed(reason=case_events_pb2.CLOSURE_REASON_VERIFIED))
        return
    reopened = case_events_pb2.CaseReopened(reason=body.reason, verification_id=body.verification_id)
    case = d.emit(case.case_id, "case_reopened", reopened, actor=actor)
    d.assign(case.case_id, last_lead(d, case), "LEAD", "reopen")


def last_lead(d: Decision, case: Case) -> str:
    return next((t.agency for t in reversed(case.tasks) if t.role == "LEAD"), d.rules.default_owner)


def _reopens_closed(case: Case, kind: str, body: Any) -> bool:
    """A dissatisfied answer (or a corrected one) to the verification that closed the case."""
    return (
        kind == "resolution_disputed"
        and case.status == "CLOSED"
        and case.closure == "VERIFIED"
        and case.verification_id == body.verification_id
    )


def _reopen_closed(d: Decision, case: Case, body: Any, actor: str) -> None:
    """Within the rules' reopen window: a recorded reopen with a new lead task. After it: a dead
    letter and an alert, so the dissatisfaction is seen without reopening old work."""
    window = d.rules.closing.reopen_window_ms
    if d.input_ms - case.updated_ms > window:
        days = d.rules.closing.reopen_window_days
        d.reject(
            case.case_id,
            "correlator.reopen_window_passed",
            f"disputed {body.verification_id!r} more than {days:g} days after the case closed",
        )
        d.alert(
            case,
            bus_pb2.ALERT_KIND_LATE_DISPUTE,
            [d.rules.verifier],  # the grid worker can look again; the hotline cannot
            case.supervising,
            f"resolution disputed after the {days:g}-day reopen window: {body.reason}",
        )
        return
    reopened = case_events_pb2.CaseReopened(
        reason=f"disputed after closing: {body.reason}", verification_id=body.verification_id
    )
    case = d.emit(case.case_id, "case_reopened", reopened, actor=actor)
    d.assign(case.case_id, last_lead(d, case), "LEAD", "reopen")
