"""`incidentbus correlate`: native reports from a file -> the case of every report, offline.

No broker: the agencies' adapters and the correlator's core run in this process, in the
reports' own event time (`ops/offline.py`). For backfills and what-ifs on history.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from incidentbus.correlator.rulesfile import rules_for
from incidentbus.kernel.grids import GridLayerError, load_grid_layer
from incidentbus.kernel.jurisdictions import JurisdictionsError, load_jurisdictions
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.correlate_file import Line, correlate_lines, outcome_record, read_line, summary
from incidentbus.ops.offline import DEFAULT_TICK_MS

console = Console(soft_wrap=True)
errors = Console(stderr=True)
EXIT_UNUSABLE = 2


def _fail(message: str) -> None:
    # escaped: a message may quote a TOML table ("[grids]"), which rich would take for markup
    errors.print(f"[red]incidentbus correlate: {escape(message)}[/red]", highlight=False)
    raise typer.Exit(EXIT_UNUSABLE)


def _read(path: Path) -> list[Line]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        _fail(f"{path}: no such file")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{path}: cannot be read ({exc})")
    return [line for n, raw in enumerate(text.splitlines(), start=1) if (line := read_line(n, raw))]


def correlate_command(
    input_file: Annotated[
        Path, typer.Option("--input", help="JSONL: one {agency, native, recorded_at} object per line")
    ],
    rules: Annotated[Path | None, typer.Option(help="correlator rules (default: the shipped ones)")] = None,
    output: Annotated[Path | None, typer.Option(help="write one JSON outcome per input line here")] = None,
    tick_seconds: Annotated[
        int, typer.Option(help="event-time interval of the clock ticks between inputs")
    ] = DEFAULT_TICK_MS // 1000,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
) -> None:
    """Run native reports of any agency through the adapters and the correlator offline.

    Each input line is `{"agency": "police", "native": {...the agency's native JSON...},
    "recorded_at": "2026-11-25T08:00:00+08:00"}`; recorded_at is the time the bus received it
    (its event time). The jurisdiction table and the grid layer are the settings'
    (`INCIDENTBUS_JURISDICTIONS_PATH`, `INCIDENTBUS_GRIDS_PATH`). Prints, for every line, the case
    the report ended in (merges followed) and the match score, or why it was refused. Exit 0 when
    the file was processed (refused lines included), 2 when it cannot be (no such file, unusable
    rules, jurisdiction table or grid layer).
    """
    lines = _read(input_file)
    settings = BusSettings()
    try:  # the settings' grid layer places point-only reports and says which grids neighbour
        grids = load_grid_layer(settings.grids_path)
    except GridLayerError as exc:
        _fail(f"grid layer: {exc}")
    try:
        loaded = rules_for(settings, rules)
    except FileNotFoundError:
        _fail(f"{rules}: no such rules file")
    except Exception as exc:  # a rules file the parser refuses: one line, not a stack trace
        _fail(f"{rules}: rules refused ({type(exc).__name__}: {exc})")
    try:
        places = load_jurisdictions(settings.jurisdictions_path)
    except (OSError, JurisdictionsError) as exc:
        _fail(f"jurisdiction table {settings.jurisdictions_path}: {exc}")
    paired, run = correlate_lines(lines, loaded, places, tick_ms=max(1, tick_seconds) * 1000, grids=grids)
    records = [outcome_record(line, outcome) for line, outcome in paired]
    counts = summary(paired, run)
    if output is not None:
        with output.open("w", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        _print_summary(counts, as_json, output)
    elif as_json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
    else:
        _table(records)
        _print_summary(counts, False, None)


def _table(records: list[dict[str, Any]]) -> None:
    table = Table(show_lines=False)
    for column in ("line", "agency", "ref", "outcome", "case", "score"):
        table.add_column(column, no_wrap=True)
    table.add_column("reason (details: --json)")
    for r in records:
        score = r.get("score")
        shown = f"{score['total']:.2f} {score['rule']}" if score else ""
        why = r.get("reason", "")
        table.add_row(
            str(r["line"]), r["agency"], r.get("ref", ""), r["outcome"], r.get("case_id", ""), shown, why
        )
    console.print(table)


def _print_summary(counts: dict[str, Any], as_json: bool, output: Path | None) -> None:
    if as_json:
        print(json.dumps(counts | ({"output": str(output)} if output else {})))
        return
    outcomes = ", ".join(f"{n} {k}" for k, n in counts["outcomes"].items())
    where = f"; outcomes in {output}" if output else ""
    console.print(
        f"{counts['lines']} lines: {outcomes}; {counts['cases']} cases, {counts['merges']} merges, "
        f"{counts['ticks']} ticks{where}",
        highlight=False,
    )
