"""The correlator's contract: decide(state, input) -> outputs, evolve(state, event) -> state.

`step` does both: it decides and folds the decided case events into the state. The same
ordered input always gives the same outputs, byte for byte.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from incidentbus.correlator.domain.admission import TASK_REPLIES, VERIFICATION_ANSWERS, refusal
from incidentbus.correlator.domain.decision import Decision
from incidentbus.correlator.domain.evolve import evolve
from incidentbus.correlator.domain.handlers import on_split
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.model import AreaState, retired_key
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.replies import on_reply, on_verification
from incidentbus.correlator.domain.reports import on_report
from incidentbus.correlator.domain.rules import Rules

__all__ = ["decide", "evolve", "step"]

SEEN_RETENTION_MS = 7 * 24 * 3_600_000
# Closed and merged cases leave the working state a day (event time) after their last event;
# cases closed on verification stay the reopen window longer (a dissatisfied answer reopens them):
# their history stays on case.events.v1; a late reply to one is dead-lettered as unknown.
CLOSED_RETENTION_MS = 24 * 3_600_000


def already_processed(state: AreaState, item: Input) -> bool:
    """A redelivered input (same position) or a duplicate fact (same event id) changes nothing."""
    key = f"{item.at.topic}/{item.at.partition}"
    return item.at.offset <= state.positions.get(key, -1) or item.event_id in state.seen


def step(state: AreaState, item: Input, rules: Rules) -> tuple[AreaState, list[Output]]:
    """Decide one input and fold its case events into the state."""
    if already_processed(state, item):
        return state, []
    refused = refusal(state, item, rules)
    # A refused input does not move the clock (nor fire deadlines): it changes nothing but the
    # read position, whatever time it claims.
    clock_ms = state.clock_ms if refused is not None else item.recorded_ms
    d = Decision(
        state, rules, item.event_id, clock_ms, source_topic=item.source.topic, publisher=item.publisher
    )
    if refused is not None:
        d.reject(item.event.envelope.source_ref or item.event_id, *refused)
        # Its id is not remembered either: it may be someone else's (a later event with that id
        # must not be dropped as a duplicate); a redelivery is still known by its position.
        return _remember(d.state, item, rules, remember_id=False), d.outputs
    d.fire_deadlines()
    kind = item.event.WhichOneof("body") or ""
    if kind == "incident_reported":
        on_report(d, item)
    elif kind in TASK_REPLIES:
        on_reply(d, item)
    elif kind in VERIFICATION_ANSWERS:
        on_verification(d, item)
    elif kind == "split_case":
        on_split(d, item)
    d.finish()
    return _remember(d.state, item, rules), d.outputs


def decide(state: AreaState, item: Input, rules: Rules) -> list[Output]:
    """Only the outputs of an input (the state they lead to is `step`'s first result)."""
    return step(state, item, rules)[1]


def _remember(state: AreaState, item: Input, rules: Rules, *, remember_id: bool = True) -> AreaState:
    """Remember the input (position, event id) and let expired ids and cases go; the reports of
    expired cases are remembered as retired for as long as event ids are (SEEN_RETENTION_MS).

    Runs on every step, over every held id and case: a map is rebuilt only when something
    expires or is added (most steps are ticks that change neither), and never copied twice."""
    horizon = state.clock_ms - SEEN_RETENTION_MS
    remembered = remember_id and not item.is_tick  # ticks: known by their position
    seen = state.seen
    if remembered or any(v < horizon for v in seen.values()):
        fresh = {k: v for k, v in seen.items() if v >= horizon}
        if remembered:
            fresh[item.event_id] = item.recorded_ms
        seen = MappingProxyType(fresh)
    positions = MappingProxyType({**state.positions, f"{item.at.topic}/{item.at.partition}": item.at.offset})
    keep_closed = state.clock_ms - CLOSED_RETENTION_MS
    keep_verified = keep_closed - rules.closing.reopen_window_ms  # computed once, not per case
    expired = {
        k
        for k, c in state.cases.items()
        if c.updated_ms < keep_closed
        and not c.is_open
        and not (c.closure == "VERIFIED" and c.updated_ms >= keep_verified)
    }
    cases, retired = state.cases, state.retired
    if expired:
        cases = MappingProxyType({k: c for k, c in cases.items() if k not in expired})
    if expired or any(at < horizon for _, at in retired.values()):
        kept = {k: v for k, v in retired.items() if v[1] >= horizon}
        for case_id in sorted(expired):
            kept |= {retired_key(r.identity): (case_id, state.clock_ms) for r in state.cases[case_id].reports}
        retired = MappingProxyType(kept)
    return replace(state, seen=seen, positions=positions, cases=cases, retired=retired)
