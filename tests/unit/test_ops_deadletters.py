"""dlq list/show/redrive decisions: each letter once, filters, the original bytes, idempotent redrive."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidentbus.kernel.deadletter import dead_letter, dead_letter_record
from incidentbus.kernel.records import Headers, RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.deadletters import LetterFilter, collect, details, find, select, summary
from incidentbus.ops.redrive import REDRIVE_HEADER, plan_redrive, redrive_record, redriven, source_topics
from incidentbus.ops.text import bytes_view, parse_when, shorten

T0 = 1_764_057_600_000  # 2025-11-25T08:00:00Z
SETTINGS = BusSettings(topic_prefix="x.")
INBOX = "x.police.inbox.v1"


def rejected(
    value: bytes, *, offset: int = 3, at: int = T0, reason: str = "intake.json", headers: Headers = ()
) -> RawRecord:
    """The dead-letter record a service writes for a refused inbox record."""
    source = RawRecord(INBOX, 1, offset, at, b"k-1" if offset >= 0 else None, value, headers)
    letter = dead_letter(source, reason=reason, detail="invalid JSON: Expecting value", phase="intake",
                         rejected_by="police")  # fmt: skip
    out = dead_letter_record(letter, SETTINGS)
    return RawRecord(out.topic, 0, offset + 100, at, out.key, out.value, out.headers)


def test_repeats_are_collected_once_and_non_letters_counted() -> None:
    bad = rejected(b"{oops")
    garbage = RawRecord("x.bus.deadletters.v1", 0, 9, T0, None, b"\xff", ())
    shelf = collect([bad, bad, rejected(b"[1]", offset=4), garbage])
    assert [letter.copies for letter in shelf.letters] == [2, 1]
    assert shelf.repeats == 1
    assert shelf.unreadable == ["0/9: header.missing_content_type"]
    assert shelf.letters[0].position == "0/103"
    assert shelf.letters[0].source == f"{INBOX}/1/3"


def test_filters_by_topic_reason_and_time() -> None:
    letters = collect(
        [
            rejected(b"{a", offset=1, at=T0),
            rejected(b"{}", offset=2, at=T0 + 60_000, reason="intake.validation"),
            rejected(b"{b", offset=3, at=T0 + 120_000, reason="intake.unknown_code"),
        ]
    ).letters
    ids = [letter.id for letter in letters]

    def chosen(**kw: object) -> list[str]:
        return [letter.id for letter in select(letters, LetterFilter(**kw))]  # type: ignore[arg-type]

    assert chosen() == ids
    assert chosen(topics=frozenset({"police.inbox.v1", INBOX})) == ids
    assert chosen(topics=frozenset({"health.inbox.v1"})) == []
    assert chosen(reason="intake.u") == [ids[2]]
    assert chosen(reason="intake.") == ids
    since = datetime.fromtimestamp((T0 + 60_000) / 1000, UTC)
    assert chosen(since=since) == ids[1:]
    assert chosen(until=since) == ids[:1]


def test_find_keeps_the_order_asked_and_names_the_missing() -> None:
    letters = collect([rejected(b"{a", offset=1), rejected(b"{b", offset=2)]).letters
    found, missing = find(letters, [letters[1].id, "nope", letters[0].id, letters[1].id])
    assert [x.id for x in found] == [letters[1].id, letters[0].id]
    assert missing == ["nope"]


def test_details_carry_the_original_bytes() -> None:
    [text, binary] = collect(
        [
            rejected('{"名": 1'.encode(), offset=1, headers=(("content-type", b"application/json"),)),
            rejected(b"\xff\xfe\x00", offset=2, reason="intake.encoding"),
        ]
    ).letters
    view = details(text)
    assert view["original_value"] == {"encoding": "utf-8", "data": '{"名": 1', "length": 9}
    assert view["original_key"] == {"encoding": "utf-8", "data": "k-1", "length": 3}
    assert view["original_headers"] == [
        {"key": "content-type", "encoding": "utf-8", "data": "application/json", "length": 16}
    ]
    assert details(binary)["original_value"] == {"encoding": "hex", "data": "fffe00", "length": 3}
    assert summary(text)["source"] == f"{INBOX}/1/1"


def test_http_letters_have_no_position_but_a_source_topic() -> None:
    [letter] = collect([rejected(b"{", offset=-1)]).letters
    assert letter.from_http
    assert letter.source == f"{INBOX}/http"
    out = redrive_record(letter)
    assert (out.topic, out.key) == (INBOX, None)


def test_a_redriven_record_is_the_original_marked_with_the_letter() -> None:
    headers = (("content-type", b"application/json"), (REDRIVE_HEADER, b"older-letter"))
    [letter] = collect([rejected(b'{"a": 1}', headers=headers)]).letters
    out = redrive_record(letter)
    assert (out.topic, out.key, out.value) == (INBOX, b"k-1", b'{"a": 1}')
    assert out.headers == (("content-type", b"application/json"), (REDRIVE_HEADER, letter.id.encode()))


def test_redrive_skips_what_is_already_on_the_source_topic() -> None:
    letters = collect([rejected(b"{a", offset=1), rejected(b"{b", offset=2), rejected(b"", offset=3)]).letters
    first = redrive_record(letters[0])
    on_topic = [
        RawRecord(INBOX, 2, 40, T0, first.key, first.value, first.headers),
        RawRecord(INBOX, 2, 41, T0, b"k", b"{}", ()),
    ]
    marks = redriven(on_topic)
    assert marks == {letters[0].id: f"{INBOX}/2/40"}
    plan = plan_redrive(letters, marks, {INBOX})
    assert [x.id for x in plan.send] == [letters[1].id]
    assert [(o.letter_id, o.action) for o in plan.skip] == [
        (letters[0].id, "already_redriven"),
        (letters[2].id, "skipped"),
    ]
    assert plan.skip[0].target == f"{INBOX}/2/40"
    nowhere = plan_redrive(letters[1:2], {}, set())
    assert (nowhere.send, nowhere.skip[0].note) == ([], f"source topic {INBOX!r} does not exist")
    assert source_topics(letters) == [INBOX]


def test_times_and_text() -> None:
    assert parse_when("2025-11-25T16:00+08:00") == datetime(2025, 11, 25, 8, tzinfo=UTC)
    assert parse_when("2025-11-25T08:00:00Z") == datetime(2025, 11, 25, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO 8601 time"):
        parse_when("yesterday")
    with pytest.raises(ValueError, match="has no zone"):
        parse_when("2025-11-25T08:00")
    assert shorten("a  b\nc", 10) == "a b c"
    assert shorten("x" * 20, 10) == "x" * 9 + "…"
    assert bytes_view(b"") == {"encoding": "utf-8", "data": "", "length": 0}
