"""`incidentbus verify` and `incidentbus trace`: the auditor's view of case.events.v1.

Thin on purpose: reading happens here, every decision is in `incidentbus.ops`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import typer
from rich.table import Table
from rich.text import Text

from incidentbus.cli.reading import (
    EXIT_PROBLEMS,
    EXIT_UNUSABLE,
    console,
    errors,
    fail,
    progress_bar,
    read_topic,
    run,
)
from incidentbus.kernel.checkpoint_keys import read_public_keys
from incidentbus.kernel.kafka import read_at
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.sealing import Keyring, KeyringError
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.checkpoint_audit import checkpoint_problems, records_of_lines
from incidentbus.ops.integrity import CaseCheck, Problem, Stored, Verdict
from incidentbus.ops.integrity import verify as verify_log
from incidentbus.ops.reporters import Reporter, auditor_keyring, reporter_of
from incidentbus.ops.summaries import short_task
from incidentbus.ops.trace import Pending, SourceReport, Step, Trace, checked, physical_topic
from incidentbus.ops.trace import trace as trace_case

CASE_EVENTS = "case.events.v1"
BEHIND_CHECKPOINTS = frozenset({"tail_truncated", "case_deleted", "forked", "rolled_back"})
JSON_OPTION = typer.Option(False, "--json", help="machine-readable output")


async def _records(settings: BusSettings, topic: str) -> list[RawRecord]:
    with progress_bar() as bar:
        return await read_topic(settings, topic, bar)


def _not_found(case_id: str, topic: str, as_json: bool) -> NoReturn:
    if as_json:
        print(json.dumps({"error": "case not found", "case_id": case_id, "topic": topic}))
    fail(f"case {case_id} not found on {topic}", EXIT_PROBLEMS)


def verify(
    case: str | None = typer.Option(None, "--case", help="check only this case"),
    topic: str | None = typer.Option(
        None, "--topic", help="physical topic to check, e.g. an auditor's copy (default: case.events.v1)"
    ),
    snapshots: str | None = typer.Option(
        None,
        "--snapshots",
        help="physical snapshot topic to hold each case's latest snapshot against its chain's head "
        "(the bus's own: <prefix>case.snapshots.v1)",
    ),
    checkpoints: str | None = typer.Option(
        None,
        "--checkpoints",
        help="physical checkpoint topic to hold every chain against (the bus's own: "
        "<prefix>case.checkpoints.v1); needs --public-key",
    ),
    checkpoints_file: Path | None = typer.Option(
        None, "--checkpoints-file", help="checkpoints exported by `checkpoints export`, instead of a topic"
    ),
    public_key: Path | None = typer.Option(
        None, "--public-key", help="the checkpoint public key file (`checkpoints public-key` writes it)"
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check the hash chain of every case: altered, missing, out-of-order, broken-link or
    conflicting events are reported with their case, sequence and log position; with
    --snapshots, a snapshot ahead of, behind or disagreeing with its chain too; with
    --checkpoints (or --checkpoints-file) and --public-key, a cut tail, deleted case or rolled-back
    partition, and forged, missing or unchained checkpoints. Exit 1 on any."""
    settings = BusSettings()
    name = topic or settings.topic(CASE_EVENTS)
    check = _checkpoint_check(settings, checkpoints, checkpoints_file, public_key, case)
    held = run(_records(settings, snapshots)) if snapshots else None
    events = run(_records(settings, name))
    verdict = verify_log(name, events, case, held, check)
    if snapshots and any(p.problem == "snapshot_behind" for p in verdict.problems):
        # On a live bus a case may have moved between the two reads: its snapshot, written with
        # the events just read, is on the topic by now. Read the snapshots once more.
        held = run(_records(settings, snapshots))
        verdict = verify_log(name, events, case, held, check)
    if check and any(p.problem in BEHIND_CHECKPOINTS for p in verdict.problems):
        # A checkpoint and the events it covers go to two topics: on a live bus the events of the
        # batch just signed may become readable a moment after it. Read the events once more.
        events = run(_records(settings, name))
        verdict = verify_log(name, events, case, held, check)
    if case and not verdict.cases_checked and not verdict.problems:
        _not_found(case, name, as_json)
    if as_json:
        print(json.dumps(verdict.as_dict()))
    else:
        _print_verdict(verdict)
    raise typer.Exit(0 if verdict.ok else EXIT_PROBLEMS)


