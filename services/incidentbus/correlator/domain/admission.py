"""What the core can act on. Any input, from an adapter or written straight to a topic by some
other producer, is either admitted or refused here with a named reason; the core never raises."""

from __future__ import annotations

from incidentbus.correlator.domain.inputs import CORRELATOR, OPERATOR, Input
from incidentbus.correlator.domain.model import AreaState

Refusal = tuple[str, str]  # (dead-letter reason, detail)
OPERATOR_COMMANDS = frozenset({"split_case"})


def refusal(state: AreaState, item: Input) -> Refusal | None:
    """Why this input cannot be decided in this area, or None when it can."""
    kind = item.event.WhichOneof("body")
    if kind is None:
        return "correlator.invalid_event", "the event has no body"
    refused = authority(item, kind)
    if refused is not None:
        return refused
    if kind == "incident_reported":
        return _report_refusal(state, item)
    return None


def authority(item: Input, kind: str) -> Refusal | None:
    """Whether the publisher may say this: each speaks only in its own name, and only operators
    command. (Whether a reply's task is addressed to its publisher is checked with the task.)"""
    claimed, publisher = item.event.envelope.source_agency, item.publisher
    if kind == "clock_ticked":
        if publisher != CORRELATOR:
            return "authz.agency_mismatch", f"only the correlator keeps the clock, not {publisher!r}"
        return None
    if claimed != publisher:
        return (
            "authz.agency_mismatch",
            f"the event claims source agency {claimed!r} but was published by {publisher!r}",
        )
    if (kind in OPERATOR_COMMANDS) != (publisher == OPERATOR):
        what = "an operator command" if kind in OPERATOR_COMMANDS else "an agency's fact"
        return "authz.wrong_publisher", f"{kind} is {what}; {publisher!r} may not publish it"
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
