"""The closed loop's last step on the real broker (回访): the bus asks the grid worker to verify a
resolution on community.dispatch.v1, the request reaches the grid app on community.outbox.v1,
and the worker's answer comes back as ResolutionVerified or ResolutionDisputed."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any, cast

from incidentbus.agencies.pipeline import events_topic, outbox_topic
from incidentbus.devtools.samples import SAMPLE_TIME
from incidentbus.kernel.codec import decode
from incidentbus.kernel.envelope import new_envelope, timestamp, wrap
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2, bus_pb2
from tests.integration.agencies.harness import AgencyHarness

AGENCY = "community"
GRID = "310101-002-003-07"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def verification_command(verification_id: str, case_id: str) -> bus_pb2.TaskCommand:
    body = bus_pb2.RequestVerification(
        verification_id=verification_id, case_id=case_id, summary="manhole cover replaced"
    )
    body.location.grid_code = GRID
    body.location.address = "outside No. 5 Lane 100"
    body.due_at.CopyFrom(timestamp(SAMPLE_TIME + timedelta(days=2)))
    envelope = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source="correlator",
        source_ref=verification_id,
        recorded_at=timestamp(SAMPLE_TIME),
        subject=verification_id,
        correlation_id=case_id,
    )
    return wrap(bus_pb2.TaskCommand, body, envelope)  # type: ignore[return-value]


def answer(verification_id: str, case_id: str, result: str, score: int, comment: str) -> dict[str, Any]:
    """The grid worker's native answer, as the grid app sends it to community.inbox.v1."""
    return {
        "report_kind": "verification",
        "verification_id": verification_id,
        "case_id": case_id,
        "result": result,
        "score": score,
        "comment": comment,
        "worker_id": "GW-0007",
        "answered_at": "2026-11-25T09:00:00+08:00",
    }


def events_for(records: list[RawRecord], ref: str) -> list[agency_events_pb2.AgencyEvent]:
    events = [
        cast(agency_events_pb2.AgencyEvent, decode(r, agency_events_pb2.AgencyEvent).message) for r in records
    ]
    return [e for e in events if e.envelope.source_ref == ref]


def test_verification_request_reaches_the_grid_worker(applied: BusSettings) -> None:
    verification, case = unique("ver"), unique("case")

    async def run() -> list[RawRecord]:
        async with AgencyHarness(applied, AGENCY) as h:
            await h.send_command(verification_command(verification, case))
            return await h.wait_for(
                outbox_topic(AGENCY), lambda rs: any(r.key == verification.encode() for r in rs)
            )

    [record] = [r for r in asyncio.run(run()) if r.key == verification.encode()]
    assert record.header("content-type") == b"application/json"
    assert json.loads(record.value or b"") == {
        "push_kind": "verification_request",
        "verification_id": verification,
        "case_id": case,
        "grid": GRID,
        "address": "outside No. 5 Lane 100",
        "summary": "manhole cover replaced",
        "due": "2026-11-27T08:30:00Z",
    }


def test_the_grid_workers_answer_verifies_or_disputes_the_resolution(applied: BusSettings) -> None:
    case, satisfied, unsatisfied = unique("case"), unique("ver-ok"), unique("ver-no")

    async def run() -> list[RawRecord]:
        async with AgencyHarness(applied, AGENCY) as h:
            await h.send_inbox(answer(satisfied, case, "satisfied", 5, "fixed, thanks"), key=satisfied)
            await h.send_inbox(answer(unsatisfied, case, "unsatisfied", 1, "still open"), key=unsatisfied)
            return await h.wait_for(
                events_topic(AGENCY),
                lambda rs: bool(events_for(rs, satisfied)) and bool(events_for(rs, unsatisfied)),
            )

    records = asyncio.run(run())
    [verified], [disputed] = events_for(records, satisfied), events_for(records, unsatisfied)

    assert verified.WhichOneof("body") == "resolution_verified"
    assert verified.envelope.source_agency == AGENCY
    assert verified.envelope.correlation_id == case
    body = verified.resolution_verified
    assert (body.case_id, body.verification_id) == (case, satisfied)
    assert (body.verified_by, body.satisfaction, body.comment) == ("GW-0007", 5, "fixed, thanks")

    assert disputed.WhichOneof("body") == "resolution_disputed"
    assert disputed.envelope.correlation_id == case
    reopened = disputed.resolution_disputed
    assert (reopened.case_id, reopened.verification_id) == (case, unsatisfied)
    assert (reopened.disputed_by, reopened.reason) == ("GW-0007", "still open")
