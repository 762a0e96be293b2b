"""Routing agency events to areas, refusing a bus time from the future and an agency speaking
for another."""

from __future__ import annotations

import pytest

from incidentbus.correlator.routing import (
    MAX_AHEAD_MS,
    UnroutableError,
    area_of,
    publisher_from_headers,
    publisher_of,
    route_key,
)
from tests.unit.correlator.builders import T0, Feed


def test_reports_route_by_district_and_replies_by_case_id() -> None:
    f = Feed()
    assert area_of(f.report("police", "traffic.collision", T0, grid="310105-001-001-01").event) == "310105"
    assert area_of(f.reply("police", "ack", "C-310107-abc/t1", "C-310107-abc", T0).event) == "310107"
    assert area_of(f.reply("police", "ack", "C-310108-abc/t1", "", T0).event) == "310108"  # task id alone


@pytest.mark.parametrize("case_id", ["case-1", "", "C-31-short"])
def test_replies_naming_no_correlator_case_are_unroutable(case_id: str) -> None:
    with pytest.raises(UnroutableError) as caught:
        area_of(Feed().reply("police", "ack", case_id, case_id, T0).event)
    assert caught.value.reason == "correlator.unroutable"


def test_a_recorded_at_far_ahead_of_the_log_time_is_refused() -> None:
    event = Feed().report("police", "traffic.collision", T0 + MAX_AHEAD_MS + 1000).event
    with pytest.raises(UnroutableError) as caught:
        route_key(event, logged_ms=T0)
    assert caught.value.reason == "envelope.future_time"
    assert route_key(event, logged_ms=T0 + 2000) == "310101"  # within clock skew


@pytest.mark.parametrize(
    ("topic", "publisher"),
    [("police.events.v1", "police"), ("health.events.v1", "health"), ("case.commands.v1", "operator")],
)
def test_the_topic_names_its_publisher(topic: str, publisher: str) -> None:
    assert publisher_of(topic) == publisher


@pytest.mark.parametrize("topic", ["police.inbox.v1", "bus.alerts.v1", "x.police.events.v1", "events.v1"])
def test_other_topics_have_no_publisher_to_route_for(topic: str) -> None:
    with pytest.raises(UnroutableError):
        publisher_of(topic)


def test_an_event_claiming_another_agency_than_its_topic_is_refused_before_routing() -> None:
    event = Feed().reply("health", "complete", "C-310101-abc/t1", "C-310101-abc", T0).event
    with pytest.raises(UnroutableError) as caught:
        route_key(event, logged_ms=T0, publisher="police")
    assert caught.value.reason == "authz.agency_mismatch"
    assert route_key(event, logged_ms=T0, publisher="health") == "310101"


def test_an_event_under_an_id_its_publisher_does_not_derive_is_refused_before_routing() -> None:
    """Ids are predictable: one agency must not take the id of another agency's future event."""
    f = Feed()
    theirs = f.reply("health", "ack", "C-310101-abc/t2", "C-310101-abc", T0).event
    decoy = f.reply("police", "ack", "C-310101-abc/t1", "C-310101-abc", T0).event
    decoy.envelope.event_id = theirs.envelope.event_id
    with pytest.raises(UnroutableError) as caught:
        route_key(decoy, logged_ms=T0, publisher="police")
    assert caught.value.reason == "authz.event_id_mismatch"
    decoy.envelope.event_type = "incidentbus.v1.TaskCompleted"  # a type the body is not
    with pytest.raises(UnroutableError) as caught:
        route_key(decoy, logged_ms=T0, publisher="police")
    assert caught.value.reason == "authz.event_id_mismatch"


@pytest.mark.parametrize(
    ("source_topic", "recorded", "publisher"),
    [
        ("it-1.police.events.v1", "police", "police"),  # what the router records wins
        ("it-1.police.events.v1", None, "police"),  # routed before it was recorded: from the name
        ("sandbox.case.commands.v1", None, "operator"),
        (None, None, "correlator"),  # written straight to the input topic: the correlator's ticks
        ("odd-topic", None, ""),  # unknown: the core refuses whatever it claims
    ],
)
def test_the_publisher_of_a_correlator_input(
    source_topic: str | None, recorded: str | None, publisher: str
) -> None:
    assert publisher_from_headers(source_topic, recorded) == publisher
