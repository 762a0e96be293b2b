"""The one codec of the bus: protobuf values with CloudEvents binary-mode Kafka headers.

Headers mirror the envelope (`ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_time`,
`ce_subject`, `content-type`, `traceparent`); decoding checks that they agree, so a tampered or
mislabelled record is rejected with a reason instead of being trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message

from incidentbus.kernel.ids import traceparent_for
from incidentbus.kernel.records import Headers, OutgoingRecord, RawRecord
from incidentbus.kernel.schema import Field, event_type_of

M = TypeVar("M", bound=Message)

CONTENT_TYPE = "application/protobuf"
SPEC_VERSION = "1.0"
DATASCHEMA_PREFIX = "urn:incidentbus:schema:"


class DecodeError(Exception):
    """A record that cannot be accepted; `reason` is a stable code, `detail` says exactly why."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Decoded:
    """An accepted record: the message and where it came from."""

    message: Message
    event_type: str
    record: RawRecord

    def as_(self, cls: type[M]) -> M:
        """The message as the type the gate admitted it as. Raises TypeError for another type
        (a wiring fault: the gate was given a different expected type)."""
        if not isinstance(self.message, cls):
            raise TypeError(f"{type(self.message).__name__} where {cls.__name__} was expected")
        return self.message


def source_uri(agency: str) -> str:
    return f"urn:incidentbus:{agency}"


@cache
def _dataschema(full_name: str) -> bytes:
    return (DATASCHEMA_PREFIX + full_name).encode()


_SPEC_VERSION = SPEC_VERSION.encode()
_CONTENT_TYPE = CONTENT_TYPE.encode()


def cloudevents_headers(message: Message) -> Headers:
    """The CloudEvents binary-mode headers for a bus message, derived from its envelope."""
    env = message.envelope  # type: ignore[attr-defined]
    traceparent = env.trace.traceparent or traceparent_for(env.event_id)
    headers = [
        ("ce_specversion", _SPEC_VERSION),
        ("ce_id", env.event_id.encode()),
        ("ce_source", source_uri(env.source_agency).encode()),
        ("ce_type", env.event_type.encode()),
        ("ce_time", env.recorded_at.ToJsonString().encode()),
        ("ce_dataschema", _dataschema(message.DESCRIPTOR.full_name)),
        ("content-type", _CONTENT_TYPE),
        ("traceparent", traceparent.encode()),
    ]
    if env.subject:
        headers.append(("ce_subject", env.subject.encode()))
    if env.trace.tracestate:
        headers.append(("tracestate", env.trace.tracestate.encode()))
    return tuple(headers)


def encode(message: Message, *, topic: str, key: str | bytes | None) -> OutgoingRecord:
    """Serialize deterministically (same message, same bytes) with matching headers."""
    env = message.envelope  # type: ignore[attr-defined]
    if not env.event_id:
        raise ValueError("refusing to encode a message without envelope.event_id")
    if env.event_type != event_type_of(message):
        raise ValueError(f"envelope.event_type {env.event_type!r} != body {event_type_of(message)!r}")
    raw_key = key.encode() if isinstance(key, str) else key
    value = message.SerializeToString(deterministic=True)
    return OutgoingRecord(topic, raw_key, value, cloudevents_headers(message))


def _text_header(record: RawRecord, name: str) -> str | None:
    raw = record.header(name)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError("header.encoding", f"header {name!r} is not UTF-8") from exc


def _check_headers_present(record: RawRecord, expected: type[Message]) -> None:
    content_type = _text_header(record, "content-type")
    if content_type is None:
        raise DecodeError("header.missing_content_type", "no content-type header")
    if content_type != CONTENT_TYPE:
        raise DecodeError("header.content_type", f"content-type {content_type!r}, want {CONTENT_TYPE}")
    spec = _text_header(record, "ce_specversion")
    if spec != SPEC_VERSION:
        raise DecodeError("header.specversion", f"ce_specversion {spec!r}, want {SPEC_VERSION}")
    schema = _text_header(record, "ce_dataschema")
    want = DATASCHEMA_PREFIX + expected.DESCRIPTOR.full_name
    if schema is not None and schema != want:
        raise DecodeError("header.dataschema", f"ce_dataschema {schema!r}, topic carries {want!r}")


def _parse(record: RawRecord, expected: type[Message], max_bytes: int) -> Message:
    if record.value is None:
        raise DecodeError("decode.empty_value", "record has no value (tombstone)")
    if len(record.value) > max_bytes:
        raise DecodeError("decode.oversized", f"{len(record.value)} bytes > limit {max_bytes}")
    message = expected()
    try:
        message.ParseFromString(record.value)
    except (ProtobufDecodeError, RuntimeError, ValueError) as exc:
        raise DecodeError("decode.protobuf", f"not a valid {expected.DESCRIPTOR.full_name}: {exc}") from exc
    return message


def _check_envelope(message: Message, record: RawRecord) -> str:
    if not message.HasField("envelope"):
        raise DecodeError("envelope.missing", "message has no envelope")
    env = message.envelope  # type: ignore[attr-defined]
    if not env.event_id:
        raise DecodeError("envelope.missing_id", "envelope.event_id is empty")
    if not env.HasField("recorded_at"):
        raise DecodeError("envelope.missing_recorded_at", "envelope.recorded_at is not set")
    body_type = event_type_of(message)
    if not body_type:
        raise DecodeError("envelope.no_body", "no event body is set")
    if env.event_type != body_type:
        raise DecodeError(
            "envelope.type_mismatch", f"envelope says {env.event_type!r}, body is {body_type!r}"
        )
    if _text_header(record, "ce_type") != body_type:
        raise DecodeError("header.type_mismatch", f"ce_type does not match body {body_type!r}")
    if _text_header(record, "ce_id") != env.event_id:
        raise DecodeError("header.id_mismatch", "ce_id does not match envelope.event_id")
    return body_type


def _undefined_enum(field: Field, value: Any) -> bool:
    enum = field.enum_type
    values = value if field.is_repeated else [value]
    return enum is not None and any(enum.values_by_number.get(v) is None for v in values)


def _submessages(field: Field, value: Any) -> list[Message]:
    message_type = field.message_type
    if message_type is None or message_type.GetOptions().map_entry or not _holds_enums(message_type):
        return []
    return list(value) if field.is_repeated else [value]


@cache
def _holds_enums(descriptor: Any) -> bool:
    """Whether a message type has an enum field, itself or in a message field (the walk below
    skips the rest: most of a record is strings and timestamps)."""
    seen, stack = {descriptor}, [descriptor]
    while stack:
        for field in stack.pop().fields:
            if field.enum_type is not None:
                return True
            child = field.message_type
            if child is not None and child not in seen:
                seen.add(child)
                stack.append(child)
    return False


def unknown_enum_paths(message: Message, prefix: str = "") -> list[str]:
    """Paths of enum fields holding numbers the schema does not define (open enums keep them)."""
    found: list[str] = []
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        if _undefined_enum(field, value):
            found.append(path)
        for child in _submessages(field, value):
            found.extend(unknown_enum_paths(child, f"{path}."))
    return found


def decode(record: RawRecord, expected: type[Message], *, max_bytes: int = 1_000_000) -> Decoded:
    """Parse and check a record; raise DecodeError with a precise reason when it is not acceptable."""
    _check_headers_present(record, expected)
    message = _parse(record, expected, max_bytes)
    event_type = _check_envelope(message, record)
    unknown = unknown_enum_paths(message)
    if unknown:
        raise DecodeError("schema.unknown_enum", f"undefined enum values at {', '.join(unknown)}")
    return Decoded(message, event_type, record)
