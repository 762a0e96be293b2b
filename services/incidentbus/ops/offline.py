"""The correlator offline: native reports of any agency, with their original times, -> their cases.

No broker and no wall clock. Each native message goes through its agency's real adapter
(`agencies.pipeline.canonical_event`, what the agency service publishes, with the given time as
the bus's `recorded_at`), is admitted and keyed by district like the router does
(`correlator.routing.route_key`, the publisher being the agency), and is stepped through the pure
core in event time by `correlator.engine.run_input` — the same path the faust shell and
`incidentbus replay` walk — one `AreaState` per district, in memory.

Clock ticks are stepped between inputs as event time advances, on a fixed grid (`tick_ms`,
aligned to the epoch), so deadlines fire when they fall due as they would in production. A tick
at which no deadline of any district is due changes nothing but the clock, so those are left out
(a file spanning months is not stepped minute by minute).

Each input gets an `Outcome`: the case of a report (following merges and moves to the end of the
run) and the match score the core recorded when it linked it, or why it was refused (by the
adapter, the router or the core). Used by `incidentbus correlate` and by `bench/quality.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from incidentbus.agencies.base import AgencyAdapter
from incidentbus.agencies.pipeline import IntakeError, canonical_event, events_topic
from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.inputs import CORRELATOR, Input, Position
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import MemoryStore, run_input
from incidentbus.correlator.routing import UnroutableError, route_key
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.kernel.grids import GridLayer
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.jurisdictions import Jurisdictions
from incidentbus.v1 import agency_events_pb2, case_events_pb2

INPUT_TOPIC = "correlator.input.v1"
DEFAULT_TICK_MS = 60_000
MAX_BYTES = 1_000_000
REPORT = "incident_reported"


def score_of(score: case_events_pb2.MatchScore) -> dict[str, Any]:
    """The score the core recorded when it linked a report (`ReportLinked.score`), every field of
    it (total, place, category, time, rule, and whatever parts the rules add), floats rounded."""
    return {
        f.name: round(v, 4) if isinstance(v := getattr(score, f.name), float) else v
        for f in score.DESCRIPTOR.fields
    }


@dataclass
class Outcome:
    """What became of one input.

    `outcome`: `opened` (the report opened a case), `linked` (it joined one), `corrected` (a later
    revision of a report already in a case), `duplicate` (the same native message again: one
    event), `accepted` (a reply or answer the core acted on), `refused` (`reason`, `detail`).
    `case_id` is where the report is at the end of the run (merges and moves followed);
    `joined` the case it entered at its own step.
    """

    index: int
    agency: str
    recorded_ms: int
    outcome: str = "refused"
    kind: str = ""  # the canonical body: incident_reported, task_acknowledged, ...
    ref: str = ""  # the agency's native reference (envelope.source_ref)
    event_id: str = ""
    area: str = ""
    case_id: str = ""
    joined: str = ""
    case_status: str = ""  # the case's status at the end of the run ("" if it left the state)
    score: dict[str, Any] | None = None  # score_of(ReportLinked.score)
    reason: str = ""
    detail: str = ""

    @property
    def identity(self) -> tuple[str, str]:
        return (self.agency, self.ref)


@dataclass
class OfflineRun:
    """Every input's outcome (in input order), the districts' final states, how many ticks ran."""

    outcomes: list[Outcome]
    states: dict[str, AreaState]
    ticks: int = 0
    steps: int = 0
    outputs: int = 0
    case_events: int = 0
    merges: int = 0
    aliases: dict[str, str] = field(default_factory=dict)  # merged case -> survivor (all areas)


@dataclass
class _Admitted:
    outcome: Outcome
    event: agency_events_pb2.AgencyEvent
    area: str


def correlate(
    items: Iterable[tuple[str, Any, int]],
    rules: Rules,
    places: Jurisdictions,
    *,
    tick_ms: int = DEFAULT_TICK_MS,
    adapters: dict[str, AgencyAdapter] | None = None,
    grids: GridLayer | None = None,
) -> OfflineRun:
    """Run (agency, native, recorded_ms) inputs through the adapters and the core in event time.

    `native` is the agency's JSON as a parsed value (a dict), or its raw text/bytes. Inputs are
    stepped in order of `recorded_ms` (ties: input order); outcomes come back in input order.
    `grids` places point-only reports at intake (default: the shipped layer); give the layer the
    `rules` were loaded with (`rulesfile.rules_for`), so placing and neighbouring agree.
    """
    adapters = adapters or {name: load_adapter(name) for name in AGENCIES}
    outcomes: list[Outcome] = []
    admitted: list[_Admitted] = []
    for index, (agency, native, recorded_ms) in enumerate(items):
        outcome = Outcome(index, agency, recorded_ms)
        outcomes.append(outcome)
        found = _admit(outcome, native, adapters, places, grids)
        if found is not None:
            admitted.append(found)
    admitted.sort(key=lambda a: (a.outcome.recorded_ms, a.outcome.index))
    return _Stepper(rules, tick_ms).run(outcomes, admitted)


def _admit(
    outcome: Outcome,
    native: Any,
    adapters: dict[str, AgencyAdapter],
    places: Jurisdictions,
    grids: GridLayer | None,
) -> _Admitted | None:
    """The canonical event and its district, as the agency service and the router make them."""
    adapter = adapters.get(outcome.agency)
    if adapter is None:
        known = ", ".join(sorted(adapters))
        outcome.reason, outcome.detail = "offline.unknown_agency", f"{outcome.agency!r} is not one of {known}"
        return None
    payload = native if isinstance(native, bytes) else _payload(native)
    try:
        event = canonical_event(adapter, payload, outcome.recorded_ms, MAX_BYTES, places, grids=grids)
    except IntakeError as exc:
        outcome.reason, outcome.detail = exc.reason, exc.detail
        return None
    outcome.kind = event.WhichOneof("body") or ""
    outcome.ref = event.envelope.source_ref
    outcome.event_id = event.envelope.event_id
    try:
        area = route_key(event, outcome.recorded_ms, places, publisher=outcome.agency)
    except UnroutableError as exc:
        outcome.reason, outcome.detail = exc.reason, str(exc)
        return None
    outcome.area = area
    return _Admitted(outcome, event, area)


def _payload(native: Any) -> bytes:
    if isinstance(native, str):
        return native.encode()
    return json.dumps(native, ensure_ascii=False).encode()


def tick_input(at_ms: int, offset: int) -> Input:
    """A ClockTicked as the correlator shell writes it into input partition 0."""
    body = agency_events_pb2.ClockTicked(partition=0)
    env = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source=CORRELATOR,
        source_ref=f"tick/0/{at_ms}",
        recorded_at=timestamp_ms(at_ms),
        id_override=stable_id("tick", INPUT_TOPIC, 0, at_ms),
    )
    event: agency_events_pb2.AgencyEvent = wrap(agency_events_pb2.AgencyEvent, body, env)  # type: ignore[assignment]
    at = Position(INPUT_TOPIC, 0, offset)
    return Input(event, at, at, CORRELATOR)


class _Stepper:
    """Steps admitted inputs and ticks through the core; follows where every report goes."""

    def __init__(self, rules: Rules, tick_ms: int) -> None:
        self.rules, self.tick_ms = rules, max(1, tick_ms)
        self.store = MemoryStore()
        self.offset = 0
        self.clock = 0
        self.result = OfflineRun([], self.store.states)
        self.home: dict[tuple[str, str], tuple[str, str]] = {}  # report identity -> (area, case id)

    def run(self, outcomes: list[Outcome], admitted: list[_Admitted]) -> OfflineRun:
        for item in admitted:
            self._ticks_before(item.outcome.recorded_ms)
            self._input(item)
        self._finish(outcomes)
        self.result.outcomes = outcomes
        return self.result

    def _next_offset(self) -> int:
        self.offset += 1
        return self.offset

    def _step(self, item: Input, key: str) -> list[Output]:
        outputs = run_input(self.store, self.rules, item, key)
        self.clock = max(self.clock, item.recorded_ms)
        self.result.steps += 1
        self.result.outputs += len(outputs)
        for out in outputs:
            if out.kind == "case_event":
                self._follow(out.message)  # type: ignore[arg-type]
        return outputs

    def _ticks_before(self, until_ms: int) -> None:
        """Ticks on the grid before `until_ms`, at those points where some deadline is due."""
        while True:
            due = self._next_due()
            if due is None:
                return
            grid = self.tick_ms
            at = max(-(-due // grid) * grid, -(-(self.clock + 1) // grid) * grid)
            if at >= until_ms:
                return
            self._step(tick_input(at, self._next_offset()), "")
            self.result.ticks += 1

    def _next_due(self) -> int | None:
        dues = [
            d.due_ms
            for state in self.store.states.values()
            for case in state.cases.values()
            if case.is_open
            for d in case.deadlines
        ]
        return min(dues) if dues else None

    def _input(self, admitted: _Admitted) -> None:
        outcome, event = admitted.outcome, admitted.event
        offset = self._next_offset()
        item = Input(
            event,
            Position(INPUT_TOPIC, 0, offset),
            Position(events_topic(outcome.agency), 0, offset),
            outcome.agency,
        )
        outputs = self._step(item, admitted.area)
        rejected = next((o for o in outputs if o.kind == "reject"), None)
        if rejected is not None:
            outcome.outcome, outcome.reason, outcome.detail = "refused", rejected.reason, rejected.detail
            return
        if not outputs and outcome.kind == REPORT and outcome.identity in self.home:
            outcome.outcome = "duplicate"
            outcome.joined = self.home[outcome.identity][1]
            return
        if outcome.kind != REPORT:
            outcome.outcome = "accepted" if outputs else "duplicate"
            outcome.joined = next(
                (o.message.case_id for o in outputs if o.kind == "case_event"),  # type: ignore[union-attr]
                "",
            )
            return
        self._report_outcome(outcome, outputs)

    def _report_outcome(self, outcome: Outcome, outputs: list[Output]) -> None:
        for out in outputs:
            event: case_events_pb2.CaseEvent = out.message  # type: ignore[assignment]
            if out.kind != "case_event":
                continue
            body = event.WhichOneof("body")
            if body == "report_linked" and event.report_linked.report.event_id == outcome.event_id:
                outcome.score = score_of(event.report_linked.score)
                outcome.joined = event.case_id
                outcome.outcome = "opened" if event.report_linked.score.rule == "opened" else "linked"
                return
            if body == "report_corrected" and event.report_corrected.report.source_ref == outcome.ref:
                outcome.outcome, outcome.joined = "corrected", event.case_id
        if not outcome.joined:
            outcome.outcome = "refused"
            outcome.reason = outcome.reason or "offline.not_linked"
            outcome.detail = outcome.detail or "the core linked the report to no case"

    def _follow(self, event: case_events_pb2.CaseEvent) -> None:
        """Where reports are: every ReportLinked (opening, linking, merging, splitting) moves one."""
        body = event.WhichOneof("body")
        area = event.case_id.split("-")[1] if event.case_id.count("-") >= 2 else ""
        if body == "report_linked":
            ref = event.report_linked.report
            self.home[(ref.source_agency, ref.source_ref)] = (area, event.case_id)
        elif body == "cases_merged":
            self.result.aliases[event.cases_merged.merged_case_id] = event.case_id
            self.result.merges += 1
        if body:
            self.result.case_events += 1

    def _resolve(self, area: str, case_id: str) -> tuple[str, str]:
        """The live case for an id (AreaState.resolve), or, for a case that has left the working
        state, the end of its merge chain as the run recorded it; with the case's status."""
        state = self.store.states.get(area)
        case = state.resolve(case_id) if state is not None else None
        if case is not None:
            return case.case_id, case.status
        seen: set[str] = set()
        while case_id in self.result.aliases and case_id not in seen:
            seen.add(case_id)
            case_id = self.result.aliases[case_id]
        return case_id, ""

    def _finish(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            where = self.home.get(outcome.identity) if outcome.kind == REPORT else None
            if outcome.outcome == "refused":
                continue
            if where is not None:
                outcome.case_id, outcome.case_status = self._resolve(*where)
            elif outcome.joined:
                outcome.case_id, outcome.case_status = self._resolve(outcome.area, outcome.joined)
