"""The codec: deterministic encoding, CloudEvents headers, and a precise reason for every rejection."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentbus.devtools.samples import every_event, sample_report
from incidentbus.kernel.codec import CONTENT_TYPE, DecodeError, decode, encode
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.schema import wire_type
from incidentbus.v1 import agency_events_pb2, bus_pb2


def as_raw(
    out: OutgoingRecord, *, value: bytes | None = None, headers: tuple[tuple[str, bytes], ...] | None = None
) -> RawRecord:
    return RawRecord(
        out.topic,
        0,
        7,
        1_700_000_000_000,
        out.key,
        out.value if value is None else value,
        out.headers if headers is None else headers,
    )


def replace_header(
    headers: tuple[tuple[str, bytes], ...], key: str, value: bytes | None
) -> tuple[tuple[str, bytes], ...]:
    kept = tuple(h for h in headers if h[0] != key)
    return kept if value is None else (*kept, (key, value))


@pytest.mark.parametrize("message", every_event(), ids=lambda m: m.envelope.event_type)
def test_every_event_type_round_trips_with_headers(message) -> None:
    out = encode(message, topic="t", key="k")
    decoded = decode(as_raw(out), type(message))
    assert decoded.message == message
    assert decoded.event_type == message.envelope.event_type
    headers = dict(out.headers)
    assert headers["ce_id"] == message.envelope.event_id.encode()
    assert headers["ce_type"] == message.envelope.event_type.encode()
    assert headers["ce_source"] == f"urn:incidentbus:{message.envelope.source_agency}".encode()
    assert headers["content-type"] == CONTENT_TYPE.encode()
    assert headers["ce_specversion"] == b"1.0"
    assert headers["traceparent"].startswith(b"00-")


def test_encoding_is_deterministic_across_map_order() -> None:
    first, second = sample_report(), sample_report()
    second.incident_reported.native_codes.clear()
    for key in sorted(first.incident_reported.native_codes, reverse=True):
        second.incident_reported.native_codes[key] = first.incident_reported.native_codes[key]
    assert encode(first, topic="t", key="k") == encode(second, topic="t", key="k")


def test_encode_refuses_a_mislabelled_envelope() -> None:
    event = sample_report()
    event.envelope.event_type = "incidentbus.v1.TaskCompleted"
    with pytest.raises(ValueError, match=r"envelope\.event_type"):
        encode(event, topic="t", key="k")


def _good() -> OutgoingRecord:
    return encode(sample_report(), topic="t", key="k")


def _unknown_enum() -> bytes:
    event = sample_report()
    event.incident_reported.category = 99  # type: ignore[assignment]
    return event.SerializeToString()


def _no_body() -> bytes:
    event = sample_report()
    event.ClearField("incident_reported")
    return event.SerializeToString()


REJECTIONS = [
    ("garbage bytes", {"value": b"\xff\xfe\x00garbage"}, "decode.protobuf"),
    ("truncated protobuf", {"value": _good().value[:-9]}, "decode.protobuf"),
    ("tombstone", {"value": b""}, "envelope.missing"),
    (
        "no content-type",
        {"headers": replace_header(_good().headers, "content-type", None)},
        "header.missing_content_type",
    ),
    (
        "json content-type",
        {"headers": replace_header(_good().headers, "content-type", b"application/json")},
        "header.content_type",
    ),
    (
        "bad header encoding",
        {"headers": replace_header(_good().headers, "content-type", b"\xff\xfe")},
        "header.encoding",
    ),
    (
        "wrong specversion",
        {"headers": replace_header(_good().headers, "ce_specversion", b"0.3")},
        "header.specversion",
    ),
    (
        "other wrapper schema",
        {
            "headers": replace_header(
                _good().headers, "ce_dataschema", b"urn:incidentbus:schema:incidentbus.v1.CaseEvent"
            )
        },
        "header.dataschema",
    ),
    (
        "tampered ce_type",
        {"headers": replace_header(_good().headers, "ce_type", b"incidentbus.v1.TaskCompleted")},
        "header.type_mismatch",
    ),
    (
        "tampered ce_id",
        {"headers": replace_header(_good().headers, "ce_id", b"forged")},
        "header.id_mismatch",
    ),
    ("unknown enum value", {"value": _unknown_enum()}, "schema.unknown_enum"),
    ("no body", {"value": _no_body()}, "envelope.no_body"),
]


@pytest.mark.parametrize(("case", "change", "reason"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejections_carry_a_precise_reason(case: str, change: dict[str, object], reason: str) -> None:
    raw = as_raw(_good(), **change)  # type: ignore[arg-type]
    with pytest.raises(DecodeError) as caught:
        decode(raw, agency_events_pb2.AgencyEvent)
    assert caught.value.reason == reason, case


def test_oversized_and_missing_values_are_rejected() -> None:
    with pytest.raises(DecodeError, match=r"decode\.oversized"):
        decode(as_raw(_good()), agency_events_pb2.AgencyEvent, max_bytes=10)
    raw = RawRecord("t", 0, 0, 0, None, None, _good().headers)
    with pytest.raises(DecodeError, match=r"decode\.empty_value"):
        decode(raw, agency_events_pb2.AgencyEvent)


def test_a_message_of_another_wrapper_is_not_accepted_as_this_one() -> None:
    letter = next(m for m in every_event() if isinstance(m, bus_pb2.DeadLetter))
    out = encode(letter, topic="t", key="k")
    headers = replace_header(out.headers, "ce_dataschema", None)
    with pytest.raises(DecodeError):
        decode(as_raw(out, headers=headers), wire_type("incidentbus.v1.AgencyEvent"))


@given(st.binary(max_size=512))
def test_arbitrary_bytes_never_escape_as_anything_but_decode_error(value: bytes) -> None:
    raw = as_raw(_good(), value=value)
    try:
        decoded: object = decode(raw, agency_events_pb2.AgencyEvent)
    except DecodeError as exc:
        decoded = exc
    if isinstance(decoded, DecodeError):
        assert decoded.reason
    else:  # accepted only if the bytes happen to form a full event matching the headers
        assert decoded.message.envelope.event_id.encode() == dict(raw.headers)["ce_id"]  # type: ignore[attr-defined]


@given(st.text(max_size=200), st.text(max_size=50))
def test_text_fields_round_trip(description: str, address: str) -> None:
    event = sample_report()
    event.incident_reported.description = description
    event.incident_reported.location.address = address
    assert decode(as_raw(encode(event, topic="t", key="k")), agency_events_pb2.AgencyEvent).message == event