def _checkpoint_check(
    settings: BusSettings, topic: str | None, file: Path | None, key_file: Path | None, case: str | None
) -> CaseCheck | None:
    """The checkpoints and public keys asked for, read before the events (so a case that moves
    meanwhile is only ahead of them), as a check of the grouped cases; None when none were asked."""
    if topic is None and file is None:
        if key_file is not None:
            fail("--public-key needs --checkpoints TOPIC or --checkpoints-file FILE", EXIT_UNUSABLE)
        return None
    if topic is not None and file is not None:
        fail("give --checkpoints or --checkpoints-file, not both", EXIT_UNUSABLE)
    if key_file is None:
        fail(
            "--checkpoints needs --public-key FILE: the keys the auditor holds, not the bus's", EXIT_UNUSABLE
        )
    try:
        keys = read_public_keys(key_file.read_text("utf-8"))
        records = (
            records_of_lines(file.read_text("utf-8").splitlines(), str(file))
            if file is not None
            else run(_records(settings, topic or ""))
        )
    except (OSError, ValueError) as exc:
        fail(str(exc), EXIT_UNUSABLE)

    def check(cases: dict[str, list[Stored]]) -> tuple[list[Problem], int]:
        problems, checked = checkpoint_problems(cases, records, keys, case)
        return problems, checked.checkpoints

    return check


def _print_verdict(verdict: Verdict) -> None:
    counts = (
        f"{verdict.cases_checked} case(s), {verdict.events_checked} event(s) checked, "
        f"{verdict.repeats_collapsed} repeat(s) collapsed"
    )
    if verdict.snapshots_checked:
        counts += f", {verdict.snapshots_checked} snapshot(s) held against their chains"
    if verdict.checkpoints_checked:
        counts += f", held against {verdict.checkpoints_checked} signed checkpoint(s)"
    if verdict.ok:
        console.print(f"[green]✓[/green] {verdict.topic}: {counts}, no problems")
        return
    table = Table("case", "sequence", "problem", "detail", "at (partition/offset)")
    for p in verdict.problems:
        table.add_row(
            Text(p.case_id),
            str(p.sequence or "-"),
            Text(p.problem, style="red"),
            Text(p.detail),
            ", ".join(p.positions) or "-",
        )
    console.print(table)
    cases = len({p.case_id for p in verdict.problems})
    console.print(
        f"[red]✗[/red] {verdict.topic}: {len(verdict.problems)} problem(s) in {cases} case(s); {counts}"
    )


def trace(
    case_id: str = typer.Argument(..., help="the case id, e.g. C-310101-…"),
    as_json: bool = JSON_OPTION,
    decrypt: bool = typer.Option(
        False, "--decrypt", help="show the reporters' personal fields, opened with INCIDENTBUS_FIELD_KEYS"
    ),
) -> None:
    """The whole life of a case: every event with its time, actor, cause and pending deadlines,
    the agencies' original reports (checked against their topics), and any merge. With --decrypt,
    who reported: sealed fields opened where the keys are held, else shown sealed with their key id."""
    settings = BusSettings()
    topic = settings.topic(CASE_EVENTS)
    result = run(_trace(settings, topic, case_id, _keys(settings) if decrypt else None))
    if result is None:
        _not_found(case_id, topic, as_json)
    if as_json:
        print(json.dumps(result.as_dict(), ensure_ascii=False))
    else:
        _print_trace(result)


def _keys(settings: BusSettings) -> tuple[Keyring | None]:
    """The auditor's keyring for --decrypt (None inside: no keys held); exit when it is unusable."""
    try:
        return (auditor_keyring(settings),)
    except KeyringError as exc:
        fail(f"field keys: {exc}", EXIT_UNUSABLE)


async def _trace(
    settings: BusSettings, topic: str, case_id: str, decrypt: tuple[Keyring | None] | None = None
) -> Trace | None:
    found = trace_case(topic, await _records(settings, topic), case_id)
    if found is None:
        return None
    reports, reporters = [], []
    for report in found.reports:
        ref = report.ref
        where = physical_topic(ref.topic, settings.topic_prefix)
        record = await read_at(settings, where, ref.partition, ref.offset)
        reports.append(checked(report, record))
        if decrypt is not None:  # the record is at hand already: open its reporter here
            reporters.append(reporter_of(ref.event_id, record, decrypt[0]))
    return replace(found, reports=reports, reporters=reporters)


