"""The correlator's contract: decide(state, input) -> outputs, evolve(state, event) -> state.

`step` does both: it decides and folds the decided case events into the state. The same
ordered input always gives the same outputs, byte for byte.
"""

from __future__ import annotations

from incidentbus.correlator.domain.admission import TASK_REPLIES, VERIFICATION_ANSWERS, refusal
from incidentbus.correlator.domain.area import SEEN_RETENTION_MS, AreaState, Changes
from incidentbus.correlator.domain.decision import Decision
from incidentbus.correlator.domain.evolve import evolve
from incidentbus.correlator.domain.handlers import on_split
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.replies import on_reply, on_verification
from incidentbus.correlator.domain.reports import on_report
from incidentbus.correlator.domain.rules import Rules

__all__ = ["decide", "evolve", "step"]


def already_processed(state: AreaState, item: Input) -> bool:
    """A redelivered input (same position) or a duplicate fact (same event id) changes nothing."""
    return state.read_before(item.at.topic, item.at.partition, item.at.offset) or state.has_seen(
        item.event_id
    )


def step(state: AreaState, item: Input, rules: Rules) -> tuple[AreaState, list[Output]]:
    """Decide one input and fold its case events into the state (written in place: the state
    is the area's store, owned by its caller; the same state object is returned). A step that
    raises leaves the state as it was."""
    return state, apply(state, item, rules)[1]


def apply(state: AreaState, item: Input, rules: Rules) -> tuple[Changes, list[Output]]:
    """`step`, with what it changed: the keys of the state the shell must store again."""
    if already_processed(state, item):
        return Changes(frozenset()), []
    state.begin()
    try:
        outputs = _decide(state, item, rules)
    except BaseException:
        state.rollback()
        raise
    return state.commit(), outputs


def _decide(state: AreaState, item: Input, rules: Rules) -> list[Output]:
    state.index(rules)  # bound to these rules (built once, then kept up to date)
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
        _remember(state, item, rules, remember_id=False)
        return d.outputs
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
    _remember(state, item, rules)
    return d.outputs


def decide(state: AreaState, item: Input, rules: Rules) -> list[Output]:
    """Only the outputs of an input: the state is left as it was."""
    if already_processed(state, item):
        return []
    state.begin()
    try:
        return _decide(state, item, rules)
    finally:
        state.rollback()


def _remember(state: AreaState, item: Input, rules: Rules, *, remember_id: bool = True) -> None:
    """Remember the input (position, event id); let ids and retired reports older than the
    retention go, and closed cases whose time is over leave the working state (their reports
    remembered as retired). Each costs what expires, found through the index, not a scan."""
    state.read_position(item.at.topic, item.at.partition, item.at.offset)
    if remember_id and not item.is_tick:  # ticks: known by their position
        state.remember(item.event_id, item.recorded_ms)
    state.forget_before(state.clock_ms - SEEN_RETENTION_MS)
    for case_id in list(state.index(rules).evictable(state.cases, state.clock_ms)):
        state.evict(case_id)
