"""Every agency service on the real broker: native in -> canonical out, dispatch -> native outbox,
malformed input -> dead letters, duplicate delivery -> one event, HTTP answers."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from incidentbus.agencies.pipeline import events_topic, inbox_topic, outbox_topic
from incidentbus.devtools.samples import SAMPLE_TIME
from incidentbus.kernel.codec import decode
from incidentbus.kernel.envelope import new_envelope, timestamp, wrap
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2, bus_pb2, common_pb2
from tests.integration.agencies.harness import AgencyHarness, as_bytes
from tests.integration.agencies.samples import SAMPLES
from tests.integration.letters import read_letter

AGENCIES = sorted(SAMPLES)


def events_with_ref(records: list[RawRecord], ref: str) -> list[agency_events_pb2.AgencyEvent]:
    events = [decode(r, agency_events_pb2.AgencyEvent).message for r in records]
    return [e for e in events if e.envelope.source_ref == ref]  # type: ignore[attr-defined]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("agency", AGENCIES)
def test_native_report_becomes_a_canonical_event(applied: BusSettings, agency: str) -> None:
    samples, ref = SAMPLES[agency], unique("R")

    async def run() -> tuple[agency_events_pb2.AgencyEvent, int]:
        async with AgencyHarness(applied, agency) as h:
            await h.send_inbox(samples.report(ref), key=ref)
            records = await h.wait_for(events_topic(agency), lambda rs: bool(events_with_ref(rs, ref)))
            inbox = await h.wait_for(inbox_topic(agency), lambda rs: any(r.key == ref.encode() for r in rs))
        return events_with_ref(records, ref)[0], next(r.timestamp_ms for r in inbox if r.key == ref.encode())

    event, logged_at = asyncio.run(run())
    report = event.incident_reported
    want = samples.expected
    assert event.envelope.source_agency == agency
    assert event.envelope.recorded_at.ToMilliseconds() == logged_at  # the bus's time, not the agency's
    assert report.incident_type == want["incident_type"]
    assert report.category == want["category"]
    assert report.severity == want["severity"]
    assert report.location.grid_code == want["grid"]
    assert report.location.jurisdiction.grid == want["grid"]
    for name in ("casualties", "patient_count"):
        if name in want:
            assert getattr(report, name) == want[name]


@pytest.mark.parametrize("agency", AGENCIES)
def test_native_reply_references_its_task_and_case(applied: BusSettings, agency: str) -> None:
    samples, task, case = SAMPLES[agency], unique("task"), unique("case")

    async def run() -> list[agency_events_pb2.AgencyEvent]:
        async with AgencyHarness(applied, agency) as h:
            await h.send_inbox(samples.reply(task, case), key=task)
            records = await h.wait_for(
                events_topic(agency), lambda rs: any(r.header("ce_subject") == task.encode() for r in rs)
            )
        return [
            decode(r, agency_events_pb2.AgencyEvent).message
            for r in records
            if r.header("ce_subject") == task.encode()
        ]  # type: ignore[misc]

    [event] = asyncio.run(run())
    assert event.WhichOneof("body") == samples.reply_body
    body = getattr(event, samples.reply_body)
    assert body.case_id == case
    assert getattr(body, "task_id", task) == task


def dispatch_command(agency: str, task: str, case: str) -> bus_pb2.TaskCommand:
    body = bus_pb2.DispatchTask(
        task_id=task,
        case_id=case,
        agency=agency,
        category=common_pb2.CATEGORY_TRAFFIC,
        incident_type="traffic.collision_injury",
        severity=common_pb2.SEVERITY_MAJOR,
        description="Collision with injury",
        priority=2,
    )
    body.location.grid_code = "310101-002-003-07"
    body.deadlines.add(kind=common_pb2.DEADLINE_KIND_ACKNOWLEDGE, due_at=timestamp(SAMPLE_TIME))
    envelope = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source="correlator",
        source_ref=task,
        recorded_at=timestamp(SAMPLE_TIME),
        subject=task,
        correlation_id=case,
    )
    return wrap(bus_pb2.TaskCommand, body, envelope)  # type: ignore[return-value]


@pytest.mark.parametrize("agency", AGENCIES)
def test_dispatched_task_reaches_the_native_outbox_once_per_command(
    applied: BusSettings, agency: str
) -> None:
    samples, task, case = SAMPLES[agency], unique("task"), unique("case")
    command = dispatch_command(agency, task, case)

    async def run() -> list[RawRecord]:
        async with AgencyHarness(applied, agency) as h:
            await h.send_command(command)
            await h.send_command(command)  # redelivered command: same output bytes
            return await h.wait_for(
                outbox_topic(agency), lambda rs: sum(r.key == task.encode() for r in rs) >= 2
            )

    mine = [r for r in asyncio.run(run()) if r.key == task.encode()]
    assert len({r.value for r in mine}) == 1
    native = json.loads(mine[0].value or b"")
    task_key, case_key = samples.outbox_ids
    assert (native[task_key], native[case_key]) == (task, case)
    assert mine[0].header("content-type") == b"application/json"


@pytest.mark.parametrize("agency", AGENCIES)
def test_malformed_input_goes_to_dead_letters_with_reason_and_bytes(
    applied: BusSettings, agency: str
) -> None:
    samples = SAMPLES[agency]
    inbox = applied.topic(inbox_topic(agency))

    async def run() -> list[bus_pb2.DeadLetter]:
        async with AgencyHarness(applied, agency) as h:
            positions = [await h.send_inbox(bad, key=unique("bad")) for bad, _ in samples.bad]
            ok_ref = unique("R-OK")
            await h.send_inbox(samples.report(ok_ref), key=ok_ref)  # the service keeps going
            await h.wait_for(events_topic(agency), lambda rs: bool(events_with_ref(rs, ok_ref)))

            def mine(rs: list[RawRecord]) -> dict[tuple[int, int], bus_pb2.DeadLetter]:
                letters = [read_letter(r) for r in rs]
                return {
                    (lt.source_partition, lt.source_offset): lt
                    for lt in letters  # type: ignore[attr-defined]
                    if lt.source_topic == inbox
                }  # type: ignore[attr-defined]

            letters_topic = f"{agency}.deadletters.v1"  # the agency service's own dead-letter topic
            records = await h.wait_for(letters_topic, lambda rs: set(positions) <= set(mine(rs)))
            found = mine(records)
            return [found[p] for p in positions]

    letters = asyncio.run(run())
    assert [lt.reason for lt in letters] == [reason for _, reason in samples.bad]
    for letter, (bad, _) in zip(letters, samples.bad, strict=True):
        assert letter.original_value == as_bytes(bad)
        assert letter.rejected_by == agency
        assert letter.detail


@pytest.mark.parametrize("agency", AGENCIES)
def test_duplicate_delivery_yields_one_event(applied: BusSettings, agency: str) -> None:
    samples, ref, sentinel = SAMPLES[agency], unique("R-DUP"), unique("R-SENT")

    async def run() -> list[agency_events_pb2.AgencyEvent]:
        async with AgencyHarness(applied, agency) as h:
            await h.send_inbox(samples.report(ref), key=ref)
            await h.send_inbox(samples.report(ref), key=ref)
            await h.send_inbox(samples.report(sentinel), key=ref)  # same partition, processed after both
            records = await h.wait_for(events_topic(agency), lambda rs: bool(events_with_ref(rs, sentinel)))
        return events_with_ref(records, ref)

    assert len(asyncio.run(run())) == 1


@pytest.mark.parametrize("agency", AGENCIES)
def test_http_endpoint_accepts_and_refuses_with_clear_answers(applied: BusSettings, agency: str) -> None:
    samples, ref = SAMPLES[agency], unique("R-HTTP")
    bad, reason = samples.bad[-2]

    async def run() -> tuple[
        tuple[int, dict[str, str]], tuple[int, dict[str, str]], list[agency_events_pb2.AgencyEvent]
    ]:
        async with AgencyHarness(applied, agency) as h:
            good = await h.post(samples.report(ref))
            refused = await h.post(bad)
            records = await h.wait_for(events_topic(agency), lambda rs: bool(events_with_ref(rs, ref)))
        return good, refused, events_with_ref(records, ref)

    (good_status, good_body), (bad_status, bad_body), events = asyncio.run(run())
    assert good_status == 202
    assert good_body["event_id"] == events[0].envelope.event_id
    assert bad_status in (400, 413, 422)
    assert bad_body["error"] == reason
    assert "Traceback" not in json.dumps(bad_body)
