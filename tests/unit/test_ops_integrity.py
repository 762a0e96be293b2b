"""verify: the correlator's chain rules applied to a log, with repeats collapsed and positions named."""

from __future__ import annotations

from incidentbus.kernel.records import RawRecord
from incidentbus.ops.integrity import Problem, verify
from tests.unit.correlator.conftest import Run
from tests.unit.ops_builders import accident_reports, altered, as_record, case_events, closed_loop, records


def closed_case() -> tuple[Run, str]:
    run = Run()
    return run, closed_loop(run, accident_reports(run.feed))


def kinds(problems: list[Problem]) -> list[tuple[str, int]]:
    return [(p.problem, p.sequence) for p in problems]


def test_an_untouched_log_passes() -> None:
    run, _ = closed_case()
    events = case_events(run)
    verdict = verify("case.events.v1", records(events))
    assert verdict.ok, verdict.problems
    assert (verdict.cases_checked, verdict.events_checked, verdict.records_read) == (
        1,
        len(events),
        len(events),
    )
    assert verdict.repeats_collapsed == 0


def test_byte_identical_repeats_are_collapsed_not_reported() -> None:
    run, _ = closed_case()
    events = case_events(run)
    log = records([*events[:5], events[3], *events[5:], events[0]])
    verdict = verify("t", log)
    assert verdict.ok, verdict.problems
    assert verdict.repeats_collapsed == 2
    assert verdict.events_checked == len(events)


def test_an_altered_copy_is_named_with_its_position() -> None:
    run, case_id = closed_case()
    events = case_events(run)
    log = records([*events, altered(events[2])])
    verdict = verify("t", log)
    assert not verdict.ok
    assert ("altered", 3) in kinds(verdict.problems)
    assert ("conflicting_versions", 3) in kinds(verdict.problems)
    [alteration] = [p for p in verdict.problems if p.problem == "altered"]
    assert alteration.case_id == case_id
    assert alteration.positions == (f"0/{len(events)}",)


def test_an_event_altered_in_place_is_altered() -> None:
    run, _ = closed_case()
    events = case_events(run)
    verdict = verify("t", records([*events[:2], altered(events[2]), *events[3:]]))
    assert kinds(verdict.problems) == [("altered", 3)]
    assert verdict.problems[0].positions == ("0/2",)


def test_a_removed_event_is_missing() -> None:
    run, _ = closed_case()
    events = case_events(run)
    verdict = verify("t", records(events[:4] + events[5:]))
    assert ("missing", 5) in kinds(verdict.problems)
    assert next(p for p in verdict.problems if p.problem == "missing").positions == ()


def test_swapped_events_are_out_of_order() -> None:
    run, _ = closed_case()
    events = case_events(run)
    verdict = verify("t", records([*events[:3], events[4], events[3], *events[5:]]))
    found = {p.problem for p in verdict.problems}
    assert "out_of_order" in found


def test_a_resealed_forgery_breaks_the_next_link() -> None:
    from incidentbus.correlator.domain.chain import seal

    run, _ = closed_case()
    events = case_events(run)
    forged = seal(altered(events[2]))
    verdict = verify("t", records([*events[:2], forged, *events[3:]]))
    assert kinds(verdict.problems) == [("broken_link", 4)]


def test_a_record_that_is_no_case_event_is_reported() -> None:
    run, case_id = closed_case()
    log = [*records(case_events(run)), RawRecord("t", 0, 99, 0, case_id.encode(), b"garbage", ())]
    verdict = verify("t", log)
    [problem] = verdict.problems
    assert (problem.problem, problem.case_id, problem.positions) == ("undecodable", case_id, ("0/99",))


def test_one_case_can_be_checked_alone() -> None:
    run = Run()
    first = closed_loop(run, accident_reports(run.feed))
    other = Run()
    other(other.feed.report("urban", "urban.road_damage", 1_764_057_600_000, grid="310101-002-003-01"))
    second = other.only_case().case_id
    log = records(case_events(run)) + records(case_events(other), start=500)
    broken = [r for r in log if not (r.key == second.encode() and r.offset == 501)]
    assert not verify("t", broken).ok
    only_first = verify("t", broken, first)
    assert only_first.ok
    assert only_first.cases_checked == 1
    assert verify("t", broken, "C-nothing").cases_checked == 0


