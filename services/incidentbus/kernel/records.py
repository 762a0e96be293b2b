"""The one record shape services see, independent of the Kafka client that delivered it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Headers = tuple[tuple[str, bytes], ...]


def normalize_headers(raw: Sequence[tuple[str, bytes]] | Mapping[str, bytes] | None) -> Headers:
    """Headers as an ordered tuple of (key, bytes), whatever the client handed us."""
    if raw is None:
        return ()
    items = raw.items() if isinstance(raw, Mapping) else raw
    return tuple((str(k), bytes(v) if v is not None else b"") for k, v in items)


@dataclass(frozen=True)
class RawRecord:
    """A consumed Kafka record as bytes, with its position in the log."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: Headers = field(default=())

    def header(self, name: str) -> bytes | None:
        """The last value of a header, as Kafka clients conventionally read it."""
        found = None
        for key, value in self.headers:
            if key == name:
                found = value
        return found


@dataclass(frozen=True)
class OutgoingRecord:
    """A record to produce: everything the Kafka client needs, nothing it decides."""

    topic: str
    key: bytes | None
    value: bytes
    headers: Headers = field(default=())
