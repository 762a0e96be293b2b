"""Dead letters: a rejected record kept whole, with its reason, so nothing is ever lost."""

from __future__ import annotations

import hashlib

from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.envelope import new_envelope, timestamp_ms
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2

DEAD_LETTER_TOPIC = "bus.deadletters.v1"
DEAD_LETTER_TYPE = bus_pb2.DeadLetter.DESCRIPTOR.full_name


def _position(record: RawRecord) -> str:
    """Where the record came from; records without a log position (HTTP) are named by content."""
    if record.offset >= 0:
        return f"{record.topic}/{record.partition}/{record.offset}"
    digest = hashlib.sha256(record.value or b"").hexdigest()[:32]
    return f"{record.topic}/http/{digest}"


def dead_letter(
    record: RawRecord, *, reason: str, detail: str, phase: str, rejected_by: str
) -> bus_pb2.DeadLetter:
    """The DeadLetter for a record. Same record, same reason: same id and bytes."""
    position = _position(record)
    envelope = new_envelope(
        event_type=DEAD_LETTER_TYPE,
        source=rejected_by,
        source_ref=position,
        recorded_at=timestamp_ms(record.timestamp_ms),
        subject=record.topic,
        id_override=stable_id("deadletter", rejected_by, position, reason),
    )
    return bus_pb2.DeadLetter(
        envelope=envelope,
        reason=reason,
        detail=detail[:2000],
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        original_key=record.key or b"",
        original_value=record.value or b"",
        original_headers=[bus_pb2.Header(key=k, value=v) for k, v in record.headers],
        rejected_by=rejected_by,
        phase=phase,
    )


def dead_letter_record(letter: bus_pb2.DeadLetter, settings: BusSettings) -> OutgoingRecord:
    """The record to produce on the dead-letter topic, keyed by the source topic."""
    return encode(letter, topic=settings.topic(DEAD_LETTER_TOPIC), key=letter.source_topic)


# A dead letter wraps a whole original, which may itself be over the services' limit.
DEAD_LETTER_MAX_BYTES = 8 * 1024 * 1024


def decode_dead_letter(record: RawRecord) -> bus_pb2.DeadLetter:
    """Read a record of the dead-letter topic (DecodeError if it is not one)."""
    letter: bus_pb2.DeadLetter = decode(record, bus_pb2.DeadLetter, max_bytes=DEAD_LETTER_MAX_BYTES).message  # type: ignore[assignment]
    return letter
