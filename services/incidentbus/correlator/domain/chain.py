"""The per-case hash chain: sequence numbers without gaps, each event hashing its predecessor.

hash = SHA-256 over the deterministic protobuf encoding of the event with `hash` cleared;
`previous_hash` is inside that encoding, so altering, removing or reordering any event breaks
every link after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from incidentbus.v1 import case_events_pb2


def event_hash(event: case_events_pb2.CaseEvent) -> bytes:
    unhashed = case_events_pb2.CaseEvent()
    unhashed.CopyFrom(event)
    unhashed.ClearField("hash")
    return hashlib.sha256(unhashed.SerializeToString(deterministic=True)).digest()


def seal(event: case_events_pb2.CaseEvent) -> case_events_pb2.CaseEvent:
    """Set the event's hash in place and return it."""
    event.hash = event_hash(event)
    return event


@dataclass(frozen=True)
class ChainProblem:
    case_id: str
    sequence: int
    problem: str  # "altered", "missing", "out_of_order", "broken_link", "conflicting_versions"
    detail: str


def check_chain(case_id: str, events: Iterable[case_events_pb2.CaseEvent]) -> list[ChainProblem]:
    """Every problem of one case's chain, in log order; byte-identical repeats are collapsed."""
    problems: list[ChainProblem] = []
    kept: dict[int, bytes] = {}
    expected, previous = 1, b""
    for event in events:
        encoded = event.SerializeToString(deterministic=True)
        if event.sequence in kept:
            if kept[event.sequence] != encoded:
                problems.append(
                    ChainProblem(
                        case_id,
                        event.sequence,
                        "conflicting_versions",
                        "two different events with one sequence number",
                    )
                )
            continue
        kept[event.sequence] = encoded
        problems.extend(_link_problems(case_id, event, expected, previous))
        expected, previous = event.sequence + 1, event.hash
    return problems


def _link_problems(
    case_id: str, event: case_events_pb2.CaseEvent, expected: int, previous: bytes
) -> list[ChainProblem]:
    found: list[ChainProblem] = []
    if event.hash != event_hash(event):
        found.append(
            ChainProblem(case_id, event.sequence, "altered", "hash does not match the event's content")
        )
    if event.sequence > expected:
        found.append(
            ChainProblem(case_id, expected, "missing", f"sequence {expected}..{event.sequence - 1} absent")
        )
    elif event.sequence < expected:
        found.append(ChainProblem(case_id, event.sequence, "out_of_order", f"arrived after {expected - 1}"))
    elif event.previous_hash != previous:
        found.append(
            ChainProblem(
                case_id, event.sequence, "broken_link", "previous_hash is not the predecessor's hash"
            )
        )
    return found
