"""The read model's alerts (a fast-path case opened, an escalation, a response level changed) and
its change set, as the dashboard's live stream reads them (`alerts_after`, `drain`)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incidentbus.ops.alerts import ALERTS_KEPT, Alert
from incidentbus.ops.dashboard import board
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from incidentbus.v1 import common_pb2 as cm
from tests.unit.correlator.builders import GRID, MIN, T0, location
from tests.unit.dashboard_builders import ACK, ARRIVE, CASE, event, snapshot

# -- 4. alerts from the read model ---------------------------------------------------------------


def alerting_model() -> ReadModel:
    model = ReadModel()
    opened = ce.CaseOpened(category=cm.CATEGORY_UNKNOWN_GAS, fast_path=True, location=location(GRID))
    model.apply_event(event(CASE, 1, T0, case_opened=opened))
    plain = ce.CaseOpened(category=cm.CATEGORY_TRAFFIC, location=location(GRID))
    model.apply_event(event("C-310101-b", 1, T0 + MIN, case_opened=plain))  # no alert
    escalated = ce.CaseEscalated(
        from_level=cm.JURISDICTION_LEVEL_GRID,
        to_level=cm.JURISDICTION_LEVEL_COMMUNITY,
        jurisdiction_code="310101-002-003",
        missed=ARRIVE,
        task_id=f"{CASE}/t1",
    )
    model.apply_event(event(CASE, 2, T0 + 11 * MIN, case_escalated=escalated))
    level = ce.ResponseLevelChanged(from_level=cm.RESPONSE_LEVEL_UNSPECIFIED, to_level=cm.RESPONSE_LEVEL_II)
    model.apply_event(event(CASE, 3, T0 + 12 * MIN, response_level_changed=level))
    level = ce.ResponseLevelChanged(from_level=cm.RESPONSE_LEVEL_III, to_level=cm.RESPONSE_LEVEL_I)
    model.apply_event(event("C-310101-b", 2, T0 + 13 * MIN, response_level_changed=level))
    return model


def _core(alert: Alert) -> Alert:
    """The alert without what ops/alerts.py adds for CAP (facts, references, status)."""
    return Alert(alert.seq, alert.at_ms, alert.case_id, alert.kind, alert.detail, alert.event_id)


def test_fast_path_escalation_and_level_change_each_raise_one_alert() -> None:
    assert [_core(a) for a in alerting_model().alerts] == [
        Alert(1, T0, CASE, "fast_path", {"category": "UNKNOWN_GAS", "grid": GRID}, f"{CASE}#1"),
        Alert(
            2,
            T0 + 11 * MIN,
            CASE,
            "escalated",
            {"to_level": "COMMUNITY", "missed": "ARRIVE", "jurisdiction": "310101-002-003"},
            f"{CASE}#2",
        ),
        Alert(3, T0 + 12 * MIN, CASE, "level_changed", {"from_level": "", "to_level": "II"}, f"{CASE}#3"),
        Alert(
            4,
            T0 + 13 * MIN,
            "C-310101-b",
            "level_changed",
            {"from_level": "III", "to_level": "I"},
            "C-310101-b#2",
        ),
    ]


def test_a_repeated_event_raises_no_second_alert() -> None:
    model = alerting_model()
    again = ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_STREET, missed=ACK)
    model.apply_event(event(CASE, 2, T0 + 20 * MIN, case_escalated=again), 0, 99)  # same case, same sequence
    model.apply_event(event(CASE, 1, T0, case_opened=ce.CaseOpened(fast_path=True)))
    assert [a.seq for a in model.alerts] == [1, 2, 3, 4]
    assert model.cases[CASE].escalations == 1


def test_alerts_after_a_seq_are_the_later_ones_with_their_event_status() -> None:
    model = alerting_model()
    drill = ce.CaseOpened(category=cm.CATEGORY_UNKNOWN_SIGN, fast_path=True, location=location(GRID))
    model.apply_event(
        event("C-310101-x", 1, T0 + 14 * MIN, status=cm.EVENT_STATUS_EXERCISE, case_opened=drill)
    )
    assert [a["seq"] for a in board.alerts_after(model, 0)] == [1, 2, 3, 4, 5]
    after = board.alerts_after(model, 3)
    assert after == [
        {
            "seq": 4,
            "at": T0 + 13 * MIN,
            "case_id": "C-310101-b",
            "kind": "level_changed",
            "detail": {"from_level": "III", "to_level": "I"},
            "event_id": "C-310101-b#2",
            "event_status": "ACTUAL",
        },
        {
            "seq": 5,
            "at": T0 + 14 * MIN,
            "case_id": "C-310101-x",
            "kind": "fast_path",
            "detail": {"category": "UNKNOWN_SIGN", "grid": GRID},
            "event_id": "C-310101-x#1",
            "event_status": "EXERCISE",
        },
    ]
    assert board.alerts_after(model, 5) == []


def test_only_the_latest_alerts_are_kept_and_seq_keeps_counting() -> None:
    model = ReadModel()
    for n in range(1, ALERTS_KEPT + 3):
        level = ce.ResponseLevelChanged(from_level=cm.RESPONSE_LEVEL_IV, to_level=cm.RESPONSE_LEVEL_III)
        model.apply_event(event(CASE, n, T0 + n, response_level_changed=level))
    assert len(model.alerts) == ALERTS_KEPT
    assert (model.alerts[0].seq, model.alerts[-1].seq) == (3, ALERTS_KEPT + 2)
    assert len(board.alerts_after(model, 0)) == ALERTS_KEPT


def test_drain_gives_the_touched_cases_once() -> None:
    model = ReadModel()
    assert model.drain() == set()
    model.apply_event(event(CASE, 1, T0, case_opened=ce.CaseOpened(location=location(GRID))))
    model.apply_snapshot(snapshot("C-310101-b"))
    assert model.drain() == {CASE, "C-310101-b"}
    assert model.drain() == set()
    model.apply_event(event(CASE, 1, T0, case_opened=ce.CaseOpened(location=location(GRID))))  # a repeat
    assert model.drain() == set()
    model.apply_event(event(CASE, 2, T0 + MIN, case_resolved=ce.CaseResolved()))
    assert model.drain() == {CASE}


# kinds of event a case may log next; "repeat" folds the case's last event again
OPS = st.lists(
    st.tuples(
        st.sampled_from(["C-1", "C-2", "C-3"]),
        st.sampled_from(["fast", "plain", "escalated", "level", "resolved", "repeat"]),
    ),
    max_size=40,
)
ALERTING = {"fast": "fast_path", "escalated": "escalated", "level": "level_changed"}


@given(OPS)
@settings(max_examples=200, deadline=None)
def test_alerts_are_numbered_one_by_one_in_fold_order_and_repeats_add_none(
    ops: list[tuple[str, str]],
) -> None:
    model = ReadModel()
    last: dict[str, ce.CaseEvent] = {}
    expected: list[tuple[str, str]] = []
    chained: set[str] = set()  # cases with an alert not yet ended: their resolution ends it
    for at, (case_id, op) in enumerate(ops):
        if op == "repeat":
            if case_id in last:
                model.apply_event(last[case_id])
            continue
        bodies: dict[str, dict[str, Any]] = {
            "fast": {"case_opened": ce.CaseOpened(fast_path=True, category=cm.CATEGORY_UNKNOWN_OBJECT)},
            "plain": {"case_opened": ce.CaseOpened()},
            "escalated": {"case_escalated": ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_STREET)},
            "level": {"response_level_changed": ce.ResponseLevelChanged(to_level=cm.RESPONSE_LEVEL_I)},
            "resolved": {"case_resolved": ce.CaseResolved()},
        }
        body = bodies[op]
        sequence = last[case_id].sequence + 1 if case_id in last else 1
        last[case_id] = event(case_id, sequence, T0 + at, **body)
        model.apply_event(last[case_id])
        if op in ALERTING:
            expected.append((case_id, ALERTING[op]))
            chained.add(case_id)
        elif op == "resolved" and case_id in chained:
            expected.append((case_id, "resolved"))
            chained.discard(case_id)
    assert [a.seq for a in model.alerts] == list(range(1, len(expected) + 1))
    assert [(a.case_id, a.kind) for a in model.alerts] == expected
    assert [a["seq"] for a in board.alerts_after(model, 1)] == list(range(2, len(expected) + 1))
