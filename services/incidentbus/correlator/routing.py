"""Which area an agency event belongs to, so all of an area's events meet in one partition.

The area is the district. Reports carry it in their location; replies and verification
answers carry it in the case id (`C-<district>-<hash>`), which the correlator issues.
A report must name a district of the jurisdiction table (kernel/jurisdictions.py): the agency
services refuse other places at intake, and the router refuses them again for events another
producer wrote straight to `<agency>.events.v1`, so no unknown place becomes an area of its own.
Pure: used by the router shell and by replay.
"""

from __future__ import annotations

import re

from incidentbus.correlator.domain.admission import identity
from incidentbus.correlator.domain.inputs import CORRELATOR, OPERATOR
from incidentbus.kernel.jurisdictions import Jurisdictions, shipped_jurisdictions
from incidentbus.v1 import agency_events_pb2

CASE_ID = re.compile(r"^C-(\d{6})-")
SOURCE_HEADERS = ("x-source-topic", "x-source-partition", "x-source-offset", "x-source-agency")
AGENCY_EVENTS_SUFFIX = ".events.v1"  # <agency>.events.v1, as the catalog's template names it
COMMANDS = "case.commands.v1"  # operators' commands, routed like agency events


# recorded_at (the inbox record's log time) may lead the events record's log time (LogAppendTime
# too) only by the skew between two brokers' clocks. Kept below the rules' allowed lateness
# (10 s), so a service stamping events ahead cannot make any deadline fire early.
MAX_AHEAD_MS = 5_000


class UnroutableError(Exception):
    """The event cannot enter the correlator: `reason` says why (a dead-letter reason code)."""

    def __init__(self, detail: str, reason: str = "correlator.unroutable") -> None:
        super().__init__(detail)
        self.reason = reason


def publisher_of(topic: str) -> str:
    """The agency a routed topic belongs to (catalog name, without the deployment prefix).

    Only that agency's service may write `<agency>.events.v1` and only the operator
    `case.commands.v1` (the broker's ACLs, from the catalog), so the topic says who spoke.
    """
    if topic == COMMANDS:
        return OPERATOR
    if topic.endswith(AGENCY_EVENTS_SUFFIX) and "." not in topic.removesuffix(AGENCY_EVENTS_SUFFIX):
        return topic.removesuffix(AGENCY_EVENTS_SUFFIX)
    raise UnroutableError(f"{topic!r} is not a topic the correlator routes from")


def check_publisher(event: agency_events_pb2.AgencyEvent, publisher: str) -> None:
    """An event speaks only for the agency whose topic carried it, under an id of its own."""
    kind = event.WhichOneof("body")
    refused = identity(event, kind, publisher) if kind else None
    if refused is not None:
        reason, detail = refused
        raise UnroutableError(detail, reason)


def check_time(event: agency_events_pb2.AgencyEvent, logged_ms: int) -> None:
    """Refuse a bus time from the future.

    `recorded_at` is the bus's clock for the correlator; a producer that stamps it ahead of when
    the broker logged the record would fire deadlines early, so such an event is refused.
    """
    recorded = event.envelope.recorded_at.ToMilliseconds()
    if logged_ms > 0 and recorded > logged_ms + MAX_AHEAD_MS:
        ahead = (recorded - logged_ms) // 1000
        raise UnroutableError(f"recorded_at is {ahead}s after the record was logged", "envelope.future_time")


def route_key(
    event: agency_events_pb2.AgencyEvent,
    logged_ms: int,
    places: Jurisdictions | None = None,
    publisher: str | None = None,
) -> str:
    """The area to key the event by, once its publisher, time and (for a report) its district are
    admissible. `publisher` is the agency of the topic it came from (None: not checked)."""
    if publisher is not None:
        check_publisher(event, publisher)
    check_time(event, logged_ms)
    area = area_of(event)
    known = places or shipped_jurisdictions()
    if event.WhichOneof("body") == "incident_reported" and known.district(area) is None:
        raise UnroutableError(
            f"district {area!r} is not in the jurisdiction table", "correlator.unknown_jurisdiction"
        )
    return area


def area_of(event: agency_events_pb2.AgencyEvent) -> str:
    kind = event.WhichOneof("body") or ""
    if kind == "incident_reported":
        location = event.incident_reported.location
        district = location.jurisdiction.district or location.grid_code.split("-")[0]
        if district:
            return district
        named = event.incident_reported.case_ref
        if named:
            return _from_case(named)
        raise UnroutableError("report without a district")
    if kind == "clock_ticked" or not kind:
        raise UnroutableError(f"{kind or 'empty event'} is not routed by area")
    body = getattr(event, kind)
    return _from_case(body.case_id or getattr(body, "task_id", ""))


def _from_case(case_id: str) -> str:
    match = CASE_ID.match(case_id)
    if match is None:
        raise UnroutableError(f"{case_id!r} is not a correlator case id")
    return match.group(1)


def publisher_from_headers(source_topic: str | None, recorded: str | None) -> str:
    """Who published a correlator input: the router's `x-source-agency`; for inputs routed before
    it was recorded, the agency of the source topic's name; without a source, the correlator
    itself (its ticks, written straight to its input topic, which only it may write)."""
    if recorded:
        return recorded
    if not source_topic:
        return CORRELATOR
    name = source_topic.rsplit(".", 3)[-3:]
    try:
        return publisher_of(".".join(name))
    except UnroutableError:
        return ""
