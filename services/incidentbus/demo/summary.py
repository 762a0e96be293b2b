"""The demo's closing summary: what the day produced, checked against what the scenario staged."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from rich.console import Console
from rich.table import Table

from incidentbus.demo.scenario import DAY, REWORK_GRID
from incidentbus.demo.systems import Systems
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.readmodel import OPEN, ReadModel
from incidentbus.v1 import case_events_pb2

console = Console(soft_wrap=True)
ACCIDENT_REF = DAY[0].ref


def figures(model: ReadModel) -> dict[str, object]:
    snaps = list(model.snapshots.values())
    live = [s for s in snaps if s.merged_into == ""]
    reports = sum(len(s.reports) for s in live)
    closed = [s for s in live if s.status == case_events_pb2.CASE_STATUS_CLOSED]
    tasks = Counter(t.agency for t in model.tasks.values())
    return {
        "cases opened": len(snaps),
        "reports received": reports,
        "reports merged into existing cases": reports - len(live),
        "tasks by agency": dict(sorted(tasks.items())),
        "escalations (missed deadlines)": sum(c.escalations for c in model.cases.values()),
        "reopened after failed verification": sum(1 for c in model.cases.values() if c.reopened),
        "closed-loop rate": f"{len(closed)}/{len(live)} closed ({100 * len(closed) // max(1, len(live))}%)",
        "open now": len([s for s in live if s.status not in OPEN]),
        "dead letters": sum(model.dead_letters.values()),
    }


def accident_case(model: ReadModel) -> str:
    for snap in model.snapshots.values():
        if any(r.source_ref == ACCIDENT_REF for r in snap.reports) and not snap.merged_into:
            return snap.case_id
    return ""


def checks(model: ReadModel) -> list[tuple[str, bool]]:
    """The scenario's promises, verified on the record."""
    accident = model.snapshots.get(accident_case(model))
    rework = [c for c in model.snapshots.values() if c.location.grid_code == REWORK_GRID]
    return [
        ("the accident's three reports became one case", accident is not None and len(accident.reports) == 3),
        (
            "... with tasks for police, health and urban",
            accident is not None and {t.agency for t in accident.tasks} >= {"police", "health", "urban"},
        ),
        (
            "... closed after verification",
            accident is not None and accident.status == case_events_pb2.CASE_STATUS_CLOSED,
        ),
        ("the unknown gas took the fast path", any(s.priority == 5 for s in model.snapshots.values())),
        ("a missed deadline escalated a case", any(c.escalations for c in model.cases.values())),
        (
            "a failed verification reopened a case",
            bool(rework) and model.cases[rework[0].case_id].reopened > 0,
        ),
        ("a declined task was rerouted", _rerouted(model)),
    ]


def _rerouted(model: ReadModel) -> bool:
    """Some case has a declined task and a task for another agency given after it."""
    declined = case_events_pb2.TASK_STATUS_DECLINED
    return any(
        any(t.status == declined for t in s.tasks) and s.tasks[-1].status != declined
        for s in model.snapshots.values()
    )


def report(settings: BusSettings, model: ReadModel, systems: Systems) -> int:
    table = Table("figure", "value", title="the day in figures")
    for name, value in figures(model).items():
        table.add_row(name, str(value))
    for agency, stats in model.agency_stats().items():
        table.add_row(f"deadline compliance {agency}", str(stats["deadline_compliance"]))
    table.add_row("native messages sent by agency systems", str(sum(systems.sent.values())))
    console.print(table)
    results = checks(model)
    for name, ok in results:
        console.print(f"{'[green]✓' if ok else '[red]✗'}[/] {name}")
    case_id = accident_case(model)
    if case_id:
        console.print(f"\n[bold]trace of the accident case {case_id}[/bold]")
        env = os.environ | {"INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix, "COLUMNS": "160"}
        subprocess.run([sys.executable, "-m", "incidentbus.cli", "trace", case_id], env=env, check=False)
    return 0 if all(ok for _, ok in results) else 1
