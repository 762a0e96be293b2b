"""`incidentbus run SERVICE`: start one service as a faust worker in this process."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from incidentbus.agencies.registry import AGENCIES, ALIASES, load_adapter
from incidentbus.kernel.settings import BusSettings

if TYPE_CHECKING:
    import faust

SERVICES = [*AGENCIES, *ALIASES, "correlator"]
CORRELATOR_PORT = 6100


def run(
    service: str = typer.Argument(..., help=f"one of: {', '.join(SERVICES)}"),
    web_port: int = typer.Option(0, help="HTTP port (default: the service's own)"),
    loglevel: str = typer.Option("info", help="faust worker log level"),
    rules: Annotated[
        Path | None, typer.Option(help="correlator rules file (default: the shipped rules)")
    ] = None,
    store: str = typer.Option(
        "rocksdb://",  # kernel/faust_shell.py ROCKSDB_STORE (a literal: --help imports no faust)
        help="state store: rocksdb:// (local RocksDB under INCIDENTBUS_DATA_DIR, kept across "
        "restarts; the agencies' faust tables and the correlator's state) or memory:// "
        "(development: every start reads the changelogs from the beginning)",
    ),
    time_scale: float = typer.Option(
        1.0, help="correlator: divide every rule duration by this (demos, drills)"
    ),
    tick_seconds: float = typer.Option(5.0, help="correlator: seconds between clock ticks"),
) -> None:
    """Run an agency service (intake, outbox, HTTP) or the correlator until interrupted."""
    from faust.worker import Worker

    settings = BusSettings()
    if service == "correlator":
        app = _correlator(settings, rules, web_port or CORRELATOR_PORT, store, (time_scale, tick_seconds))
    else:
        app = _agency(settings, ALIASES.get(service, service), web_port, store)
    Worker(app, loglevel=loglevel).execute_from_commandline()


def _agency(settings: BusSettings, name: str, web_port: int, store: str) -> faust.App:
    from incidentbus.agencies.service import build_app
    from incidentbus.kernel.sealing import KeyringError

    try:
        adapter = load_adapter(name)
    except KeyError as exc:
        raise typer.BadParameter(f"{exc}; or correlator") from exc
    try:
        return build_app(adapter, settings, web_port=web_port or AGENCIES[name].web_port, store=store)
    except (KeyringError, ValueError) as exc:  # no personal data without usable keys; bad API keys
        typer.echo(f"{name}: refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc


def _correlator(
    settings: BusSettings, rules: Path | None, web_port: int, store: str, clock: tuple[float, float]
) -> faust.App:
    from incidentbus.correlator.domain.rules import RulesError
    from incidentbus.correlator.rulesfile import rules_for
    from incidentbus.correlator.service import build_app
    from incidentbus.kernel.catalog import load_catalog
    from incidentbus.kernel.checkpoint_keys import CheckpointKeyError
    from incidentbus.kernel.grids import GridLayerError
    from incidentbus.kernel.sealing import KeyringError

    scale, tick = clock
    try:  # neighbouring grids come from the layer the agencies place reports by
        loaded = rules_for(settings, rules)
    except (OSError, RulesError, GridLayerError) as exc:
        typer.echo(f"correlator: refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
    catalog = load_catalog(settings.catalog_path)
    unknown = sorted(loaded.addressees - set(catalog.agencies))
    if unknown:  # a task for an agency without topics would fail mid-step, after its case events
        typer.echo(
            f"correlator: refusing to start: rules name agencies {unknown} not in the catalog", err=True
        )
        raise typer.Exit(2)
    try:
        return build_app(
            settings,
            loaded.compressed(scale) if scale != 1 else loaded,
            agencies=list(AGENCIES),
            web_port=web_port,
            store=store,
            tick_seconds=tick,
        )
    except (KeyringError, CheckpointKeyError) as exc:  # sealed dead letters, signed checkpoints
        typer.echo(f"correlator: refusing to start: {exc}", err=True)
        raise typer.Exit(2) from exc
