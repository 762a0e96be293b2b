"""The correlator's signed checkpoints at the engine edge (correlator/checkpointing.py): taken at
the interval's boundaries of the partition's event time, covering what the steps published,
the same bytes in every replay and after a restore from the records the partition stores."""

from __future__ import annotations

from incidentbus.correlator.checkpointing import (
    HEAD_PREFIX,
    LAST_KEY,
    MAX_HEADS,
    Checkpointer,
    is_checkpoint_record,
)
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


def _heads(n: int, seq: int = 1) -> list[Output]:
    events = []
    for i in range(n):
        event = case_events_pb2.CaseEvent(case_id=f"C-{i:05d}", sequence=seq, hash=bytes([i % 251]) * 32)
        events.append(Output("case_event", event.case_id, event))
    return events


def test_more_heads_than_a_record_holds_make_consecutive_checkpoints_at_one_time() -> None:
    checkpointer = Checkpointer(0, SIGNER, INTERVAL)
    checkpointer.due(T0, 0)
    checkpointer.moved(_heads(MAX_HEADS * 2 + 5))
    made = checkpointer.due(T0 + INTERVAL, 1)
    found = [o.message for o in made if isinstance(o.message, case_events_pb2.CaseCheckpoint)]
    assert [len(c.changed) for c in found] == [MAX_HEADS, MAX_HEADS, 5]
    assert {c.at_ms for c in found} == {T0 + INTERVAL}
    assert max(len(c.SerializeToString()) for c in found) < 400_000
    folded = fold(0, [from_message(c) for c in found], {SIGNER.key_id: SIGNER.key.public_key()})
    assert (folded.findings, len(folded.heads)) == ([], MAX_HEADS * 2 + 5)


def test_checkpoint_time_never_goes_back_and_late_inputs_take_none() -> None:
    checkpointer = Checkpointer(0, SIGNER, 60_000)
    checkpointer.due(T0 + 7 * 60_000, 0)
    checkpointer.moved(_heads(2))
    [first] = checkpointer.due(T0 + 8 * 60_000, 1)
    checkpointer.moved(_heads(2, seq=2))
    assert checkpointer.due(T0, 2) == []  # late: before the boundary
    longer = Checkpointer.restored(
        0, SIGNER, 600_000, [(k, v) for k, v in checkpointer.writes().items() if v]
    )
    [second] = longer.due(T0 + 9 * 60_000, 3)  # the 10-minute boundary (T0) is before the first
    assert isinstance(first.message, case_events_pb2.CaseCheckpoint)
    assert isinstance(second.message, case_events_pb2.CaseCheckpoint)
    assert second.message.at_ms == first.message.at_ms == T0 + 8 * 60_000


def test_a_boundary_at_the_epoch_survives_a_restore() -> None:
    checkpointer = Checkpointer(0, SIGNER, 1000)
    checkpointer.due(-5, 0)  # the next boundary is 0
    assert checkpointer.due_ms == 0
    back = Checkpointer.restored(0, SIGNER, 1000, [(k, v) for k, v in checkpointer.writes().items() if v])
    assert back.due_ms == 0


def test_a_district_key_is_never_taken_for_a_checkpoint_record() -> None:
    assert is_checkpoint_record(LAST_KEY)
    assert is_checkpoint_record(HEAD_PREFIX + b"C-310101-0a")
    assert not is_checkpoint_record(b"__head__/x|meta/")
    assert not is_checkpoint_record(b"__checkpoint__|case/C-1")


def test_without_a_key_the_content_is_made_unsigned() -> None:
    signed = checkpoints(run(inputs(), signed_store()))
    unsigned = checkpoints(run(inputs(), MemoryStore(signing=(None, INTERVAL))))
    assert [from_message(c).checkpoint.body() for c in unsigned] == [
        from_message(c).checkpoint.body() for c in signed
    ]
    assert {(c.key_id, c.signature) for c in unsigned} == {("", b"")}
