"""The agency service never lets a record crash it: refused or failed, the record is a dead letter
with its reason and its original bytes, and HTTP answers with that reason (no 500 for bad input)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from incidentbus.agencies import service as service_module
from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.agencies.service import AgencyService
from incidentbus.devtools import natives
from incidentbus.kernel.codec import decode
from incidentbus.kernel.deadletter import open_letter
from incidentbus.kernel.faust_shell import make_app
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.sealing import field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2

SETTINGS = BusSettings(topic_prefix="unit.", environment="test")
AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
T0 = 1_795_595_400_000
POLICE_CODES = PoliceAdapter().codes


class Exploding(PoliceAdapter):
    """A police adapter with a bug the pipeline does not foresee."""

    def to_canonical(self, message: Any) -> Any:
        raise RuntimeError("a bug")


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[OutgoingRecord]:
    sent: list[OutgoingRecord] = []

    async def publish(app: Any, record: OutgoingRecord) -> None:
        sent.append(record)

    monkeypatch.setattr(service_module, "publish", publish)
    return sent


def service(adapter: PoliceAdapter) -> AgencyService:
    return AgencyService(adapter, SETTINGS, make_app(SETTINGS, "unit-police", web_port=6999))


def inbox_record(value: bytes) -> RawRecord:
    return RawRecord("unit.police.inbox.v1", 0, 7, T0, b"P-1", value, ())


def letter_of(record: OutgoingRecord) -> bus_pb2.DeadLetter:
    raw = RawRecord(record.topic, 0, 0, T0, record.key, record.value, record.headers)
    letter: bus_pb2.DeadLetter = decode(raw, bus_pb2.DeadLetter, max_bytes=10_000_000).message  # type: ignore[assignment]
    assert letter.sealed_key_id == "dev"  # the original is sealed; the service's keys open it
    assert not letter.original_value
    return open_letter(letter, field_keyring(BusSettings(environment="test")))


def overflowing() -> bytes:
    native = natives.report("police", "P-1", "TA2", "310101-002-003-07", AT) | {"injured": 4294967296}
    return json.dumps(native).encode()


async def test_an_out_of_range_value_on_the_inbox_is_a_dead_letter_with_its_field(
    published: list[OutgoingRecord],
) -> None:
    [record] = await service(PoliceAdapter()).on_inbox(inbox_record(overflowing()))
    assert not published  # returned for the batch to produce, not sent one by one
    letter = letter_of(record)
    assert (letter.reason, letter.original_value) == ("intake.validation", overflowing())
    assert "incident.injured" in letter.detail


async def test_an_unforeseen_failure_is_a_dead_letter_not_a_crashed_agent(
    published: list[OutgoingRecord],
) -> None:
    value = json.dumps(natives.report("police", "P-1", "TA2", "310101-002-003-07", AT)).encode()
    [record] = await service(Exploding(POLICE_CODES)).on_inbox(inbox_record(value))  # does not raise
    letter = letter_of(record)
    assert (letter.reason, letter.original_value, letter.source_offset) == ("intake.failed", value, 7)
    assert "RuntimeError" in letter.detail


async def test_http_answers_422_for_an_out_of_range_value_and_500_for_a_bug(
    published: list[OutgoingRecord],
) -> None:
    status, answer = await service(PoliceAdapter()).on_http(overflowing(), truncated=False)
    assert (status, answer["error"]) == (422, "intake.validation")
    value = json.dumps(natives.report("police", "P-2", "TA2", "310101-002-003-07", AT)).encode()
    status, answer = await service(Exploding(POLICE_CODES)).on_http(value, truncated=False)
    assert (status, answer["error"]) == (500, "intake.failed")
    assert [letter_of(r).original_value for r in published] == [overflowing(), value]
