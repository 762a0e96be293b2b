"""The demo's and tests' simulated agency systems write what each adapter reads: every reply kind of
every agency, and every report, maps to the canonical body it stands for."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from incidentbus.agencies.registry import AGENCIES, RESPONDERS, load_adapter
from incidentbus.devtools import natives

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BODY_OF_KIND = {
    "ack": "TaskAcknowledged",
    "decline": "TaskDeclined",
    "dispatched": "UnitDispatched",
    "arrived": "UnitArrived",
    "progress": "ProgressNoted",
    "complete": "TaskCompleted",
    "assist": "AssistanceRequested",
}
REPORT_CODES = {
    "police": "TA1",
    "health": "TRAUMA_RTC",
    "urban": "0203",
    "community": "E12",
    "citizen": "pothole",
}


@pytest.mark.parametrize("agency", RESPONDERS)
@pytest.mark.parametrize("kind", natives.KINDS)
def test_a_simulated_reply_maps_to_its_canonical_body(agency: str, kind: str) -> None:
    adapter = load_adapter(agency)
    native = natives.reply(agency, kind, "T-1", "C-1", seq=3, at=AT, other_agency="urban", note="n")
    mapped = adapter.to_canonical(adapter.parse(json.dumps(native)))
    assert type(mapped.body).__name__ == BODY_OF_KIND[kind]
    assert (mapped.subject, mapped.correlation_id, mapped.occurred_at) == ("T-1", "C-1", AT)


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_simulated_report_maps_to_an_incident_in_its_grid(agency: str) -> None:
    adapter = load_adapter(agency)
    native = natives.report(agency, "R-1", REPORT_CODES[agency], "310121-001-002-03", AT)
    mapped = adapter.to_canonical(adapter.parse(json.dumps(native)))
    assert mapped.source_ref == "R-1"
    assert mapped.body.location.grid_code == "310121-001-002-03"  # type: ignore[attr-defined]
