"""How the operator tools show times, bytes and long text, so every command agrees."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp


def iso(ts: Timestamp) -> str:
    """RFC 3339 in UTC (`...Z`), what `ce_time` and the envelope carry; empty when unset."""
    return ts.ToJsonString() if ts.seconds or ts.nanos else ""


def clock(ts: Timestamp) -> str:
    """A compact `YYYY-MM-DD HH:MM:SS` (UTC) for tables; seconds are enough for people."""
    if not (ts.seconds or ts.nanos):
        return "-"
    return ts.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S")


def parse_when(text: str) -> datetime:
    """An ISO 8601 time or date from the command line. A time without a zone is taken as UTC
    (operators type `2025-11-25T08:00`); ValueError says what was wrong."""
    try:
        when = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 time (e.g. 2025-11-25T08:00:00Z)") from exc
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def bytes_view(data: bytes) -> dict[str, object]:
    """Bytes shown faithfully: the text when they are UTF-8, otherwise hex; always the length."""
    try:
        return {"encoding": "utf-8", "data": data.decode("utf-8"), "length": len(data)}
    except UnicodeDecodeError:
        return {"encoding": "hex", "data": data.hex(), "length": len(data)}


def shorten(text: str, width: int = 60) -> str:
    """One line of at most `width` characters, for table cells; the full text stays in --json."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"
