"""Redrive: put a dead letter's original record back on its source topic, once.

The redriven record is the original key, value and headers plus `x-redrive-of: <letter id>`.
That header is the memory of the redrive: before producing, the source topic is scanned for
it, so running the same redrive twice produces nothing the second time. (Two redrives running
at the same moment could both produce; the services' own idempotency by event id absorbs that.)

**A letter goes back only where its writer could have written itself.** A letter names its own
source topic, and everything in it is the writer's claim: a police service could write a letter
"from" `health.inbox.v1` and have the operator's redrive put its bytes into the ambulance
service's inbox. So the writer is not taken from the letter but from where it was read: every
writing principal has a dead-letter topic of its own that only it may write (the catalog's
`DeadLetter` topics, one producer each, enforced by the broker's ACLs). A letter is redriven
only when every principal the catalog lets write its dead-letter topic may also write the source
topic it names (and the letter's `rejected_by` names that same dead-letter topic); anything else
is `refused` with the reason, and its claimed source topic is not even read. A redrive therefore
never lets anyone put on a topic what they could not have put there themselves.

Chosen over a "writer" field checked against the catalog (a field is claimed by whoever writes
the letter) and over one shared topic with per-record producer identity (Kafka records carry no
authenticated producer). The operator who runs the redrive needs READ (the `x-redrive-of` scan)
and WRITE on the topics letters may go back to; the catalog grants it the agencies' inboxes (the
source of the agency services' letters), and the refusals here keep each letter to what its
writer could write. Not `correlator.input.v1`: the router records there which agency published
each event, so only the correlator writes it, and the correlator's letters from there are
reported `not_authorized` to the operator (the broker's super user can redrive them).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from incidentbus.kernel.catalog import Catalog
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.ops.deadletters import Letter

REDRIVE_HEADER = "x-redrive-of"

Action = Literal[
    "redriven",
    "would_redrive",
    "already_redriven",
    "skipped",
    "refused",
    "topic_missing",
    "not_authorized",
    "not_found",
]
# Outcomes that make `dlq redrive` exit non-zero: the letter was not (and will not be) redriven
# by this run for a reason the operator must look at.
FAILED: frozenset[Action] = frozenset({"refused", "topic_missing", "not_authorized", "not_found"})
# What the redriving principal may do on a source topic: as `topic_state` tells it.
TopicAccess = Literal["present", "missing", "unauthorized"]


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one letter."""

    letter_id: str
    action: Action
    source: str = ""
    target: str = ""  # "topic/partition/offset" of the redriven record, or of the earlier one
    note: str = ""
    dead_letter_topic: str = ""  # where the letter was read: its writer's topic

    def as_dict(self) -> dict[str, str]:
        return {
            "letter_id": self.letter_id,
            "action": self.action,
            "source": self.source,
            "target": self.target,
            "note": self.note,
            "dead_letter_topic": self.dead_letter_topic,
        }


def redrive_record(letter: Letter) -> OutgoingRecord:
    """The original record again, marked with the letter it comes from.

    An earlier `x-redrive-of` is replaced, not kept: a record rejected again after a redrive has
    its own letter, and that letter's original headers already name the first one.
    """
    dl = letter.letter
    headers = tuple((h.key, h.value) for h in dl.original_headers if h.key != REDRIVE_HEADER)
    return OutgoingRecord(
        dl.source_topic,
        dl.original_key or None,
        dl.original_value,
        (*headers, (REDRIVE_HEADER, letter.id.encode())),
    )


Marks = dict[tuple[str, str], str]  # (source topic, letter id) -> "topic/partition/offset"


def redriven(records: Iterable[RawRecord]) -> Marks:
    """(Topic, letter id) -> position of the first record on that topic that redrove the letter.

    Keyed by topic too: a letter counts as redriven only by a mark on its own source topic, which
    only that topic's writers can put there (letter ids are predictable, so a mark planted on
    another topic must not stand for it)."""
    marks: Marks = {}
    for record in records:
        raw = record.header(REDRIVE_HEADER)
        if raw is not None:
            key = (record.topic, raw.decode("utf-8", "replace"))
            marks.setdefault(key, f"{record.topic}/{record.partition}/{record.offset}")
    return marks


