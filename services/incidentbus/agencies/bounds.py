"""Native numbers and times bounded by the protobuf fields they end up in.

JSON has no integer limits and ISO 8601 allows year 1 at +14:00; protobuf refuses a uint32 of
2**32 and a Timestamp before 0001-01-01T00:00:00Z. A native value beyond its canonical field
would pass validation and then crash the mapping, so every int and datetime of a native model
uses one of these types: the bound is read off the field descriptor, refused at validation with
the native field path, and `ProtoBound` marks the field so a test can find any that lacks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from annotated_types import Interval
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import AfterValidator, AwareDatetime

from incidentbus.v1 import agency_events_pb2, common_pb2

_INT_RANGES = {
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
}
# google.protobuf.Timestamp's documented range, 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z
TIMESTAMP_MIN = datetime(1, 1, 1, tzinfo=UTC)
TIMESTAMP_MAX = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
TIMESTAMP = Timestamp.DESCRIPTOR.full_name


@dataclass(frozen=True)
class ProtoBound:
    """Marks a native field as bounded by a canonical protobuf field (its full name)."""

    field: str
    interval: Interval | None = None

    @classmethod
    def of(cls, message: type[Message], name: str) -> ProtoBound:
        """The bound of an integer field; KeyError for a field that is not an integer."""
        field = message.DESCRIPTOR.fields_by_name[name]
        if field.type not in _INT_RANGES:
            raise KeyError(f"{field.full_name} is not an integer field")
        low, high = _INT_RANGES[field.type]
        return cls(field.full_name, Interval(ge=low, le=high))


def _in_timestamp_range(value: datetime) -> datetime:
    """Refuse a time a protobuf Timestamp cannot hold (the message names no value: privacy)."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:  # year 1 at +14:00 is before year 1 in UTC
        utc = None
    if utc is None or not TIMESTAMP_MIN <= utc <= TIMESTAMP_MAX:
        raise ValueError("outside the protobuf Timestamp range 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z")
    return value


_REVISION = ProtoBound.of(common_pb2.Envelope, "source_revision")
_COUNT = ProtoBound.of(agency_events_pb2.IncidentReported, "casualties")
_SATISFACTION = ProtoBound.of(agency_events_pb2.ResolutionVerified, "satisfaction")

# A record's revision becomes Envelope.source_revision; a reply's sequence number is bounded the
# same way (it is that record's revision counter, kept in the source reference).
Revision = Annotated[int, _REVISION.interval, _REVISION]
Count = Annotated[int, _COUNT.interval, _COUNT]  # casualties, patients: uint32
Satisfaction = Annotated[int, _SATISFACTION.interval, _SATISFACTION]
# Any time that becomes a Timestamp (occurred_at): aware, and within the Timestamp range.
ProtoTime = Annotated[AwareDatetime, AfterValidator(_in_timestamp_range), ProtoBound(TIMESTAMP)]
