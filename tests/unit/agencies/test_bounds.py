"""Out-of-range native values are refused with a reason at the native field, never a crash.

Every int and datetime of every registered agency's native models is bounded by the protobuf
field it ends up in (agencies/bounds.py); the walk below fails for any field that is not.
"""

from __future__ import annotations

import json
import types
from datetime import date, datetime, time
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import AwareDatetime, BaseModel, FutureDatetime, NaiveDatetime, PastDatetime

from incidentbus.agencies.base import AgencyAdapter, CodeTables, Mapped, Native, TaskFields
from incidentbus.agencies.bounds import ProtoBound
from incidentbus.agencies.pipeline import IntakeError, canonical_event
from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.devtools import natives
from incidentbus.v1 import bus_pb2

T0 = 1_795_595_400_000  # 2026-11-25T08:30Z
AT = datetime.fromisoformat("2026-11-25T08:00:00+00:00")
UINT32_MAX = 2**32 - 1
GRID = "310101-002-003-07"
TIMES = (datetime, date, time, AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)


def _leaves(annotation: Any, path: str, marked: bool) -> list[tuple[str, type, bool]]:
    """(path, int or datetime, bounded?) for every int/datetime leaf of a native model's annotation."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return _leaves(base, path, marked or any(isinstance(m, ProtoBound) for m in metadata))
    if get_origin(annotation) in (Union, types.UnionType, list, tuple, dict):
        return [leaf for arg in get_args(annotation) for leaf in _leaves(arg, path, marked)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            leaf
            for name, info in annotation.model_fields.items()
            for leaf in _leaves(
                info.annotation, f"{path}.{name}", any(isinstance(m, ProtoBound) for m in info.metadata)
            )
        ]
    if annotation is int or annotation in TIMES:
        return [(path, annotation, marked)]
    return []


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_every_int_and_datetime_of_every_native_model_is_bounded_by_its_proto_field(agency: str) -> None:
    adapter = load_adapter(agency)
    leaves = _leaves(adapter.message_type, agency, False)
    assert any(kind is int for _, kind, _ in leaves)
    assert any(kind is not int for _, kind, _ in leaves)
    unbounded = [path for path, _, marked in leaves if not marked]
    assert unbounded == [], f"use a type of agencies/bounds.py for {unbounded}"


def test_the_walk_finds_an_unbounded_field() -> None:
    class Loose(Native):
        count: int | None = None
        at: AwareDatetime

    assert _leaves(Loose, "x", False) == [("x.count", int, False), ("x.at", AwareDatetime, False)]


def police(**changes: Any) -> dict[str, Any]:
    return natives.report("police", "P-1", "TA2", GRID, AT, injured=1) | changes


def health(**changes: Any) -> dict[str, Any]:
    return natives.report("health", "H-1", "CARDIAC", GRID, AT) | changes


def urban(**changes: Any) -> dict[str, Any]:
    return natives.report("urban", "U-1", "0101", GRID, AT) | changes


def patrol(**changes: Any) -> dict[str, Any]:
    return natives.report("community", "G-1", "E01", GRID, AT) | changes


def reply(agency: str, **changes: Any) -> dict[str, Any]:
    return natives.reply(agency, "ack", "T-1", "C-1", seq=1, at=AT) | changes


def answer(**changes: Any) -> dict[str, Any]:
    return natives.verification("C-1", "V-1", True, AT) | changes


OUT_OF_RANGE = [
    ("police", police(injured=2**32), "injured"),
    ("police", police(revision=2**32), "revision"),
    ("police", police(reported_at="0001-01-01T00:00:00+14:00"), "reported_at"),
    ("police", police(reported_at="9999-12-31T23:00:00-05:00"), "reported_at"),
    ("police", reply("police", status_seq=2**32), "status_seq"),
    ("health", health(patient_count=2**40), "patient_count"),
    ("health", health(triage_level=2**32), "triage_level"),
    ("health", health(version=-1), "version"),
    ("health", reply("health", update_time="0001-01-01T00:30:00+01:00"), "update_time"),
    ("urban", urban(rev=2**63), "rev"),
    ("urban", reply("urban", step_seq=2**32), "step_seq"),
    ("community", patrol(injured=2**32), "injured"),
    ("community", patrol(observed_at="0001-01-01T00:00:00+14:00"), "observed_at"),
    ("community", answer(score=2**32), "score"),
    ("community", answer(edit_no=2**32), "edit_no"),
]


@pytest.mark.parametrize(("agency", "native", "field"), OUT_OF_RANGE)
def test_a_value_its_canonical_field_cannot_hold_is_refused_at_its_native_path(
    agency: str, native: dict[str, Any], field: str
) -> None:
    with pytest.raises(IntakeError) as caught:
        canonical_event(load_adapter(agency), json.dumps(native).encode(), T0, 1_000_000)
    assert caught.value.reason == "intake.validation"
    assert field in caught.value.detail
    assert "4294967296" not in caught.value.detail  # names the field, never the value


def test_the_largest_values_the_fields_hold_are_kept() -> None:
    native = police(injured=UINT32_MAX, revision=UINT32_MAX, reported_at="0001-01-01T00:00:00+00:00")
    event = canonical_event(load_adapter("police"), json.dumps(native).encode(), T0, 1_000_000)
    assert (event.incident_reported.casualties, event.envelope.source_revision) == (UINT32_MAX, UINT32_MAX)
    assert event.envelope.occurred_at.ToJsonString() == "0001-01-01T00:00:00Z"


class Broken(Native):
    kind: str


class BrokenAdapter(AgencyAdapter):
    """An adapter whose mapping fails the way an unforeseen value would (the net under the bounds)."""

    name = "broken"
    message_type = Broken
    task_fields = TaskFields(kind="kind", task="task", case="case", cancel="cancel")

    def __init__(self, failure: Exception) -> None:
        super().__init__(CodeTables("broken"))
        self.failure = failure

    def to_canonical(self, message: Native) -> Mapped:
        raise self.failure

    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        return {}


@pytest.mark.parametrize(
    "failure",
    [ValueError("Value out of range: 99"), OverflowError("date value out of range"), TypeError("x")],
)
def test_a_mapping_that_raises_is_a_validation_refusal(failure: Exception) -> None:
    with pytest.raises(IntakeError) as caught:
        canonical_event(BrokenAdapter(failure), b'{"kind": "x"}', T0, 1_000_000)
    assert caught.value.reason == "intake.validation"
    assert "99" not in caught.value.detail
    assert type(failure).__name__ in caught.value.detail


def test_a_body_the_envelope_cannot_carry_is_a_validation_refusal() -> None:
    class Wrong(BrokenAdapter):
        def to_canonical(self, message: Native) -> Mapped:
            return Mapped(bus_pb2.CancelTask(), source_ref="r")  # not an AgencyEvent body: wrap refuses

    with pytest.raises(IntakeError) as caught:
        canonical_event(Wrong(RuntimeError()), b'{"kind": "x"}', T0, 1_000_000)
    assert caught.value.reason == "intake.validation"