def refusal(letter: Letter, catalog: Catalog, prefix: str) -> str | None:
    """Why the letter may not go back to the source topic it names, or None when it may: every
    principal allowed to write the letter's dead-letter topic may write that source topic."""
    dl, shelf = letter.letter, catalog.logical(letter.topic, prefix)
    if shelf is None or shelf not in catalog.dead_letter_topics():
        return f"read from {letter.topic!r}, not a dead-letter topic of the catalog: its writer is unknown"
    writers = ", ".join(shelf.producers)
    try:
        claimed = catalog.dead_letter_topic(dl.rejected_by).name
    except KeyError:
        claimed = ""
    if claimed != shelf.name:
        return f"claims rejected_by {dl.rejected_by!r} but was written on {shelf.name} (by {writers})"
    target = catalog.logical(dl.source_topic, prefix)
    if target is None:
        return f"names source topic {dl.source_topic!r}, not a catalog topic under prefix {prefix!r}"
    if not shelf.producers or any(w not in target.producers for w in shelf.producers):
        return (
            f"written by {writers} (on {shelf.name}), which may not write {target.name}: "
            "a letter goes back only to a topic its writer could write itself"
        )
    return None


def trusted(letters: Iterable[Letter], catalog: Catalog, prefix: str) -> list[Letter]:
    """The letters a redrive may send (refusal is None); only their source topics are read."""
    return [letter for letter in letters if refusal(letter, catalog, prefix) is None]


def source_topics(letters: Iterable[Letter]) -> list[str]:
    """The topics a redrive of these letters writes to (and must scan first)."""
    return sorted({letter.letter.source_topic for letter in letters if letter.letter.source_topic})


@dataclass(frozen=True)
class RedrivePlan:
    """The letters to produce, and every other letter with the reason it is left alone."""

    send: list[Letter]
    skip: list[Outcome]


def _outcome(letter: Letter, action: Action, target: str = "", note: str = "") -> Outcome:
    return Outcome(letter.id, action, letter.source, target, note, letter.topic)


def _skip_reason(
    letter: Letter, marks: Marks, access: dict[str, TopicAccess], catalog: Catalog, prefix: str
) -> Outcome | None:
    dl = letter.letter
    if (refused := refusal(letter, catalog, prefix)) is not None:
        return _outcome(letter, "refused", note=refused)
    if (dl.source_topic, letter.id) in marks:
        return _outcome(letter, "already_redriven", marks[(dl.source_topic, letter.id)])
    state = access.get(dl.source_topic, "missing")
    if state == "unauthorized":
        note = f"not authorized to read and write source topic {dl.source_topic}"
        return _outcome(letter, "not_authorized", note=note)
    if state == "missing":
        return _outcome(letter, "topic_missing", note=f"source topic {dl.source_topic!r} does not exist")
    nothing = _nothing_to_send(letter)
    return _outcome(letter, "skipped", note=nothing) if nothing else None


def _nothing_to_send(letter: Letter) -> str:
    """Why a letter has no original to send here: sealed with a key not held, or empty."""
    if letter.sealed:
        return f"original not opened here: {letter.sealed}"
    return "" if letter.letter.original_value else "original value is empty; nothing to send"


def plan_redrive(
    chosen: Iterable[Letter],
    marks: Marks,
    access: dict[str, TopicAccess],
    catalog: Catalog,
    prefix: str,
) -> RedrivePlan:
    """Split the chosen letters into those to produce and those refused, already redriven or
    unsendable. `access` says, per physical source topic, what the redriving principal found."""
    send: list[Letter] = []
    skip: list[Outcome] = []
    for letter in chosen:
        reason = _skip_reason(letter, marks, access, catalog, prefix)
        if reason is None:
            send.append(letter)
        else:
            skip.append(reason)
    return RedrivePlan(send, skip)


def sent(letter: Letter, partition: int, offset: int) -> Outcome:
    return _outcome(letter, "redriven", f"{letter.letter.source_topic}/{partition}/{offset}")


def would_send(letter: Letter) -> Outcome:
    return _outcome(letter, "would_redrive", letter.letter.source_topic)


def not_authorized(letter: Letter, detail: str) -> Outcome:
    """The broker refused the redriving principal's write."""
    note = f"not authorized to write {letter.letter.source_topic}: {detail}"
    return _outcome(letter, "not_authorized", note=note)
