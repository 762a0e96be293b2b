"""The life of one case, from case.events.v1 alone: a timeline, its deadlines, its source reports.

The pending deadlines after each event come from the correlator's own fold (`evolve`), the
same code that rebuilds a case's state, so the timeline cannot disagree with what the
correlator believed at that step. Source reports are the `ReportLinked` references back to the
agencies' topics; the command checks each against the record at that position.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.evolve import evolve
from incidentbus.correlator.domain.model import Case
from incidentbus.kernel.codec import DecodeError, decode
from incidentbus.kernel.envelope import timestamp_ms
from incidentbus.kernel.records import RawRecord
from incidentbus.ops.integrity import Stored, collapse
from incidentbus.ops.reporters import Reporter
from incidentbus.ops.summaries import summarize
from incidentbus.ops.text import iso
from incidentbus.v1 import case_events_pb2


@dataclass(frozen=True)
class Pending:
    """A deadline not yet met after a step."""

    kind: str  # ACKNOWLEDGE, ARRIVE, RESOLVE, VERIFY
    task_id: str
    due: str  # RFC 3339

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "task_id": self.task_id, "due": self.due}


@dataclass(frozen=True)
class Step:
    """One case event on the timeline. `deadlines` is None when the state could not be rebuilt."""

    sequence: int
    time: str
    event_type: str
    actor: str
    source_topic: str  # where the cause was published: the broker's ACLs say who could write it
    causes: tuple[str, ...]
    summary: str
    status: str
    deadlines: tuple[Pending, ...] | None
    event_id: str
    position: str

    def as_dict(self) -> dict[str, object]:
        return {
            "sequence": self.sequence,
            "time": self.time,
            "event_type": self.event_type,
            "actor": self.actor,
            "source_topic": self.source_topic,
            "cause_event_ids": list(self.causes),
            "summary": self.summary,
            "status": self.status,
            "pending_deadlines": None if self.deadlines is None else [d.as_dict() for d in self.deadlines],
            "event_id": self.event_id,
            "position": self.position,
        }


@dataclass(frozen=True)
class SourceReport:
    """An agency's original report, as a case event points at it, and whether the log agrees."""

    ref: case_events_pb2.ReportRef
    linked_at: int  # sequence of the ReportLinked event
    rule: str
    moved_to: str = ""  # the case a split moved it to
    check: str = "unchecked"  # confirmed | mismatch | not_found | unchecked
    found_id: str = ""  # ce_id of the record at the position, when it differs

    def as_dict(self) -> dict[str, object]:
        r = self.ref
        return {
            "event_id": r.event_id,
            "source_agency": r.source_agency,
            "source_ref": r.source_ref,
            "topic": r.topic,
            "partition": r.partition,
            "offset": r.offset,
            "linked_at_sequence": self.linked_at,
            "rule": self.rule,
            "moved_to": self.moved_to,
            "check": self.check,
            "found_event_id": self.found_id,
        }


@dataclass(frozen=True)
class Trace:
    """Everything `incidentbus trace` shows about a case."""

    case_id: str
    topic: str
    steps: list[Step]
    reports: list[SourceReport]
    merged_into: list[str] = field(default_factory=list)  # the survivor, then its survivor, ...
    absorbed: list[str] = field(default_factory=list)
    split_into: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    reporters: list[Reporter] = field(default_factory=list)  # only when asked for (`--decrypt`)

    @property
    def status(self) -> str:
        return self.steps[-1].status if self.steps else ""

    def as_dict(self) -> dict[str, object]:
        return {
            "case_id": self.case_id,
            "topic": self.topic,
            "status": self.status,
            "merged_into": self.merged_into,
            "absorbed": self.absorbed,
            "split_into": self.split_into,
            "events": [s.as_dict() for s in self.steps],
            "reports": [r.as_dict() for r in self.reports],
            "warnings": self.warnings,
            **({"reporters": [r.as_dict() for r in self.reporters]} if self.reporters else {}),
        }


def events_of(records: Iterable[RawRecord], case_id: str) -> tuple[list[Stored], list[str]]:
    """A case's events in log order, repeats collapsed, one version per sequence (the first);
    warnings for what verify would report."""
    stored: list[Stored] = []
    warnings: list[str] = []
    for record in records:
        if record.key != case_id.encode():
            continue  # case events are keyed by case id; skipping the rest unread keeps this fast
        try:
            event: case_events_pb2.CaseEvent = decode(record, case_events_pb2.CaseEvent).message  # type: ignore[assignment]
        except DecodeError as exc:
            warnings.append(f"record {record.partition}/{record.offset} is not a case event: {exc.reason}")
            continue
        if event.case_id == case_id:
            stored.append(Stored(event, record.partition, record.offset))
    unique, _ = collapse(stored)
    first: dict[int, Stored] = {}
    for s in unique:
        if s.event.sequence in first:
            warnings.append(
                f"sequence {s.event.sequence} has another version at {s.position}; "
                "showing the first (run `incidentbus verify`)"
            )
        else:
            first[s.event.sequence] = s
    return list(first.values()), warnings


