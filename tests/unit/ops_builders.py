"""Realistic case histories for the operator tools' tests, made by the correlator's pure core."""

from __future__ import annotations

from google.protobuf.message import Message

from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.kernel.codec import encode
from incidentbus.kernel.records import RawRecord
from incidentbus.v1 import case_events_pb2
from tests.unit.correlator.builders import MIN, T0, Feed
from tests.unit.correlator.conftest import Run

CASE_EVENTS = "case.events.v1"


def accident_reports(feed: Feed) -> list[Input]:
    """A collision with an injury reported by the police, then the same scene by the 120 centre."""
    return [
        feed.report("police", "traffic.collision_injury", T0, casualties=1),
        feed.report("health", "medical.injury", T0 + MIN, casualties=2),
    ]


def from_source(item: Input, topic: str, partition: int, offset: int) -> Input:
    """The same input, as if its agency had published it at that position."""
    return Input(item.event, item.at, Position(topic, partition, offset))


def closed_loop(run: Run, reports: list[Input]) -> str:
    """Open a case from the reports, miss the acknowledge deadline once (escalation), then work
    every task to completion and verify: the case closes. Returns the case id."""
    f = run.feed
    for report in reports:
        run(report)
    case_id = run.only_case().case_id
    run(f.tick(T0 + 12 * MIN))
    at = T0 + 13 * MIN
    for task in run.only_case().active_tasks():
        for kind in ("ack", "dispatched", "arrived"):
            at += MIN
            run(f.reply(task.agency, kind, task.task_id, case_id, at))
    for task in run.only_case().active_tasks():
        at += MIN
        run(f.reply(task.agency, "complete", task.task_id, case_id, at, disposition=1))
    run(f.verification(case_id, run.only_case().verification_id, at + 10 * MIN))
    assert run.only_case().status == "CLOSED"
    return case_id


def case_events(run: Run, case_id: str | None = None) -> list[case_events_pb2.CaseEvent]:
    return run.events(case_id)  # type: ignore[return-value]


def records(
    messages: list[case_events_pb2.CaseEvent], *, topic: str = CASE_EVENTS, partition: int = 0, start: int = 0
) -> list[RawRecord]:
    """Case events as the correlator writes them (keyed by case id), at consecutive offsets."""
    return [as_record(m, topic, partition, start + n) for n, m in enumerate(messages)]


def as_record(message: Message, topic: str, partition: int, offset: int, key: str | None = None) -> RawRecord:
    out = encode(message, topic=topic, key=key if key is not None else message.case_id)  # type: ignore[attr-defined]
    return RawRecord(topic, partition, offset, 0, out.key, out.value, out.headers)


def altered(event: case_events_pb2.CaseEvent) -> case_events_pb2.CaseEvent:
    """A copy with a body field changed and the old hash kept: what a forger would write."""
    copy = case_events_pb2.CaseEvent()
    copy.CopyFrom(event)
    body = copy.WhichOneof("body")
    if body == "task_assigned":
        copy.task_assigned.agency = "urban" if copy.task_assigned.agency != "urban" else "police"
    else:
        copy.actor = copy.actor + "-edited"
    return copy
