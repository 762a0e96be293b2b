"""Part 1: the correlator's pure core, offline, over a day-like mix of reports, replies and ticks.

The core is stepped (`incidentbus.correlator.domain.core.step`, shipped rules, neighbouring grids
from bench/grids.geojson as `bench.run` gives them) over the montco reports in event time.
Whenever it dispatches a task or asks for a 回访, the agency's native answer is scheduled
(acknowledge, arrive, complete; some late, some hours late, some declines; verified or disputed)
and fed back at its time, through the agency's real adapter. A clock tick every
`tick_ms` of event time steps every district, as the shell's ticks do. One state per district,
as in the shell. Only the `step` calls are timed.

Every agency event stepped is also kept, with its district (`CoreResult.agency_inputs`), in the
order stepped: the correlator-alone part (bench/alone.py) feeds exactly these to the live
correlator. Its like-for-like offline figure is `step_inputs` over them (no ticks), and
`CoreResult.agency_events_per_second` gives the agency events' rate of this run, ticks apart
(agency events / the time of their steps).

Memory per open case is measured when most cases were open, two ways: the serialized AreaStates
(`statecodec.dumps`, what the shell stores per district, one changelog record each) and
tracemalloc over the live Python objects of those states (rebuilt with `statecodec.loads`). Both
are divided by the open cases, though the states also hold closed cases (they are never dropped).
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
import tracemalloc
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.message import Message

from bench.feed import Feed
from bench.mix import Mix
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.chain import event_hash
from incidentbus.correlator.domain.core import step
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.domain.statecodec import dumps, loads
from incidentbus.correlator.routing import UnroutableError, area_of
from incidentbus.devtools import natives
from incidentbus.v1 import bus_pb2, case_events_pb2

MIN = 60_000
SAMPLE_EVERY = 200  # inputs between looks at how many cases are open


@dataclass(frozen=True)
class Policy:
    """How agencies answer a task or a 回访 request (probabilities; every task is answered in the end).

    Most answer within minutes; some late (after the acknowledge deadline, so escalation runs
    first), a few hours late (escalation climbs several levels), a few decline (the task moves on).
    """

    prompt: float = 0.75  # acknowledge 1-5 min, arrive 4-20 min later, complete 15-90 min later
    late: float = 0.15  # acknowledge after 20-90 min, then arrive and complete
    very_late: float = 0.05  # acknowledge after 2-6 hours
    # the remaining 5% decline within 1-5 min
    verified: float = 0.91  # 回访 satisfied within 30-240 min
    disputed: float = 0.05  # the case reopens with a new lead task
    # the remaining 4% are satisfied after 26-50 hours (past the verify deadline)


@dataclass
class Day:
    """What stepping the core over the day gave: counts, the time spent in `step`, the final states."""

    kinds: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)  # time inside `step`, by input kind
    inputs: int = 0
    area_steps: int = 0
    outputs: int = 0
    span_ms: int = 0
    states: dict[str, AreaState] = field(default_factory=dict)
    busiest: dict[str, AreaState] = field(default_factory=dict)  # the states when most cases were open
    busiest_open: int = 0
    agency_inputs: list[tuple[str, Input]] = field(default_factory=list)  # (district, input) stepped


def open_cases(states: dict[str, AreaState]) -> int:
    return sum(c.is_open for s in states.values() for c in s.cases.values())


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class _Schedule:
    """A heap of future inputs in event time; ties keep the order they were scheduled in."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, str, Any]] = []
        self.order = itertools.count()
        self.pending = 0  # scheduled entries that are not ticks

    def push(self, at_ms: int, kind: str, payload: Any) -> None:
        heapq.heappush(self.heap, (at_ms, next(self.order), kind, payload))
        self.pending += kind != "tick"

    def pop(self) -> tuple[int, str, Any]:
        at, _, kind, payload = heapq.heappop(self.heap)
        self.pending -= kind != "tick"
        return at, kind, payload


