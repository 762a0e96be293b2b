"""The correlate loop's state of one input partition: its RocksDB database, the working states of
its districts built from it, and what the batch in hand changed (correlator/runtime.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from incidentbus.correlator.checkpointing import Checkpointer, is_checkpoint_record
from incidentbus.correlator.domain.area import AreaState, Changes
from incidentbus.correlator.domain.statecodec import from_records, records
from incidentbus.kernel.partition_state import PartitionState

AREAS_KEY = b"__areas__"  # the districts seen in a partition, comma-separated


@dataclass
class Partition:
    """An owned input partition: its RocksDB state, the working states of its districts, its
    checkpoints, and what the batch in hand changed."""

    number: int
    state: PartitionState
    checkpoints: Checkpointer
    areas: dict[str, AreaState] = field(default_factory=dict)
    known: set[str] = field(default_factory=set)  # districts seen in the partition (a tick steps them)
    changed: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    new_areas: bool = False
    last: int = -1  # the batch's last input offset

    def load(self) -> None:
        """The working states from RocksDB (one scan)."""
        grouped: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
        checkpointing: list[tuple[bytes, bytes]] = []
        for key, value in self.state.items():
            if is_checkpoint_record(key):
                checkpointing.append((key, value))
                continue
            area, sep, name = key.decode().partition("|")
            if sep:
                grouped[area].append((name, value))
        self.areas = {area: from_records(area, items) for area, items in grouped.items()}
        known = self.state.get(AREAS_KEY)
        self.known = set(known.decode().split(",")) if known else set()
        c = self.checkpoints
        self.checkpoints = Checkpointer.restored(c.partition, c.signer, c.interval_ms, checkpointing)

    def writes(self) -> dict[bytes, bytes | None]:
        """The batch's changed keys as records, encoded from the states as they are now."""
        out: dict[bytes, bytes | None] = {}
        for area, keys in self.changed.items():
            for name, value in records(self.areas[area], Changes(frozenset(keys))):
                out[f"{area}|{name}".encode()] = value
        if self.new_areas:
            out[AREAS_KEY] = ",".join(sorted(self.known)).encode()
        out.update(self.checkpoints.writes())
        return out

    def settle(self) -> None:
        self.changed, self.new_areas, self.last = defaultdict(set), False, -1


class PartitionStore:
    """engine.AreaStore over one partition."""

    def __init__(self, partition: Partition) -> None:
        self.partition = partition

    def load(self, area: str) -> AreaState:
        state = self.partition.areas.get(area)
        if state is None:  # not `setdefault`: that would build a state on every load
            state = self.partition.areas[area] = AreaState(area)
        return state

    def save(self, area: str, state: AreaState, changes: Changes) -> None:
        self.partition.changed[area].update(changes.keys)

    def areas(self, partition: int) -> list[str]:
        return sorted(self.partition.known)

    def remember(self, partition: int, area: str) -> None:
        if area not in self.partition.known:
            self.partition.known.add(area)
            self.partition.new_areas = True

    def checkpointer(self, partition: int) -> Checkpointer:
        return self.partition.checkpoints
