"""What the core consumes: an agency event with its place in the log."""

from __future__ import annotations

from dataclasses import dataclass

from incidentbus.correlator.domain import names
from incidentbus.correlator.domain.evolve import ms, place_of
from incidentbus.correlator.domain.model import Report
from incidentbus.v1 import agency_events_pb2


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int


# Who publishes on the topics that are not an agency's own: operators' commands, and the
# correlator's clock (written straight to its input topic).
OPERATOR = "operator"
CORRELATOR = "correlator"


@dataclass(frozen=True)
class Input:
    """An event of the correlator's input, where it sits there, and where its agency published it.

    `publisher` is the agency whose topic carried the event (`<agency>.events.v1`; "operator"
    for case.commands.v1; "correlator" for its own ticks). The router sets it from the topic, which
    the broker lets only that agency's service write; the event's own `source_agency` is a claim.
    """

    event: agency_events_pb2.AgencyEvent
    at: Position
    source: Position
    publisher: str

    @property
    def event_id(self) -> str:
        return str(self.event.envelope.event_id)

    @property
    def is_tick(self) -> bool:
        """A clock tick of the correlator's own: it moves event time and names no area."""
        return self.event.HasField("clock_ticked")

    @property
    def recorded_ms(self) -> int:
        """Event time: when the bus recorded the fact (agency clocks are facts, not the clock)."""
        return ms(self.event.envelope.recorded_at)


def report_of(item: Input) -> Report:
    r, env = item.event.incident_reported, item.event.envelope
    return Report(
        env.event_id,
        item.publisher,
        env.source_ref,
        item.source.topic,
        item.source.partition,
        item.source.offset,
        r.incident_type,
        names.category_name(r.category),
        names.severity_name(r.severity),
        place_of(r.location),
        r.casualties,
        item.recorded_ms,
        env.source_revision,
        r.reporter.contactable,
    )
