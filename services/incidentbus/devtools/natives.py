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


@dataclass(frozen=True)
class ReplyForm:
    """How one agency's system writes a task reply: its field names and the values it fills in."""

    kind: tuple[str, str]  # discriminator field and value
    fields: tuple[str, str, str, str, str, str, str]  # task, case, sequence, status, time, note, other agency
    actor: tuple[str, str]  # who answers: field and value
    decline: tuple[str, str]  # reason field and code, filled on a decline only
    result: tuple[str, str]  # result field and code, filled on a completion only


REPLY_FORMS = {
    "police": ReplyForm(
        ("msg_type", "status"),
        ("task_id", "case_id", "status_seq", "status_code", "at", "remark", "assist_agency"),
        ("unit", "PC-12"),
        ("reject_code", "JUR"),
        ("clear_code", "RPT"),
    ),
    "health": ReplyForm(
        ("record_type", "TASK_UPDATE"),
        ("dispatch_id", "case_id", "update_no", "status", "update_time", "comment", "support_agency"),
        ("ambulance_id", "AMB-07"),
        ("refusal_code", "OUT_OF_AREA"),
        ("outcome_code", "TREATED_ON_SCENE"),
    ),
    "urban": ReplyForm(
        ("wo_type", "PROGRESS"),
        ("assign_no", "case_no", "step_seq", "step_code", "step_time", "opinion", "transfer_to"),
        ("handler", "Officer Zhao"),
        ("return_reason", "R02"),
        ("finish_result", "F01"),
    ),
    "community": ReplyForm(
        ("report_kind", "task_reply"),
        ("task_id", "case_id", "reply_seq", "action", "replied_at", "text", "help_agency"),
        ("worker_id", "GW-0007"),
        ("decline_code", "not_community_matter"),
        ("result_code", "fixed"),
    ),
}


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
    form = REPLY_FORMS[agency]
    values = (task_id, case_id, seq, STATUS[agency][KINDS.index(kind)], iso(at), note, other_agency)
    native: dict[str, Any] = dict([form.kind, form.actor, *zip(form.fields, values, strict=True)])
    native[form.decline[0]] = form.decline[1] if kind == "decline" else ""
    native[form.result[0]] = form.result[1] if kind == "complete" else ""
    return native


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


def citizen_verification(
    case_id: str, verification_id: str, request_id: str, satisfied: bool, at: datetime
) -> dict[str, Any]:
    """A citizen's 回访 answer, as the hotline (or the Open311 gateway) writes it."""
    return {
        "msg_type": "verification",
        "verification_id": verification_id,
        "case_id": case_id,
        "service_request_id": request_id,
        "result": "confirmed" if satisfied else "not_fixed",
        "score": 5 if satisfied else 1,
        "comment": "works again" if satisfied else "still broken",
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
    elif agency == "citizen":  # an Open311 request as the gateway writes it; a grid goes in address_id
        base = {
            "msg_type": "service_request",
            "service_request_id": ref,
            "service_code": kind,
            "requested_datetime": when,
            "address_id": grid,
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
