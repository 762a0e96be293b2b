"""`incidentbus tls ...`: the local CA and the broker certificate (security/tls.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from incidentbus.security.tls import DEFAULT_HOSTS, TlsError, init

app = typer.Typer(help="A local CA and the broker's TLS certificate (SASL_SSL).", no_args_is_help=True)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


@app.callback()
def tls() -> None:
    """A local CA and the broker's TLS certificate (SASL_SSL)."""


@app.command("init")
def init_command(
    directory: Path = typer.Option(..., "--dir", help="where ca.crt, ca.key, broker.crt, broker.key go"),
    hosts: list[str] = typer.Option(
        list(DEFAULT_HOSTS),
        "--host",
        help="a name or IP address clients dial (repeat; default 127.0.0.1 and localhost)",
    ),
    force: bool = typer.Option(False, "--force", help="a new CA and broker certificate, even if still good"),
    as_json: bool = typer.Option(False, "--json", help="machine-readable output"),
) -> None:
    """Create (or keep, when still good) a local CA and a broker certificate signed by it.

    Clients trust ca.crt (INCIDENTBUS_SSL_CAFILE); the broker reads broker.crt and broker.key.
    Keys are written 0600.
    """
    try:
        issued = init(directory, hosts, force=force)
    except (TlsError, OSError) as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if as_json:
        print(
            json.dumps(
                {
                    "dir": str(issued.directory),
                    "ca": issued.ca,
                    "broker": issued.broker,
                    "hosts": list(issued.hosts),
                    "ca_cert": str(issued.ca_cert),
                    "broker_cert": str(issued.broker_cert),
                    "broker_key": str(issued.broker_key),
                    "broker_not_after": issued.broker_not_after.isoformat(),
                }
            )
        )
        return
    console.print(f"CA {issued.ca}: {issued.ca_cert}")
    console.print(
        f"broker certificate {issued.broker} for {', '.join(issued.hosts)} "
        f"(until {issued.broker_not_after:%Y-%m-%d}): {issued.broker_cert}, key {issued.broker_key}"
    )
    console.print(f"clients: INCIDENTBUS_SECURITY_PROTOCOL=SASL_SSL INCIDENTBUS_SSL_CAFILE={issued.ca_cert}")


if __name__ == "__main__":  # infra/kafka runs `python -m incidentbus.cli.tls init --dir ...`
    app()
