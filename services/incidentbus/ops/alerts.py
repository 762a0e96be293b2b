"""The bus's alerts, as a fold of case events: what a duty officer must see at once (the dashboard's
strip) and what an alerting system is told (CAP 1.2, `ops/cap.py`).

An alert is raised when a fast-path case opens (the six unknowns), when a case escalates, and when
its response level changes; a case's later alerts update its earlier ones, and its resolution (or
a closure without one: superseded, by policy) ends the chain (`resolved`, `closed`: CAP's Cancel).
A case merged into another hands its chain over: the survivor's next alert (`merged`) updates both
(the incident goes on there, so nothing is cancelled). A case reopened after its chain ended raises
`reopened`, a new chain. Each alert carries what the case was at that moment (`facts`: taken from
its first report, as the correlator does, corrections of that report included), so a document
built from it never changes afterwards. A case is a drill once any of its events says so, and
stays one (as in the read model). Pure: feed it decoded case events in log order, each once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from incidentbus.correlator.domain.names import label
from incidentbus.v1 import case_events_pb2, common_pb2

ALERTS_KEPT = 500
RAISING = ("fast_path", "escalated", "level_changed", "merged", "reopened")
REFERENCES_KEPT = 10  # a chain's first alert and its latest ones: an Update need not list a whole day
ENDING = ("resolved", "closed")


@dataclass(frozen=True)
class Alert:
    """One alert. `seq` orders the alerts folded (1, 2, ...); `references` are the (event id, bus
    time in ms) of the case's earlier alerts this one updates or ends, oldest first; `facts` the
    case at that moment: category, incident_type, severity, response, grid, district, street,
    community; `status` the event's envelope status (ACTUAL, EXERCISE, TEST: drills stay drills)."""

    seq: int
    at_ms: int  # the event's bus time, ms since the epoch
    case_id: str
    kind: str  # fast_path | escalated | level_changed | resolved | closed
    detail: dict[str, str]
    event_id: str
    facts: dict[str, str] = field(default_factory=dict)
    references: tuple[tuple[str, int], ...] = ()
    status: str = "ACTUAL"


