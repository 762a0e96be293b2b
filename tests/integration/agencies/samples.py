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
}
