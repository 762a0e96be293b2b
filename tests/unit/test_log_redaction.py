"""Logs never carry personal values: personal keys and phone / identity-number text are redacted,
including in loggers made before `configure_logging` and in rendered tracebacks."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from incidentbus.kernel.logging import REDACTED, configure_logging, get_logger
from incidentbus.kernel.settings import BusSettings

EARLY = get_logger("incidentbus.test-early")  # made at import, like the services' module loggers


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(BusSettings(environment="production"), stream=stream)
    yield stream
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_personal_keys_and_text_are_redacted(captured: io.StringIO) -> None:
    log = get_logger("incidentbus.test")
    log.info(
        "caller 13800000000 (+86 139-1234-5678?) id 11010119900307123X, office 021-12345678",
        name="Zhang San",
        caller_phone="13900000000",
        detail={"citizen": {"name": "Li Si", "mobile": "13700000000"}, "grid": "310101-002-003-07"},
        worker_name="Chen Liu",
        id_no="110101199003071234",
    )
    text = captured.getvalue()
    for plain in ("Zhang San", "13800000000", "13900000000", "Li Si", "13700000000", "Chen Liu"):
        assert plain not in text
    for shaped in ("11010119900307123X", "021-12345678", "139-1234-5678"):
        assert shaped not in text
    [line] = lines(captured)
    assert line["name"] == line["caller_phone"] == line["worker_name"] == REDACTED
    assert line["detail"] == {"citizen": REDACTED, "grid": "310101-002-003-07"}


def test_ordinary_values_are_kept(captured: io.StringIO) -> None:
    get_logger("incidentbus.test").info(
        "published",
        event_id="0f8e1a2b-3c4d-5e6f-8a13-800000000123",
        offset=13800000000,
        topic="police.events.v1",
        recorded_at_ms=1764059400000,
    )
    [line] = lines(captured)
    assert line["event_id"] == "0f8e1a2b-3c4d-5e6f-8a13-800000000123"
    assert (line["offset"], line["recorded_at_ms"]) == (13800000000, 1764059400000)
    assert line["event"] == "published"


def test_loggers_made_before_configuration_use_it(captured: io.StringIO) -> None:
    EARLY.bind(topic="t").warning("record rejected", phone="13800000000")
    [line] = lines(captured)
    assert (line["logger"], line["topic"], line["phone"]) == ("incidentbus.test-early", "t", REDACTED)


def test_tracebacks_are_redacted(captured: io.StringIO) -> None:
    try:
        raise ValueError("input_value='13800000000'")
    except ValueError:
        get_logger("incidentbus.test").exception("http intake failed")
    assert "13800000000" not in captured.getvalue()
    assert "ValueError" in captured.getvalue()
