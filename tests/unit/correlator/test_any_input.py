"""No input makes the core raise: events of every body with hostile field values (empty, unknown,
out-of-range, NaN points, other districts, ids of real and made-up cases), mixed with valid
reports, go through `step` directly (not the engine's safety net); every step keeps the
lifecycle's invariants, and what the core cannot act on is refused with a named reason."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.core import step
from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.correlator.domain.invariants import violations
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.v1 import agency_events_pb2, common_pb2
from tests.unit.correlator.builders import MIN, T0, Feed, location
from tests.unit.correlator.conftest import RULES

BODIES = [f.name for f in agency_events_pb2.AgencyEvent.DESCRIPTOR.oneofs_by_name["body"].fields]
text = st.sampled_from(["", "x", "police", "fire brigade", "C-310101-0000", "C-999999-1/t1", "é" * 3])
ids = st.one_of(
    text, st.sampled_from(["C-310101-{c}", "C-310101-{c}/t1", "C-310101-{c}/t2", "C-310101-{c}/v1"])
)
grids = st.sampled_from(["310101-002-003-07", "310101-002-003-06", "310104-001-001-01", "bad", ""])
coordinate = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.just(0.0))
uint32 = st.integers(0, 2**32 - 1)


@st.composite
def hostile(draw: Any, case_ids: list[str]) -> agency_events_pb2.AgencyEvent:
    body_name = draw(st.sampled_from(BODIES))
    body_type = agency_events_pb2.AgencyEvent.DESCRIPTOR.fields_by_name[
        body_name
    ].message_type._concrete_class
    values: dict[str, Any] = {}
    for field in body_type.DESCRIPTOR.fields:
        if field.name == "location":
            grid = draw(grids)
            lat, lon = draw(coordinate), draw(coordinate)
            loc = (
                location(grid, lat, lon)
                if "-" in grid and grid.count("-") == 3
                else common_pb2.Location(grid_code=grid)
            )
            if draw(st.booleans()):
                loc.ClearField("jurisdiction")
            values["location"] = loc
        elif field.enum_type is not None:
            values[field.name] = draw(st.sampled_from([v.number for v in field.enum_type.values]))
        elif field.type == field.TYPE_STRING and not field.is_repeated:
            value = draw(ids)
            values[field.name] = value.format(c=draw(st.sampled_from(case_ids or ["x"])))
        elif field.type in (field.TYPE_UINT32,):
            values[field.name] = draw(uint32)
        elif field.type in (field.TYPE_INT32,):
            values[field.name] = draw(st.integers(-(2**31), 2**31 - 1))
    body = body_type(**values)
    envelope = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source=draw(text),
        source_ref=draw(text),
        revision=draw(uint32),
        recorded_at=timestamp_ms(T0 + draw(st.integers(-MIN, 30 * 24 * 60 * MIN))),
        status=draw(st.sampled_from([v.number for v in common_pb2.EventStatus.DESCRIPTOR.values])),
    )
    event: agency_events_pb2.AgencyEvent = wrap(agency_events_pb2.AgencyEvent, body, envelope)  # type: ignore[assignment]
    return event


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_input_makes_the_core_raise(data: st.DataObject) -> None:
    state = AreaState("310101")
    feed = Feed()
    for offset in range(data.draw(st.integers(1, 25))):
        case_ids = sorted(c.split("-")[-1] for c in state.cases)
        if data.draw(st.booleans()):  # a valid report now and then, so that cases exist to aim at
            kind = data.draw(st.sampled_from(["traffic.collision", "unknown.gas", "public_safety.noise"]))
            event = feed.report("police", kind, T0 + offset * MIN).event
        else:
            event = data.draw(hostile(case_ids))
        item = Input(
            event,
            Position("correlator.input.v1", 0, offset),
            Position("police.events.v1", 0, offset),
            "police",
        )
        before = state.copy()
        state, outputs = step(state, item, RULES)
        assert violations(before, outputs, state, RULES) == []
        assert all(o.reason.startswith(("correlator.", "authz.")) for o in outputs if o.kind == "reject")
