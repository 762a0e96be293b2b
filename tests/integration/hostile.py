"""Hostile inputs for the fuzz test: every kind of bad message an intake can receive. Seeded."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from incidentbus.devtools import natives
from incidentbus.devtools.samples import sample_report
from incidentbus.kernel.codec import encode
from incidentbus.kernel.envelope import timestamp

Headers = tuple[tuple[str, bytes], ...]
JSON_HEADERS: Headers = (("content-type", b"application/json"),)
CODES = {"police": "TA1", "health": "TRAUMA", "urban": "0201", "community": "E01"}
REQUIRED = {
    "police": ["incident_no", "type_code", "priority", "reported_at", "location"],
    "health": ["call_id", "chief_complaint_code", "triage_level", "call_time"],
    "urban": ["work_order_id", "category_code", "created"],
    "community": ["report_id", "event_type", "worker_id", "observed_at"],
}
TIME_KEY = {"police": "reported_at", "health": "call_time", "urban": "created", "community": "observed_at"}


def valid_native(agency: str, ref: str, grid: str = "310131-001-001-01") -> dict[str, Any]:
    return natives.report(agency, ref, CODES[agency], grid, datetime.now(UTC))


def native_attacks(agency: str, rng: random.Random) -> list[Callable[[str], bytes | None]]:
    """Generators of hostile native payloads for one agency; each takes a unique ref."""

    def good(ref: str) -> dict[str, Any]:
        return valid_native(agency, ref)

    def drop(ref: str) -> bytes:
        native = good(ref)
        native.pop(rng.choice(REQUIRED[agency]))
        return json.dumps(native).encode()

    def retype(ref: str) -> bytes:
        native = good(ref)
        key = rng.choice(REQUIRED[agency])
        native[key] = 12345 if isinstance(native[key], str) else str(native[key])
        return json.dumps(native).encode()

    return [
        lambda ref: rng.randbytes(rng.randint(1, 2000)),
        lambda ref: b"\xff\xfe\xfd" + json.dumps(good(ref)).encode(),
        lambda ref: json.dumps(good(ref)).encode("utf-16"),
        lambda ref: json.dumps(rng.choice([[1, 2], 42, "report", None, True])).encode(),
        lambda ref: json.dumps(good(ref)).encode()[: rng.randint(1, 40)],
        drop,
        retype,
        lambda ref: json.dumps(good(ref) | {_code_key(agency): "ZZ-UNKNOWN"}).encode(),
        # a local time without an offset that the agencies' zone (Asia/Shanghai) skipped: it names
        # no instant (a naive time the zone does name is read in that zone, see the code tables)
        lambda ref: json.dumps(good(ref) | {TIME_KEY[agency]: "1991-04-14T02:30:00"}).encode(),
        lambda ref: json.dumps(good(ref) | {TIME_KEY[agency]: "2999-01-01T00:00:00+00:00"}).encode(),
        lambda ref: None,  # tombstone
    ]


def _code_key(agency: str) -> str:
    return {
        "police": "type_code",
        "health": "chief_complaint_code",
        "urban": "category_code",
        "community": "event_type",
    }[agency]


def huge(ref: str) -> bytes:
    return json.dumps({"msg_type": "incident", "incident_no": ref, "pad": "x" * 1_200_000}).encode()


def protobuf_attacks(rng: random.Random) -> list[Callable[[str], tuple[bytes | None, Headers]]]:
    """Hostile records for protobuf topics (agency events, dispatch, correlator input)."""

    def valid(ref: str) -> tuple[bytes, Headers]:
        out = encode(sample_report(ref), topic="t", key=ref)
        return out.value, out.headers

    def tampered(ref: str, name: str, value: bytes) -> tuple[bytes, Headers]:
        value_bytes, headers = valid(ref)
        return value_bytes, (*(h for h in headers if h[0] != name), (name, value))

    def unknown_enum(ref: str) -> tuple[bytes, Headers]:
        event = sample_report(ref)
        event.incident_reported.severity = 77  # type: ignore[assignment]
        out = encode(event, topic="t", key=ref)
        return out.value, out.headers

    def future(ref: str) -> tuple[bytes, Headers]:
        event = sample_report(ref)
        event.envelope.recorded_at.CopyFrom(timestamp(datetime(2999, 1, 1, tzinfo=UTC)))
        out = encode(event, topic="t", key=ref)
        return out.value, out.headers

    return [
        lambda ref: (rng.randbytes(rng.randint(1, 500)), valid(ref)[1]),
        lambda ref: (valid(ref)[0][: rng.randint(1, 60)], valid(ref)[1]),
        unknown_enum,
        lambda ref: tampered(ref, "ce_type", b"incidentbus.v1.TaskCompleted"),
        lambda ref: tampered(ref, "ce_id", b"forged-id"),
        lambda ref: tampered(ref, "content-type", b"text/plain"),
        lambda ref: tampered(ref, "ce_dataschema", b"urn:incidentbus:schema:incidentbus.v1.CaseEvent"),
        lambda ref: (valid(ref)[0], ()),  # no headers at all
        lambda ref: (None, valid(ref)[1]),  # tombstone
        future,
    ]
