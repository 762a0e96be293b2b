"""回访 by the reporter: a citizen who left a contact with their request is the one asked to confirm
the resolution; their answer counts and the grid worker's does not; unanswered before the
deadline, the verification passes to the grid worker, and a citizen's silence escalates nothing."""

from __future__ import annotations

from incidentbus.v1 import bus_pb2, case_events_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import RULES, Run, checked


def resolved(run: Run, *reports: tuple[str, bool]) -> str:
    """Reports of a pothole at one place ((agency, contactable) each), urban fixes it; the case id."""
    for n, (agency, contact) in enumerate(reports):
        checked(
            run,
            run.feed.report(
                agency, "urban.road_damage", T0 + n * MIN, contactable=contact, ref=f"{agency}-{n}"
            ),
        )
    case = run.only_case()
    [task] = case.active_tasks()
    assert task.agency == "urban"
    checked(
        run, run.feed.reply("urban", "complete", task.task_id, case.case_id, T0 + 30 * MIN, disposition=1)
    )
    assert run.only_case().status == "RESOLVED"
    return case.case_id


def requests(run: Run) -> list[case_events_pb2.VerificationRequested]:
    return [
        e.verification_requested for e in run.events() if e.WhichOneof("body") == "verification_requested"
    ]  # type: ignore[attr-defined]


def asked(run: Run) -> list[tuple[str, list[str]]]:
    """The verification requests sent: (agency, report refs)."""
    found = []
    for out in run.kinds("dispatch"):
        command = out.message
        assert isinstance(command, bus_pb2.TaskCommand)
        if command.HasField("request_verification"):
            found.append((out.agency, list(command.request_verification.report_refs)))
    return found


def test_a_citizen_who_left_a_contact_is_asked_and_their_answer_closes_the_case(run: Run) -> None:
    case_id = resolved(run, ("citizen", True))
    [request] = requests(run)
    assert (request.agency, list(request.report_refs), request.reason) == (
        "citizen",
        ["citizen-0"],
        "reporter",
    )
    assert asked(run) == [("citizen", ["citizen-0"])]
    assert run.only_case().verifier == "citizen"
    checked(run, run.feed.verification(case_id, request.verification_id, T0 + 40 * MIN, by="citizen"))
    assert (run.only_case().status, run.only_case().closure) == ("CLOSED", "VERIFIED")


def test_without_a_contact_the_grid_worker_verifies(run: Run) -> None:
    resolved(run, ("citizen", False), ("police", True))  # the police caller is not the bus's to ask
    [request] = requests(run)
    assert (request.agency, list(request.report_refs), request.reason) == ("community", [], "verifier")


def test_only_the_citizens_who_left_a_contact_are_named(run: Run) -> None:
    resolved(run, ("citizen", True), ("citizen", False), ("urban", False), ("citizen", True))
    assert asked(run) == [("citizen", ["citizen-0", "citizen-3"])]


def test_the_grid_worker_cannot_answer_for_the_citizen(run: Run) -> None:
    case_id = resolved(run, ("citizen", True))
    [request] = requests(run)
    out = checked(run, run.feed.verification(case_id, request.verification_id, T0 + 40 * MIN, by="community"))
    assert [o.reason for o in out if o.kind == "reject"] == ["authz.not_addressed"]
    assert run.only_case().status == "RESOLVED"


def test_no_other_agency_answers_a_verification(run: Run) -> None:
    case_id = resolved(run, ("citizen", True))
    [request] = requests(run)
    out = checked(run, run.feed.verification(case_id, request.verification_id, T0 + 40 * MIN, by="police"))
    assert [o.reason for o in out if o.kind == "reject"] == ["authz.not_addressed"]


def test_a_citizen_who_disputes_reopens_the_case(run: Run) -> None:
    case_id = resolved(run, ("citizen", True))
    [request] = requests(run)
    checked(
        run, run.feed.verification(case_id, request.verification_id, T0 + 40 * MIN, ok=False, by="citizen")
    )
    case = run.only_case()
    assert (case.status, case.verifier, case.verification_id) == ("DISPATCHED", "", "")
    assert [t.agency for t in case.active_tasks()] == ["urban"]


def test_an_unanswered_citizen_passes_the_verification_to_the_grid_worker(run: Run) -> None:
    case_id = resolved(run, ("citizen", True))
    [first] = requests(run)
    due = first.deadline.due_at.ToMilliseconds()
    tick = checked(run, run.feed.tick(due + RULES.deadlines.allowed_lateness_ms + MIN))
    first_again, second = requests(run)
    assert first_again == first
    assert (second.agency, list(second.report_refs), second.reason) == (
        "community",
        [],
        f"unanswered {first.verification_id}",
    )
    bodies = [o.message.WhichOneof("body") for o in tick if o.kind == "case_event"]  # type: ignore[union-attr]
    assert bodies == ["verification_requested"]  # no escalation, no alert for a citizen's silence
    assert [o.kind for o in tick if o.kind == "alert"] == []
    assert asked(run)[-1] == ("community", [])
    late = checked(run, run.feed.verification(case_id, first.verification_id, due + 2 * MIN, by="citizen"))
    assert [o.reason for o in late if o.kind == "reject"] == ["correlator.stale_verification"]
    checked(run, run.feed.verification(case_id, second.verification_id, due + 3 * MIN, by="community"))
    assert run.only_case().status == "CLOSED"


def test_a_grid_worker_who_misses_the_deadline_escalates_as_before(run: Run) -> None:
    case_id = resolved(run, ("urban", False))
    [request] = requests(run)
    due = request.deadline.due_at.ToMilliseconds()
    tick = checked(run, run.feed.tick(due + RULES.deadlines.allowed_lateness_ms + MIN))
    bodies = [o.message.WhichOneof("body") for o in tick if o.kind == "case_event"]  # type: ignore[union-attr]
    assert bodies == ["case_escalated"]
    assert len(requests(run)) == 1
    assert run.only_case().case_id == case_id


def test_a_case_stored_before_verifiers_were_recorded_is_the_grid_workers_to_verify(run: Run) -> None:
    """A pending verification that names no addressee (state from an earlier version) is the
    rules' verifier's: the citizen cannot answer it."""
    case_id = resolved(run, ("urban", False))
    case = run.only_case()
    run.state.put_case(case.revised(verifier=""))
    out = checked(run, run.feed.verification(case_id, case.verification_id, T0 + 40 * MIN, by="citizen"))
    assert [o.reason for o in out if o.kind == "reject"] == ["authz.not_addressed"]
    checked(run, run.feed.verification(case_id, case.verification_id, T0 + 41 * MIN, by="community"))
    assert run.only_case().status == "CLOSED"