def _due(rfc3339: str, step_time: str) -> str:
    """A due time as HH:MM:SS on the step's own day, with the date when it falls on another."""
    if not rfc3339:
        return "-"
    due = datetime.fromisoformat(rfc3339)
    same_day = step_time[:10] == due.strftime("%Y-%m-%d")
    return due.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S")


def _deadlines(step: Step, case_id: str) -> str:
    """Pending deadlines after a step, one line per task: `t1: acknowledge 08:30:00, arrive …`."""
    if step.deadlines is None:
        return "?"
    per_task: dict[str, list[Pending]] = {}
    for d in step.deadlines:
        per_task.setdefault(short_task(d.task_id, case_id), []).append(d)
    lines = [
        f"{task}: " + ", ".join(f"{d.kind.lower()} {_due(d.due, step.time)}" for d in per_task[task])
        for task in sorted(per_task, key=lambda t: (len(t), t))  # t2 before t10
    ]
    return "\n".join(lines) or "-"


def _print_trace(t: Trace) -> None:
    console.print(Text(f"case {t.case_id} — {t.status}", style="bold"))
    if t.merged_into:
        chain, survivor = " → ".join(t.merged_into), t.merged_into[-1]
        console.print(Text(f"merged into {chain}; its story goes on there: incidentbus trace {survivor}"))
    if t.absorbed:
        console.print(Text(f"absorbed: {', '.join(t.absorbed)}"))
    if t.split_into:
        console.print(Text(f"split off: {', '.join(t.split_into)}"))
    labels = {r.ref.event_id: f"{r.ref.source_agency}/{r.ref.source_ref}" for r in t.reports}
    table = Table(
        "seq", "time (UTC)", "event", "actor (via topic)", "cause", "what happened", "pending deadlines after"
    )
    for s in t.steps:
        causes = ", ".join(labels.get(c, c[:8]) for c in s.causes)
        table.add_row(
            str(s.sequence),
            s.time.replace("T", " ").rstrip("Z")[:19],
            s.event_type,
            Text(
                s.actor + (f"\nvia {'.'.join(s.source_topic.rsplit('.', 3)[-3:])}" if s.source_topic else "")
            ),
            Text(causes),
            Text(s.summary.replace(f"{t.case_id}/", "")),
            Text(_deadlines(s, t.case_id)),
        )
    console.print(table)
    _print_reports(t.reports)
    if t.reporters:
        _print_reporters(t.reporters, t.reports)
    for warning in t.warnings:
        errors.print(Text(f"warning: {warning}", style="yellow"))


def _print_reports(reports: list[SourceReport]) -> None:
    table = Table(
        "agency",
        "source ref",
        "topic",
        "partition",
        "offset",
        "event id",
        "linked at",
        "check",
        title="source reports",
    )
    for r in reports:
        style = {"confirmed": "green", "unchecked": "yellow"}.get(r.check, "red")
        check = r.check if r.check != "mismatch" else f"mismatch: ce_id {r.found_id}"
        if r.moved_to:
            check += f" (moved to {r.moved_to})"
        table.add_row(
            Text(r.ref.source_agency),
            Text(r.ref.source_ref),
            Text(r.ref.topic),
            str(r.ref.partition),
            str(r.ref.offset),
            r.ref.event_id,
            f"#{r.linked_at} ({r.rule})",
            Text(check, style=style),
        )
    console.print(table)


def _print_reporters(reporters: list[Reporter], reports: list[SourceReport]) -> None:
    """Who reported (--decrypt): one row per source report, one column per personal field."""
    names = list(dict.fromkeys(f.path.rsplit(".", 1)[-1] for r in reporters for f in r.fields))
    table = Table("agency", "source ref", *names, "note", title="reporters")
    style = {"opened": "green", "sealed": "yellow", "unsealed": "yellow"}
    for reporter, report in zip(reporters, reports, strict=True):
        shown = {f.path.rsplit(".", 1)[-1]: f for f in reporter.fields}
        cells = [
            Text(shown[n].value, style=style.get(shown[n].state, "red")) if n in shown else "-" for n in names
        ]
        table.add_row(
            Text(report.ref.source_agency), Text(report.ref.source_ref), *cells, Text(reporter.note)
        )
    console.print(table)
