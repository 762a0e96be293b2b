"""The `incidentbus` command: one entry point for operators."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from incidentbus.cli import acl, audit, broker, cases, checkpoints, dlq, tls, topics
from incidentbus.cli.correlate import correlate_command
from incidentbus.cli.demo import demo
from incidentbus.cli.reading import run as run_io
from incidentbus.cli.replay import replay_command
from incidentbus.cli.run import run
from incidentbus.cli.sample import render, round_trip
from incidentbus.cli.status import query, status
from incidentbus.kernel.logging import configure_logging
from incidentbus.kernel.settings import BusSettings

app = typer.Typer(
    help="incidentbus: the multi-agency incident bus on Kafka.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(topics.app, name="topics")
app.add_typer(acl.app, name="acl")
app.add_typer(broker.app, name="broker")
app.add_typer(tls.app, name="tls")
app.add_typer(dlq.app, name="dlq")
app.add_typer(checkpoints.app, name="checkpoints")
app.command("run")(run)
app.command("verify")(audit.verify)
app.command("trace")(audit.trace)
app.add_typer(cases.app, name="case")
app.command("replay")(replay_command)
app.command("correlate")(correlate_command)
app.command("status")(status)
app.command("query")(query)
app.command("demo")(demo)


@app.command()
def sample(as_json: bool = typer.Option(False, "--json", help="machine-readable output")) -> None:
    """Publish a sample canonical report on police.events.v1 and read it back."""
    settings = BusSettings()
    result = run_io(round_trip(settings), settings)  # "not authorized" / unreachable: one line, exit 2
    print(render(result, as_json))
    raise typer.Exit(0 if result.identical else 1)


def main() -> None:
    try:
        settings = BusSettings()
    except ValidationError as exc:  # refused settings (development password in production, ...)
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"incidentbus: settings refused: {problems}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings)
    app()
