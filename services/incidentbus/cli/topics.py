"""`incidentbus topics ...`: the catalog made real on the broker, idempotently."""

from __future__ import annotations

import asyncio
import json

import typer
from rich.console import Console
from rich.table import Table

from incidentbus.kernel.admin import BrokerError, apply_catalog
from incidentbus.kernel.catalog import CatalogError, check_catalog, load_catalog
from incidentbus.kernel.settings import BusSettings

app = typer.Typer(
    help="Declare, check and apply the topic catalog (topics/catalog.toml).", no_args_is_help=True
)
console = Console(soft_wrap=True)


def _catalog(settings: BusSettings):  # type: ignore[no-untyped-def]
    try:
        return load_catalog(settings.catalog_path)
    except CatalogError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command("check")
def check(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Validate the catalog against proto/: value types exist, names follow the convention."""
    settings = BusSettings()
    catalog = _catalog(settings)
    problems = check_catalog(catalog)
    if as_json:
        print(json.dumps({"topics": len(catalog.topics), "problems": problems}))
    elif problems:
        for problem in problems:
            console.print(f"[red]✗[/red] {problem}")
    else:
        console.print(f"[green]✓[/green] {len(catalog.topics)} topics, no problems")
    raise typer.Exit(1 if problems else 0)


@app.command("list")
def list_topics(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show every topic of the catalog with its key, value type and principals."""
    catalog = _catalog(BusSettings())
    if as_json:
        print(json.dumps([t.model_dump() for t in catalog.topics]))
        return
    table = Table("topic", "partitions", "cleanup", "value", "producers", "consumers")
    for t in catalog.topics:
        table.add_row(
            t.name,
            str(t.partitions),
            t.cleanup_policy,
            t.value,
            ", ".join(t.producers),
            ", ".join(t.consumers),
        )
    console.print(table)


@app.command("apply")
def apply(as_json: bool = typer.Option(False, "--json")) -> None:
    """Create or update the catalog's topics on the broker. A second run changes nothing."""
    settings = BusSettings()
    catalog = _catalog(settings)
    try:
        changes = asyncio.run(apply_catalog(settings, catalog))
    except BrokerError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2 if exc.not_authorized else 1) from exc
    if as_json:
        print(
            json.dumps({"changes": [{"kind": c.kind, "topic": c.topic, "detail": c.detail} for c in changes]})
        )
        return
    for c in changes:
        colour = "yellow" if c.kind == "warn" else "green"
        console.print(f"[{colour}]{c.kind}[/{colour}] {c.topic}: {c.detail}")
    done = [c for c in changes if c.kind != "warn"]
    if not done:
        console.print(f"no changes: {len(catalog.topics)} topics already match the catalog")
