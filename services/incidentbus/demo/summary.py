"""The demo's closing summary: what the day produced, checked against what the scenario staged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from incidentbus.demo.scenario import DAY, REWORK_GRID
from incidentbus.demo.systems import Systems
from incidentbus.kernel.checkpoint_keys import public_keys_text
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


def citizens(model: ReadModel, systems: Systems) -> list[tuple[str, bool]]:
    """The citizens' Open311 requests: the one who left a contact confirmed the repair; the other's
    request joined urban's work order."""
    light, _ = model.case_of_report("citizen", systems.requests.get("citizen-streetlight", "-"))
    garbage, _ = model.case_of_report("citizen", systems.requests.get("citizen-garbage", "-"))
    asked = [
        e.event.verification_requested.agency
        for e in model.history.get(light["case_id"] if light else "", [])
        if e.event.HasField("verification_requested")
    ]
    closed = case_events_pb2.CaseStatus.Name(case_events_pb2.CASE_STATUS_CLOSED)
    return [
        (
            "a citizen's Open311 request was confirmed by the citizen (回访) and closed",
            light is not None and asked == ["citizen"] and light["status"] == closed,
        ),
        (
            "a citizen's request for urban's garbage joined urban's case",
            garbage is not None and {r["source_agency"] for r in garbage["reports"]} == {"urban", "citizen"},
        ),
    ]


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


def open311_status(root: str, systems: Systems) -> None:
    """What a citizen's app reads back: each request's GeoReport v2 status."""
    ids = ",".join(systems.requests.values())
    with urllib.request.urlopen(f"{root}/requests.json?service_request_id={ids}", timeout=30) as answer:
        for request in json.loads(answer.read()):
            console.print(
                f"Open311 {request['service_request_id']} ({request['service_code']}): "
                f"{request['status']} — {request['status_notes']}"
            )


def audited(settings: BusSettings) -> tuple[str, bool]:
    """What an auditor would run on the day's record: every case chain held against the signed
    checkpoints, with the public key file the operator hands out."""
    env = os.environ | {"INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix}
    with tempfile.TemporaryDirectory() as folder:
        keys = Path(folder) / "checkpoint-keys.pub"
        keys.write_text(public_keys_text(settings), "utf-8")
        checkpoints = settings.topic("case.checkpoints.v1")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "incidentbus.cli",
                "verify",
                "--checkpoints",
                checkpoints,
                "--public-key",
                str(keys),
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        verdict = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"the record could not be verified: {done.stderr.strip()[-300:]}", False
    held = verdict["checkpoints_checked"]
    return f"every case chain verifies against {held} signed checkpoint(s)", bool(verdict["ok"] and held)


def report(settings: BusSettings, model: ReadModel, systems: Systems, open311: str) -> int:
    table = Table("figure", "value", title="the day in figures")
    for name, value in figures(model).items():
        table.add_row(name, str(value))
    for agency, stats in model.agency_stats().items():
        table.add_row(f"deadline compliance {agency}", str(stats["deadline_compliance"]))
    table.add_row("native messages sent by agency systems", str(sum(systems.sent.values())))
    console.print(table)
    results = [*checks(model), *citizens(model, systems), audited(settings)]
    open311_status(open311, systems)
    for name, ok in results:
        console.print(f"{'[green]✓' if ok else '[red]✗'}[/] {name}")
    case_id = accident_case(model)
    if case_id:
        console.print(f"\n[bold]trace of the accident case {case_id}[/bold]")
        env = os.environ | {"INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix, "COLUMNS": "160"}
        subprocess.run([sys.executable, "-m", "incidentbus.cli", "trace", case_id], env=env, check=False)
    return 0 if all(ok for _, ok in results) else 1
