"""dlq list/show/redrive decisions: each letter once, filters, the original bytes, idempotent redrive,
and a letter goes back only where the writer of its dead-letter topic could write itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incidentbus.kernel.catalog import PARTITION_TWINS, load_catalog
from incidentbus.kernel.deadletter import dead_letter, dead_letter_record
from incidentbus.kernel.records import Headers, RawRecord
from incidentbus.kernel.sealing import Keyring, field_keyring, parse_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.deadletters import Letter, LetterFilter, Shelf, details, find, select, summary
from incidentbus.ops.deadletters import collect as collect_letters
from incidentbus.ops.redrive import (
    FAILED,
    REDRIVE_HEADER,
    TopicAccess,
    plan_redrive,
    redrive_record,
    redriven,
    refusal,
    source_topics,
    trusted,
)
from incidentbus.ops.text import bytes_view, parse_when, shorten

T0 = 1_764_057_600_000  # 2025-11-25T08:00:00Z
SETTINGS = BusSettings(topic_prefix="x.")
PREFIX = SETTINGS.topic_prefix
CATALOG = load_catalog(SETTINGS.catalog_path)
WRITERS = {SETTINGS.topic(t.name): t.producers for t in CATALOG.dead_letter_topics()}
INBOX = "x.police.inbox.v1"
POLICE_LETTERS = "x.police.deadletters.v1"


def rejected(
    value: bytes,
    *,
    offset: int = 3,
    at: int = T0,
    reason: str = "intake.json",
    headers: Headers = (),
    source_topic: str = INBOX,
    rejected_by: str = "police",
    written_on: str | None = None,
) -> RawRecord:
    """The dead-letter record a service writes for a refused record (by default: police, its inbox).
    `written_on` puts it on another dead-letter topic than its `rejected_by` would choose."""
    source = RawRecord(source_topic, 1, offset, at, b"k-1" if offset >= 0 else None, value, headers)
    letter = dead_letter(source, reason=reason, detail="invalid JSON: Expecting value", phase="intake",
                         rejected_by=rejected_by)  # fmt: skip
    out = dead_letter_record(letter, SETTINGS)
    return RawRecord(written_on or out.topic, 0, offset + 100, at, out.key, out.value, out.headers)


KEYS = field_keyring(SETTINGS)  # the development keys the letters below are sealed with


def collect(
    records: list[RawRecord],
    writers: dict[str, tuple[str, ...]] | None = None,
    keyring: Keyring | None = KEYS,
) -> Shelf:
    """`collect` where the keys are held (as `dlq` runs for an operator), unless told otherwise."""
    return collect_letters(records, writers, keyring)


def test_without_the_keys_a_letter_stays_sealed_and_is_not_redriven() -> None:
    [letter] = collect([rejected(b'{"caller": "Li Wei"', offset=1)], keyring=None).letters
    assert letter.sealed == "sealed with key 'dev'; no keys given"
    view = details(letter)
    assert (view["original_value"], view["original_headers"]) == (
        {"encoding": "utf-8", "data": "", "length": 0},
        [],
    )
    assert view["reason"] == "intake.json"
    assert "Li Wei" not in repr(letter)
    stranger = parse_keyring("other:" + "A" * 43 + "=", "other")
    [unopened] = collect([rejected(b'{"caller": "Li Wei"', offset=1)], keyring=stranger).letters
    assert "which this keyring does not hold" in unopened.sealed
    plan = plan_redrive([unopened], {}, {INBOX: "present"}, CATALOG, PREFIX)
    [outcome] = plan.skip
    assert plan.send == []
    assert (outcome.action, outcome.note.startswith("original not opened here")) == ("skipped", True)


def shelf_of(*records: RawRecord) -> list[Letter]:
    return collect(list(records), WRITERS).letters


def test_each_writer_writes_to_its_own_dead_letter_topic() -> None:
    assert rejected(b"{").topic == POLICE_LETTERS
    assert rejected(b"{", rejected_by="correlator").topic == "x.correlator.deadletters.v1"
    with pytest.raises(KeyError, match="no dead-letter topic for 'replay'"):
        rejected(b"{", rejected_by="replay")
    [letter] = shelf_of(rejected(b"{"))
    assert (letter.topic, letter.written_by) == (POLICE_LETTERS, ("police-service",))
    assert summary(letter)["written_by"] == ["police-service"]
    assert summary(letter)["dead_letter_topic"] == POLICE_LETTERS


def test_repeats_are_collected_once_and_non_letters_counted() -> None:
    bad = rejected(b"{oops")
    garbage = RawRecord(POLICE_LETTERS, 0, 9, T0, None, b"\xff", ())
    shelf = collect([bad, bad, rejected(b"[1]", offset=4), garbage])
    assert [letter.copies for letter in shelf.letters] == [2, 1]
    assert shelf.repeats == 1
    assert shelf.unreadable == [f"{POLICE_LETTERS}/0/9: header.missing_content_type"]
    assert shelf.letters[0].position == "0/103"
    assert shelf.letters[0].source == f"{INBOX}/1/3"


def test_the_same_id_on_two_writers_topics_is_two_letters() -> None:
    honest = rejected(b"{oops")
    copied = RawRecord("x.health.deadletters.v1", 0, 1, T0, honest.key, honest.value, honest.headers)
    letters = shelf_of(honest, copied)
    assert [x.topic for x in letters] == [POLICE_LETTERS, "x.health.deadletters.v1"]
    found, missing = find(letters, [letters[0].id])
    assert (len(found), missing) == (2, [])
    assert [refusal(x, CATALOG, PREFIX) is None for x in found] == [True, False]


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
    assert marks == {(INBOX, letters[0].id): f"{INBOX}/2/40"}
    present: dict[str, TopicAccess] = {INBOX: "present"}
    plan = plan_redrive(letters, marks, present, CATALOG, PREFIX)
    assert [x.id for x in plan.send] == [letters[1].id]
    assert [(o.letter_id, o.action) for o in plan.skip] == [
        (letters[0].id, "already_redriven"),
        (letters[2].id, "skipped"),
    ]
    assert plan.skip[0].target == f"{INBOX}/2/40"
    nowhere = plan_redrive(letters[1:2], {}, {INBOX: "missing"}, CATALOG, PREFIX)
    assert (nowhere.send, nowhere.skip[0].action) == ([], "topic_missing")
    assert nowhere.skip[0].note == f"source topic {INBOX!r} does not exist"
    hidden = plan_redrive(letters[1:2], {}, {INBOX: "unauthorized"}, CATALOG, PREFIX)
    assert (hidden.skip[0].action, hidden.skip[0].note) == (
        "not_authorized",
        f"not authorized to read and write source topic {INBOX}",
    )
    assert {"topic_missing", "not_authorized", "refused", "not_found"} == FAILED
    assert source_topics(letters) == [INBOX]


def test_a_mark_on_another_topic_does_not_stand_for_a_redrive() -> None:
    """Letter ids are predictable: a record on some other topic claiming `x-redrive-of` the letter
    (planted by whoever may write that topic) must not make its redrive look done."""
    letters = collect([rejected(b"{a", offset=1)]).letters
    planted = redrive_record(letters[0])
    elsewhere = "x.urban.inbox.v1"
    marks = redriven([RawRecord(elsewhere, 0, 0, T0, planted.key, planted.value, planted.headers)])
    plan = plan_redrive(letters, marks, {INBOX: "present", elsewhere: "present"}, CATALOG, PREFIX)
    assert [x.id for x in plan.send] == [letters[0].id]
    assert plan.skip == []


@pytest.mark.parametrize(
    ("source_topic", "rejected_by", "written_on", "why"),
    [
        # The forgery: the police service names the ambulance service's inbox.
        ("x.health.inbox.v1", "police", None, "written by police-service (on police.deadletters.v1), "
         "which may not write health.inbox.v1"),
        # ... and claims to be the health service while at it: the topic still says police.
        ("x.health.inbox.v1", "health", POLICE_LETTERS, "claims rejected_by 'health' but was written on "
         "police.deadletters.v1 (by police-service)"),
        # A topic the police service reads but may not write (the correlator writes dispatches).
        ("x.police.dispatch.v1", "police", None, "which may not write police.dispatch.v1"),
        # The correlator reads the agencies' events but may not write them.
        ("x.police.events.v1", "correlator", None, "written by correlator (on correlator.deadletters.v1), "
         "which may not write police.events.v1"),
        ("police.inbox.v1", "police", None, "names source topic 'police.inbox.v1', not a catalog topic"),
        ("x.nowhere.topic.v1", "police", None, "not a catalog topic under prefix 'x.'"),
        (INBOX, "police", "x.case.events.v1", "not a dead-letter topic of the catalog"),
    ],
)  # fmt: skip
def test_a_letter_goes_back_only_where_its_writer_could_write(
    source_topic: str, rejected_by: str, written_on: str | None, why: str
) -> None:
    [letter] = shelf_of(
        rejected(b"{}", source_topic=source_topic, rejected_by=rejected_by, written_on=written_on)
    )
    reason = refusal(letter, CATALOG, PREFIX)
    assert reason is not None
    assert why in reason, reason
    plan = plan_redrive([letter], {}, {source_topic: "present"}, CATALOG, PREFIX)
    assert (plan.send, plan.skip[0].action, plan.skip[0].note) == ([], "refused", reason)
    assert trusted([letter], CATALOG, PREFIX) == []  # its claimed topic is not even read


def test_letters_of_their_writers_own_topics_may_go_back() -> None:
    inbox = shelf_of(rejected(b"{}"))
    own_input = shelf_of(rejected(b"{}", source_topic="x.correlator.input.v1", rejected_by="correlator"))
    for letters in (inbox, own_input):
        assert refusal(letters[0], CATALOG, PREFIX) is None
        assert trusted(letters, CATALOG, PREFIX) == letters


def test_the_operator_may_read_and_write_every_topic_a_letter_may_go_back_to() -> None:
    """The redrive rights the catalog grants the operator: the topics some dead-letter writer both
    reads (so it can reject a record there) and may write (so the letter may go back), but one.
    A state changelog is not one: the correlator reads its own only to restore its state."""
    targets = {
        t.name
        for shelf in CATALOG.dead_letter_topics()
        for t in CATALOG.topics
        if t not in CATALOG.dead_letter_topics()
        and t.name not in PARTITION_TWINS
        and all(w in t.producers and w in t.consumers for w in shelf.producers)
    }
    inboxes = {f"{a}.inbox.v1" for a in CATALOG.agencies}
    # An agency service reads back its own events (the Open311 gateway answers from them) but
    # rejects none there, and the operator may not write them: no letter can go back to one.
    events = {f"{a}.events.v1" for a in CATALOG.agencies}
    assert targets == inboxes | events | {"correlator.input.v1"}
    assert not any("operator" in CATALOG.get(name).producers for name in events)
    for name in inboxes:
        topic = CATALOG.get(name)
        assert "operator" in topic.producers, name
        assert "operator" in topic.consumers, name
    # Not correlator.input.v1: the router records there which agency published each event, so it
    # has one writer; the correlator's letters from there are not the operator's to redrive.
    assert CATALOG.get("correlator.input.v1").producers == ("correlator",)
    written = {t.name for t in CATALOG.topics if "operator" in t.producers}
    # and bus.cap.v1, where `incidentbus query --publish-cap` sends CAP documents as the operator
    assert written == inboxes | {"case.commands.v1", "bus.cap.v1"}


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
