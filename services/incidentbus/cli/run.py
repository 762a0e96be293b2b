"""`incidentbus run SERVICE`: start one service as a faust worker in this process."""

from __future__ import annotations

import typer

from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.kernel.settings import BusSettings


def run(
    service: str = typer.Argument(..., help=f"one of: {', '.join(AGENCIES)}"),
    web_port: int = typer.Option(0, help="HTTP port (default: the service's own)"),
    loglevel: str = typer.Option("info", help="faust worker log level"),
) -> None:
    """Run an agency service (intake, outbox, HTTP endpoint) until interrupted."""
    from faust.worker import Worker

    from incidentbus.agencies.service import build_app

    settings = BusSettings()
    try:
        adapter = load_adapter(service)
    except KeyError as exc:
        raise typer.BadParameter(str(exc)) from exc
    app = build_app(adapter, settings, web_port=web_port or AGENCIES[service].web_port)
    Worker(app, loglevel=loglevel).execute_from_commandline()
