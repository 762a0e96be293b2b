"""Deterministic ids and dead letters: the same fact always yields the same bytes."""

from __future__ import annotations

import uuid

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from incidentbus.kernel.codec import decode
from incidentbus.kernel.deadletter import dead_letter, dead_letter_record, open_letter, seal_letter
from incidentbus.kernel.envelope import timestamp_ms
from incidentbus.kernel.ids import BUS_NAMESPACE, event_id, stable_id
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.sealing import SealingError, field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2


def test_event_id_depends_on_every_part() -> None:
    base = event_id("police", "CAD-1", 0, "incidentbus.v1.IncidentReported")
    assert base == event_id("police", "CAD-1", 0, "incidentbus.v1.IncidentReported")
    assert base != event_id("health", "CAD-1", 0, "incidentbus.v1.IncidentReported")
    assert base != event_id("police", "CAD-1", 1, "incidentbus.v1.IncidentReported")
    assert base != event_id("police", "CAD-1", 0, "incidentbus.v1.TaskAcknowledged")


@given(
    st.lists(st.text(max_size=8), min_size=1, max_size=4),
    st.lists(st.text(max_size=8), min_size=1, max_size=4),
)
def test_stable_id_is_unambiguous(a: list[str], b: list[str]) -> None:
    if a != b:
        assert stable_id(*a) != stable_id(*b)


@given(st.lists(st.one_of(st.text(), st.integers(), st.booleans()), max_size=5))
def test_stable_id_is_the_uuid5_of_its_length_prefixed_parts(parts: list[object]) -> None:
    """The hand-built UUIDv5 is the standard library's, so no id ever issued changes."""
    text = "".join(f"{len(str(p))}:{p}|" for p in parts)
    assert stable_id(*parts) == str(uuid.uuid5(BUS_NAMESPACE, text))


@given(st.integers(min_value=-(10**13), max_value=10**14))
def test_timestamp_ms_is_what_from_milliseconds_sets(ms: int) -> None:
    expected = Timestamp()
    expected.FromMilliseconds(ms)
    assert timestamp_ms(ms) == expected
    assert timestamp_ms(ms).SerializeToString() == expected.SerializeToString()


def _record(offset: int = 3, value: bytes = b"\x00garbage\xff") -> RawRecord:
    return RawRecord("police.events.v1", 2, offset, 1_700_000_000_123, b"key", value, (("h", b"\x01"),))


def test_dead_letter_keeps_the_original_whole() -> None:
    letter = dead_letter(
        _record(), reason="decode.protobuf", detail="bad", phase="decode", rejected_by="police"
    )
    assert (letter.source_topic, letter.source_partition, letter.source_offset) == ("police.events.v1", 2, 3)
    assert letter.original_value == b"\x00garbage\xff"
    assert letter.original_key == b"key"
    assert [(h.key, h.value) for h in letter.original_headers] == [("h", b"\x01")]
    assert letter.envelope.recorded_at.ToMilliseconds() == 1_700_000_000_123


def test_dead_letters_are_deterministic_and_decodable() -> None:
    settings = BusSettings(topic_prefix="x.")
    make = lambda: dead_letter(_record(), reason="r", detail="d", phase="decode", rejected_by="police")  # noqa: E731
    first, second = dead_letter_record(make(), settings), dead_letter_record(make(), settings)
    assert first == second
    assert first.topic == "x.police.deadletters.v1"  # the writer's own dead-letter topic
    raw = RawRecord(first.topic, 0, 0, 0, first.key, first.value, first.headers)
    stored = decode(raw, bus_pb2.DeadLetter).message
    assert isinstance(stored, bus_pb2.DeadLetter)
    assert (stored.sealed_key_id, stored.original_value, len(stored.original_headers)) == ("dev", b"", 0)
    assert b"garbage" not in (first.value or b"")
    assert stored.reason == "r"  # reason, detail and position stay readable
    assert open_letter(stored, field_keyring(settings)) == make()


def test_http_records_without_offsets_are_named_by_content() -> None:
    a = dead_letter(_record(-1, b"a"), reason="r", detail="", phase="decode", rejected_by="police")
    b = dead_letter(_record(-1, b"b"), reason="r", detail="", phase="decode", rejected_by="police")
    assert a.envelope.event_id != b.envelope.event_id


def _sealed(record: RawRecord, **letter: str) -> bus_pb2.DeadLetter:
    made = dead_letter(record, reason="r", detail="d", phase="decode", rejected_by="police")
    for name, value in letter.items():
        setattr(made, name, value)
    return seal_letter(made, field_keyring(BusSettings(environment="test")))


def test_a_sealed_original_opens_only_in_its_own_letter() -> None:
    """Moved into another letter, or its readable fields edited, the original does not open."""
    keys = field_keyring(BusSettings(environment="test"))
    police = _sealed(_record())
    assert open_letter(police, keys).original_value == b"\x00garbage\xff"
    health = _sealed(_record(), rejected_by="health", source_topic="health.inbox.v1")
    health.envelope.event_id = police.envelope.event_id
    health.sealed_original = police.sealed_original
    edited = bus_pb2.DeadLetter()
    edited.CopyFrom(police)
    edited.source_offset = 99
    for moved in (health, edited):
        with pytest.raises(SealingError, match="does not verify"):
            open_letter(moved, keys)


def test_a_sealed_original_that_does_not_parse_or_names_no_key_is_reported() -> None:
    keys = field_keyring(BusSettings(environment="test"))
    letter = _sealed(_record())
    letter.sealed_key_id = ""
    with pytest.raises(SealingError, match="without a key id"):
        open_letter(letter, keys)
    assert seal_letter(letter, keys) is letter  # a sealed letter is not sealed again
