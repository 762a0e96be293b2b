"""AreaState <-> JSON bytes, for the shell's table and for saving a replay's state at any point.

Canonical JSON (sorted keys, no spaces): the same state always gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from incidentbus.correlator.domain.model import AreaState, Case, Deadline, Place, Report, Task, frozen_map


def _case_dict(case: Case) -> dict[str, Any]:
    data = asdict(case)
    data["last_hash"] = case.last_hash.hex()
    return data


def dumps(state: AreaState) -> bytes:
    data = {
        "area": state.area,
        "clock_ms": state.clock_ms,
        "cases": {k: _case_dict(c) for k, c in state.cases.items()},
        "aliases": dict(state.aliases),
        "seen": dict(state.seen),
        "positions": dict(state.positions),
        "retired": {k: list(v) for k, v in state.retired.items()},
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _place(data: dict[str, Any]) -> Place:
    return Place(data["grid"], tuple(data["path"]), data["lat"], data["lon"], data.get("address", ""))


def _case(data: dict[str, Any]) -> Case:
    values = dict(data)
    values["place"] = _place(data["place"])
    values["reports"] = tuple(Report(**{**r, "place": _place(r["place"])}) for r in data["reports"])
    values["tasks"] = tuple(Task(**t) for t in data["tasks"])
    values["deadlines"] = tuple(Deadline(**d) for d in data["deadlines"])
    values["declined"] = tuple(data["declined"])
    values["last_hash"] = bytes.fromhex(data["last_hash"])
    known = {f.name for f in fields(Case)}
    return Case(**{k: v for k, v in values.items() if k in known})


def loads(raw: bytes) -> AreaState:
    data = json.loads(raw)
    return AreaState(
        area=data["area"],
        clock_ms=data["clock_ms"],
        cases=frozen_map({k: _case(c) for k, c in data["cases"].items()}),
        aliases=frozen_map(data["aliases"]),
        seen=frozen_map(data["seen"]),
        positions=frozen_map(data["positions"]),
        retired=frozen_map({k: (v[0], v[1]) for k, v in data.get("retired", {}).items()}),
    )
