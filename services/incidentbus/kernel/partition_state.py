"""The state of one input partition: a RocksDB database (rocksdict) backed by a compacted changelog
topic with the input's partitions, written and restored as quix-streams checkpoints its stores.

A batch's changelog records go to the broker with its outputs, each carrying in a header the
offset of the last input it reflects (`PROCESSED_HEADER`). Once every record is acknowledged, the
input offsets are committed, and only then is the batch written here, in one atomic write batch
with the changelog offset it reached (`commit`). So this database is always a prefix of the
acknowledged changelog and never ahead of the committed input.

A worker that takes the partition over reads the changelog past the offset stored here
(`restore`) and applies, in changelog order, a record only if it reflects an input below the
group's committed offset (a batch whose offsets were never committed is not state: its inputs
are read again and, the core being deterministic, give the same records after it), and only if
it was written in the newest consumer-group generation seen so far (`GENERATION_HEADER`): a late
record of a worker that lost the partition, a zombie, cannot overwrite what its successor wrote.
Within one generation the last record of a key wins, whatever input offset it carries: a batch
that failed midway may have left a record reflecting later inputs than the smaller batches that
read the same inputs again, and those come after it with the same values for what they share.

Keys and values are bytes; the two offsets live under keys no record key can take (they start
with a NUL byte).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from rocksdict import Options, Rdict, WriteBatch

PROCESSED_HEADER = "x-incidentbus-processed-offset"
GENERATION_HEADER = "x-incidentbus-generation"  # the writer's consumer-group generation
_CHANGELOG_OFFSET = b"\x00changelog-offset"
_PROCESSED_OFFSET = b"\x00processed-offset"
_GENERATION = b"\x00generation"


class StateOrderError(Exception):
    """A write that would move the stored changelog offset back (a bug, or two writers)."""


@dataclass(frozen=True)
class ChangelogRecord:
    """A changelog record as read back: key, value (None: a tombstone), its offset in the
    changelog, the input offset it reflects (`PROCESSED_HEADER`) and its writer's group
    generation (`GENERATION_HEADER`)."""

    key: bytes
    value: bytes | None
    offset: int
    processed: int
    generation: int


class PartitionState:
    """One partition's RocksDB database. Not shared between tasks: the runtime owns it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        options = Options(raw_mode=True)  # bytes in, bytes out: no pickling
        options.create_if_missing(True)
        self.path = path
        self.db = Rdict(str(path), options)

    def close(self) -> None:
        self.db.close()

    def get(self, key: bytes) -> bytes | None:
        value = self.db.get(key)
        return value if isinstance(value, bytes) else None

    def items(self) -> Iterator[tuple[bytes, bytes]]:
        """Every record (the offsets apart), in key order."""
        for key, value in self.db.items():
            if isinstance(key, bytes) and isinstance(value, bytes) and not key.startswith(b"\x00"):
                yield key, value

    @property
    def changelog_offset(self) -> int | None:
        """The offset of the last changelog record this database holds; None before any."""
        return self._offset(_CHANGELOG_OFFSET)

    @property
    def processed_offset(self) -> int | None:
        """The offset of the last input whose state this database holds; None before any."""
        return self._offset(_PROCESSED_OFFSET)

    @property
    def generation(self) -> int | None:
        """The newest writer generation this database has seen; None before any."""
        return self._offset(_GENERATION)

    def commit(
        self,
        writes: Mapping[bytes, bytes | None],
        *,
        changelog_offset: int,
        processed: int,
        generation: int,
    ) -> None:
        """Write a batch whose changelog records are acknowledged (up to `changelog_offset`) and
        whose inputs are committed (up to `processed`), written in group `generation`,
        atomically. StateOrderError if the changelog offset would go back."""
        stored = self.changelog_offset
        if stored is not None and changelog_offset < stored:
            raise StateOrderError(f"{self.path}: changelog offset {changelog_offset} < stored {stored}")
        batch = WriteBatch(raw_mode=True)
        for key, value in writes.items():
            if key.startswith(b"\x00"):
                raise ValueError(f"record key {key!r} starts with NUL, kept for offsets")
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
        batch.put(_CHANGELOG_OFFSET, str(changelog_offset).encode())
        batch.put(_PROCESSED_OFFSET, str(processed).encode())
        batch.put(_GENERATION, str(max(generation, self.generation or 0)).encode())
        self.db.write(batch)

    def restore(self, records: Iterable[ChangelogRecord], committed: int) -> int:
        """Apply changelog records read past `changelog_offset`, in changelog order: each one
        that reflects an input below `committed` (the group's committed offset of the input
        partition) and was written in the newest generation seen so far. Every record read
        advances the stored changelog offset, so a restore cut short resumes where it stopped.
        The number applied."""
        applied = 0
        newest = self.generation
        for record in records:
            batch = WriteBatch(raw_mode=True)
            if newest is None or record.generation >= newest:
                newest = record.generation
                batch.put(_GENERATION, str(newest).encode())
                if record.processed < committed:
                    if record.value is None:
                        batch.delete(record.key)
                    else:
                        batch.put(record.key, record.value)
                    processed = max(record.processed, self.processed_offset or -1)
                    batch.put(_PROCESSED_OFFSET, str(processed).encode())
                    applied += 1
            batch.put(_CHANGELOG_OFFSET, str(record.offset).encode())
            self.db.write(batch)
        return applied

    def destroy(self) -> None:
        """Close and delete the database (a local copy that cannot be trusted)."""
        self.db.close()
        Rdict.destroy(str(self.path), Options(raw_mode=True))

    def _offset(self, key: bytes) -> int | None:
        raw = self.db.get(key)
        return int(raw) if isinstance(raw, bytes) else None
