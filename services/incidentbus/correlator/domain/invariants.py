"""The closed loop's invariants, checked over one step: what the core may never leave behind.

Pure and cheap enough for property tests and replays (`violations` returns what is wrong, in
words; an empty list means the step kept every invariant):

1. status changes only along the lifecycle (`ALLOWED`), each by the event that may cause it; a
   CLOSED case changes only through an explicit CaseReopened, a MERGED one never;
2. no closed, merged or resolved case has an active task; a cancelled task was told (CancelTask);
3. every open case has an owner: an active task, or (resolved) a pending verification;
4. every deadline belongs to an active task or the pending verification of an open case;
5. every task and dispatch names an agency of the rules;
6. a report (agency, native reference) is in at most one live case;
7. every output about a case carries the case's status (ACTUAL, EXERCISE, TEST);
8. the state is the fold of the case events (evolve), nothing else;
9. (`spoken_for`, given the input) every case event names the topic that carried its cause, and
   acts in no name but the correlator's or that topic's publisher's; an agency changes only its
   own tasks, and only the verifier verifies (a repeat report's reopen names no verification).
"""

from __future__ import annotations

from collections import Counter

from incidentbus.correlator.domain import names
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.evolve import evolve
from incidentbus.correlator.domain.inputs import CORRELATOR, Input
from incidentbus.correlator.domain.model import Case
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.v1 import bus_pb2, case_events_pb2, common_pb2

PROGRESS = frozenset({"REPORTED", "DISPATCHED", "ACKNOWLEDGED", "ON_SCENE"})
# (from, to) -> the case event bodies that may cause it; within PROGRESS the status follows tasks.
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    **{(a, "RESOLVED"): frozenset({"case_resolved"}) for a in PROGRESS},
    **{(a, "MERGED"): frozenset({"case_closed"}) for a in (*PROGRESS, "RESOLVED")},
    **{(a, "CLOSED"): frozenset({"case_closed"}) for a in (*PROGRESS, "RESOLVED", "VERIFIED")},
    **{("RESOLVED", b): frozenset({"case_reopened"}) for b in PROGRESS},
    **{("CLOSED", b): frozenset({"case_reopened"}) for b in PROGRESS},
    ("RESOLVED", "VERIFIED"): frozenset({"case_verified"}),
}


def transition_problem(before: Case | None, after: Case, body: str) -> str | None:
    """What is wrong with one case event's status change, or None."""
    if before is None:
        return None if body == "case_opened" else f"{after.case_id}: {body} before case_opened"
    a, b = before.status, after.status
    if a == b or (a in PROGRESS and b in PROGRESS):
        return None
    if body in ALLOWED.get((a, b), frozenset()):
        return None
    return f"{after.case_id}: {a} -> {b} by {body} is not a lifecycle transition"


def violations(before: AreaState, outputs: list[Output], after: AreaState, rules: Rules) -> list[str]:
    """Every invariant the step from `before` (a snapshot: `AreaState.copy`) to `after` (with
    its outputs) broke."""
    found = _folded(before, outputs, after)
    for case in after.cases.values():
        found += _case_problems(case, rules)
    found += _homes(after)
    found += _outputs(outputs, before, after, rules)
    return found


def _folded(before: AreaState, outputs: list[Output], after: AreaState) -> list[str]:
    found: list[str] = []
    state = before.copy()  # folded in place: `before` stays as it was
    for out in outputs:
        if out.kind != "case_event" or not isinstance(out.message, case_events_pb2.CaseEvent):
            continue
        event = out.message
        previous = state.cases.get(event.case_id)
        state = evolve(state, event)
        problem = transition_problem(previous, state.cases[event.case_id], event.WhichOneof("body") or "")
        if problem:
            found.append(problem)
    for case_id, case in after.cases.items():
        if state.cases.get(case_id) != case:
            found.append(f"{case_id}: the state is not the fold of its case events")
    return found


