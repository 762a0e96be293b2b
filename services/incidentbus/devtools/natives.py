"""Native messages as each agency's own system writes them: reports, task replies, 回访 answers.

The demo's simulator and the end-to-end tests speak to the bus only through these, exactly as
the agencies' systems would (JSON on the inbox topics).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

KINDS = ("ack", "decline", "dispatched", "arrived", "progress", "complete", "assist")
STATUS = {
    "police": ("ACK", "REJ", "ENR", "ONS", "UPD", "CLR", "AST"),
    "health": ("accepted", "refused", "ambulance_assigned", "arrived", "note", "completed", "need_support"),
    "urban": ("SIGNED", "RETURNED", "DISPATCHED", "ARRIVED", "NOTE", "FINISHED", "TRANSFER"),
    "community": ("received", "not_mine", "on_the_way", "on_site", "follow_up", "done", "need_help"),
}
# Native keys of the task id and case id in each agency's outbox tasks.
OUTBOX_IDS = {
    "police": ("task_id", "case_id"),
    "health": ("dispatch_id", "case_id"),
    "urban": ("assign_no", "case_no"),
    "community": ("task_id", "case_id"),
}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def reply(
    agency: str,
    kind: str,
    task_id: str,
    case_id: str,
    *,
    seq: int,
    at: datetime,
    other_agency: str = "",
    note: str = "",
) -> dict[str, Any]:
    """A native task reply of `kind` (ack, decline, dispatched, arrived, progress, complete, assist)."""
    fields = _Reply(STATUS[agency][KINDS.index(kind)], task_id, case_id, seq, iso(at), other_agency, note)
    return _REPLY[agency](fields)


@dataclass(frozen=True)
class _Reply:
    code: str
    task: str
    case: str
    seq: int
    at: str
    other: str
    note: str


def _police(r: _Reply) -> dict[str, Any]:
    code, task, case, seq, at, other, note = r.code, r.task, r.case, r.seq, r.at, r.other, r.note
    return {
        "msg_type": "status",
        "task_id": task,
        "case_id": case,
        "status_seq": seq,
        "status_code": code,
        "at": at,
        "unit": "PC-12",
        "remark": note,
        "reject_code": "JUR" if code == "REJ" else "",
        "clear_code": "RPT" if code == "CLR" else "",
        "assist_agency": other,
    }


def _health(r: _Reply) -> dict[str, Any]:
    code, task, case, seq, at, other, note = r.code, r.task, r.case, r.seq, r.at, r.other, r.note
    return {
        "record_type": "TASK_UPDATE",
        "dispatch_id": task,
        "case_id": case,
        "update_no": seq,
        "status": code,
        "update_time": at,
        "ambulance_id": "AMB-07",
        "comment": note,
        "refusal_code": "OUT_OF_AREA" if code == "refused" else "",
        "outcome_code": "TREATED_ON_SCENE" if code == "completed" else "",
        "support_agency": other,
    }


def _urban(r: _Reply) -> dict[str, Any]:
    code, task, case, seq, at, other, note = r.code, r.task, r.case, r.seq, r.at, r.other, r.note
    return {
        "wo_type": "PROGRESS",
        "assign_no": task,
        "case_no": case,
        "step_seq": seq,
        "step_code": code,
        "step_time": at,
        "handler": "Officer Zhao",
        "opinion": note,
        "return_reason": "R02" if code == "RETURNED" else "",
        "finish_result": "F01" if code == "FINISHED" else "",
        "transfer_to": other,
    }


def _community(r: _Reply) -> dict[str, Any]:
    code, task, case, seq, at, other, note = r.code, r.task, r.case, r.seq, r.at, r.other, r.note
    return {
        "report_kind": "task_reply",
        "task_id": task,
        "case_id": case,
        "reply_seq": seq,
        "action": code,
        "replied_at": at,
        "worker_id": "GW-0007",
        "text": note,
        "decline_code": "not_community_matter" if code == "not_mine" else "",
        "result_code": "fixed" if code == "done" else "",
        "help_agency": other,
    }


_REPLY = {"police": _police, "health": _health, "urban": _urban, "community": _community}


def verification(case_id: str, verification_id: str, satisfied: bool, at: datetime) -> dict[str, Any]:
    """The grid worker's 回访 answer."""
    return {
        "report_kind": "verification",
        "verification_id": verification_id,
        "case_id": case_id,
        "result": "satisfied" if satisfied else "not_fixed",
        "score": 5 if satisfied else 1,
        "comment": "resident confirms" if satisfied else "road still blocked",
        "worker_id": "GW-0007",
        "answered_at": iso(at),
    }


def report(agency: str, ref: str, kind: str, grid: str, at: datetime, **extra: Any) -> dict[str, Any]:
    """A native report; `kind` is the agency's own code (police type code, complaint code, ...)."""
    when = iso(at)
    if agency == "police":
        base = {
            "msg_type": "incident",
            "incident_no": ref,
            "type_code": kind,
            "priority": extra.pop("priority", "P2"),
            "reported_at": when,
            "location": {"grid": grid, "address": extra.pop("address", "")},
        }
    elif agency == "health":
        base = {
            "record_type": "CALL",
            "call_id": ref,
            "chief_complaint_code": kind,
            "triage_level": extra.pop("triage_level", 2),
            "call_time": when,
            "grid_code": grid,
            "address": extra.pop("address", ""),
        }
    elif agency == "urban":
        base = {
            "wo_type": "NEW",
            "work_order_id": ref,
            "category_code": kind,
            "grid": grid,
            "created": when,
            "description": extra.pop("description", ""),
        }
    else:
        base = {
            "report_kind": "patrol",
            "report_id": ref,
            "grid_code": grid,
            "event_type": kind,
            "worker_id": "GW-0007",
            "observed_at": when,
            "text": extra.pop("text", ""),
        }
    return base | extra


@dataclass(frozen=True)
class NativeTask:
    """What an agency system needs from a native outbox message to act on it."""

    kind: str  # "task", "cancel", "verification"
    task_id: str
    case_id: str
    grid: str
    incident_type: str = ""


_GRID_KEYS = ("grid", "grid_code")
_CANCEL = {"cancel", "STAND_DOWN", "REVOKE", "withdraw"}


def task_of(agency: str, native: dict[str, Any]) -> NativeTask:
    """Read an outbox message of an agency (its own format) back into the parts a system acts on."""
    task_key, case_key = OUTBOX_IDS[agency]
    grid = native.get("location", {}).get("grid", "") if agency == "police" else ""
    grid = grid or next((str(native[k]) for k in _GRID_KEYS if native.get(k)), "")
    if native.get("push_kind") == "verification_request":
        return NativeTask("verification", native["verification_id"], native["case_id"], grid)
    kind_field = (
        native.get("msg_type")
        or native.get("record_type")
        or native.get("wo_type")
        or native.get("push_kind")
    )
    kind = "cancel" if kind_field in _CANCEL else "task"
    return NativeTask(
        kind, native.get(task_key, ""), native.get(case_key, ""), grid, native.get("bus_incident_type", "")
    )