@dataclass
class AlertLog:
    """The latest alerts (a bounded window) and, per case, what the next alert needs to know."""

    alerts: deque[Alert] = field(default_factory=lambda: deque(maxlen=ALERTS_KEPT))
    facts: dict[str, dict[str, str]] = field(default_factory=dict)  # case id -> the case now
    chains: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # case id -> open chain
    ended: set[str] = field(default_factory=set)  # cases whose chain a resolution or closure ended
    statuses: dict[str, str] = field(default_factory=dict)  # case id -> ACTUAL/EXERCISE/TEST (sticks)
    first_reports: dict[str, tuple[str, str]] = field(default_factory=dict)  # case -> (agency, ref)
    # Every alert raised since the publisher last took them (None: nobody publishes; the window
    # above is all that is kept).
    outbox: list[Alert] | None = None

    def fold(self, event: case_events_pb2.CaseEvent) -> None:
        self._status(event)
        kind = event.WhichOneof("body") or ""
        handler = getattr(self, f"_on_{kind}", None)
        if handler is not None:
            handler(event, getattr(event, kind))

    def _status(self, event: case_events_pb2.CaseEvent) -> str:
        """The case's status: a drill once any of its events says so (the read model's rule)."""
        given = label(common_pb2.EventStatus, event.envelope.status, "EVENT_STATUS_")
        known = self.statuses.get(event.case_id)
        if given in ("EXERCISE", "TEST") or (given and known is None):
            self.statuses[event.case_id] = given
        return self.statuses.get(event.case_id, "ACTUAL")

    def _raise(self, event: case_events_pb2.CaseEvent, kind: str, case_id: str = "", **detail: str) -> None:
        """An alert for `case_id` (the event's case unless told), chained to its earlier alerts."""
        case_id = case_id or event.case_id
        at = event.envelope.recorded_at.ToMilliseconds()
        chain = self.chains.setdefault(case_id, [])
        status = self.statuses.get(case_id, "ACTUAL")
        seq = self.alerts[-1].seq + 1 if self.alerts else 1
        kept = chain if len(chain) <= REFERENCES_KEPT else [chain[0], *chain[1 - REFERENCES_KEPT :]]
        alert = Alert(
            seq,
            at,
            case_id,
            kind,
            detail,
            event.envelope.event_id,
            dict(self.facts.get(case_id, {})),
            tuple(kept),
            status,
        )
        self.alerts.append(alert)
        if self.outbox is not None:
            self.outbox.append(alert)
        if kind in ENDING:
            self.chains.pop(case_id, None)
            self.ended.add(case_id)
        else:
            chain.append((alert.event_id, at))
            self.ended.discard(case_id)

    def _on_case_opened(self, event: case_events_pb2.CaseEvent, body: Any) -> None:
        self.facts[event.case_id] = {
            "category": label(common_pb2.Category, body.category, "CATEGORY_"),
            "incident_type": body.incident_type,
            "severity": label(common_pb2.Severity, body.severity, "SEVERITY_"),
            "response": label(common_pb2.ResponseLevel, body.response_level, "RESPONSE_LEVEL_"),
        } | _place(body.location)
        first = body.first_report
        self.first_reports[event.case_id] = (first.source_agency, first.source_ref)
        if body.fast_path:
            self._raise(
                event,
                "fast_path",
                category=self.facts[event.case_id]["category"],
                grid=body.location.grid_code,
            )

    def _on_report_corrected(self, event: case_events_pb2.CaseEvent, body: Any) -> None:
        """Only a correction of the case's first report changes its facts (the correlator's rule)."""
        facts = self.facts.get(event.case_id)
        corrected = (body.report.source_agency, body.report.source_ref)
        if facts is None or corrected != self.first_reports.get(event.case_id):
            return
        if body.category:
            facts["category"] = label(common_pb2.Category, body.category, "CATEGORY_")
        facts["incident_type"] = body.incident_type or facts["incident_type"]
        facts["severity"] = label(common_pb2.Severity, body.severity, "SEVERITY_") or facts["severity"]
        if body.location.grid_code:
            facts |= _place(body.location)

    def _on_case_escalated(self, event: case_events_pb2.CaseEvent, body: Any) -> None:
        self._raise(
            event,
            "escalated",
            to_level=label(common_pb2.JurisdictionLevel, body.to_level, "JURISDICTION_LEVEL_"),
            missed=label(common_pb2.DeadlineKind, body.missed, "DEADLINE_KIND_"),
            jurisdiction=body.jurisdiction_code,
        )

    def _on_response_level_changed(self, event: case_events_pb2.CaseEvent, body: Any) -> None:
        to_level = label(common_pb2.ResponseLevel, body.to_level, "RESPONSE_LEVEL_")
        if event.case_id in self.facts:
            self.facts[event.case_id]["response"] = to_level
        from_level = label(common_pb2.ResponseLevel, body.from_level, "RESPONSE_LEVEL_")
        self._raise(event, "level_changed", from_level=from_level, to_level=to_level)

    def _on_case_resolved(self, event: case_events_pb2.CaseEvent, _body: Any) -> None:
        if self.chains.get(event.case_id):
            self._raise(event, "resolved")

    def _on_case_reopened(self, event: case_events_pb2.CaseEvent, body: Any) -> None:
        if event.case_id in self.ended:
            self._raise(event, "reopened", reason=body.reason)

    def _on_case_closed(self, event: case_events_pb2.CaseEvent, body: Any) -> None:
        chain = self.chains.get(event.case_id)
        if not chain:
            return
        if body.reason == case_events_pb2.CLOSURE_REASON_MERGED and body.merged_into:
            # the incident goes on in the survivor: its chain takes this one's over, no Cancel
            survivor = body.merged_into
            self.chains[survivor] = [*self.chains.get(survivor, []), *self.chains.pop(event.case_id)]
            self.statuses.setdefault(survivor, self.statuses.get(event.case_id, "ACTUAL"))
            self._raise(event, "merged", case_id=survivor, merged_case=event.case_id)
            return
        reason = label(case_events_pb2.ClosureReason, body.reason, "CLOSURE_REASON_")
        self._raise(event, "closed", reason=reason)


def _place(location: Any) -> dict[str, str]:
    jur = location.jurisdiction
    return {
        "grid": location.grid_code,
        "district": jur.district,
        "street": jur.street,
        "community": jur.community,
    }
