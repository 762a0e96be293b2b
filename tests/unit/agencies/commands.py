"""Canonical task commands for the adapters' render_task tests (built like the correlator does)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message

from incidentbus.kernel.envelope import new_envelope, timestamp, wrap
from incidentbus.v1 import bus_pb2, case_events_pb2, common_pb2

AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
GRID = "310101-002-003-07"
ACTUAL = common_pb2.EVENT_STATUS_ACTUAL


def command(body: Message, subject: str = "task-9", status: int = ACTUAL) -> bus_pb2.TaskCommand:
    """A command as the correlator sends it; `status` is the case's (EXERCISE for a drill case)."""
    envelope = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source="correlator",
        source_ref=subject,
        recorded_at=timestamp(AT),
        subject=subject,
        correlation_id="case-9",
        status=status,
    )
    return wrap(bus_pb2.TaskCommand, body, envelope)  # type: ignore[return-value]


def dispatch(
    agency: str,
    incident_type: str,
    severity: common_pb2.Severity = common_pb2.SEVERITY_MAJOR,
    *,
    point: tuple[float, float] | None = None,
    status: int = ACTUAL,
) -> bus_pb2.TaskCommand:
    """A lead task with acknowledge and resolve deadlines, at GRID."""
    task = bus_pb2.DispatchTask(
        task_id="task-9",
        case_id="case-9",
        agency=agency,
        role=case_events_pb2.TASK_ROLE_LEAD,
        incident_type=incident_type,
        severity=severity,
        description="see the case",
    )
    task.location.grid_code = GRID
    task.location.address = "No. 5 Lane 100"
    if point is not None:
        task.location.point.latitude, task.location.point.longitude = point
    task.deadlines.add(kind=common_pb2.DEADLINE_KIND_ACKNOWLEDGE, due_at=timestamp(AT))
    task.deadlines.add(kind=common_pb2.DEADLINE_KIND_RESOLVE, due_at=timestamp(AT.replace(hour=12)))
    return command(task, status=status)


DEADLINES = {"acknowledge": "2026-11-25T08:30:00Z", "resolve": "2026-11-25T12:30:00Z"}


def cancel(status: int = ACTUAL) -> bus_pb2.TaskCommand:
    return command(bus_pb2.CancelTask(task_id="task-9", case_id="case-9", reason="merged"), status=status)


def request_verification(
    *, due: bool = True, point: tuple[float, float] | None = None, status: int = ACTUAL
) -> bus_pb2.TaskCommand:
    body = bus_pb2.RequestVerification(verification_id="ver-9", case_id="case-9", summary="cover replaced")
    body.location.grid_code = GRID
    body.location.address = "No. 5 Lane 100"
    if point is not None:
        body.location.point.latitude, body.location.point.longitude = point
    if due:
        body.due_at.CopyFrom(timestamp(AT.replace(day=27)))
    return command(body, subject="ver-9", status=status)
