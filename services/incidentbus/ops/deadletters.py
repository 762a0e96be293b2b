"""Dead letters as an operator sees them: each letter once, filtered, shown whole.

A service that meets the same bad record twice (a redelivery, a restart before the commit)
writes the same letter twice, byte for byte and with the same id; operators want to see the
rejected record once, with how many copies the topic holds.

Letters live on one dead-letter topic per writer (the catalog's `DeadLetter` topics) and are
read as one shelf. Each letter keeps the topic it was read from and the principals the catalog
lets write that topic (`written_by`): that, not the letter's own `rejected_by` field, is who
wrote it, because the broker lets nobody else write there. The same id on two writers' topics is
two letters (one of them is not what it claims), each judged by its own writer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from incidentbus.kernel.codec import DecodeError
from incidentbus.kernel.deadletter import decode_dead_letter, open_letter
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.sealing import Keyring, SealingError
from incidentbus.ops.text import bytes_view, iso
from incidentbus.v1 import bus_pb2


@dataclass(frozen=True)
class Letter:
    """One dead letter, as first found on the topic, and how many copies of it there are."""

    letter: bus_pb2.DeadLetter
    position: str  # "partition/offset" of the first copy on the dead-letter topic
    copies: int = 1
    topic: str = ""  # the (physical) dead-letter topic it was read from
    written_by: tuple[str, ...] = ()  # who may write that topic, by the catalog: the trusted writer
    sealed: str = ""  # why its original could not be opened here (no key), "" when open or never sealed

    @property
    def id(self) -> str:
        return str(self.letter.envelope.event_id)

    @property
    def recorded_at(self) -> datetime:
        return self.letter.envelope.recorded_at.ToDatetime(tzinfo=UTC)

    @property
    def from_http(self) -> bool:
        """Refused at HTTP intake: the record never had a log position of its own."""
        return self.letter.source_offset < 0

    @property
    def source(self) -> str:
        """Where the rejected record came from: `topic/partition/offset`, or `topic/http`."""
        letter = self.letter
        if self.from_http:
            return f"{letter.source_topic}/http"
        return f"{letter.source_topic}/{letter.source_partition}/{letter.source_offset}"


@dataclass(frozen=True)
class Shelf:
    """What the dead-letter topic holds: letters (each once), repeats, records that are not letters."""

    letters: list[Letter] = field(default_factory=list)
    repeats: int = 0
    unreadable: list[str] = field(default_factory=list)  # "topic/partition/offset: reason"


def collect(
    records: Iterable[RawRecord],
    writers: Mapping[str, tuple[str, ...]] | None = None,
    keyring: Keyring | None = None,
) -> Shelf:
    """Decode every record of the dead-letter topics, keeping one Letter per (topic, letter id),
    in the order read. `writers` maps each dead-letter topic to the principals that may write it;
    `keyring` opens sealed originals (a letter it cannot open stays sealed and says why)."""
    first: dict[tuple[str, str], bus_pb2.DeadLetter] = {}
    where: dict[tuple[str, str], str] = {}
    copies: dict[tuple[str, str], int] = {}
    unreadable: list[str] = []
    for record in records:
        try:
            letter = decode_dead_letter(record)
        except DecodeError as exc:
            unreadable.append(f"{record.topic}/{record.partition}/{record.offset}: {exc.reason}")
            continue
        key = (record.topic, letter.envelope.event_id)
        copies[key] = copies.get(key, 0) + 1
        if key not in first:
            first[key], where[key] = letter, f"{record.partition}/{record.offset}"
    known = writers or {}
    letters = [
        _opened(Letter(first[k], where[k], copies[k], k[0], known.get(k[0], ())), keyring) for k in first
    ]
    return Shelf(letters, sum(copies.values()) - len(letters), unreadable)


def _opened(letter: Letter, keyring: Keyring | None) -> Letter:
    if not letter.letter.sealed_key_id and not letter.letter.sealed_original:
        return letter
    if keyring is None:
        return replace(letter, sealed=f"sealed with key {letter.letter.sealed_key_id!r}; no keys given")
    try:
        return replace(letter, letter=open_letter(letter.letter, keyring))
    except SealingError as exc:
        return replace(letter, sealed=str(exc))


@dataclass(frozen=True)
class LetterFilter:
    """Which letters an operator asked for. `topics` holds the accepted spellings of the source
    topic (logical and physical); `since` is inclusive, `until` exclusive."""

    topics: frozenset[str] = frozenset()
    reason: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, letter: Letter) -> bool:
        at = letter.recorded_at
        return (
            (not self.topics or letter.letter.source_topic in self.topics)
            and letter.letter.reason.startswith(self.reason)
            and (self.since is None or at >= self.since)
            and (self.until is None or at < self.until)
        )


def select(letters: Iterable[Letter], wanted: LetterFilter) -> list[Letter]:
    return [letter for letter in letters if wanted.admits(letter)]


def find(letters: Iterable[Letter], ids: Iterable[str]) -> tuple[list[Letter], list[str]]:
    """The letters with the given ids, in the order asked, and the ids not found. An id found on
    two writers' topics gives both letters (each is judged by its own writer)."""
    by_id: dict[str, list[Letter]] = {}
    for letter in letters:
        by_id.setdefault(letter.id, []).append(letter)
    found: list[Letter] = []
    missing: list[str] = []
    for letter_id in dict.fromkeys(ids):
        if letter_id in by_id:
            found.extend(by_id[letter_id])
        else:
            missing.append(letter_id)
    return found, missing


def summary(letter: Letter) -> dict[str, object]:
    """A letter as one row of `dlq list --json` (the detail in full)."""
    dl = letter.letter
    return {
        "letter_id": letter.id,
        "time": iso(dl.envelope.recorded_at),
        "source": letter.source,
        "source_topic": dl.source_topic,
        "source_partition": dl.source_partition,
        "source_offset": dl.source_offset,
        "reason": dl.reason,
        "rejected_by": dl.rejected_by,
        "dead_letter_topic": letter.topic,
        "written_by": list(letter.written_by),
        "phase": dl.phase,
        "detail": dl.detail,
        "copies": letter.copies,
    }


def details(letter: Letter) -> dict[str, object]:
    """The whole letter for `dlq show`: everything in the summary plus the original record."""
    dl = letter.letter
    return {
        **summary(letter),
        "dead_letter_position": letter.position,
        "from_http": letter.from_http,
        "original_key": bytes_view(dl.original_key),
        "original_headers": [{"key": h.key, **bytes_view(h.value)} for h in dl.original_headers],
        "original_value": bytes_view(dl.original_value),
        "sealed": letter.sealed,  # non-empty: the original (value and headers) is not readable here
    }
