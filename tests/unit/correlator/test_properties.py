"""Properties of the core over generated histories (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentbus.correlator.domain import statecodec
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.chain import check_chain
from incidentbus.correlator.domain.core import step
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.outputs import Output
from tests.unit.correlator.builders import MIN, T0, Feed
from tests.unit.correlator.conftest import RULES, Run

TYPES = [
    "traffic.collision",
    "traffic.collision_injury",
    "medical.injury",
    "urban.garbage",
    "unknown.gas",
    "public_safety.noise",
    "community.dispute",
    "traffic.road_obstruction",
]
GRIDS = [
    "310101-002-003-07",
    "310101-002-003-06",
    "310101-002-003-08",
    "310101-002-004-01",
    "310101-007-001-01",
]
REPLIES = ["ack", "dispatched", "arrived", "progress", "complete", "decline", "assist"]

action = st.one_of(
    st.tuples(
        st.just("report"),
        st.sampled_from(TYPES),
        st.sampled_from(GRIDS),
        st.integers(0, 30),
        st.integers(0, 12),
    ),
    st.tuples(st.just("reply"), st.sampled_from(REPLIES), st.integers(0, 50), st.integers(0, 30)),
    st.tuples(st.just("verify"), st.booleans(), st.integers(0, 50), st.integers(0, 60)),
    st.tuples(st.just("tick"), st.integers(1, 240)),
)


def simulate(actions: list[tuple[object, ...]]) -> list[Input]:
    """Turn generated actions into concrete inputs, choosing tasks that exist at that moment."""
    run, feed, now, inputs = Run(), Feed(), T0, []
    for a in actions:
        item = _input(run, feed, a, now)
        now = item.recorded_ms
        run(item)
        inputs.append(item)
    return inputs


def _input(run: Run, feed: Feed, a: tuple[object, ...], now: int) -> Input:
    kind = a[0]
    if kind == "report":
        _, t, grid, dt, casualties = a
        return feed.report("police", str(t), now + int(dt) * MIN, grid=str(grid), casualties=int(casualties))  # type: ignore[call-overload]
    if kind == "tick":
        return feed.tick(now + int(a[1]) * MIN)  # type: ignore[call-overload]
    tasks = sorted(
        (c.case_id, t.task_id, t.agency) for c in run.state.cases.values() for t in c.tasks if t.active
    )
    if kind == "reply" and tasks:
        _, reply, pick, dt = a
        case_id, task_id, agency = tasks[int(pick) % len(tasks)]  # type: ignore[call-overload]
        extra = {
            "complete": {"disposition": 1},
            "decline": {"reason": 2},
            "assist": {"requested_agency": "health"},
        }
        return feed.reply(
            agency, str(reply), task_id, case_id, now + int(dt) * MIN, **extra.get(str(reply), {})
        )  # type: ignore[call-overload]
    pending = sorted((c.case_id, c.verification_id) for c in run.state.cases.values() if c.verification_id)
    if kind == "verify" and pending:
        _, ok, pick, dt = a
        case_id, vid = pending[int(pick) % len(pending)]  # type: ignore[call-overload]
        return feed.verification(case_id, vid, now + int(dt) * MIN, ok=bool(ok))  # type: ignore[call-overload]
    return feed.tick(now + MIN)


def play(inputs: list[Input], state: AreaState | None = None) -> tuple[AreaState, list[Output]]:
    state, outputs = state or AreaState("310101"), []
    for item in inputs:
        state, out = step(state, item, RULES)
        outputs.extend(out)
    return state, outputs


def encoded(outputs: list[Output]) -> list[tuple[str, str, bytes]]:
    return [
        (o.kind, o.key, o.message.SerializeToString(deterministic=True) if o.message else o.reason.encode())
        for o in outputs
    ]


histories = st.lists(action, min_size=1, max_size=40).map(simulate)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(histories)
def test_every_report_ends_in_exactly_one_live_case(inputs: list[Input]) -> None:
    """Judged on the record (case events), since closed cases leave the working state."""
    _, outputs = play(inputs)
    events = [o.message for o in outputs if o.kind == "case_event"]
    merged = {
        e.case_id for e in events if e.WhichOneof("body") == "case_closed" and e.case_closed.merged_into
    }  # type: ignore[attr-defined]
    homes: dict[str, set[str]] = {}
    for e in events:
        body = e.WhichOneof("body")  # type: ignore[attr-defined]
        if body == "report_linked" and e.case_id not in merged:  # type: ignore[attr-defined]
            homes.setdefault(e.report_linked.report.event_id, set()).add(e.case_id)  # type: ignore[attr-defined]
        elif body == "case_split":
            for ref in e.case_split.moved_reports:  # type: ignore[attr-defined]
                homes[ref.event_id].discard(e.case_id)  # type: ignore[attr-defined]
    reports = [i.event_id for i in inputs if i.event.WhichOneof("body") == "incident_reported"]
    assert sorted(homes) == sorted(reports)
    assert all(len(h) == 1 for h in homes.values()), homes


@PROPERTY
@given(histories)
def test_the_same_input_gives_identical_outputs(inputs: list[Input]) -> None:
    assert encoded(play(inputs)[1]) == encoded(play(inputs)[1])


@PROPERTY
@given(histories, st.integers(0, 40))
def test_resuming_from_any_saved_prefix_equals_one_run(inputs: list[Input], cut: int) -> None:
    cut = min(cut, len(inputs))
    whole = encoded(play(inputs)[1])
    saved, head = play(inputs[:cut])
    _, tail = play(inputs[cut:], statecodec.loads(statecodec.dumps(saved)))
    assert encoded(head) + encoded(tail) == whole


@PROPERTY
@given(histories)
def test_no_open_case_is_without_an_owner_or_a_pending_deadline(inputs: list[Input]) -> None:
    state, _ = play(inputs)
    for case in state.cases.values():
        if case.is_open:
            assert case.active_tasks() or case.deadlines, case.case_id


@PROPERTY
@given(histories)
def test_every_chain_verifies_and_redelivery_adds_nothing(inputs: list[Input]) -> None:
    state, outputs = play(inputs)
    for case_id in state.cases:
        events = [o.message for o in outputs if o.kind == "case_event" and o.key == case_id]
        assert check_chain(case_id, events) == []  # type: ignore[arg-type]
    assert play(inputs, state)[1] == []  # every input again: all already processed