def _answers(out: Output, at: int, rng: random.Random, policy: Policy, sched: _Schedule) -> None:
    """Schedule the agency's native answers to a task or a verification request."""
    command: bus_pb2.TaskCommand = out.message  # type: ignore[assignment]
    body = command.WhichOneof("body")
    if body == "dispatch_task":
        task = command.dispatch_task
        r = rng.random()
        if r < policy.prompt + policy.late + policy.very_late:
            if r < policy.prompt:
                ack = at + rng.randint(1, 5) * MIN
            elif r < policy.prompt + policy.late:
                ack = at + rng.randint(20, 90) * MIN
            else:
                ack = at + rng.randint(120, 360) * MIN
            arrive = ack + rng.randint(4, 20) * MIN
            steps = [("ack", ack), ("arrived", arrive), ("complete", arrive + rng.randint(15, 90) * MIN)]
        else:
            steps = [("decline", at + rng.randint(1, 5) * MIN)]
        for seq, (kind, when) in enumerate(steps, start=1):
            native = natives.reply(out.agency, kind, task.task_id, task.case_id, seq=seq, at=_at(when))
            sched.push(when, "native", (out.agency, native))
    elif body == "request_verification":
        req = command.request_verification
        r = rng.random()
        late = r >= policy.verified + policy.disputed
        when = at + (rng.randint(26 * 60, 50 * 60) if late else rng.randint(30, 240)) * MIN
        satisfied = r < policy.verified or late
        native = natives.verification(req.case_id, req.verification_id, satisfied, _at(when))
        sched.push(when, "native", (out.agency, native))


def run_day(mix: Mix, rules: Rules, *, tick_ms: int, seed: int = 7, policy: Policy | None = None) -> Day:
    """Step the core over the mix in event time, scheduling the answers its tasks get, with ticks.

    Only the `step` calls are timed: building inputs (native JSON through the agencies' adapters)
    and scheduling answers happen outside the timed sections.
    """
    policy, rng, feed, day, sched = policy or Policy(), random.Random(seed), Feed(), Day(), _Schedule()
    for n, incident in enumerate(mix.incidents):
        sched.push(incident.event_ms, "native", (incident.agency, incident.native(f"MC-{n:05d}")))
    states = day.states
    first = mix.incidents[0].event_ms if mix.incidents else 0
    sched.push(first + tick_ms, "tick", None)
    last, clock = first, time.perf_counter
    while sched.heap:
        at, kind, payload = sched.pop()
        if kind == "tick":
            item, areas = feed.tick(at), tuple(sorted(states))
            if sched.pending:
                sched.push(at + tick_ms, "tick", None)
        else:
            item = feed.native(payload[0], payload[1], at)
            try:
                areas = (area_of(item.event),)
            except UnroutableError:
                continue
            day.agency_inputs.append((areas[0], item))
        body = item.event.WhichOneof("body") or "?"
        results = []
        started = clock()
        for area in areas:
            states[area], outputs = step(states.get(area) or AreaState(area), item, rules)
            results.append(outputs)
        day.seconds[body] = day.seconds.get(body, 0.0) + clock() - started
        day.kinds[body] += 1
        day.inputs += 1
        day.area_steps += len(areas)
        for outputs in results:
            day.outputs += len(outputs)
            for out in outputs:
                if out.kind == "dispatch":
                    _answers(out, at, rng, policy, sched)
        last = at
        if day.inputs % SAMPLE_EVERY == 0 and (now_open := open_cases(states)) > day.busiest_open:
            day.busiest, day.busiest_open = {k: s.copy() for k, s in states.items()}, now_open
    day.span_ms = last - first
    if open_cases(states) >= day.busiest_open:
        day.busiest, day.busiest_open = {k: s.copy() for k, s in states.items()}, open_cases(states)
    return day


@dataclass(frozen=True)
class Memory:
    """The states at one point: cases open and held, serialized bytes, live Python objects' bytes."""

    open_cases: int
    held_cases: int
    serialized_bytes: int
    traced_bytes: int

    @property
    def serialized_per_open_case(self) -> float:
        return self.serialized_bytes / max(1, self.open_cases)

    @property
    def traced_per_open_case(self) -> float:
        return self.traced_bytes / max(1, self.open_cases)


def traced_bytes(states: dict[str, AreaState]) -> int:
    """Bytes of live Python objects of the states, rebuilt from their serialized form under tracemalloc."""
    raw = [dumps(s) for s in states.values()]
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        rebuilt = [loads(r) for r in raw]
        size = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    del rebuilt
    return size


