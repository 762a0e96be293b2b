"""`incidentbus broker ...`: the local KRaft node of infra/kafka, for development and CI."""

from __future__ import annotations

import os
import subprocess

import typer

from incidentbus.kernel.settings import REPO_ROOT

app = typer.Typer(help="Run the local single-node Kafka broker (infra/kafka).", no_args_is_help=True)


def _run(action: str) -> None:
    script = REPO_ROOT / "infra" / "kafka"
    code = subprocess.call(["bash", str(script), action], env=os.environ.copy())
    raise typer.Exit(code)


@app.command()
def start() -> None:
    """Fetch Kafka if needed, start the node and wait until the broker answers."""
    _run("start")


@app.command()
def stop() -> None:
    """Stop the local node."""
    _run("stop")


@app.command()
def status() -> None:
    """Say whether the local node runs and answers."""
    _run("status")


@app.command()
def logs() -> None:
    """Follow the broker's log."""
    _run("logs")


@app.command()
def reset() -> None:
    """Stop the node and delete all its data."""
    _run("reset")
