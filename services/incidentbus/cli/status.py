"""`incidentbus status` and `incidentbus query`: the bus at a glance, and the query API."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from incidentbus.cli.reading import run
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.kafka import read_all
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.dashboard.access import AccessError
from incidentbus.ops.figures import Figures, broker_figures, from_model
from incidentbus.ops.query import fold, run_forever, sources
from incidentbus.ops.readmodel import ReadModel

console = Console(soft_wrap=True)


async def snapshot_figures(settings: BusSettings, include_drills: bool = False) -> tuple[Figures, ReadModel]:
    """The same figures `/metrics` serves, computed once from the topics (each must exist and be
    readable by this principal: a refused read is "not authorized", never an empty figure)."""
    model = ReadModel()
    catalog = load_catalog(settings.catalog_path)
    for topic in sources(catalog):
        for record in await read_all(settings, settings.topic(topic), must_exist=True):
            fold(model, record, topic)
    figures = await broker_figures(settings, catalog)
    return from_model(figures, model, include_drills), model


def status(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    include_drills: Annotated[
        bool, typer.Option("--include-drills", help="count EXERCISE and TEST cases too")
    ] = False,
) -> None:
    """Consumer lag, records per topic, dead letters, open cases and deadline breaches.

    Drills (cases whose events say EXERCISE or TEST) are left out unless --include-drills.
    """
    with console.status("reading the bus ..."):
        settings = BusSettings()
        figures, model = run(snapshot_figures(settings, include_drills), settings)
    if as_json:
        lag = [{"group": g, "topic": t, "lag": n} for (g, t), n in sorted(figures.lag.items())]
        print(
            json.dumps(
                {
                    "lag": lag,
                    "records": figures.records,
                    "dead_letters": figures.dead_letters,
                    "open_cases": figures.open_cases,
                    "cases": figures.cases_by_status,
                    "deadline_breaches": figures.deadline_breaches,
                    "reminders": figures.reminders,
                    "include_drills": include_drills,
                    "agencies": model.agency_stats(int(time.time() * 1000), include_drills),
                }
            )
        )
        return
    _tables(figures)


def _tables(figures: Figures) -> None:
    lag = Table("consumer group", "topic", "lag", title="consumer lag")
    for (group, topic), n in sorted(figures.lag.items()):
        lag.add_row(group, topic, str(n))
    console.print(lag)
    records = Table("topic", "records", title="records held")
    for topic, n in sorted(figures.records.items()):
        records.add_row(topic, str(n))
    console.print(records)
    cases = Table("cases", "count", title="cases and dead letters")
    for status_name, n in sorted(figures.cases_by_status.items()):
        cases.add_row(status_name, str(n))
    cases.add_row("open (all areas)", str(sum(figures.open_cases.values())))
    cases.add_row("deadline breaches", str(figures.deadline_breaches))
    cases.add_row("reminders", str(figures.reminders))
    cases.add_row("dead letters", str(sum(figures.dead_letters.values())))
    console.print(cases)


def query(
    port: Annotated[int, typer.Option(help="HTTP port")] = 6200,
    host: Annotated[
        str | None,
        typer.Option(help="address to bind (default INCIDENTBUS_QUERY_HOST, itself 127.0.0.1)"),
    ] = None,
    publish_cap: Annotated[
        bool,
        typer.Option(
            help="also send every alert once to bus.cap.v1 as its CAP 1.2 document (operator rights)"
        ),
    ] = False,
) -> None:
    """Serve the dashboard page and the query API (cases, overdue, statistics, the live event
    stream, /metrics, /openapi.json) until interrupted; prints the page's address."""
    try:
        run_forever(BusSettings(), port, host, publish=publish_cap)
    except AccessError as exc:
        typer.echo(f"query: refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
