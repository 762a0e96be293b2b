"""AreaState <-> records: one record per case, remembered event id, retired report and alias,
and one for the clock and read positions, so what a step writes is what it touched and no
record grows with the district. Values are canonical JSON (sorted keys, no spaces): the same
state always gives the same bytes.

Record keys are "<store>/<key>" ("case/C-310101-…", "seen/<event id>", "retired/<agency>/<ref>",
"alias/<case id>", "meta/"); `dumps`/`loads` hold a whole area in one value (a replay's saved
state, the tests' round trips).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import MISSING, fields
from typing import Any

from incidentbus.correlator.domain.area import AreaState, Changes
from incidentbus.correlator.domain.model import Case, Deadline, Place, Report, Task

Record = tuple[str, bytes | None]  # (key, value); None: the key is deleted


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


_CASE_DEFAULTS = {f.name: f.default for f in fields(Case) if f.default is not MISSING}
_CASE_FIELDS = tuple(f.name for f in fields(Case))
_PLACE_FIELDS = tuple(f.name for f in fields(Place))
_REPORT_FIELDS = tuple(f.name for f in fields(Report))
_TASK_FIELDS = tuple(f.name for f in fields(Task))
_DEADLINE_FIELDS = tuple(f.name for f in fields(Deadline))
_NESTED = frozenset({"place", "reports", "tasks", "deadlines", "last_hash"})


def _place_dict(place: Place) -> dict[str, Any]:
    return {name: getattr(place, name) for name in _PLACE_FIELDS}


def _report_dict(report: Report) -> dict[str, Any]:
    data = {name: getattr(report, name) for name in _REPORT_FIELDS}
    data["place"] = _place_dict(report.place)
    if not report.contactable:  # most reports: the default is left out, as a case's are
        del data["contactable"]
    return data


def _case_dict(case: Case) -> dict[str, Any]:
    """The case's fields, without those at their default (most of a case's flags, most of the
    time): about a third of the bytes. The dict `dataclasses.asdict` gives (tuples are JSON lists
    either way), built field by field: asdict deep-copies every value, which was most of the time
    a case's record took."""
    data: dict[str, Any] = {}
    for name in _CASE_FIELDS:
        if name in _NESTED:
            continue
        value = getattr(case, name)
        if name not in _CASE_DEFAULTS or value != _CASE_DEFAULTS[name]:
            data[name] = value
    data["place"] = _place_dict(case.place)
    if case.reports:
        data["reports"] = [_report_dict(r) for r in case.reports]
    if case.tasks:
        data["tasks"] = [{name: getattr(t, name) for name in _TASK_FIELDS} for t in case.tasks]
    if case.deadlines:
        data["deadlines"] = [{name: getattr(d, name) for name in _DEADLINE_FIELDS} for d in case.deadlines]
    data["last_hash"] = case.last_hash.hex()  # always written (b"" is the default, "" is not)
    return data


def _place(data: dict[str, Any]) -> Place:
    return Place(data["grid"], tuple(data["path"]), data["lat"], data["lon"], data.get("address", ""))


def _case(data: dict[str, Any]) -> Case:
    values = dict(data)
    values["place"] = _place(data["place"])
    values["reports"] = tuple(Report(**{**r, "place": _place(r["place"])}) for r in data.get("reports", ()))
    values["tasks"] = tuple(Task(**t) for t in data.get("tasks", ()))
    values["deadlines"] = tuple(Deadline(**d) for d in data.get("deadlines", ()))
    values["declined"] = tuple(data.get("declined", ()))
    values["last_hash"] = bytes.fromhex(data.get("last_hash", ""))
    known = {f.name for f in fields(Case)}
    return Case(**{k: v for k, v in values.items() if k in known})


def _meta(state: AreaState) -> dict[str, Any]:
    return {"area": state.area, "clock_ms": state.clock_ms, "positions": dict(state.positions)}


def _value(state: AreaState, store: str, key: str) -> bytes | None:
    """The record of one key as the state holds it now (None: it is gone)."""
    if store == "meta":
        return _json(_meta(state))
    if store == "case":
        case = state.cases.get(key)
        return _json(_case_dict(case)) if case is not None else None
    if store == "seen":
        return _json(state.seen[key]) if key in state.seen else None
    if store == "retired":
        return _json(list(state.retired[key])) if key in state.retired else None
    if store == "alias":
        return _json(state.aliases[key]) if key in state.aliases else None
    raise ValueError(f"no store {store!r} in an area's state")


def records(state: AreaState, changes: Changes) -> list[Record]:
    """The records a step's changes write, in key order."""
    return [(f"{store}/{key}", _value(state, store, key)) for store, key in sorted(changes.keys)]


def all_records(state: AreaState) -> list[Record]:
    """Every record of the state (the whole area, as `from_records` reads it back)."""
    keys = {("meta", "")}
    keys |= {("case", k) for k in state.cases} | {("seen", k) for k in state.seen}
    keys |= {("retired", k) for k in state.retired} | {("alias", k) for k in state.aliases}
    return records(state, Changes(frozenset(keys)))


def from_records(area: str, items: Iterable[tuple[str, bytes]]) -> AreaState:
    """The state these records hold (any order; keys as `records` writes them).

    Raises ValueError for a key of no known store."""
    meta: dict[str, Any] = {"clock_ms": 0, "positions": {}}
    cases: dict[str, Case] = {}
    seen: dict[str, int] = {}
    retired: dict[str, tuple[str, int]] = {}
    aliases: dict[str, str] = {}
    for name, raw in sorted(items):
        store, _, key = name.partition("/")
        value = json.loads(raw)
        if store == "meta":
            meta = value
        elif store == "case":
            cases[key] = _case(value)
        elif store == "seen":
            seen[key] = value
        elif store == "retired":
            retired[key] = (value[0], value[1])
        elif store == "alias":
            aliases[key] = value
        else:
            raise ValueError(f"record {name!r} of no known store")
    return AreaState(area, meta["clock_ms"], cases, aliases, seen, meta["positions"], retired)


def dumps(state: AreaState) -> bytes:
    """The whole area as one value: {record key: record value}."""
    return _json({key: json.loads(value) for key, value in all_records(state) if value is not None})


def loads(raw: bytes) -> AreaState:
    data = json.loads(raw)
    area = data.get("meta/", {}).get("area", "")
    return from_records(area, ((k, _json(v)) for k, v in data.items()))


def legacy_loads(raw: bytes) -> AreaState:
    """A whole area as versions before per-case records stored it (one JSON value per area:
    "area", "clock_ms", "cases", "aliases", "seen", "positions", "retired"), so a correlator
    upgraded in place reads its table; the shell writes it back as records."""
    data = json.loads(raw)
    return AreaState(
        data["area"],
        data["clock_ms"],
        {k: _case(c) for k, c in data["cases"].items()},
        data["aliases"],
        data["seen"],
        data["positions"],
        {k: (v[0], v[1]) for k, v in data.get("retired", {}).items()},
    )