def test_a_case_spread_over_partitions_is_flagged() -> None:
    run, _ = closed_case()
    events = case_events(run)
    log = records(events[:3]) + [as_record(e, "t", 1, n) for n, e in enumerate(events[3:])]
    assert "multiple_partitions" in {p.problem for p in verify("t", log).problems}


# -- snapshots held against their chains -------------------------------------------------------


def snapshots_of(run: Run) -> list[RawRecord]:
    """Every snapshot the core published, as on case.snapshots.v1 (older ones included)."""
    snaps = [o.message for o in run.outputs if o.kind == "snapshot"]
    return [as_record(s, "case.snapshots.v1", 0, n) for n, s in enumerate(snaps)]


def test_snapshots_that_agree_with_their_chains_pass() -> None:
    run, _ = closed_case()
    verdict = verify("t", records(case_events(run)), snapshots=snapshots_of(run))
    assert verdict.ok, verdict.problems
    assert verdict.snapshots_checked == 1


def test_a_cut_tail_is_seen_by_the_snapshot_ahead_of_it() -> None:
    """What the chain alone cannot see: its last events removed."""
    run, case_id = closed_case()
    events = case_events(run)
    assert verify("t", records(events[:-2])).ok  # the chain alone: nothing to see
    verdict = verify("t", records(events[:-2]), snapshots=snapshots_of(run))
    assert kinds(verdict.problems) == [("snapshot_ahead", len(events) - 1)]
    assert verdict.problems[0].case_id == case_id


def test_a_deleted_case_is_seen_by_its_snapshot() -> None:
    run, case_id = closed_case()
    run(run.feed.report("urban", "urban.road_damage", 1_764_057_600_000, grid="310101-002-003-01"))
    others = [e for e in case_events(run) if e.case_id != case_id]  # type: ignore[attr-defined]
    verdict = verify("t", records(others), snapshots=snapshots_of(run))
    assert [(p.case_id, p.problem) for p in verdict.problems] == [(case_id, "chain_missing")]


def test_a_snapshot_left_behind_or_disagreeing_is_reported() -> None:
    run, _ = closed_case()
    events = case_events(run)
    older = snapshots_of(run)[:-1]
    assert kinds(verify("t", records(events), snapshots=older).problems)[0][0] == "snapshot_behind"
    latest = [o.message for o in run.outputs if o.kind == "snapshot"][-1]
    latest.last_hash = b"\x00" * 32  # type: ignore[attr-defined]
    forged = [*snapshots_of(run)[:-1], as_record(latest, "case.snapshots.v1", 0, 99)]
    assert kinds(verify("t", records(events), snapshots=forged).problems) == [
        ("snapshot_mismatch", len(events))
    ]


def test_a_snapshot_overwritten_with_garbage_a_tombstone_or_another_case_is_reported() -> None:
    run, case_id = closed_case()
    events = case_events(run)
    garbage = RawRecord("case.snapshots.v1", 0, 50, 0, case_id.encode(), b"\xff", ())
    tombstone = RawRecord("case.snapshots.v1", 0, 51, 0, case_id.encode(), None, ())
    latest = [o.message for o in run.outputs if o.kind == "snapshot"][-1]
    misfiled = as_record(latest, "case.snapshots.v1", 0, 52, key="C-other")
    verdict = verify("t", records(events), snapshots=[garbage, tombstone, misfiled])
    assert sorted(p.problem for p in verdict.problems) == [
        "misfiled_snapshot",
        "undecodable_snapshot",
        "undecodable_snapshot",
    ]
    assert {p.positions for p in verdict.problems} == {("0/50",), ("0/51",), ("0/52",)}
    assert verdict.snapshots_checked == 0
