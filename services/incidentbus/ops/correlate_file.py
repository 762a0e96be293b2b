"""The file format of `incidentbus correlate`: JSON lines in, one outcome per line out.

An input line is `{"agency": …, "native": {…}, "recorded_at": "<ISO 8601 with zone>"}`; blank
lines and `#` comments are skipped; a line that cannot be read is refused with a reason
(`offline.json`, `offline.line`, `offline.time`) and the others are correlated by
`ops.offline.correlate`, in file order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from incidentbus.correlator.domain.rules import Rules
from incidentbus.kernel.grids import GridLayer
from incidentbus.kernel.jurisdictions import Jurisdictions
from incidentbus.ops.offline import DEFAULT_TICK_MS, REPORT, OfflineRun, Outcome, correlate
from incidentbus.ops.text import parse_when


@dataclass(frozen=True)
class Line:
    """One line of an input file: `{"agency": …, "native": {…}, "recorded_at": "<ISO 8601 with zone>"}`,
    or why it could not be read (`reason`, `detail`)."""

    number: int
    agency: str = ""
    native: Any = None
    recorded_ms: int = 0
    reason: str = ""
    detail: str = ""
    recorded_at: str = ""  # as written in the file


class _UnreadableError(Exception):
    def __init__(self, reason: str, detail: str, agency: str = "") -> None:
        super().__init__(detail)
        self.reason, self.detail, self.agency = reason, detail, agency


def read_line(number: int, text: str) -> Line | None:
    """A line of the input file (None for a blank line or a `#` comment)."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    try:
        agency, native, recorded = _fields(stripped)
        when = parse_when(recorded)
    except _UnreadableError as exc:
        return Line(number, exc.agency, reason=exc.reason, detail=exc.detail)
    except ValueError as exc:
        return Line(number, agency, reason="offline.time", detail=f"recorded_at {exc}")
    return Line(number, agency, native, int(when.timestamp() * 1000), recorded_at=recorded)


def _fields(text: str) -> tuple[str, Any, str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _UnreadableError("offline.json", f"invalid JSON: {exc.msg} at column {exc.colno}") from exc
    if not isinstance(value, dict):
        raise _UnreadableError("offline.json", f"expected a JSON object, got {type(value).__name__}")
    agency, native, recorded = value.get("agency"), value.get("native"), value.get("recorded_at")
    missing = [k for k, v in (("agency", agency), ("native", native), ("recorded_at", recorded)) if v is None]
    if missing:
        raise _UnreadableError("offline.line", f"missing {', '.join(missing)}", str(agency or ""))
    if not isinstance(agency, str) or not isinstance(recorded, str):
        raise _UnreadableError("offline.line", "agency and recorded_at must be strings")
    return agency, native, recorded


def correlate_lines(
    lines: Iterable[Line],
    rules: Rules,
    places: Jurisdictions,
    *,
    tick_ms: int = DEFAULT_TICK_MS,
    grids: GridLayer | None = None,
) -> tuple[list[tuple[Line, Outcome]], OfflineRun]:
    """Every line with its outcome, in file order: unreadable lines refused, the rest correlated."""
    lines = list(lines)
    good = [line for line in lines if not line.reason]
    items = ((x.agency, x.native, x.recorded_ms) for x in good)
    run = correlate(items, rules, places, tick_ms=tick_ms, grids=grids)
    by_line = {line.number: outcome for line, outcome in zip(good, run.outcomes, strict=True)}
    paired = []
    for line in lines:
        outcome = by_line.get(line.number)
        if outcome is None:
            outcome = Outcome(-1, line.agency, line.recorded_ms, reason=line.reason, detail=line.detail)
        paired.append((line, outcome))
    return paired, run


def outcome_record(line: Line, outcome: Outcome) -> dict[str, Any]:
    """One output line of `incidentbus correlate` (keys with nothing to say are left out)."""
    record: dict[str, Any] = {"line": line.number, "agency": outcome.agency, "outcome": outcome.outcome}
    if line.recorded_at:
        record["recorded_at"] = line.recorded_at
    for key in ("ref", "kind", "event_id", "case_id", "joined", "case_status", "reason", "detail"):
        value = getattr(outcome, key)
        if value:
            record[key] = value
    if outcome.score is not None:
        record["score"] = outcome.score
    return record


def summary(paired: list[tuple[Line, Outcome]], run: OfflineRun) -> dict[str, Any]:
    """Counts of a run: lines, outcomes, reasons, cases, merges, ticks."""
    outcomes = Counter(o.outcome for _, o in paired)
    reasons = Counter(o.reason for _, o in paired if o.outcome == "refused")
    cases = {o.case_id for _, o in paired if o.kind == REPORT and o.case_id}
    return {
        "lines": len(paired),
        "outcomes": dict(sorted(outcomes.items())),
        "refused_by_reason": dict(sorted(reasons.items())),
        "cases": len(cases),
        "merges": run.merges,
        "ticks": run.ticks,
        "areas": sorted(run.states),
    }
