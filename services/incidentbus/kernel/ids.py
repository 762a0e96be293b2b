"""Deterministic identifiers: the same fact always gets the same id, so redelivery is harmless."""

from __future__ import annotations

import hashlib
import uuid

# Fixed namespace of the bus; changing it would change every id ever issued.
BUS_NAMESPACE = uuid.UUID("6f1c7e3a-2d4b-5c8e-9a10-1b2c3d4e5f60")


def stable_id(*parts: object) -> str:
    """A UUIDv5 over the parts, joined unambiguously (length-prefixed)."""
    text = "".join(f"{len(str(p))}:{p}|" for p in parts)
    return str(uuid.uuid5(BUS_NAMESPACE, text))


def event_id(source: str, source_ref: str, revision: int, event_type: str) -> str:
    """Event id for a source fact: agency, its own reference, the record's revision and type."""
    return stable_id("event", source, source_ref, revision, event_type)


def traceparent_for(event_id_: str) -> str:
    """A W3C traceparent derived from the event id, for events that arrive without one."""
    digest = hashlib.sha256(event_id_.encode()).hexdigest()
    return f"00-{digest[:32]}-{digest[32:48]}-01"
