"""Sample bus messages: one realistic report, and every event type with every field filled.

Used by `incidentbus sample` and by the round-trip tests, so the fillers are deterministic.
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from incidentbus.kernel.envelope import new_envelope, timestamp, wrap
from incidentbus.kernel.schema import Field, all_event_types, message_class
from incidentbus.v1 import agency_events_pb2, common_pb2

SAMPLE_TIME = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)

_SCALARS: dict[int, object] = {
    FieldDescriptor.TYPE_STRING: "text",
    FieldDescriptor.TYPE_BYTES: b"\x00\x01bytes",
    FieldDescriptor.TYPE_BOOL: True,
    FieldDescriptor.TYPE_DOUBLE: 31.2304,
    FieldDescriptor.TYPE_FLOAT: 1.5,
    FieldDescriptor.TYPE_INT32: -7,
    FieldDescriptor.TYPE_INT64: 1234567890123,
    FieldDescriptor.TYPE_UINT32: 7,
    FieldDescriptor.TYPE_UINT64: 42,
}


def _scalar(field: Field) -> object:
    if field.enum_type is not None:
        return field.enum_type.values[-1].number  # the last defined value, never 0
    if field.type == FieldDescriptor.TYPE_STRING:
        return f"{field.name}-値"  # non-ASCII on purpose: UTF-8 must survive the round trip
    return _SCALARS[field.type]


def fill(message: Message, depth: int = 0) -> Message:
    """Set every field of a message (one element for repeated, one entry for maps)."""
    for field in message.DESCRIPTOR.fields:
        if field.containing_oneof is not None:
            continue
        _fill_field(message, field, depth)
    return message


def _fill_field(message: Message, field: Field, depth: int) -> None:
    message_type = field.message_type
    if message_type is not None and message_type.GetOptions().map_entry:
        getattr(message, field.name)["key"] = "value"
    elif message_type is not None:
        if depth > 4:
            return
        target = getattr(message, field.name)
        child = target.add() if field.is_repeated else target
        if message_type.full_name == "google.protobuf.Timestamp":
            child.CopyFrom(timestamp(SAMPLE_TIME))
        else:
            fill(child, depth + 1)
    elif field.is_repeated:
        getattr(message, field.name).append(_scalar(field))
    else:
        setattr(message, field.name, _scalar(field))


def envelope_for(event_type: str, source: str = "police", ref: str = "SAMPLE-1") -> common_pb2.Envelope:
    return new_envelope(
        event_type=event_type,
        source=source,
        source_ref=ref,
        recorded_at=timestamp(SAMPLE_TIME),
        occurred_at=timestamp(SAMPLE_TIME),
        subject=ref,
    )


def every_event() -> list[Message]:
    """One wire message per event type on the bus, every field filled."""
    messages: list[Message] = []
    for event_type, wrapper in sorted(all_event_types().items()):
        envelope = envelope_for(event_type, ref=f"SAMPLE-{event_type.rsplit('.', 1)[-1]}")
        if event_type == wrapper.DESCRIPTOR.full_name:
            message = fill(wrapper())
            message.envelope.CopyFrom(envelope)  # type: ignore[attr-defined]
        else:
            message = wrap(wrapper, fill(message_class(event_type)()), envelope)
        messages.append(message)
    return messages


def sample_report(ref: str = "CAD-2026-000123") -> agency_events_pb2.AgencyEvent:
    """A realistic police report of a road accident, as the police service would publish it."""
    report = agency_events_pb2.IncidentReported(
        category=common_pb2.CATEGORY_TRAFFIC,
        incident_type="traffic.collision",
        severity=common_pb2.SEVERITY_MAJOR,
        description="Two cars collided at the junction; one driver hurt, lane blocked.",
        casualties=1,
        native_codes={"police.type": "TA2", "police.priority": "P1"},
        reporter=agency_events_pb2.Reporter(role="citizen"),
    )
    report.location.grid_code = "310101-002-003-07"
    report.location.address = "Renmin Rd / Xizang Rd junction"
    report.location.jurisdiction.CopyFrom(
        common_pb2.JurisdictionPath(
            city="310000",
            district="310101",
            street="310101-002",
            community="310101-002-003",
            grid="310101-002-003-07",
        )
    )
    report.location.point.CopyFrom(common_pb2.GeoPoint(latitude=31.2304, longitude=121.4737))
    envelope = envelope_for(agency_events_pb2.IncidentReported.DESCRIPTOR.full_name, "police", ref)
    return wrap(agency_events_pb2.AgencyEvent, report, envelope)  # type: ignore[return-value]