def _case_problems(case: Case, rules: Rules) -> list[str]:
    found: list[str] = []
    active = case.active_tasks()
    if case.status in ("CLOSED", "MERGED", "RESOLVED", "VERIFIED") and active:
        found.append(f"{case.case_id}: {case.status} with active tasks {[t.task_id for t in active]}")
    if case.status in PROGRESS and not active:
        found.append(f"{case.case_id}: open ({case.status}) without an active task")
    if case.status == "RESOLVED" and not case.verification_id:
        found.append(f"{case.case_id}: resolved without a pending verification")
    owners = {t.task_id for t in active} | ({case.verification_id} if case.status == "RESOLVED" else set())
    stray = [f"{d.kind} {d.task_id}" for d in case.deadlines if d.task_id not in owners]
    if stray:
        found.append(f"{case.case_id}: deadlines of no active task or pending verification: {stray}")
    unknown = [t.agency for t in case.tasks if t.agency not in rules.agencies]
    if unknown:
        found.append(f"{case.case_id}: tasks for unknown agencies {unknown}")
    return found


def _homes(after: AreaState) -> list[str]:
    live = [c for c in after.cases.values() if c.status != "MERGED" and c.closure != "SUPERSEDED"]
    counts = Counter(r.identity for c in live for r in c.reports)
    return [f"report {agency}/{ref} is in {n} live cases" for (agency, ref), n in counts.items() if n > 1]


def _outputs(outputs: list[Output], before: AreaState, after: AreaState, rules: Rules) -> list[str]:
    found: list[str] = []
    commands = [o.message for o in outputs if isinstance(o.message, bus_pb2.TaskCommand)]
    cancels = {c.cancel_task.task_id for c in commands if c.HasField("cancel_task")}
    for out in outputs:
        case = after.cases.get(out.key) or before.cases.get(out.key)
        if out.kind == "reject" or out.message is None or case is None:
            continue
        envelope = getattr(out.message, "envelope", None)
        status = (
            names.event_status_name(envelope.status) if isinstance(envelope, common_pb2.Envelope) else "-"
        )
        if status != case.event_status:
            found.append(f"{out.key}: a {out.kind} says {status}, its case is {case.event_status}")
        if out.kind == "dispatch" and out.agency not in rules.addressees:
            found.append(f"{out.key}: dispatch to unknown agency {out.agency!r}")
        event = out.message
        if isinstance(event, case_events_pb2.CaseEvent) and event.HasField("task_status_changed"):
            change = event.task_status_changed
            if names.task_status_name(change.status) == "CANCELLED" and change.task_id not in cancels:
                found.append(f"{out.key}: task {change.task_id} cancelled without a CancelTask")
    return found


def spoken_for(item: Input, outputs: list[Output], rules: Rules) -> list[str]:
    """Every case event of this input that misnames who spoke, or acts for someone who did not."""
    found: list[str] = []
    for output in outputs:
        event = output.message
        if output.kind != "case_event" or not isinstance(event, case_events_pb2.CaseEvent):
            continue
        where = f"{event.case_id}#{event.sequence}"
        body = event.WhichOneof("body")
        if event.source_topic != item.source.topic:
            found.append(f"{where}: source topic {event.source_topic!r}, input from {item.source.topic!r}")
        if event.actor not in (CORRELATOR, item.publisher):
            found.append(f"{where}: acts as {event.actor!r}, input published by {item.publisher!r}")
        agency = event.task_status_changed.agency if body == "task_status_changed" else ""
        if event.actor != CORRELATOR and agency and agency != event.actor:
            found.append(f"{where}: {event.actor!r} changed {agency!r}'s task")
        answers = body == "case_verified" or (body == "case_reopened" and event.case_reopened.verification_id)
        if answers and event.actor not in (CORRELATOR, *rules.verifiers):
            found.append(f"{where}: {body} by {event.actor!r}, not the verifier")
    return found
