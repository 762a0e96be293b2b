"""Point-only reports on the real broker: each agency service places a report that carries only
coordinates by the grid layer of its settings (tests/grids.geojson), and dead-letters one whose
point lies in no grid (intake.bad_location, original bytes kept; HTTP 422).

District 310108 is this module's own (a fictitious district of tests/jurisdictions.toml)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from incidentbus.agencies.pipeline import events_topic, inbox_topic
from incidentbus.agencies.registry import AGENCIES
from incidentbus.kernel.codec import decode
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2, bus_pb2
from tests.gridlayers import district_point
from tests.integration.agencies.harness import AgencyHarness, as_bytes
from tests.integration.letters import read_letter
from tests.unit.agencies.test_point_only import point_only

DISTRICT = "310108"


def report_of(records: list[RawRecord], ref: str) -> agency_events_pb2.IncidentReported | None:
    for record in records:
        event: agency_events_pb2.AgencyEvent = decode(record, agency_events_pb2.AgencyEvent).message  # type: ignore[assignment]
        if event.envelope.source_ref == ref:
            return event.incident_reported
    return None


# Native HTTP intake: not on a gateway's port (the Open311 tests post point-only requests there).
@pytest.mark.parametrize("agency", [name for name, entry in AGENCIES.items() if not entry.gateway])
def test_point_only_reports_are_placed_or_dead_lettered(applied: BusSettings, agency: str) -> None:
    placed_ref, lost_ref = f"P-{uuid.uuid4().hex[:8]}", f"L-{uuid.uuid4().hex[:8]}"
    placed = point_only(agency, *district_point(DISTRICT), ref=placed_ref)
    nowhere = point_only(agency, 31.6, 121.9, ref=lost_ref)  # in Shanghai, in no grid of the layer
    inbox = applied.topic(inbox_topic(agency))

    async def run() -> tuple[
        agency_events_pb2.IncidentReported | None, bus_pb2.DeadLetter, tuple[int, dict[str, str]]
    ]:
        async with AgencyHarness(applied, agency) as h:
            position = await h.send_inbox(nowhere, key=lost_ref)
            await h.send_inbox(placed, key=placed_ref)
            answer = await h.post(nowhere)
            events = await h.wait_for(events_topic(agency), lambda rs: report_of(rs, placed_ref) is not None)

            def mine(rs: list[RawRecord]) -> list[bus_pb2.DeadLetter]:
                letters = [read_letter(r) for r in rs]
                return [
                    lt  # type: ignore[misc]
                    for lt in letters
                    if (lt.source_topic, lt.source_partition, lt.source_offset) == (inbox, *position)  # type: ignore[attr-defined]
                ]

            letters = await h.wait_for(f"{agency}.deadletters.v1", lambda rs: bool(mine(rs)))
            return report_of(events, placed_ref), mine(letters)[0], answer

    report, letter, (status, body) = asyncio.run(run())
    assert report is not None
    assert report.location.grid_code == f"{DISTRICT}-002-003-07"
    assert report.location.jurisdiction.district == DISTRICT
    assert report.location.HasField("point")
    assert letter.reason == "intake.bad_location"
    assert "lies in no grid of the layer" in letter.detail
    assert letter.original_value == as_bytes(nowhere)
    assert (status, body["error"]) == (422, "intake.bad_location")