def _pending(case: Case) -> tuple[Pending, ...]:
    ordered = sorted(case.deadlines, key=lambda d: (d.due_ms, d.task_id, d.kind))
    return tuple(Pending(d.kind, d.task_id, iso(timestamp_ms(d.due_ms))) for d in ordered)


def timeline(case_id: str, events: list[Stored]) -> list[Step]:
    """The steps of a case, each with the case status and pending deadlines after it. After a gap
    in the sequence (an event missing from the log) they are unknown, not guessed."""
    area: AreaState | None = AreaState("trace")
    steps: list[Step] = []
    for n, stored in enumerate(events, start=1):
        event = stored.event
        case: Case | None = None
        if event.sequence != n:
            area = None
        if area is not None:
            try:
                area = evolve(area, event)
                case = area.cases[case_id]
            except (ValueError, KeyError, AttributeError):
                area = None  # a gap in the chain: the state after it is unknown
        steps.append(
            Step(
                sequence=event.sequence,
                time=iso(event.envelope.recorded_at),
                event_type=event.WhichOneof("body") or "",
                actor=event.actor,
                source_topic=event.source_topic,
                causes=tuple(event.cause_event_ids),
                summary=summarize(event),
                status=case.status if case is not None else "?",
                deadlines=_pending(case) if case is not None else None,
                event_id=event.envelope.event_id,
                position=stored.position,
            )
        )
    return steps


def source_reports(events: list[Stored]) -> list[SourceReport]:
    """The reports linked to the case, each once, marked when a split moved it elsewhere."""
    moved = {
        r.event_id: e.event.case_split.new_case_id
        for e in events
        if e.event.WhichOneof("body") == "case_split"
        for r in e.event.case_split.moved_reports
    }
    reports: dict[str, SourceReport] = {}
    for stored in events:
        if stored.event.WhichOneof("body") != "report_linked":
            continue
        linked = stored.event.report_linked
        if linked.report.event_id not in reports:
            reports[linked.report.event_id] = SourceReport(
                linked.report, stored.event.sequence, linked.score.rule, moved.get(linked.report.event_id, "")
            )
    return list(reports.values())


def checked(report: SourceReport, record: RawRecord | None) -> SourceReport:
    """The report confirmed (the record at its position carries its event id as `ce_id`) or not."""
    if record is None:
        return _with(report, "not_found")
    found = (record.header("ce_id") or b"").decode("utf-8", "replace")
    return _with(report, "confirmed") if found == report.ref.event_id else _with(report, "mismatch", found)


def _with(report: SourceReport, check: str, found: str = "") -> SourceReport:
    return SourceReport(report.ref, report.linked_at, report.rule, report.moved_to, check, found)


def physical_topic(topic: str, prefix: str) -> str:
    """Report references carry the physical topic the correlator read; older or hand-made ones may
    carry the catalog name, which is put under the deployment's prefix."""
    return topic if not prefix or topic.startswith(prefix) else f"{prefix}{topic}"


def _merged_into(records: list[RawRecord], case_id: str) -> str:
    events, _ = events_of(records, case_id)
    closes = [s.event.case_closed for s in events if s.event.WhichOneof("body") == "case_closed"]
    return closes[-1].merged_into if closes else ""


def merge_chain(records: list[RawRecord], case_id: str) -> list[str]:
    """The case that absorbed this one, the case that absorbed that one, and so on."""
    chain: list[str] = []
    current = _merged_into(records, case_id)
    while current and current not in chain and current != case_id:
        chain.append(current)
        current = _merged_into(records, current)
    return chain


def trace(topic: str, records: list[RawRecord], case_id: str) -> Trace | None:
    """The trace of a case (its reports not yet checked), or None when the topic never saw it."""
    events, warnings = events_of(records, case_id)
    if not events:
        return None
    bodies = [(s.event.WhichOneof("body"), s.event) for s in events]
    return Trace(
        case_id=case_id,
        topic=topic,
        steps=timeline(case_id, events),
        reports=source_reports(events),
        merged_into=merge_chain(records, case_id),
        absorbed=[e.cases_merged.merged_case_id for b, e in bodies if b == "cases_merged"],
        split_into=[e.case_split.new_case_id for b, e in bodies if b == "case_split"],
        warnings=warnings,
    )
