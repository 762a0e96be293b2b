"""Per-agency native samples for the shared service tests. A new agency adds one entry here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AgencySamples:
    """What the shared tests need to drive one agency through its native format."""

    # A native report with the given native reference.
    report: Callable[[str], dict[str, Any]]
    # Canonical IncidentReported fields the report must map to.
    expected: dict[str, Any]
    # A native reply to (task_id, case_id) and the AgencyEvent body it must become.
    reply: Callable[[str, str], dict[str, Any]]
    reply_body: str
    # Malformed inputs and the dead-letter reason each must get.
    bad: list[tuple[dict[str, Any] | bytes, str]] = field(default_factory=list)
    # Native outbox JSON keys holding (task id, case id).
    outbox_ids: tuple[str, str] = ("task_id", "case_id")


def _police_report(ref: str) -> dict[str, Any]:
    return {
        "msg_type": "incident",
        "incident_no": ref,
        "type_code": "TA2",
        "priority": "P2",
        "reported_at": "2026-11-25T16:30:00+08:00",
        "location": {"grid": "310101-002-003-07", "address": "Renmin Rd / Xizang Rd"},
        "caller": {"name": "Zhang San", "phone": "13800000000"},
        "injured": 1,
    }


def _health_report(ref: str) -> dict[str, Any]:
    return {
        "record_type": "CALL",
        "call_id": ref,
        "version": 0,
        "chief_complaint_code": "TRAUMA_RTC",
        "triage_level": 2,
        "patient_count": 2,
        "call_time": "2026-11-25T16:31:00+08:00",
        "address": "Renmin Rd / Xizang Rd",
        "grid_code": "310101-002-003-07",
        "caller_name": "Li Si",
        "caller_phone": "13900000000",
    }


def _urban_report(ref: str) -> dict[str, Any]:
    return {
        "wo_type": "NEW",
        "work_order_id": ref,
        "rev": 0,
        "category_code": "0305",
        "urgency": "JJ",
        "grid": "310101-002-003-07",
        "address": "outside No. 5 Lane 100",
        "photos": ["s3://urban/wo/1.jpg"],
        "description": "manhole cover missing",
        "created": "2026-11-25T09:05:00+08:00",
    }


def _community_report(ref: str) -> dict[str, Any]:
    return {
        "report_kind": "patrol",
        "report_id": ref,
        "grid_code": "310101-002-003-07",
        "event_type": "E20",
        "household": "Bldg 3, Unit 2",
        "worker_id": "GW-0007",
        "worker_name": "Chen Liu",
        "observed_at": "2026-11-25T10:15:00+08:00",
        "text": "strange smell in the stairwell",
    }


def _oversized() -> bytes:
    return b"{" + b'"pad": "' + b"x" * 1_100_000 + b'"}'


SAMPLES: dict[str, AgencySamples] = {
    "police": AgencySamples(
        report=_police_report,
        expected={
            "incident_type": "traffic.collision_injury",
            "category": 2,
            "severity": 3,
            "grid": "310101-002-003-07",
            "casualties": 1,
        },
        reply=lambda task, case: {
            "msg_type": "status",
            "incident_no": "P-R",
            "task_id": task,
            "case_id": case,
            "status_seq": 1,
            "status_code": "ACK",
            "at": "2026-11-25T16:31:00+08:00",
        },
        reply_body="task_acknowledged",
        bad=[
            (b"\xc3\x28 not utf-8", "intake.encoding"),
            (b"{oops", "intake.json"),
            (_police_report("P-BAD-1") | {"type_code": "ZZ9"}, "intake.unknown_code"),
            (_police_report("P-BAD-2") | {"location": {"address": "no grid"}}, "intake.missing_location"),
            (_police_report("P-BAD-3") | {"injured": "one"}, "intake.validation"),
            (b"{" + b'"pad": "' + b"x" * 1_100_000 + b'"}', "intake.oversized"),
        ],
    ),
    "health": AgencySamples(
        report=_health_report,
        expected={
            "incident_type": "traffic.collision_injury",
            "category": 2,
            "severity": 3,
            "grid": "310101-002-003-07",
            "patient_count": 2,
        },
        reply=lambda task, case: {
            "record_type": "TASK_UPDATE",
            "call_id": "120-R",
            "dispatch_id": task,
            "case_id": case,
            "update_no": 1,
            "status": "accepted",
            "update_time": "2026-11-25T16:32:00+08:00",
            "ambulance_id": "AMB-07",
        },
        reply_body="task_acknowledged",
        bad=[
            (b"\xc3\x28 not utf-8", "intake.encoding"),
            (b"[oops", "intake.json"),
            (_health_report("H-BAD-1") | {"chief_complaint_code": "HEADACHE_XYZ"}, "intake.unknown_code"),
            (_health_report("H-BAD-2") | {"grid_code": None}, "intake.missing_location"),
            (_health_report("H-BAD-3") | {"triage_level": "1"}, "intake.validation"),
            (_oversized(), "intake.oversized"),
        ],
        outbox_ids=("dispatch_id", "case_id"),
    ),
    "urban": AgencySamples(
        report=_urban_report,
        expected={
            "incident_type": "urban.manhole_cover",
            "category": 6,
            "severity": 3,
            "grid": "310101-002-003-07",
        },
        reply=lambda task, case: {
            "wo_type": "PROGRESS",
            "work_order_id": "WO-R",
            "assign_no": task,
            "case_no": case,
            "step_seq": 1,
            "step_code": "SIGNED",
            "step_time": "2026-11-25T09:10:00+08:00",
            "handler": "Officer Zhao",
        },
        reply_body="task_acknowledged",
        bad=[
            (b"\xc3\x28 not utf-8", "intake.encoding"),
            (b"{oops", "intake.json"),
            (_urban_report("U-BAD-1") | {"category_code": "9999"}, "intake.unknown_code"),
            (_urban_report("U-BAD-2") | {"grid": ""}, "intake.missing_location"),
            (_urban_report("U-BAD-3") | {"category_code": 305}, "intake.validation"),
            (_oversized(), "intake.oversized"),
        ],
        outbox_ids=("assign_no", "case_no"),
    ),
    "community": AgencySamples(
        report=_community_report,
        expected={
            "incident_type": "unknown.gas",
            "category": 10,
            "severity": 4,  # no colour given: unknown.gas's default
            "grid": "310101-002-003-07",
        },
        reply=lambda task, case: {
            "report_kind": "task_reply",
            "task_id": task,
            "case_id": case,
            "reply_seq": 1,
            "action": "received",
            "replied_at": "2026-11-25T10:20:00+08:00",
            "worker_id": "GW-0007",
        },
        reply_body="task_acknowledged",
        bad=[
            (b"\xc3\x28 not utf-8", "intake.encoding"),
            (b"{oops", "intake.json"),
            (_community_report("C-BAD-1") | {"event_type": "E99"}, "intake.unknown_code"),
            (_community_report("C-BAD-2") | {"grid_code": "grid 7"}, "intake.bad_location"),
            # local time (no offset) in the hour Shanghai skipped on 1991-04-14, its last DST spring
            (
                _community_report("C-BAD-3") | {"observed_at": "1991-04-14T02:30:00"},
                "intake.nonexistent_time",
            ),
            (_oversized(), "intake.oversized"),
        ],
    ),
}
