"""The gate every consumed record passes: decoded and checked, or turned into a dead letter.

Pure: it decides, the shell produces. Kafka Streams calls this the deserialization handler;
here a failed record is never skipped silently, it becomes a DeadLetter with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message

from incidentbus.kernel.codec import Decoded, DecodeError, decode
from incidentbus.kernel.deadletter import dead_letter
from incidentbus.kernel.records import RawRecord
from incidentbus.v1 import bus_pb2


@dataclass(frozen=True)
class Rejected:
    """A record the gate refused, and the dead letter that keeps it."""

    letter: bus_pb2.DeadLetter

    @property
    def reason(self) -> str:
        return self.letter.reason


def admit(
    record: RawRecord, expected: type[Message], *, rejected_by: str, max_bytes: int
) -> Decoded | Rejected:
    """Decode a record of a protobuf topic, or reject it with the exact reason."""
    try:
        return decode(record, expected, max_bytes=max_bytes)
    except DecodeError as exc:
        return Rejected(
            dead_letter(record, reason=exc.reason, detail=exc.detail, phase="decode", rejected_by=rejected_by)
        )


def reject(record: RawRecord, *, reason: str, detail: str, phase: str, rejected_by: str) -> Rejected:
    """Reject a record for a reason found after decoding (validation, mapping, processing)."""
    return Rejected(dead_letter(record, reason=reason, detail=detail, phase=phase, rejected_by=rejected_by))
