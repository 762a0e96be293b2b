"""How the operator tools show times, bytes and long text, so every command agrees."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

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
    """An ISO 8601 time with its zone, from the command line (`2026-11-25T08:00Z`, `...+08:00`).

    One rule for every command: a time without a zone is refused, not guessed. Guessing gave two
    answers (replay took the host's zone, dlq took UTC), so one text meant two instants. A date
    alone is refused too: its midnight is a different instant in every zone, and an operator who
    means a day can write `2026-11-25T00:00+08:00`. ValueError says what was wrong.
    """
    cleaned = text.strip()
    try:
        when = datetime.fromisoformat(cleaned[:-1] + "Z" if cleaned.endswith("z") else cleaned)
    except ValueError as exc:
        raise ValueError(f"{text} is not an ISO 8601 time (e.g. 2026-11-25T08:00:00+08:00)") from exc
    if when.tzinfo is None and _date_only(cleaned):
        raise ValueError(f"{text} is a date without a time and zone: write e.g. {cleaned}T00:00+08:00")
    if when.tzinfo is None:
        raise ValueError(f"{text} has no zone: add Z or +08:00")
    return when


def _date_only(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


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


# Characters XML 1.0 does not allow in text (C0 controls but tab, CR, LF; U+FFFE, U+FFFF); one in
# a single field would make a whole feed or answer unreadable.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text an XML 1.0 document can hold: each character XML forbids becomes U+FFFD."""
    return NOT_XML.sub("\ufffd", text)
