"""Native numbers and times bounded by the protobuf fields they end up in, and native local times.

JSON has no integer limits and ISO 8601 allows year 1 at +14:00; protobuf refuses a uint32 of
2**32 and a Timestamp before 0001-01-01T00:00:00Z. A native value beyond its canonical field
would pass validation and then crash the mapping, so every int and datetime of a native model
uses one of these types: the bound is read off the field descriptor, refused at validation with
the native field path, and `ProtoBound` marks the field so a test can find any that lacks it.

Native times (`ProtoTime`) follow one rule. A time with a UTC offset is that instant, whatever the
agency's zone. A time without one is refused (`timezone_aware`, as pydantic says it) unless the
agency's code table declares its time zone (table `time`, key `zone`, an IANA name); then it is read
as local time in that zone. A local time the zone skips (a daylight-saving gap: 02:30 on the night
the clocks go forward) or repeats (a fold: 01:30 on the night they go back) names no single instant
and is refused with `intake.nonexistent_time` / `intake.ambiguous_time`, not guessed: RFC 5545 and
Python's fold=0 would take the earlier offset, which is an hour wrong for half of the repeated hour
and would move deadlines and correlation windows without a trace. The adapter passes the zone to
validation in the context (`TIME_ZONE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from annotated_types import Interval
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import AfterValidator, ValidationError, ValidationInfo
from pydantic_core import PydanticCustomError, PydanticKnownError

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


TIME_ZONE = "time_zone"  # validation context key: the agency's declared ZoneInfo, or None
# Validation error types of local times, and the intake reason each is refused with.
LOCAL_TIME_REASONS = {
    "nonexistent_time": "intake.nonexistent_time",
    "ambiguous_time": "intake.ambiguous_time",
}


def local_time(value: datetime, zone: ZoneInfo) -> datetime:
    """A naive local time as an aware one in `zone`; PydanticCustomError when the zone skips it
    (`nonexistent_time`) or repeats it (`ambiguous_time`). The error names the zone, never the time."""
    early, late = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early
    # The offsets differ only at a transition: a time that survives the round trip through UTC
    # exists twice (a fold), one that does not never existed (a gap).
    if early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == value:
        raise PydanticCustomError(
            "ambiguous_time",
            "local time without an offset that occurs twice in {zone} (clocks go back): "
            "send it with its offset",
            {"zone": zone.key},
        )
    raise PydanticCustomError(
        "nonexistent_time",
        "local time without an offset that does not exist in {zone} (clocks go forward): "
        "send it with its offset",
        {"zone": zone.key},
    )


def _zoned(value: datetime, info: ValidationInfo) -> datetime:
    """An offset-carrying time as it is; a naive one in the agency's declared zone, else refused."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    context: Any = info.context
    zone = context.get(TIME_ZONE) if isinstance(context, dict) else None
    if not isinstance(zone, ZoneInfo):
        raise PydanticKnownError("timezone_aware")
    return local_time(value, zone)


def validation_reason(exc: ValidationError) -> str:
    """The intake reason for a validation error: a local-time reason when every error is that one
    kind of local-time refusal, `intake.validation` otherwise."""
    reasons = {LOCAL_TIME_REASONS.get(err["type"], "intake.validation") for err in exc.errors()}
    return reasons.pop() if len(reasons) == 1 else "intake.validation"


_REVISION = ProtoBound.of(common_pb2.Envelope, "source_revision")
_COUNT = ProtoBound.of(agency_events_pb2.IncidentReported, "casualties")
_SATISFACTION = ProtoBound.of(agency_events_pb2.ResolutionVerified, "satisfaction")

# A record's revision becomes Envelope.source_revision; a reply's sequence number is bounded the
# same way (it is that record's revision counter, kept in the source reference).
Revision = Annotated[int, _REVISION.interval, _REVISION]
Count = Annotated[int, _COUNT.interval, _COUNT]  # casualties, patients: uint32
Satisfaction = Annotated[int, _SATISFACTION.interval, _SATISFACTION]
# Any time that becomes a Timestamp (occurred_at): aware (its offset, or the agency's declared zone
# for a naive one), and within the Timestamp range.
ProtoTime = Annotated[
    datetime, AfterValidator(_zoned), AfterValidator(_in_timestamp_range), ProtoBound(TIMESTAMP)
]
