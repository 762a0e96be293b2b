"""The correlator's signed checkpoints at the engine edge (correlator/checkpointing.py): taken at
the interval's boundaries of the partition's event time, covering what the steps published,
the same bytes in every replay and after a restore from the records the partition stores."""

from __future__ import annotations

from incidentbus.correlator.checkpointing import Checkpointer
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.engine import MemoryStore, run_input
from incidentbus.correlator.routing import area_of
from incidentbus.kernel.checkpoint_keys import checkpoint_signer
from incidentbus.kernel.checkpoints import compare, fold, from_message
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import case_events_pb2
from tests.unit.correlator.builders import T0, Feed
from tests.unit.correlator.conftest import RULES

SIGNER = checkpoint_signer(BusSettings(environment="test"))
INTERVAL = RULES.audit.checkpoint_interval_ms
TYPES = ["traffic.collision", "hazard.fire", "urban.road_damage", "public_safety.noise", "medical.illness"]


def inputs() -> list[Input]:
    """Reports a few minutes apart (some joining, some opening cases) and a tick each minute,
    over eight intervals of event time."""
    feed, items = Feed(), []
    for minute in range(40):
        at = T0 + minute * 60_000 + 7_000
        if minute % 3 == 0:
            items.append(feed.report("police", TYPES[minute % len(TYPES)], at, ref=f"r{minute}"))
        items.append(feed.tick(at + 30_000))
    return items


def run(items: list[Input], store: MemoryStore) -> list[Output]:
    outputs: list[Output] = []
    for item in items:
        key = "" if item.is_tick else area_of(item.event)
        outputs += run_input(store, RULES, item, key)
    return outputs


def signed_store() -> MemoryStore:
    return MemoryStore(signing=(SIGNER, INTERVAL))


def checkpoints(outputs: list[Output]) -> list[case_events_pb2.CaseCheckpoint]:
    return [o.message for o in outputs if isinstance(o.message, case_events_pb2.CaseCheckpoint)]


def test_checkpoints_fall_on_boundaries_and_fix_what_was_published() -> None:
    outputs = run(inputs(), signed_store())
    found = checkpoints(outputs)
    assert len(found) >= 5
    assert [c.number for c in found] == list(range(1, len(found) + 1))
    assert all(c.at_ms % INTERVAL == 0 and c.changed for c in found)
    assert [o.key for o in outputs if o.kind == "checkpoint"] == [f"0/{c.number}" for c in found]
    chains: dict[str, dict[int, bytes]] = {}
    for o in outputs:
        if isinstance(o.message, case_events_pb2.CaseEvent):
            chains.setdefault(o.message.case_id, {})[o.message.sequence] = o.message.hash
    folded = fold(0, [from_message(c) for c in found], {SIGNER.key_id: SIGNER.key.public_key()})
    assert folded.findings == []
    assert compare(folded, chains) == []
    assert 0 < len(folded.heads) <= len(chains)


def test_a_checkpoint_covers_the_inputs_before_the_boundary_only() -> None:
    items = inputs()
    outputs = run(items, signed_store())
    for c in checkpoints(outputs):
        covered = [i for i in items if i.at.offset < c.input_offset]
        after = [i for i in items if i.at.offset >= c.input_offset]
        assert max(i.recorded_ms for i in covered) < c.at_ms <= after[0].recorded_ms


def test_a_replay_signs_the_same_bytes() -> None:
    first = [c.SerializeToString(deterministic=True) for c in checkpoints(run(inputs(), signed_store()))]
    again = [c.SerializeToString(deterministic=True) for c in checkpoints(run(inputs(), signed_store()))]
    assert first == again


def test_a_restore_from_the_stored_records_goes_on_as_if_never_stopped() -> None:
    """The partition persists `writes()` after every batch; a checkpointer restored from those
    records (in any order) signs exactly what the uninterrupted one signs."""
    items = inputs()
    whole = checkpoints(run(items, signed_store()))
    for cut in (5, len(items) // 2, len(items) - 3):
        store = signed_store()
        run(items[:cut], store)
        stored: dict[bytes, bytes | None] = {}
        for _ in range(2):  # a second call writes nothing new
            stored.update(store.checkpointers[0].writes())
        records = [(k, v) for k, v in reversed(stored.items()) if v is not None]
        store.checkpointers[0] = Checkpointer.restored(0, SIGNER, INTERVAL, records)
        rest = run(items[cut:], store)
        before = checkpoints(run(items[:cut], signed_store()))
        assert before + checkpoints(rest) == whole


def test_without_a_signer_nothing_is_signed() -> None:
    assert checkpoints(run(inputs(), MemoryStore())) == []
