"""One rule for times on the command line: ISO 8601 with a zone, or the command refuses to run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from incidentbus.cli.main import app
from incidentbus.ops.replay import to_ms
from incidentbus.ops.text import parse_when

EIGHT_UTC = datetime(2026, 11, 25, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["2026-11-25T08:00Z", "2026-11-25T08:00:00z", "2026-11-25T16:00+08:00", " 2026-11-25T03:00-05:00 "],
)
def test_a_time_with_a_zone_is_one_instant(text: str) -> None:
    assert parse_when(text) == EIGHT_UTC
    assert to_ms(parse_when(text)) == 1_795_593_600_000


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^2026-11-25T08:00 has no zone: add Z or \+08:00$"):
        parse_when("2026-11-25T08:00")


def test_a_date_alone_is_refused_with_the_way_to_write_it() -> None:
    with pytest.raises(ValueError, match=r"date without a time and zone: write e.g. 2026-11-25T00:00\+08:00"):
        parse_when("2026-11-25")


def test_garbage_is_not_a_time() -> None:
    with pytest.raises(ValueError, match="last week is not an ISO 8601 time"):
        parse_when("last week")


def test_a_naive_datetime_has_no_epoch_milliseconds() -> None:
    with pytest.raises(ValueError, match="has no zone"):
        to_ms(datetime(2026, 11, 25, 8))
    assert to_ms(None) is None


@pytest.mark.parametrize("option", ["--since", "--until"])
def test_replay_and_dlq_refuse_a_naive_time_alike(option: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused before the broker is asked anything (the port below has nothing listening)."""
    monkeypatch.setenv("INCIDENTBUS_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    runner = CliRunner()
    outcomes = [
        runner.invoke(app, [*command, option, "2026-11-25T08:00"])
        for command in (["replay"], ["dlq", "list"])
    ]
    for result in outcomes:
        assert result.exit_code == 2, result.output
        assert f"{option} 2026-11-25T08:00 has no zone: add Z or +08:00" in " ".join(result.stderr.split())
        assert result.stdout == ""
    assert outcomes[0].stderr == outcomes[1].stderr
