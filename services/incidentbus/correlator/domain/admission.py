"""What the core can act on. Any input, from an adapter or written straight to a topic by some
other producer, is either admitted or refused here with a named reason; the core never raises."""

from __future__ import annotations

from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.inputs import CORRELATOR, OPERATOR, Input
from incidentbus.correlator.domain.rules import Rules
from incidentbus.kernel.ids import event_id
from incidentbus.v1 import agency_events_pb2

Refusal = tuple[str, str]  # (dead-letter reason, detail)
OPERATOR_COMMANDS = frozenset({"split_case"})
TASK_REPLIES = frozenset(
    {
        "task_acknowledged",
        "task_declined",
        "unit_dispatched",
        "unit_arrived",
        "progress_noted",
        "task_completed",
        "assistance_requested",
    }
)
VERIFICATION_ANSWERS = frozenset({"resolution_verified", "resolution_disputed"})


def refusal(state: AreaState, item: Input, rules: Rules) -> Refusal | None:
    """Why this input cannot be decided in this area, or None when it can. Checked before the
    input moves the clock: a refused input changes nothing but the read position."""
    kind = item.event.WhichOneof("body")
    if kind is None:
        return "correlator.invalid_event", "the event has no body"
    refused = authority(item, kind) or addressed(state, item, kind, rules)
    if refused is not None:
        return refused
    if kind == "incident_reported":
        return _report_refusal(state, item)
    return None


def addressed(state: AreaState, item: Input, kind: str, rules: Rules) -> Refusal | None:
    """A reply only for a task addressed to its publisher; a verification answer only from the
    verifier. (A reply naming no known task is left to the handler: `correlator.unknown_task`.)"""
    publisher = item.publisher
    if kind in VERIFICATION_ANSWERS and publisher not in rules.verifiers:
        return (
            "authz.not_addressed",
            f"{kind} by {publisher!r}: verifications are addressed to {sorted(rules.verifiers)}",
        )
    if kind not in TASK_REPLIES:
        return None
    body = getattr(item.event, kind)
    found = state.find_task(body.case_id, body.task_id)
    if found is not None and found[1].agency != publisher:
        task = found[1]
        return (
            "authz.not_addressed",
            f"{kind} by {publisher!r} for task {task.task_id}, which is addressed to {task.agency!r}",
        )
    return None


def authority(item: Input, kind: str) -> Refusal | None:
    """Whether the publisher may say this: each speaks only in its own name, and only operators
    command. (Whether a reply's task is addressed to its publisher is checked with the task.)"""
    publisher = item.publisher
    if item.is_tick:
        if publisher != CORRELATOR:
            return "authz.agency_mismatch", f"only the correlator keeps the clock, not {publisher!r}"
        return None
    refused = identity(item.event, kind, publisher)
    if refused is not None:
        return refused
    if (kind in OPERATOR_COMMANDS) != (publisher == OPERATOR):
        what = "an operator command" if kind in OPERATOR_COMMANDS else "an agency's fact"
        return "authz.wrong_publisher", f"{kind} is {what}; {publisher!r} may not publish it"
    return None


def identity(event: agency_events_pb2.AgencyEvent, kind: str, publisher: str) -> Refusal | None:
    """An event names its publisher, and its id is the one its publisher, reference, revision and
    type derive (kernel/ids.event_id): ids are predictable, and one agency must not take the id of
    another's future event (a duplicate id is dropped as already seen)."""
    env = event.envelope
    if env.source_agency != publisher:
        return (
            "authz.agency_mismatch",
            f"the event claims source agency {env.source_agency!r} but was published by {publisher!r}",
        )
    body_type = getattr(event, kind).DESCRIPTOR.full_name
    if env.event_type != body_type:
        return "authz.event_id_mismatch", f"event_type {env.event_type!r} but the body is {body_type}"
    derived = event_id(publisher, env.source_ref, env.source_revision, env.event_type)
    if env.event_id != derived:
        return (
            "authz.event_id_mismatch",
            f"event id {env.event_id!r} is not the one {publisher}'s reference {env.source_ref!r} "
            f"(revision {env.source_revision}) derives",
        )
    return None


def _report_refusal(state: AreaState, item: Input) -> Refusal | None:
    env, report = item.event.envelope, item.event.incident_reported
    location, path = report.location, report.location.jurisdiction
    if not env.source_agency or not env.source_ref:
        return "correlator.invalid_report", "a report needs its source agency and native reference"
    if not report.incident_type or report.category == 0 or report.severity == 0:
        return "correlator.invalid_report", "a report needs an incident type, a category and a severity"
    parts = (path.city, path.district, path.street, path.community, path.grid or location.grid_code)
    if not location.grid_code or not all(parts):
        return "correlator.invalid_report", "a report needs a grid and its whole jurisdiction path"
    if state.area and path.district != state.area:
        return (
            "correlator.wrong_area",
            f"a report of district {path.district} cannot be decided in area {state.area}",
        )
    return None
