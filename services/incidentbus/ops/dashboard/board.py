"""What the dashboard shows, as plain data from the read model: case rows, agency tiles, alerts,
the case view. Pure: no I/O, `now_ms` is passed in (the query service's clock, as /cases/overdue).

A case row is one JSON object per case (shape in `row`); the page derives the map's shading and the
list from the rows it holds, so the server sends a case once and then only the cases that changed.
"""

from __future__ import annotations

from typing import Any

from incidentbus.correlator.domain.names import label
from incidentbus.ops.alerts import Alert
from incidentbus.ops.readmodel import OPEN, ReadModel
from incidentbus.ops.trace import source_reports, timeline
from incidentbus.v1 import case_events_pb2, common_pb2

SIX_UNKNOWNS = frozenset(
    {
        common_pb2.CATEGORY_UNKNOWN_OBJECT,
        common_pb2.CATEGORY_UNKNOWN_SPECIES,
        common_pb2.CATEGORY_UNKNOWN_GAS,
        common_pb2.CATEGORY_UNKNOWN_LIQUID,
        common_pb2.CATEGORY_UNKNOWN_DISEASE,
        common_pb2.CATEGORY_UNKNOWN_SIGN,
    }
)
MAJOR_LEVELS = frozenset({common_pb2.RESPONSE_LEVEL_I, common_pb2.RESPONSE_LEVEL_II})
TASK_DONE = frozenset(
    {
        case_events_pb2.TASK_STATUS_COMPLETED,
        case_events_pb2.TASK_STATUS_DECLINED,
        case_events_pb2.TASK_STATUS_CANCELLED,
    }
)
CLOSED_SHOWN_MS = 24 * 3600 * 1000  # closed and merged cases stay on the board for a day (bus time)


STATUS = (case_events_pb2.CaseStatus, "CASE_STATUS_")
CATEGORY = (common_pb2.Category, "CATEGORY_")
DEADLINE = (common_pb2.DeadlineKind, "DEADLINE_KIND_")
LEVEL = (common_pb2.JurisdictionLevel, "JURISDICTION_LEVEL_")
RESPONSE = (common_pb2.ResponseLevel, "RESPONSE_LEVEL_")


def _name(enum: tuple[Any, str], value: int) -> str:
    return label(enum[0], value, enum[1])


def next_deadline(
    snap: case_events_pb2.CaseSnapshot, verify_due: int | None = None
) -> tuple[int, str] | None:
    """The earliest pending deadline of the case's open tasks, or of its pending verification (回访,
    `verify_due`, which snapshots do not carry): (due, ms since the epoch; kind)."""
    pending = [(verify_due, "VERIFY")] if verify_due is not None else []
    pending += [
        (d.due_at.ToMilliseconds(), _name(DEADLINE, d.kind))
        for t in snap.tasks
        if t.status not in TASK_DONE
        for d in t.deadlines
    ]
    return min(pending) if pending else None


def lead_agency(snap: case_events_pb2.CaseSnapshot) -> str:
    """The agency of the case's live lead task ('' before dispatch)."""
    leads = [
        t.agency for t in snap.tasks if t.role == case_events_pb2.TASK_ROLE_LEAD and t.status not in TASK_DONE
    ]
    return leads[-1] if leads else ""


def row(model: ReadModel, snap: case_events_pb2.CaseSnapshot) -> dict[str, Any]:
    """One case on the board. Times in ms since the epoch (bus time); `due` is None when nothing is
    pending; `escalations` counts CaseEscalated events; `level` is the supervising jurisdiction."""
    jur = snap.location.jurisdiction
    due = next_deadline(snap, model.verifications.get(snap.case_id) if snap.status not in OPEN else None)
    times = model.cases.get(snap.case_id)
    return {
        "id": snap.case_id,
        "status": _name(STATUS, snap.status),
        "category": _name(CATEGORY, snap.category),
        "type": snap.incident_type,
        "priority": snap.priority,
        "opened": snap.opened_at.ToMilliseconds(),
        "updated": snap.updated_at.ToMilliseconds(),
        "due": due[0] if due else None,
        "due_kind": due[1] if due else "",
        "level": _name(LEVEL, snap.supervising_level),
        "escalations": times.escalations if times else 0,
        "response": _name(RESPONSE, snap.response_level),
        "lead": lead_agency(snap),
        "grid": snap.location.grid_code,
        "district": jur.district,
        "street": jur.street,
        "community": jur.community,
        "six_unknowns": snap.category in SIX_UNKNOWNS,
        "major": snap.response_level in MAJOR_LEVELS,
        "open": snap.status not in OPEN,
        "reports": len(snap.reports),
        "event_status": model.event_status(snap.case_id),
    }


