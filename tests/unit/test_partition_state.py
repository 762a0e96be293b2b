"""A partition's RocksDB state (kernel/partition_state.py): written per committed batch, restored from
its changelog. The invariant, over random histories (hypothesis): a store restored from the
changelog alone holds exactly the fold of the committed inputs, whatever else the changelog
holds — parts of batches that failed (their inputs read again, in other batch sizes) and late
records of a worker that lost the partition (a zombie of an older generation)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentbus.kernel.partition_state import ChangelogRecord, PartitionState, StateOrderError

KEYS = [b"case/1", b"case/2", b"seen/a", b"seen/b"]
Writes = dict[bytes, bytes | None]

batch_writes = st.dictionaries(
    st.sampled_from(KEYS), st.one_of(st.none(), st.binary(min_size=1, max_size=4)), min_size=1
)


def fold(batches: list[Writes]) -> dict[bytes, bytes]:
    state: dict[bytes, bytes] = {}
    for writes in batches:
        for key, value in writes.items():
            if value is None:
                state.pop(key, None)
            else:
                state[key] = value
    return state


def store(tmp: Path, name: str) -> PartitionState:
    return PartitionState(tmp / name)


def test_a_committed_batch_is_read_back_with_its_offsets(tmp_path: Path) -> None:
    state = store(tmp_path, "p0")
    state.commit({b"case/1": b"x", b"seen/a": b"1"}, changelog_offset=4, processed=9, generation=3)
    state.commit({b"seen/a": None}, changelog_offset=5, processed=12, generation=3)
    state.close()
    again = store(tmp_path, "p0")  # reopened: what a restart on the same disk finds
    assert list(again.items()) == [(b"case/1", b"x")]
    assert (again.changelog_offset, again.processed_offset, again.generation) == (5, 12, 3)
    assert again.get(b"case/1") == b"x"
    assert again.get(b"seen/a") is None


def test_the_changelog_offset_never_goes_back(tmp_path: Path) -> None:
    state = store(tmp_path, "p0")
    state.commit({b"case/1": b"x"}, changelog_offset=5, processed=9, generation=1)
    with pytest.raises(StateOrderError):
        state.commit({b"case/1": b"y"}, changelog_offset=4, processed=10, generation=1)
    assert state.get(b"case/1") == b"x"


def test_a_record_key_cannot_take_the_offsets_place(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NUL"):
        store(tmp_path, "p0").commit(
            {b"\x00changelog-offset": b"9"}, changelog_offset=1, processed=1, generation=1
        )


def merged(inputs: list[Writes]) -> Writes:
    """A batch's state records: each key's last write over its inputs."""
    out: Writes = {}
    for writes in inputs:
        out.update(writes)
    return out


Record = tuple[bytes, bytes | None, int, int]  # key, value, processed, generation


@settings(max_examples=200, deadline=None)
@given(
    inputs=st.lists(
        st.dictionaries(st.sampled_from(KEYS), st.one_of(st.none(), st.binary(max_size=3))),
        min_size=1,
        max_size=10,
    ),
    data=st.data(),
)
def test_restoring_from_the_changelog_gives_the_committed_inputs_state(
    inputs: list[Writes], data: st.DataObject
) -> None:
    """Random histories of one input partition: batches of any size that succeed (all records
    sent, offsets committed), fail midway (some of their records sent, nothing committed, the
    same inputs read again in other batch sizes) or are cut off by a hand-over (the worker's
    in-flight records land later, any time, as a zombie's, while its successor in the next
    generation reads again from the committed offset). A restore from the changelog, in one go or
    cut short and resumed, holds exactly the state of the committed inputs."""
    changelog: list[Record] = []
    zombies: list[list[Record]] = []
    committed, generation = 0, 1
    for _ in range(data.draw(st.integers(1, 14), label="attempts")):
        if committed == len(inputs):
            break
        end = data.draw(st.integers(committed, len(inputs) - 1), label="batch end")
        records = [(k, v, end, generation) for k, v in merged(inputs[committed : end + 1]).items()]
        outcome = data.draw(st.sampled_from(["sent", "failed", "handed over"]), label="outcome")
        if outcome == "sent":
            changelog += records
            committed = end + 1
        else:
            part = data.draw(st.lists(st.sampled_from(records), unique=True) if records else st.just([]))
            if outcome == "failed":
                changelog += part
            else:
                zombies.append(part)
                generation += 1
        while zombies and data.draw(st.booleans(), label="a zombie's records land"):
            changelog += zombies.pop(data.draw(st.integers(0, len(zombies) - 1)))
    for late in zombies:
        changelog += late
    records = [ChangelogRecord(k, v, offset, p, g) for offset, (k, v, p, g) in enumerate(changelog)]
    cut = data.draw(st.integers(0, len(records)), label="restore cut short after")
    with tempfile.TemporaryDirectory() as tmp:
        state = store(Path(tmp), "p0")
        state.restore(records[:cut], committed)
        state.close()
        state = store(Path(tmp), "p0")  # resumed on the same disk
        state.restore(records[(state.changelog_offset or -1) + 1 :], committed)
        assert dict(state.items()) == fold(inputs[:committed])
        assert state.changelog_offset == (len(records) - 1 if records else None)
        state.close()


def test_a_restore_cut_short_resumes_where_it_stopped(tmp_path: Path) -> None:
    records = [ChangelogRecord(f"case/{i}".encode(), b"v", i, 10 + i, 1) for i in range(6)]
    state = store(tmp_path, "p0")
    state.restore(records[:3], committed=100)
    resumed_from = state.changelog_offset
    assert resumed_from == 2
    state.restore(records[resumed_from + 1 :], committed=100)
    assert [k for k, _ in state.items()] == [f"case/{i}".encode() for i in range(6)]
