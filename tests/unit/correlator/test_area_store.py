"""The area's store: indexes that find every case scoring could accept, per-key records that
rebuild the state a step left, and a failed step that leaves nothing behind."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, replace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from incidentbus.correlator.domain import core, statecodec
from incidentbus.correlator.domain.area import AreaState, Changes
from incidentbus.correlator.domain.area_index import EARTH_RADIUS_M, Geometry, pool_of
from incidentbus.correlator.domain.core import apply, decide, step
from incidentbus.correlator.domain.inputs import Input, report_of
from incidentbus.correlator.domain.matching import place_score
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.engine import MemoryStore, steps_for
from tests.unit.correlator.builders import MIN, T0, Feed
from tests.unit.correlator.conftest import RULES

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GRIDS = ["310101-002-003-07", "310101-002-003-06", "310101-002-003-08", "310101-007-001-01"]
TYPES = ["traffic.collision", "urban.garbage", "unknown.gas", "public_safety.noise", "medical.injury"]
ADDRESSES = ["", "somewhere", "12 Main St", "14 Main St", "Main St & 2nd Ave", "Oak Rd"]
LAT0, LON0 = 31.2, 121.4

report_args = st.tuples(
    st.sampled_from(TYPES),
    st.sampled_from(GRIDS),
    st.one_of(st.none(), st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02))),
    st.sampled_from(ADDRESSES),
    st.integers(0, 90),  # minutes after the previous input
)
action = st.one_of(
    st.tuples(st.just("report"), report_args),
    st.tuples(st.just("tick"), st.integers(1, 3 * 24 * 60)),
    st.tuples(st.just("reply"), st.sampled_from(["ack", "arrived", "complete"]), st.integers(0, 30)),
)


def _report(feed: Feed, args: tuple[str, str, tuple[float, float] | None, str, int], at: int) -> Input:
    kind, grid, offset, address, _ = args
    lat, lon = (LAT0 + offset[0], LON0 + offset[1]) if offset else (None, None)
    return feed.report("police", kind, at, grid=grid, lat=lat, lon=lon, address=address)


def _inputs(state: AreaState, feed: Feed, a: tuple[object, ...], now: int) -> Input:
    if a[0] == "report":
        args = a[1]
        return _report(feed, args, now + args[4] * MIN)  # type: ignore[index]
    if a[0] == "tick":
        return feed.tick(now + int(a[1]) * MIN)  # type: ignore[call-overload]
    tasks = sorted((c.case_id, t.task_id, t.agency) for c in state.cases.values() for t in c.active_tasks())
    if not tasks:
        return feed.tick(now + MIN)
    case_id, task_id, agency = tasks[int(a[2]) % len(tasks)]  # type: ignore[call-overload]
    extra = {"disposition": 1} if a[1] == "complete" else {}
    return feed.reply(agency, str(a[1]), task_id, case_id, now + MIN, **extra)


def play(
    actions: list[tuple[object, ...]], probe: tuple[object, ...] | None = None, *, try_first: bool = False
) -> AreaState:
    """Step the actions; after each, every case a probe report would place-match is a candidate.
    `try_first`: each input is first only decided (`decide` undoes its writes), then stepped."""
    state, feed, now = AreaState("310101"), Feed(), T0
    for a in actions:
        item = _inputs(state, feed, a, now)
        now = max(now, item.recorded_ms)
        if try_first:
            decided = decide(state, item, RULES)
            assert _encoded(decided) == _encoded(step(state, item, RULES)[1])
            continue
        state, _ = step(state, item, RULES)
        if probe is not None:
            _assert_candidates_hold(state, report_of(_report(feed, probe, now)))  # type: ignore[arg-type]
    return state


def _assert_candidates_hold(state: AreaState, probe: object) -> None:
    index = state.index(RULES)
    radius = RULES.radius_m(probe.incident_type, probe.category)  # type: ignore[attr-defined]
    for pool in ("open", "repeat"):
        found = index.candidates(pool, probe, radius)  # type: ignore[arg-type]
        wanted = {
            c.case_id
            for c in state.cases.values()
            if pool_of(c) == pool and place_score(probe, c.reports[0], RULES)[0] > 0  # type: ignore[arg-type]
        }
        assert wanted <= found, (pool, wanted - found)


@PROPERTY
@given(st.lists(action, min_size=1, max_size=30), report_args)
def test_the_place_index_finds_every_case_a_report_could_match(
    actions: list[tuple[object, ...]], probe: tuple[object, ...]
) -> None:
    play(actions, probe)


@PROPERTY
@given(st.lists(action, min_size=1, max_size=30))
def test_the_indexes_agree_with_the_cases_they_index(actions: list[tuple[object, ...]]) -> None:
    """Also after every input was first only decided (its writes undone), then stepped."""
    stepped, tried = play(actions), play(actions, try_first=True)
    assert statecodec.dumps(tried) == statecodec.dumps(stepped)
    for state in (stepped, tried):
        _assert_indexes_agree(state)


def _assert_indexes_agree(state: AreaState) -> None:
    index = state.index(RULES)
    live = [c for c in state.cases.values() if c.status != "MERGED"]
    assert index.by_report == {r.identity: c.case_id for c in live for r in c.reports}
    assert index.by_task == {t.task_id: c.case_id for c in state.cases.values() for t in c.tasks}
    due = [(d.due_ms, c.case_id) for c in state.cases.values() if c.is_open for d in c.deadlines]
    assert index.next_due(state.cases, 2**62) == (min(due) if due else None)


@PROPERTY
@given(st.lists(action, min_size=1, max_size=30), st.integers(0, 30))
def test_the_records_a_step_writes_rebuild_the_state_it_left(
    actions: list[tuple[object, ...]], cut: int
) -> None:
    """What the shell stores (each step's changed keys) is the whole state, and a worker that
    restarts from it decides the rest exactly as one that never stopped."""
    state, feed, now, table = AreaState("310101"), Feed(), T0, {}
    inputs: list[Input] = []
    for a in actions:
        item = _inputs(state, feed, a, now)
        now = max(now, item.recorded_ms)
        inputs.append(item)
        changes, _ = apply(state, item, RULES)
        for key, value in statecodec.records(state, changes):
            if value is None:
                table.pop(key, None)
            else:
                table[key] = value
    assert sorted(table.items()) == sorted(statecodec.all_records(state))  # type: ignore[arg-type]
    rebuilt = statecodec.from_records("310101", table.items())
    assert statecodec.dumps(rebuilt) == statecodec.dumps(state)
    cut = min(cut, len(inputs))
    whole = _encoded(_run(AreaState("310101"), inputs))
    first = AreaState("310101")
    head = _run(first, inputs[:cut])
    restarted = statecodec.from_records("310101", statecodec.all_records(first))  # type: ignore[arg-type]
    assert _encoded(head) + _encoded(_run(restarted, inputs[cut:])) == whole


def _run(state: AreaState, inputs: list[Input]) -> list[Output]:
    outputs: list[Output] = []
    for item in inputs:
        outputs += step(state, item, RULES)[1]
    return outputs


def _encoded(outputs: list[Output]) -> list[bytes]:
    return [
        o.message.SerializeToString(deterministic=True) if o.message else o.reason.encode() for o in outputs
    ]


def test_a_step_that_fails_leaves_the_area_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """The core wrote a case and then failed: the engine dead-letters the input and the area,
    its records and its indexes are as before; the next input is decided as if it never came."""
    feed, store = Feed(), MemoryStore()
    first = feed.report("police", "traffic.collision", T0, lat=LAT0, lon=LON0)
    steps_for(store, RULES, first, "310101")
    before = statecodec.dumps(store.load("310101"))
    real = core.on_report

    def half_then_fail(d: object, item: Input) -> None:
        real(d, item)  # type: ignore[arg-type]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(core, "on_report", half_then_fail)
    second = feed.report("police", "traffic.collision", T0 + MIN, lat=LAT0, lon=LON0 + 0.0005)
    [failed] = steps_for(store, RULES, second, "310101")
    assert [(o.kind, o.reason) for o in failed.outputs] == [("reject", "correlator.internal")]
    assert "disk on fire" in failed.outputs[0].detail
    assert not failed.changes.keys
    assert statecodec.dumps(store.load("310101")) == before
    monkeypatch.setattr(core, "on_report", real)
    again = steps_for(store, RULES, second, "310101")[0].outputs
    fresh = AreaState("310101")
    step(fresh, first, RULES)
    assert _encoded(again) == _encoded(step(fresh, second, RULES)[1])
    [case] = list(store.load("310101").cases.values())
    assert len(case.reports) == 2  # the retry joined the first report's case, through the index


def _destination(lat: float, lon: float, metres: float, bearing: float) -> tuple[float, float]:
    """The point `metres` from (lat, lon) along `bearing` (radians) on the sphere."""
    p1, l1, d = math.radians(lat), math.radians(lon), metres / EARTH_RADIUS_M
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(bearing))
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), (math.degrees(l2) + 180.0) % 360.0 - 180.0


@settings(max_examples=400, deadline=None)
@given(
    st.floats(-89.5, 89.5),
    st.floats(-180.0, 179.999),
    st.sampled_from(sorted({*RULES.correlation.radius_m.values(), 300.0})),
    st.floats(0.0, 1.0),
    st.floats(0.0, 2 * math.pi),
)
@example(-2.55e-253, 0.0, 75.0, 1.0, 0.0)  # one radius due north, across the equator: rounding
def test_every_point_within_a_radius_lies_in_the_cells_around(
    lat: float, lon: float, level: float, share: float, bearing: float
) -> None:
    """At any latitude, across the antimeridian: the cell of a point at most `level` metres away
    is among the nine a query looks at."""
    geometry = Geometry(RULES)
    other = _destination(lat, lon, level * share, bearing)
    assert geometry.cell(level, *other) in geometry.cells_near(level, lat, lon)


def test_cells_are_small_where_it_matters() -> None:
    """At a city's latitude a 150 m cell is about 150 m wide, so a report looks at a few hundred
    metres around it, not the district."""
    geometry = Geometry(RULES)
    near = geometry.cells_near(150.0, 31.2, 121.4)
    assert len(near) == 9
    far = _destination(31.2, 121.4, 1_000.0, 0.7)
    assert geometry.cell(150.0, *far) not in near


def _asdict_record(case: object) -> bytes:
    """A case's record as versions before the hand-written encoder stored it (dataclasses.asdict,
    fields at their default left out). A report's `contactable` came later and is written only
    when set, so a report without a contact is stored as those versions stored it."""
    data = asdict(case)  # type: ignore[call-overload]
    data["last_hash"] = case.last_hash.hex()  # type: ignore[attr-defined]
    for report in data["reports"]:
        if not report["contactable"]:
            del report["contactable"]
    defaults = statecodec._CASE_DEFAULTS
    kept = {k: v for k, v in data.items() if k not in defaults or v != defaults[k]}
    return json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@PROPERTY
@given(st.lists(action, min_size=1, max_size=30))
def test_a_case_record_is_the_bytes_asdict_gave(actions: list[tuple[object, ...]]) -> None:
    """The hand-written encoder writes exactly what `dataclasses.asdict` wrote: records stored
    by earlier versions and by this one are alike, byte for byte."""
    state = play(actions)
    for case_id, case in state.cases.items():
        flagged = replace(
            case,
            fast_path=True,
            declined=("police", "health"),
            verification_id="V-1",
            verifier="citizen",
            reports=tuple(replace(r, contactable=True) for r in case.reports[:1]) + case.reports[1:],
            merged_into="C-x",
            reminders=2,
            closure="MERGED",
            event_status="TEST",
        )
        for each in (case, flagged):
            state_of = AreaState(state.area, state.clock_ms, {case_id: each})
            [(key, value)] = statecodec.records(state_of, Changes(frozenset({("case", case_id)})))
            assert key == f"case/{case_id}"
            assert value == _asdict_record(each)
            assert statecodec.from_records(state.area, [(key, value)]).cases[case_id] == each


def test_a_table_of_an_earlier_version_is_read() -> None:
    """Before per-case records the shell stored one JSON value per district; an upgraded
    correlator reads it as the same state."""
    state = play([("report", ("traffic.collision", GRIDS[0], (0.0, 0.0), "12 Main St", 0))])
    cases = {k: {**asdict(c), "last_hash": c.last_hash.hex()} for k, c in state.cases.items()}
    old = {
        "area": state.area,
        "clock_ms": state.clock_ms,
        "cases": cases,
        "aliases": dict(state.aliases),
        "seen": dict(state.seen),
        "positions": dict(state.positions),
        "retired": {k: list(v) for k, v in state.retired.items()},
    }
    assert cases
    assert state.seen
    read = statecodec.legacy_loads(json.dumps(old).encode())
    assert statecodec.dumps(read) == statecodec.dumps(state)


def test_a_report_moved_between_cases_is_held_by_its_new_case_whatever_is_read_first() -> None:
    """A split moves a report from case A to case B; the index reads both writes in id order,
    and B may come first: the report's lookup must still name B (found by the lifecycle test)."""
    run = AreaState("310101")
    feed = Feed()
    for at in (T0, T0 + MIN):
        step(run, feed.report("police", "traffic.collision", at, lat=LAT0, lon=LON0), RULES)
    [case] = run.cases.values()
    first, second = case.reports
    index = run.index(RULES)
    moved = replace(case, case_id="A-0", reports=(second,), tasks=())  # sorts before the old case
    kept = replace(case, reports=(first,))
    index.update_many([("A-0", moved), (case.case_id, kept)])
    assert index.by_report[second.identity] == "A-0"
    assert index.by_report[first.identity] == case.case_id


@given(st.data())
@PROPERTY
def test_a_revised_case_is_what_dataclasses_replace_makes(data: st.DataObject) -> None:
    """`Case.revised` (the fold's fast copy) equals `dataclasses.replace` for any fields."""
    state = play([("report", (TYPES[0], GRIDS[0], (0.0, 0.0), ADDRESSES[2], 0))])
    case = next(iter(state.cases.values()))
    changes = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "status": st.sampled_from(["REPORTED", "RESOLVED", "CLOSED"]),
                "priority": st.integers(0, 5),
                "sequence": st.integers(0, 99),
                "last_hash": st.binary(max_size=8),
                "declined": st.tuples(st.text(max_size=3)),
            },
        )
    )
    revised = case.revised(**changes)
    assert revised == replace(case, **changes)
    assert hash(revised) == hash(replace(case, **changes))
    assert case == replace(case)  # the original is untouched
    with pytest.raises(TypeError, match="not fields of Case"):
        case.revised(statsu="CLOSED")
