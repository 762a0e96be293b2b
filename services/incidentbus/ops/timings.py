"""What the statistics measure, per task and per case, and the figures made from them.

A task is measured from its own facts: its assignment, the bus time of each agency reply
(`TaskStatusChanged.reported_at`, not the correlator's clock, which may lag behind the
agency), and its own acknowledge deadline as each TaskAssigned, CaseEscalated, ResponseLevelChanged
and ReminderIssued set it. So an acknowledgement logged in time counts as in time even when
the correlator, behind, escalated before reading it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TaskTimes:
    """One task's times in epoch ms (0 = not yet). `ack_deadlines` holds (in force from, due)
    in the order they were set: a new one replaces the one before from its own time on."""

    case_id: str
    agency: str
    grid: str
    assigned: int
    ack_deadlines: list[tuple[int, int]] = field(default_factory=list)
    acknowledged: int = 0
    arrived: int = 0
    completed: int = 0
    ended: int = 0  # declined or cancelled before any acknowledgement: no deadline after counts

    def missed_acknowledge(self, now_ms: int) -> bool:
        """Did an acknowledge deadline pass while it was in force, before the reply (or the
        task's end, or now)? A deadline replaced before it was due is not missed."""
        stop = self.acknowledged or self.ended or now_ms
        starts = [start for start, _ in self.ack_deadlines[1:]]
        return any(
            due < min(stop, replaced)
            for (_, due), replaced in zip(self.ack_deadlines, [*starts, stop], strict=True)
        )

    def compliant(self, now_ms: int) -> bool | None:
        """True/False once it can be judged (acknowledged, or a deadline passed); else None."""
        missed = self.missed_acknowledge(now_ms)
        return not missed if self.acknowledged or missed else None


@dataclass
class CaseTimes:
    grid: str
    area: str
    opened: int
    resolved: int = 0
    escalations: int = 0
    reminders: int = 0
    reopened: int = 0
    closed: bool = False
    repeats: int = 0  # reports linked as repeats after the case closed (ReportLinked rule "repeat")


def median_s(values: list[int]) -> float | None:
    return round(statistics.median(values) / 1000, 3) if values else None


def task_stats(tasks: list[TaskTimes], now_ms: int) -> dict[str, Any]:
    verdicts = [v for v in (t.compliant(now_ms) for t in tasks) if v is not None]
    return {
        "tasks": len(tasks),
        "median_s_to_acknowledge": median_s([t.acknowledged - t.assigned for t in tasks if t.acknowledged]),
        "median_s_to_arrive": median_s([t.arrived - t.assigned for t in tasks if t.arrived]),
        "median_s_to_complete": median_s([t.completed - t.assigned for t in tasks if t.completed]),
        "deadline_compliance": round(sum(verdicts) / len(verdicts), 4) if verdicts else None,
    }


def case_stats(cases: list[CaseTimes]) -> dict[str, Any]:
    """Per grid: a case complies when nothing in it was escalated or reminded."""
    resolved = [c for c in cases if c.resolved]
    return {
        "cases": len(cases),
        "open": sum(1 for c in cases if not c.closed),
        "median_s_to_resolve": median_s([c.resolved - c.opened for c in resolved]),
        "deadline_compliance": round(
            sum(1 for c in cases if not (c.escalations or c.reminders)) / len(cases), 4
        ),
        "escalations": sum(c.escalations for c in cases),
        "reminders": sum(c.reminders for c in cases),
        "repeat_reports": sum(c.repeats for c in cases),
        "cases_repeated": sum(1 for c in cases if c.repeats),
        "reopen_rate": round(sum(1 for c in resolved if c.reopened) / len(resolved), 4) if resolved else 0.0,
    }
