"""The dashboard's board (ops/dashboard/board.py): case rows, which cases are on the board, agency
tiles. Pure: snapshots and case events written by hand, folded by the read model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentbus.kernel.envelope import timestamp_ms
from incidentbus.ops.dashboard import board
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from incidentbus.v1 import common_pb2 as cm
from tests.unit.correlator.builders import MIN, T0
from tests.unit.dashboard_builders import (
    ACK,
    ACKED,
    ARRIVE,
    ASSIGNED,
    CANCELLED,
    CASE,
    COMPLETED,
    DAY,
    DECLINED,
    DISPATCHED_T,
    LEAD,
    ON_SCENE_T,
    RESOLVE,
    SUPPORT,
    UNKNOWNS,
    TaskSpec,
    event,
    row_of,
    snapshot,
)
from tests.unit.ops_builders import History

# -- 1. a case row -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "category", "response", "names"),
    [
        (
            ce.CASE_STATUS_ON_SCENE,
            cm.CATEGORY_URBAN_MANAGEMENT,
            cm.RESPONSE_LEVEL_III,
            ("ON_SCENE", "URBAN_MANAGEMENT", "III"),
        ),
        (
            ce.CASE_STATUS_REPORTED,
            cm.CATEGORY_UNKNOWN_GAS,
            cm.RESPONSE_LEVEL_I,
            ("REPORTED", "UNKNOWN_GAS", "I"),
        ),
        (ce.CASE_STATUS_CLOSED, cm.CATEGORY_MEDICAL, cm.RESPONSE_LEVEL_II, ("CLOSED", "MEDICAL", "II")),
        (ce.CASE_STATUS_UNSPECIFIED, cm.CATEGORY_UNSPECIFIED, cm.RESPONSE_LEVEL_UNSPECIFIED, ("", "", "")),
    ],
)
def test_a_row_names_status_category_and_response_level(
    status: int, category: int, response: int, names: tuple[str, str, str]
) -> None:
    row = row_of(snapshot(status=status, category=category, response=response))
    assert (row["status"], row["category"], row["response"]) == names
    assert (row["id"], row["type"], row["priority"], row["level"]) == (
        CASE,
        "traffic.collision",
        7,
        "COMMUNITY",
    )
    assert (row["opened"], row["updated"], row["reports"]) == (T0 - MIN, T0, 2)


@pytest.mark.parametrize(
    ("tasks", "due", "due_kind"),
    [
        ([], None, ""),
        ([("police", LEAD, ASSIGNED, [])], None, ""),
        (
            [("police", LEAD, ASSIGNED, [(ARRIVE, T0 + 30 * MIN), (ACK, T0 + 10 * MIN)])],
            T0 + 10 * MIN,
            "ACKNOWLEDGE",
        ),
        (  # an earlier deadline of a completed task no longer counts
            [
                ("police", LEAD, COMPLETED, [(ACK, T0 + 5 * MIN)]),
                ("health", SUPPORT, ACKED, [(ARRIVE, T0 + 20 * MIN)]),
            ],
            T0 + 20 * MIN,
            "ARRIVE",
        ),
        (
            [
                ("police", LEAD, DECLINED, [(ACK, T0 + MIN)]),
                ("urban", LEAD, CANCELLED, [(ACK, T0 + 2 * MIN)]),
                ("urban", LEAD, ON_SCENE_T, [(RESOLVE, T0 + 90 * MIN)]),
                ("health", SUPPORT, DISPATCHED_T, [(ARRIVE, T0 + 40 * MIN)]),
            ],
            T0 + 40 * MIN,
            "ARRIVE",
        ),
        ([("police", LEAD, COMPLETED, [(ACK, T0)]), ("urban", SUPPORT, CANCELLED, [(ACK, T0)])], None, ""),
    ],
)
def test_due_is_the_earliest_deadline_of_the_tasks_still_live(
    tasks: list[TaskSpec], due: int | None, due_kind: str
) -> None:
    row = row_of(snapshot(tasks=tasks))
    assert (row["due"], row["due_kind"]) == (due, due_kind)


@pytest.mark.parametrize(
    ("tasks", "lead"),
    [
        ([], ""),
        ([("police", LEAD, ASSIGNED, []), ("health", SUPPORT, ASSIGNED, [])], "police"),
        ([("health", SUPPORT, ACKED, [])], ""),
        ([("police", LEAD, DECLINED, []), ("urban", LEAD, ASSIGNED, [])], "urban"),  # the replacement
        ([("police", LEAD, COMPLETED, []), ("health", SUPPORT, ON_SCENE_T, [])], ""),
        ([("urban", LEAD, CANCELLED, []), ("police", LEAD, ON_SCENE_T, [])], "police"),
        ([("police", LEAD, ACKED, []), ("urban", LEAD, ASSIGNED, [])], "urban"),  # two live: the later
    ],
)
def test_lead_is_the_agency_of_the_live_lead_task(tasks: list[TaskSpec], lead: str) -> None:
    assert row_of(snapshot(tasks=tasks))["lead"] == lead


@pytest.mark.parametrize("category", cm.Category.values())
def test_six_unknowns_marks_exactly_the_six_unknown_categories(category: int) -> None:
    assert row_of(snapshot(category=category))["six_unknowns"] is (category in UNKNOWNS)


def test_there_are_six_unknowns() -> None:
    assert {c for c in cm.Category.values() if row_of(snapshot(category=c))["six_unknowns"]} == UNKNOWNS


@pytest.mark.parametrize(
    ("response", "major"),
    [
        (cm.RESPONSE_LEVEL_I, True),
        (cm.RESPONSE_LEVEL_II, True),
        (cm.RESPONSE_LEVEL_III, False),
        (cm.RESPONSE_LEVEL_IV, False),
        (cm.RESPONSE_LEVEL_UNSPECIFIED, False),
    ],
)
def test_major_is_response_levels_one_and_two(response: int, major: bool) -> None:
    assert row_of(snapshot(response=response))["major"] is major


@pytest.mark.parametrize("status", ce.CaseStatus.values())
def test_open_is_false_only_for_closed_and_merged(status: int) -> None:
    expected = status not in (ce.CASE_STATUS_CLOSED, ce.CASE_STATUS_MERGED)
    assert row_of(snapshot(status=status))["open"] is expected


def test_a_row_copies_the_jurisdiction_codes() -> None:
    row = row_of(snapshot())
    assert (row["grid"], row["district"], row["street"], row["community"]) == (
        "310101-002-003-07",
        "310101",
        "310101-002",
        "310101-002-003",
    )


@pytest.mark.parametrize("times", [0, 1, 3])
def test_escalations_count_the_case_escalated_events_folded(times: int) -> None:
    model = ReadModel()
    case = History(model, CASE)
    case.opened()
    case.assigned(1, "police", ack_due=T0 + 10 * MIN)
    for n in range(times):
        case.escalated(1, at=T0 + (11 + 10 * n) * MIN, ack_due=T0 + (21 + 10 * n) * MIN)
    assert row_of(snapshot(sequence=case.sequence), model)["escalations"] == times


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (cm.EVENT_STATUS_EXERCISE, "EXERCISE"),
        (cm.EVENT_STATUS_TEST, "TEST"),
        (cm.EVENT_STATUS_ACTUAL, "ACTUAL"),
        (cm.EVENT_STATUS_UNSPECIFIED, "ACTUAL"),
    ],
)
def test_a_row_says_whether_the_case_is_a_drill(status: int, shown: str) -> None:
    assert row_of(snapshot(event_status=status))["event_status"] == shown


TASK_STATUSES = st.sampled_from(ce.TaskStatus.values())
DEADLINES = st.lists(
    st.tuples(st.sampled_from([ACK, ARRIVE, RESOLVE]), st.integers(T0, T0 + 50 * MIN)), max_size=3
)
TASKS = st.lists(
    st.tuples(
        st.sampled_from(["police", "health"]), st.sampled_from([LEAD, SUPPORT]), TASK_STATUSES, DEADLINES
    ),
    max_size=5,
)


@given(TASKS)
@settings(max_examples=200, deadline=None)
def test_due_is_the_minimum_over_live_tasks_for_any_task_set(tasks: list[TaskSpec]) -> None:
    live = [
        (due, kind)
        for _, _, status, ds in tasks
        if status not in (COMPLETED, DECLINED, CANCELLED)
        for kind, due in ds
    ]
    row = row_of(snapshot(tasks=tasks))
    if not live:
        assert (row["due"], row["due_kind"]) == (None, "")
        return
    earliest = min(due for due, _ in live)
    assert row["due"] == earliest
    assert row["due_kind"] in {
        cm.DeadlineKind.Name(k).removeprefix("DEADLINE_KIND_") for d, k in live if d == earliest
    }


# -- 2. who is on the board ----------------------------------------------------------------------


def clock_at(model: ReadModel, at: int) -> None:
    """Advance the bus clock with an event of another case."""
    model.apply_event(event("C-310109-clock", len(model.history.get("C-310109-clock", [])) + 1, at))


@pytest.mark.parametrize("ended", [ce.CASE_STATUS_CLOSED, ce.CASE_STATUS_MERGED])
def test_an_ended_case_stays_on_the_board_for_a_day_of_bus_time(ended: int) -> None:
    model = ReadModel()
    model.apply_snapshot(snapshot("C-310101-open", updated=T0))
    model.apply_snapshot(snapshot("C-310101-ended", status=ended, updated=T0 + MIN))
    seen = []
    for at in (T0 + MIN, T0 + MIN + DAY, T0 + MIN + DAY + 1, T0 + 3 * DAY):
        clock_at(model, at)
        assert model.clock_ms == at
        seen.append([r["id"] for r in board.rows(model)])
    assert seen == [
        ["C-310101-ended", "C-310101-open"],
        ["C-310101-ended", "C-310101-open"],
        ["C-310101-open"],
        ["C-310101-open"],
    ]


def test_rows_of_given_ids_returns_only_those_known_by_id() -> None:
    model = ReadModel()
    for case_id in ("C-310101-c", "C-310101-a", "C-310101-b"):
        model.apply_snapshot(snapshot(case_id))
    model.apply_snapshot(snapshot("C-310101-d", event_status=cm.EVENT_STATUS_EXERCISE))
    assert [r["id"] for r in board.rows(model)] == ["C-310101-a", "C-310101-b", "C-310101-c", "C-310101-d"]
    assert [r["id"] for r in board.rows(model, {"C-310101-c", "C-310101-a", "C-nope"})] == [
        "C-310101-a",
        "C-310101-c",
    ]
    assert board.rows(model, set()) == []
    assert [r["event_status"] for r in board.rows(model, {"C-310101-d"})] == ["EXERCISE"]


# -- 3. agency tiles -----------------------------------------------------------------------------


def tiles_model() -> ReadModel:
    """A real case (police unanswered, health acknowledged after 4 min, urban done after 2 min), a
    drill with an overdue police task, and a closed case with a task left open."""
    model = ReadModel()
    case = History(model, CASE)
    case.opened()
    for n, agency in enumerate(("police", "health", "urban"), start=1):
        case.assigned(n, agency, ack_due=T0 + 10 * MIN)
    case.replied(2, ACKED, logged=T0 + 5 * MIN, reported=T0 + 4 * MIN)
    case.replied(3, ACKED, logged=T0 + 2 * MIN, reported=T0 + 2 * MIN)
    case.replied(3, COMPLETED, logged=T0 + 6 * MIN, reported=T0 + 6 * MIN)
    tasks: list[TaskSpec] = [
        ("police", LEAD, ASSIGNED, [(ACK, T0 + 10 * MIN), (ARRIVE, T0 + 30 * MIN)]),
        ("health", SUPPORT, ACKED, [(ARRIVE, T0 + 30 * MIN)]),
        ("urban", SUPPORT, COMPLETED, [(ACK, T0 + MIN)]),
    ]
    model.apply_snapshot(snapshot(CASE, tasks=tasks, sequence=case.sequence))
    drill = History(model, "C-310102-drill", cm.EVENT_STATUS_EXERCISE)
    drill.opened("310102-001-001-01")
    drill.assigned(1, "police", ack_due=T0 + MIN)
    model.apply_snapshot(
        snapshot(
            "C-310102-drill",
            tasks=[("police", LEAD, ASSIGNED, [(ACK, T0 + MIN)])],
            event_status=cm.EVENT_STATUS_EXERCISE,
            sequence=drill.sequence,
        )
    )
    model.apply_snapshot(
        snapshot(
            "C-310103-closed",
            status=ce.CASE_STATUS_CLOSED,
            tasks=[("community", LEAD, ASSIGNED, [(ACK, T0)])],
        )
    )
    return model


def test_tiles_count_open_and_overdue_tasks_per_agency_of_real_open_cases() -> None:
    model = tiles_model()
    late = board.tiles(model, T0 + 20 * MIN)
    assert late == {
        "health": {
            "open_tasks": 1,
            "overdue_tasks": 0,
            "median_s_to_acknowledge": 240.0,
            "deadline_compliance": 1.0,
        },
        "police": {
            "open_tasks": 1,
            "overdue_tasks": 1,
            "median_s_to_acknowledge": None,
            "deadline_compliance": 0.0,
        },
        "urban": {
            "open_tasks": 0,
            "overdue_tasks": 0,
            "median_s_to_acknowledge": 120.0,
            "deadline_compliance": 1.0,
        },
    }
    early = board.tiles(model, T0 + 5 * MIN)
    assert (early["police"]["open_tasks"], early["police"]["overdue_tasks"]) == (1, 0)
    assert early["police"]["deadline_compliance"] is None  # its deadline has not passed yet
    assert board.tiles(model, T0 + 31 * MIN)["health"]["overdue_tasks"] == 1  # ARRIVE passed


def test_tiles_pass_the_agency_statistics_through() -> None:
    model = tiles_model()
    for now in (T0 + 5 * MIN, T0 + 20 * MIN):
        stats = model.agency_stats(now)
        for agency, tile in board.tiles(model, now).items():
            assert tile["median_s_to_acknowledge"] == stats[agency]["median_s_to_acknowledge"]
            assert tile["deadline_compliance"] == stats[agency]["deadline_compliance"]


def _verification_asked(model: ReadModel, due: int) -> None:
    asked = event(CASE, 1, T0, verification_requested=ce.VerificationRequested(verification_id="v1"))
    asked.verification_requested.deadline.kind = cm.DEADLINE_KIND_VERIFY
    asked.verification_requested.deadline.due_at.CopyFrom(timestamp_ms(due))
    model.apply_event(asked)


@pytest.mark.parametrize(
    ("after", "due"),
    [
        (None, (T0 + 30 * MIN, "VERIFY")),  # resolved, verification pending: the list shows its deadline
        ("case_verified", None),
        ("case_reopened", None),
        ("case_closed", None),
    ],
)
def test_a_pending_verification_is_the_next_deadline(after: str | None, due: tuple[int, str] | None) -> None:
    model = ReadModel()
    _verification_asked(model, T0 + 30 * MIN)
    if after is not None:
        body = {
            "case_verified": ce.CaseVerified(verification_id="v1"),
            "case_reopened": ce.CaseReopened(verification_id="v1"),
            "case_closed": ce.CaseClosed(reason=ce.CLOSURE_REASON_VERIFIED),
        }[after]
        model.apply_event(event(CASE, 2, T0 + MIN, **{after: body}))
    resolved = snapshot(status=ce.CASE_STATUS_RESOLVED, tasks=[("police", LEAD, COMPLETED, [(ACK, T0)])])
    row = row_of(resolved, model)
    assert (row["due"], row["due_kind"]) == (due if due else (None, ""))


def test_a_task_deadline_before_the_verification_comes_first() -> None:
    model = ReadModel()
    _verification_asked(model, T0 + 30 * MIN)
    snap = snapshot(tasks=[("urban", SUPPORT, ASSIGNED, [(RESOLVE, T0 + 20 * MIN)])])
    assert (row_of(snap, model)["due"], row_of(snap, model)["due_kind"]) == (T0 + 20 * MIN, "RESOLVE")


def test_an_enum_value_newer_than_this_build_is_shown_as_its_number() -> None:
    assert row_of(snapshot(category=99, response=0))["category"] == "99"  # proto3 enums are open
    assert row_of(snapshot(response=0))["response"] == ""
