"""Dead letters: a rejected record kept whole, with its reason, so nothing is ever lost.

Each writer has a dead-letter topic of its own (`police.deadletters.v1` for the police service,
`correlator.deadletters.v1` for the correlator: the catalog's topics whose value is
`DeadLetter`, one producer each). The letter's `rejected_by` names the writer and chooses the
topic, so no shell names a dead-letter topic itself. Why per writer: a letter names the topic
its record came from, and `dlq redrive` writes the record back there. A field inside the letter
is only the writer's claim; the topic a letter was read from is a fact the broker's ACLs
guarantee (only its one producer may write it), so the redrive can hold every letter to what
its writer could have written itself (`incidentbus.ops.redrive`).

A refused record may hold personal data anywhere (a caller's name in a report refused for an
unknown code), so the original's value and headers are sealed with the writer's field keys before
the letter leaves (`seal_letter`, the keyring and rotation of kernel/sealing.py); only where the
keys are held does `open_letter` give them back (`dlq show`, `dlq redrive`).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from google.protobuf.message import DecodeError

from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.envelope import new_envelope, timestamp_ms
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.sealing import Keyring, SealingError, field_keyring, open_bytes, seal_bytes
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2

DEAD_LETTER_TYPE = bus_pb2.DeadLetter.DESCRIPTOR.full_name


def _position(record: RawRecord) -> str:
    """Where the record came from; records without a log position (HTTP) are named by content:
    the body and the headers (which say, for a gateway, the route and who posted)."""
    if record.offset >= 0:
        return f"{record.topic}/{record.partition}/{record.offset}"
    content = hashlib.sha256(record.value or b"")
    for key, value in record.headers:
        content.update(b"\0" + key.encode() + b"\0" + value)
    return f"{record.topic}/http/{content.hexdigest()[:32]}"


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


@cache
def _catalog(path: Path) -> Catalog:
    return load_catalog(path)


def dead_letter_topic(writer: str, settings: BusSettings) -> str:
    """The physical dead-letter topic of a writer (a letter's `rejected_by`), from the catalog.
    KeyError when the catalog gives the writer none: a letter must never go where its writer
    may not write (the broker would refuse it) or to a topic nobody reads."""
    return settings.topic(_catalog(settings.catalog_path).dead_letter_topic(writer).name)


SEALED_PATH = "dead_letter.original"  # what the seal is bound to, beside the letter's event id


def _bound_to(letter: bus_pb2.DeadLetter) -> str:
    """The seal's path: bound to the letter's id and to what the letter says of its record (who
    refused it, the topic, partition, offset and key it came from, why), so a sealed original moved
    into another letter, or a letter whose readable fields were edited, does not open."""
    said = (
        letter.rejected_by,
        letter.source_topic,
        str(letter.source_partition),
        str(letter.source_offset),
        letter.original_key.hex(),
        letter.reason,
    )
    return SEALED_PATH + "/" + hashlib.sha256("\0".join(said).encode()).hexdigest()


def seal_letter(letter: bus_pb2.DeadLetter, keyring: Keyring) -> bus_pb2.DeadLetter:
    """The letter with its original value and headers sealed together (`sealed_original`), the
    plain ones emptied; reason, detail, key, topic, partition and offset stay readable. Pure and
    deterministic: the same letter seals to the same bytes; a sealed letter is returned as it is."""
    if letter.sealed_key_id or letter.sealed_original:
        return letter
    original = bus_pb2.SealedOriginal(value=letter.original_value, headers=letter.original_headers)
    kid, sealed = seal_bytes(
        original.SerializeToString(deterministic=True), keyring, letter.envelope.event_id, _bound_to(letter)
    )
    kept = bus_pb2.DeadLetter()
    kept.CopyFrom(letter)
    kept.ClearField("original_value")
    kept.ClearField("original_headers")
    kept.sealed_key_id, kept.sealed_original = kid, sealed
    return kept


def open_letter(letter: bus_pb2.DeadLetter, keyring: Keyring) -> bus_pb2.DeadLetter:
    """The letter with its original value and headers in the clear (a letter never sealed comes
    back as it is); SealingError naming the key id when this keyring cannot open it, or when the
    sealed bytes were altered, moved from another letter, or do not hold an original."""
    if not letter.sealed_key_id and not letter.sealed_original:
        return letter
    if not letter.sealed_key_id:
        raise SealingError("dead letter: a sealed original without a key id", path=SEALED_PATH)
    plain = open_bytes(
        letter.sealed_key_id, letter.sealed_original, keyring, letter.envelope.event_id, _bound_to(letter)
    )
    try:
        original = bus_pb2.SealedOriginal.FromString(plain)
    except DecodeError as exc:
        raise SealingError(
            f"dead letter: the sealed original does not parse ({exc})", path=SEALED_PATH
        ) from None
    opened = bus_pb2.DeadLetter()
    opened.CopyFrom(letter)
    opened.ClearField("sealed_key_id")
    opened.ClearField("sealed_original")
    opened.ClearField("original_headers")
    opened.original_value = original.value
    opened.original_headers.extend(original.headers)
    return opened


def dead_letter_record(letter: bus_pb2.DeadLetter, settings: BusSettings) -> OutgoingRecord:
    """The record to produce on its writer's dead-letter topic, keyed by the source topic, its
    original sealed with the writer's field keys (KeyringError when it has none in production)."""
    topic = dead_letter_topic(letter.rejected_by, settings)
    return encode(seal_letter(letter, field_keyring(settings)), topic=topic, key=letter.source_topic)


# A dead letter wraps a whole original, which may itself be over the services' limit.
DEAD_LETTER_MAX_BYTES = 8 * 1024 * 1024


def decode_dead_letter(record: RawRecord) -> bus_pb2.DeadLetter:
    """Read a record of the dead-letter topic (DecodeError if it is not one)."""
    letter: bus_pb2.DeadLetter = decode(record, bus_pb2.DeadLetter, max_bytes=DEAD_LETTER_MAX_BYTES).message  # type: ignore[assignment]
    return letter
