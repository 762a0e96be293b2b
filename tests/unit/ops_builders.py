"""Case histories for the operator tools' tests: realistic ones made by the correlator's pure core,
and hand-written ones (`History`) stating exactly what the read model is to judge."""

from __future__ import annotations

from typing import Any

from google.protobuf.message import Message

from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.kernel.codec import encode
from incidentbus.kernel.envelope import timestamp_ms
from incidentbus.kernel.records import RawRecord
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2, common_pb2
from tests.unit.correlator.builders import GRID, MIN, T0, Feed
from tests.unit.correlator.conftest import Run

CASE_EVENTS = "case.events.v1"
ACK, ARRIVE = common_pb2.DEADLINE_KIND_ACKNOWLEDGE, common_pb2.DEADLINE_KIND_ARRIVE


def accident_reports(feed: Feed) -> list[Input]:
    """A collision with an injury reported by the police, then the same scene by the 120 centre."""
    return [
        feed.report("police", "traffic.collision_injury", T0, casualties=1),
        feed.report("health", "medical.injury", T0 + MIN, casualties=2),
    ]


def from_source(item: Input, topic: str, partition: int, offset: int) -> Input:
    """The same input, as if its agency had published it at that position."""
    return Input(item.event, item.at, Position(topic, partition, offset), item.publisher)


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


# -- case histories written by hand, for the read model ------------------------------------------


class History:
    """One case's events in order, numbered as the correlator numbers them."""

    def __init__(
        self, model: ReadModel, case_id: str = "C-310101-a", status: int = common_pb2.EVENT_STATUS_ACTUAL
    ) -> None:
        self.model, self.case_id, self.status, self.sequence = model, case_id, status, 0

    def __call__(self, at: int, **body: Any) -> None:
        self.sequence += 1
        event = case_events_pb2.CaseEvent(case_id=self.case_id, sequence=self.sequence, **body)
        event.envelope.recorded_at.CopyFrom(timestamp_ms(at))
        event.envelope.status = self.status  # type: ignore[assignment]
        self.model.apply_event(event)

    def task(self, n: int) -> str:
        return f"{self.case_id}/t{n}"

    def opened(self, grid: str = GRID) -> None:
        location = common_pb2.Location(grid_code=grid)
        location.jurisdiction.district = grid[:6]
        self(T0, case_opened=case_events_pb2.CaseOpened(location=location))

    def assigned(self, n: int, agency: str, ack_due: int, at: int = T0) -> None:
        deadlines = [deadline(ACK, self.task(n), ack_due), deadline(ARRIVE, self.task(n), ack_due + 20 * MIN)]
        self(
            at,
            task_assigned=case_events_pb2.TaskAssigned(
                task_id=self.task(n), agency=agency, deadlines=deadlines
            ),
        )

    def replied(self, n: int, status: int, logged: int, reported: int | None) -> None:
        """The case event logged at `logged` for an agency reply the bus recorded at `reported`."""
        body = case_events_pb2.TaskStatusChanged(task_id=self.task(n), status=status)  # type: ignore[arg-type]
        if reported is not None:
            body.reported_at.CopyFrom(timestamp_ms(reported))
        self(logged, task_status_changed=body)

    def escalated(self, n: int, at: int, ack_due: int) -> None:
        body = case_events_pb2.CaseEscalated(
            missed=ACK, task_id=self.task(n), rescheduled=[deadline(ACK, self.task(n), ack_due)]
        )
        self(at, case_escalated=body)


def deadline(kind: int, task_id: str, due: int) -> common_pb2.Deadline:
    d = common_pb2.Deadline(kind=kind, task_id=task_id)  # type: ignore[arg-type]
    d.due_at.CopyFrom(timestamp_ms(due))
    return d
