"""Taking a faust table over (correlator/upgrade.py): the table's records, as faust serialized them,
become the correlate loop's state records, and the state read back is the one the table held."""

from __future__ import annotations

import json
from dataclasses import asdict

from incidentbus.correlator.domain.statecodec import all_records, dumps, from_records
from incidentbus.correlator.engine import MemoryStore, run_input
from incidentbus.correlator.routing import area_of
from incidentbus.correlator.upgrade import AREAS_KEY, converted
from tests.unit.correlator.builders import T0, Feed
from tests.unit.correlator.conftest import RULES


def _state() -> tuple[str, MemoryStore]:
    store, feed = MemoryStore(), Feed()
    for ref in ("A", "B"):
        item = feed.report("police", "traffic.collision_injury", T0, casualties=1, ref=ref)
        run_input(store, RULES, item, area_of(item.event))
    [area] = store.states
    return area, store


def _faust(value: str) -> bytes:
    return json.dumps(value).encode()  # faust's default value serializer for a str


def test_per_key_records_and_the_partitions_districts_carry_over_unchanged() -> None:
    area, store = _state()
    state = store.states[area]
    table: dict[bytes, bytes | None] = {
        f"{area}|{name}".encode(): _faust(value.decode()) for name, value in all_records(state) if value
    }
    table[b"__areas__/3"] = _faust(area)
    table[f"{area}|seen/gone".encode()] = None  # deleted in the table: not carried over
    records = converted(table)
    assert records[AREAS_KEY] == area.encode()
    assert f"{area}|seen/gone".encode() not in records
    items = [(k.decode().partition("|")[2], v) for k, v in records.items() if k != AREAS_KEY]
    assert dumps(from_records(area, items)) == dumps(state)


def test_a_whole_area_value_of_an_older_release_becomes_records() -> None:
    area, store = _state()
    state = store.states[area]
    legacy = {  # one JSON value per area, as before per-case records (statecodec.legacy_loads)
        "area": state.area,
        "clock_ms": state.clock_ms,
        "cases": {k: {**asdict(c), "last_hash": c.last_hash.hex()} for k, c in state.cases.items()},
        "aliases": dict(state.aliases),
        "seen": dict(state.seen),
        "positions": dict(state.positions),
        "retired": {k: list(v) for k, v in state.retired.items()},
    }
    records = converted({area.encode(): _faust(json.dumps(legacy))})
    items = [(k.decode().partition("|")[2], v) for k, v in records.items()]
    assert all(k.startswith(f"{area}|".encode()) for k in records)
    assert dumps(from_records(area, items)) == dumps(state)
