"""Signed checkpoints (kernel/checkpoints.py), pure: the Merkle tree hash, signing and chaining,
and every tamper kind an auditor's copy can show, table-driven."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from incidentbus.kernel.checkpoints import (
    Checkpoint,
    Head,
    HeadTree,
    Signed,
    compare,
    fold,
    heads_root,
    leaf,
    merkle_root,
    sign,
    signing_keys,
    take,
)

SEED = bytes(range(32))
KEY = Ed25519PrivateKey.from_private_bytes(SEED)
PUBLIC = {"k1": KEY.public_key()}
Copy = dict[str, dict[int, bytes]]


def h(*parts: object) -> bytes:
    return hashlib.sha256(repr(parts).encode()).digest()


def test_the_tree_hash_is_rfc_6962s() -> None:
    """Known values: the empty tree, one leaf, and the split of three leaves as (2, 1)."""
    assert merkle_root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    one = hashlib.sha256(b"\x00a").digest()
    assert merkle_root([b"a"]) == one
    two = hashlib.sha256(b"\x01" + one + hashlib.sha256(b"\x00b").digest()).digest()
    assert merkle_root([b"a", b"b"]) == two
    three = hashlib.sha256(b"\x01" + two + hashlib.sha256(b"\x00c").digest()).digest()
    assert merkle_root([b"a", b"b", b"c"]) == three


def test_every_head_counts_and_order_is_the_slots() -> None:
    heads: dict[str, Head] = {"C-1": (3, h(1, 3)), "C-2": (1, h(2, 1))}
    order = ["C-1", "C-2"]
    assert heads_root(heads, order) != heads_root(heads, list(reversed(order)))
    assert heads_root(heads, order) != heads_root(heads | {"C-2": (2, h(2, 2))}, order)
    assert heads_root(heads, order) != heads_root({"C-1": heads["C-1"]}, order)


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 5)), max_size=120))
def test_the_kept_tree_has_the_root_of_a_full_recount(puts: list[tuple[int, int]]) -> None:
    """Whatever heads are put, new or moved, in any order, the tree kept up to date has the root
    that hashing every leaf in slot order gives."""
    tree = HeadTree()
    for case, seq in puts:
        tree.put(f"C-{case}", (seq, h(case, seq)))
        assert tree.root() == merkle_root([leaf(c, tree.heads[c]) for c in tree.order])
    assert len(tree) == len({case for case, _ in puts})


def history() -> tuple[list[Signed], Copy]:
    """Three checkpoints of partition 0 over four cases, and the untouched copy of their chains."""
    copy: Copy = {}
    signed: list[Signed] = []
    last: Signed | None = None
    tree = HeadTree()
    steps = [{"C-1": 2, "C-2": 1}, {"C-1": 4, "C-3": 2}, {"C-2": 3, "C-4": 1}]
    for n, step in enumerate(steps, start=1):
        for case_id, top in step.items():
            chain = copy.setdefault(case_id, {})
            for seq in range(len(chain) + 1, top + 1):
                chain[seq] = h(case_id, seq)
        heads = {c: (max(chain), chain[max(chain)]) for c, chain in copy.items()}
        checkpoint = take(0, tree, heads, last, at_ms=n * 300_000, input_offset=n * 10)
        last = sign(checkpoint, "k1", KEY)
        signed.append(last)
    return signed, copy


def test_an_untouched_copy_verifies() -> None:
    signed, copy = history()
    checked = fold(0, signed, PUBLIC)
    assert checked.findings == []
    assert compare(checked, copy) == []
    assert [s.checkpoint.number for s in signed] == [1, 2, 3]
    assert signed[1].checkpoint.changed == (("C-1", (4, h("C-1", 4))), ("C-3", (2, h("C-3", 2))))


def test_a_replay_signs_the_same_bytes() -> None:
    first, _ = history()
    again, _ = history()
    assert [s.signature for s in first] == [s.signature for s in again]
    assert [s.digest() for s in first] == [s.digest() for s in again]


def cut_tail(copy: Copy) -> None:
    del copy["C-1"][4]


def delete_case(copy: Copy) -> None:
    del copy["C-4"]


def fork(copy: Copy) -> None:
    copy["C-2"][3] = h("forged")


def roll_back(copy: Copy) -> None:
    """The partition as it stood at checkpoint 2: later events and cases gone."""
    del copy["C-2"][3], copy["C-2"][2], copy["C-4"]


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (cut_tail, {("tail_truncated", "C-1")}),
        (delete_case, {("case_deleted", "C-4")}),
        (fork, {("forked", "C-2")}),
        (roll_back, {("tail_truncated", "C-2"), ("case_deleted", "C-4"), ("rolled_back", "")}),
    ],
)
def test_each_tamper_of_the_copy_is_reported_with_its_kind(
    tamper: Callable[[Copy], None], expected: set[tuple[str, str]]
) -> None:
    signed, copy = history()
    tamper(copy)
    found = compare(fold(0, signed, PUBLIC), copy)
    assert {(f.kind, f.case_id) for f in found} == expected


def forged(signed: list[Signed]) -> list[Signed]:
    """Checkpoint 3 rewritten to fix C-2 one event earlier, signed by someone else."""
    other = Ed25519PrivateKey.generate()
    [*kept, last] = signed
    changed = (("C-2", (2, h("C-2", 2))), ("C-4", (1, h("C-4", 1))))
    return [*kept, sign(replace(last.checkpoint, changed=changed), "k1", other)]


def unknown_key(signed: list[Signed]) -> list[Signed]:
    return [*signed[:2], replace(signed[2], key_id="k9")]


def gap(signed: list[Signed]) -> list[Signed]:
    return [signed[0], signed[2]]


def relinked(signed: list[Signed]) -> list[Signed]:
    """Checkpoint 2 re-signed with the right key but another predecessor: a chain that forks."""
    second = sign(replace(signed[1].checkpoint, previous=h("elsewhere")), "k1", KEY)
    return [signed[0], second, signed[2]]


def root_mismatch(signed: list[Signed]) -> list[Signed]:
    """Checkpoint 3 signed with the right key over `changed` that do not give its root."""
    altered = replace(signed[2].checkpoint, changed=(("C-2", (2, h("C-2", 2))),))
    return [*signed[:2], sign(altered, "k1", KEY)]


@pytest.mark.parametrize(
    ("tamper", "kinds"),
    [
        (forged, {"forged_checkpoint"}),
        (unknown_key, {"unknown_key"}),
        (gap, {"checkpoint_gap", "checkpoint_root_mismatch"}),
        (relinked, {"broken_checkpoint_chain"}),
        (root_mismatch, {"checkpoint_root_mismatch"}),
    ],
)
def test_each_tamper_of_the_checkpoints_is_reported(
    tamper: Callable[[list[Signed]], list[Signed]], kinds: set[str]
) -> None:
    signed, _ = history()
    assert {f.kind for f in fold(0, tamper(signed), PUBLIC).findings} == kinds


def test_a_body_names_every_field() -> None:
    [first, *_], _ = history()
    base = first.checkpoint
    variants: list[Checkpoint] = [
        replace(base, partition=1),
        replace(base, number=2),
        replace(base, at_ms=1),
        replace(base, input_offset=11),
        replace(base, cases=9),
        replace(base, root=h("r")),
        replace(base, previous=h("p")),
        replace(base, changed=base.changed[:1]),
    ]
    assert len({v.body() for v in variants} | {base.body()}) == len(variants) + 1


def test_signing_keys_come_as_kid_and_seed() -> None:
    keys = signing_keys(f"k1:{base64.b64encode(SEED).decode()}")
    assert keys["k1"].public_key().public_bytes_raw() == KEY.public_key().public_bytes_raw()
    for bad in ("", "k1:short", "bad kid:" + base64.b64encode(SEED).decode(), "k1:not-base64!!"):
        with pytest.raises(ValueError, match=r"checkpoint (key|signing key)") as failed:
            signing_keys(bad)
        assert base64.b64encode(SEED).decode() not in str(failed.value)


def test_two_stories_of_one_checkpoint_are_reported_in_any_order() -> None:
    signed, _ = history()
    alt = sign(replace(signed[2].checkpoint, at_ms=1), "k1", KEY)
    one, other = fold(0, [*signed, alt], PUBLIC), fold(0, [alt, *signed], PUBLIC)
    assert "conflicting_checkpoints" in {f.kind for f in one.findings}
    assert {f.kind for f in one.findings} == {f.kind for f in other.findings}
    assert one.latest == other.latest
    assert fold(0, [*signed, signed[1]], PUBLIC).findings == []  # a byte-identical copy is no story


def test_another_partitions_checkpoints_are_not_this_ones() -> None:
    signed, _ = history()
    moved = [sign(replace(s.checkpoint, partition=7), "k1", KEY) for s in signed]
    assert {f.kind for f in fold(0, moved, PUBLIC).findings} == {"wrong_partition"}


def test_a_hole_at_the_fixed_sequence_is_a_fork_not_a_crash() -> None:
    signed, copy = history()
    del copy["C-1"][4]
    copy["C-1"][5] = h("C-1", 5)
    found = compare(fold(0, signed, PUBLIC), copy)
    assert {(f.kind, f.case_id) for f in found} == {("forked", "C-1")}


def test_a_checkpoint_that_cannot_be_framed_is_forged() -> None:
    signed, _ = history()
    broken = replace(signed[2], checkpoint=replace(signed[2].checkpoint, changed=(("C-1", (-1, h(0))),)))
    assert {f.kind for f in fold(0, [*signed[:2], broken], PUBLIC).findings} == {"forged_checkpoint"}
