"""Building envelopes and wrapping bodies, so every producer fills them the same way."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from incidentbus.kernel.ids import event_id, traceparent_for
from incidentbus.kernel.schema import SCHEMA_VERSION
from incidentbus.v1 import common_pb2

ACTUAL = common_pb2.EVENT_STATUS_ACTUAL


def timestamp(at: datetime) -> Timestamp:
    """A protobuf Timestamp from an aware datetime (naive ones are refused: no guessing zones)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: event times must carry a zone")
    ts = Timestamp()
    ts.FromDatetime(at.astimezone(UTC))
    return ts


def timestamp_ms(ms: int) -> Timestamp:
    """A Timestamp of epoch milliseconds (what `Timestamp.FromMilliseconds` sets, built in one
    call: the correlator makes several per output)."""
    seconds, millis = divmod(ms, 1000)
    return Timestamp(seconds=seconds, nanos=millis * 1_000_000)


def to_datetime(ts: Timestamp) -> datetime:
    return ts.ToDatetime(tzinfo=UTC)


def new_envelope(
    *,
    event_type: str,
    source: str,
    source_ref: str,
    recorded_at: Timestamp,
    revision: int = 0,
    occurred_at: Timestamp | None = None,
    correlation_id: str = "",
    causation_id: str = "",
    subject: str = "",
    status: int = ACTUAL,
    id_override: str = "",
) -> common_pb2.Envelope:
    """An envelope whose id derives from (source, source_ref, revision, event_type)."""
    eid = id_override or event_id(source, source_ref, revision, event_type)
    env = common_pb2.Envelope(
        event_id=eid,
        event_type=event_type,
        source_agency=source,
        source_ref=source_ref,
        source_revision=revision,
        correlation_id=correlation_id,
        causation_id=causation_id,
        schema_version=SCHEMA_VERSION,
        status=status,  # type: ignore[arg-type]
        subject=subject,
    )
    env.recorded_at.CopyFrom(recorded_at)
    if occurred_at is not None:
        env.occurred_at.CopyFrom(occurred_at)
    env.trace.traceparent = traceparent_for(eid)
    return env


def wrap(wrapper: type[Message], body: Message, envelope: common_pb2.Envelope) -> Message:
    """Put a body into the wrapper's `body` oneof (found by type) with the envelope."""
    full_name = body.DESCRIPTOR.full_name
    for field in wrapper.DESCRIPTOR.oneofs_by_name["body"].fields:
        if field.message_type is not None and field.message_type.full_name == full_name:
            message = wrapper(envelope=envelope)
            getattr(message, field.name).CopyFrom(body)
            return message
    raise ValueError(f"{wrapper.DESCRIPTOR.full_name} cannot carry {full_name}")
