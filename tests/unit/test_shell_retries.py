"""The shell retries a handler's infrastructure faults before dead-lettering the record, and
dead-letters a record's own fault at once (kernel/faust_shell.py handle_record: it returns the
records to publish, the handler's or a dead letter)."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError
from faust.exceptions import PartitionsMismatch

from incidentbus.kernel import faust_shell
from incidentbus.kernel.codec import Decoded, encode
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2
from tests.unit.correlator.builders import T0, Feed


def record() -> RawRecord:
    event = Feed().report("police", "traffic.collision", T0).event
    out = encode(event, topic="police.events.v1", key="k")
    return RawRecord("police.events.v1", 0, 5, T0, out.key, out.value, out.headers)


def run(failures: list[BaseException]) -> tuple[list[str], int]:
    calls = 0

    async def handler(decoded: Decoded) -> list[OutgoingRecord]:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return [OutgoingRecord("out.v1", b"k", b"v")]

    outputs = asyncio.run(
        faust_shell.handle_record(
            None,  # type: ignore[arg-type]  # handle_record sends nothing: it returns the records
            BusSettings(environment="test"),
            record(),
            expected=agency_events_pb2.AgencyEvent,
            handler=handler,
            rejected_by="correlator",
        )
    )
    return [o.topic for o in outputs], calls


@pytest.fixture(autouse=True)
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(faust_shell, "RETRY_DELAYS", (0.0, 0.0, 0.0))


def test_an_infrastructure_fault_is_retried_and_the_record_goes_through() -> None:
    sent, calls = run([PartitionsMismatch("changelog has 0 partitions"), KafkaTimeoutError()])
    assert (sent, calls) == (["out.v1"], 3)


def test_a_fault_that_outlasts_the_retries_is_dead_lettered() -> None:
    sent, calls = run([PartitionsMismatch("x") for _ in range(4)])
    assert calls == 4
    assert len(sent) == 1
    assert sent[0].endswith("deadletters.v1")


def test_a_fault_of_the_record_is_dead_lettered_at_once() -> None:
    sent, calls = run([ValueError("bad")])
    assert calls == 1
    assert len(sent) == 1
    assert sent[0].endswith("deadletters.v1")


def steps(failures: list[BaseException]) -> tuple[list[str], int]:
    """`retrying` around a table write that fails with `failures` first."""
    calls, written = 0, []

    async def write() -> None:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        written.append("k")

    asyncio.run(faust_shell.retrying(write, record()))
    return written, calls


def test_a_table_write_is_retried_while_its_changelog_is_unknown() -> None:
    assert steps([PartitionsMismatch("changelog has 0 partitions")] * 3) == (["k"], 4)


def test_a_table_write_that_outlasts_the_retries_raises() -> None:
    with pytest.raises(PartitionsMismatch):
        steps([PartitionsMismatch("x") for _ in range(4)])


def test_a_table_write_failing_otherwise_raises_at_once() -> None:
    with pytest.raises(ValueError, match="bad"):
        steps([ValueError("bad")])  # a retry would have written