def memory(states: dict[str, AreaState]) -> Memory:
    return Memory(
        open_cases=open_cases(states),
        held_cases=sum(len(s.cases) for s in states.values()),
        serialized_bytes=sum(len(dumps(s)) for s in states.values()),
        traced_bytes=traced_bytes(states),
    )


@dataclass
class CoreResult:
    inputs: int
    area_steps: int
    outputs: int
    seconds: float
    per_kind_us: dict[str, float]
    kinds: dict[str, int]
    areas: int
    span_hours: float
    busiest: Memory  # when most cases were open
    final: Memory  # after the last input
    agency_inputs: list[tuple[str, Input]] = field(repr=False)  # every agency event stepped, in order

    @property
    def events_per_second(self) -> float:
        return self.inputs / self.seconds

    @property
    def agency_events_per_second(self) -> float:
        """Agency events (ticks apart) / the time of their steps."""
        events = sum(n for kind, n in self.kinds.items() if kind != "clock_ticked")
        ticks_us = self.per_kind_us.get("clock_ticked", 0.0) * self.kinds.get("clock_ticked", 0)
        seconds = self.seconds - ticks_us / 1e6
        return events / seconds if seconds > 0 else 0.0


def run_core(mix: Mix, rules: Rules, *, tick_ms: int) -> CoreResult:
    day = run_day(mix, rules, tick_ms=tick_ms)
    return CoreResult(
        inputs=day.inputs,
        area_steps=day.area_steps,
        outputs=day.outputs,
        seconds=sum(day.seconds.values()),
        per_kind_us={k: v / day.kinds[k] * 1e6 for k, v in sorted(day.seconds.items())},
        kinds=dict(sorted(day.kinds.items())),
        areas=len(day.states),
        span_hours=day.span_ms / 3_600_000,
        busiest=memory(day.busiest),
        final=memory(day.states),
        agency_inputs=day.agency_inputs,
    )


@dataclass(frozen=True)
class Stepped:
    """`step_inputs`: the time inside `step` and the outputs, by kind and by agency (dispatches)."""

    inputs: int
    seconds: float
    outputs: list[tuple[str, str]]  # (kind, agency) of every output, in order
    cited: frozenset[str]  # the event ids of the inputs a case event cites
    floor_seconds: float = 0.0  # `output_floor` of the same outputs

    @property
    def per_second(self) -> float:
        return self.inputs / self.seconds if self.seconds > 0 else 0.0

    @property
    def floor_per_second(self) -> float:
        """Inputs/s if stepping cost only building and serializing its outputs."""
        return self.inputs / self.floor_seconds if self.floor_seconds > 0 else 0.0


def step_inputs(inputs: list[tuple[str, Input]], rules: Rules) -> Stepped:
    """Step each (district, input) in order from empty states, timing only the `step` calls."""
    states: dict[str, AreaState] = {}
    outputs: list[tuple[str, str]] = []
    cited: set[str] = set()
    seconds, clock = 0.0, time.perf_counter
    messages: list[Message] = []
    for area, item in inputs:
        state = states.get(area) or states.setdefault(area, AreaState(area))
        started = clock()
        _, out = step(state, item, rules)
        seconds += clock() - started
        outputs += [(o.kind, o.agency) for o in out]
        messages += [o.message for o in out if o.message is not None]
        if any(o.kind == "case_event" for o in out):
            cited.add(item.event_id)
    return Stepped(len(inputs), seconds, outputs, frozenset(cited), output_floor(messages))


def output_floor(messages: list[Message]) -> float:
    """Seconds to build and serialize these outputs and nothing else: each message copied into
    a new one of its type (in C, cheaper than setting its fields from Python), a case event
    hashed as the chain hashes it (`chain.event_hash`), and serialized deterministically.

    What any core making these outputs with this protobuf runtime must spend at least; the
    core's rate over this is how much of its time goes to deciding rather than writing."""
    clock = time.perf_counter
    started = clock()
    for message in messages:
        built = type(message)()
        built.CopyFrom(message)
        if isinstance(built, case_events_pb2.CaseEvent):
            built.hash = event_hash(built)
        built.SerializeToString(deterministic=True)
    return clock() - started
