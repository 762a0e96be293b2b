"""Redrive: put a dead letter's original record back on its source topic, once.

The redriven record is the original key, value and headers plus `x-redrive-of: <letter id>`.
That header is the memory of the redrive: before producing, the source topic is scanned for
it, so running the same redrive twice produces nothing the second time. (Two redrives running
at the same moment could both produce; the services' own idempotency by event id absorbs that.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.ops.deadletters import Letter

REDRIVE_HEADER = "x-redrive-of"

Action = Literal["redriven", "would_redrive", "already_redriven", "skipped", "not_found"]


@dataclass(frozen=True)
class Outcome:
    """What happened (or, in a dry run, would happen) to one letter."""

    letter_id: str
    action: Action
    source: str = ""
    target: str = ""  # "topic/partition/offset" of the redriven record, or of the earlier one
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return {
            "letter_id": self.letter_id,
            "action": self.action,
            "source": self.source,
            "target": self.target,
            "note": self.note,
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


def redriven(records: Iterable[RawRecord]) -> dict[str, str]:
    """Letter id -> position of the first record on a source topic that redrove it."""
    marks: dict[str, str] = {}
    for record in records:
        raw = record.header(REDRIVE_HEADER)
        if raw is not None:
            marks.setdefault(
                raw.decode("utf-8", "replace"), f"{record.topic}/{record.partition}/{record.offset}"
            )
    return marks


def source_topics(letters: Iterable[Letter]) -> list[str]:
    """The topics a redrive of these letters writes to (and must scan first)."""
    return sorted({letter.letter.source_topic for letter in letters if letter.letter.source_topic})


@dataclass(frozen=True)
class RedrivePlan:
    """The letters to produce, and every other letter with the reason it is left alone."""

    send: list[Letter]
    skip: list[Outcome]


def _skip_reason(letter: Letter, marks: dict[str, str], existing: set[str]) -> Outcome | None:
    dl = letter.letter
    if letter.id in marks:
        return Outcome(letter.id, "already_redriven", letter.source, marks[letter.id])
    if not dl.source_topic or dl.source_topic not in existing:
        note = f"source topic {dl.source_topic!r} does not exist"
        return Outcome(letter.id, "skipped", letter.source, note=note)
    if not dl.original_value:
        return Outcome(letter.id, "skipped", letter.source, note="original value is empty; nothing to send")
    return None


def plan_redrive(chosen: Iterable[Letter], marks: dict[str, str], existing: set[str]) -> RedrivePlan:
    """Split the chosen letters into those to produce and those already redriven or unsendable."""
    send: list[Letter] = []
    skip: list[Outcome] = []
    for letter in chosen:
        reason = _skip_reason(letter, marks, existing)
        if reason is None:
            send.append(letter)
        else:
            skip.append(reason)
    return RedrivePlan(send, skip)


def sent(letter: Letter, partition: int, offset: int) -> Outcome:
    return Outcome(letter.id, "redriven", letter.source, f"{letter.letter.source_topic}/{partition}/{offset}")


def would_send(letter: Letter) -> Outcome:
    return Outcome(letter.id, "would_redrive", letter.source, letter.letter.source_topic)