def shown(model: ReadModel, snap: case_events_pb2.CaseSnapshot, clock_ms: int) -> bool:
    """Open cases, and closed or merged ones for a day after their last change (bus time)."""
    return snap.status not in OPEN or snap.updated_at.ToMilliseconds() >= clock_ms - CLOSED_SHOWN_MS


def rows(model: ReadModel, case_ids: set[str] | None = None) -> list[dict[str, Any]]:
    """The board's rows (every case shown, or only those of `case_ids`, drills included: each row
    says its event_status and the page hides drills unless asked), by case id."""
    wanted = sorted(model.snapshots if case_ids is None else case_ids & model.snapshots.keys())
    snaps = [model.snapshots[c] for c in wanted]
    return [row(model, s) for s in snaps if shown(model, s, model.clock_ms)]


def tiles(model: ReadModel, now_ms: int) -> dict[str, dict[str, Any]]:
    """Per agency: open tasks, overdue open tasks (a deadline past `now_ms`), median seconds to
    acknowledge and deadline compliance (ops/timings.py); real cases only."""
    stats = model.agency_stats(now_ms)
    counts: dict[str, dict[str, int]] = {}
    for snap in model.live():
        if snap.status in OPEN:
            continue
        for task in snap.tasks:
            if task.status in TASK_DONE:
                continue
            tile = counts.setdefault(task.agency, {"open_tasks": 0, "overdue_tasks": 0})
            tile["open_tasks"] += 1
            tile["overdue_tasks"] += any(d.due_at.ToMilliseconds() < now_ms for d in task.deadlines)
    return {
        agency: {
            "open_tasks": counts.get(agency, {}).get("open_tasks", 0),
            "overdue_tasks": counts.get(agency, {}).get("overdue_tasks", 0),
            "median_s_to_acknowledge": stats.get(agency, {}).get("median_s_to_acknowledge"),
            "deadline_compliance": stats.get(agency, {}).get("deadline_compliance"),
        }
        for agency in sorted(counts.keys() | stats.keys())
    }


def alert(model: ReadModel, a: Alert) -> dict[str, Any]:
    return {
        "seq": a.seq,
        "at": a.at_ms,
        "case_id": a.case_id,
        "kind": a.kind,
        "detail": a.detail,
        "event_id": a.event_id,
        "event_status": model.event_status(a.case_id),
    }


def alerts_after(model: ReadModel, seq: int) -> list[dict[str, Any]]:
    """The alerts folded after alert `seq` (0: every alert kept), oldest first."""
    return [alert(model, a) for a in model.alerts if a.seq > seq]


def case_view(model: ReadModel, case_id: str) -> dict[str, Any] | None:
    """A case's timeline (as `incidentbus trace`: who, what, when, why, pending deadlines after each
    step), its source reports with topic/partition/offset, merges and splits; None if unknown.
    Reporters are not shown: they stay sealed on the agencies' topics, which the query service
    does not read (`incidentbus trace --decrypt` opens them, with the keys)."""
    events = model.history.get(case_id)
    snap = model.snapshots.get(case_id)
    if not events or snap is None:
        return None
    survivor, chain = model.survivor(case_id)
    bodies = [(s.event.WhichOneof("body"), s.event) for s in events]
    return {
        "case": row(model, snap),
        "events": [step.as_dict() for step in timeline(case_id, events)],
        "reports": [r.as_dict() for r in source_reports(events)],
        "merged_into": [*chain[1:], survivor] if chain else [],
        "absorbed": [e.cases_merged.merged_case_id for b, e in bodies if b == "cases_merged"],
        "split_into": [e.case_split.new_case_id for b, e in bodies if b == "case_split"],
        "reporters": "sealed",
    }
