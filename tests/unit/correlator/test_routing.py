"""Routing agency events to areas, and refusing a bus time from the future."""

from __future__ import annotations

import pytest

from incidentbus.correlator.routing import MAX_AHEAD_MS, UnroutableError, area_of, route_key
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
