"""`incidentbus acl ...`: identities (SCRAM users) and ACLs, generated from the topic catalog.

Thin on purpose: the plans are in `incidentbus.security.acl` / `.users` (pure), the broker calls
in `incidentbus.security.broker`. Run `users` and `apply` as a super user (`User:admin`).
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import Iterable

import typer
from rich.console import Console
from rich.table import Table

from incidentbus.kernel.admin import BrokerError
from incidentbus.kernel.catalog import Catalog, CatalogError, load_catalog
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.acl import Binding, acl_plan, by_principal, faust_apps, overlapping_apps
from incidentbus.security.broker import AclReport, apply_acls, apply_users, as_principal, list_bindings
from incidentbus.security.users import Password, PasswordError, PasswordSources, UserChange, resolve_passwords

app = typer.Typer(
    help="Per-principal SCRAM users and the ACLs the topic catalog implies.", no_args_is_help=True
)
console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)

JSON_OPTION = typer.Option(False, "--json", help="machine-readable output")
DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="say what would change; change nothing")
DEV_OPTION = typer.Option(
    False,
    "--dev-passwords",
    help="principals without a configured password get their public development password "
    "(local brokers only; refused in production)",
)


def _catalog(settings: BusSettings) -> Catalog:
    try:
        return load_catalog(settings.catalog_path)
    except CatalogError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _warn_overlaps(catalog: Catalog) -> None:
    for pair in overlapping_apps(catalog):
        errors.print(f"[yellow]warning: app ids overlap ({pair}): prefixed grants leak between them[/yellow]")


def _passwords(settings: BusSettings, principals: Iterable[str], dev: bool) -> dict[str, Password]:
    try:
        return resolve_passwords(
            principals, PasswordSources.from_env(dev=dev), production=settings.environment == "production"
        )
    except PasswordError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


def _bindings_table(bindings: Iterable[Binding]) -> Table:
    table = Table()
    for header in ("principal", "permission", "operation", "resource", "name", "pattern"):
        table.add_column(header, overflow="fold")  # names are what an operator greps for: never cut
    for principal, group in by_principal(bindings).items():
        for b in group:
            table.add_row(
                principal,
                b.permission.name,
                b.operation.name,
                b.resource_type.name,
                b.resource_name,
                b.pattern_type.name,
            )
    return table


@app.command("plan")
def plan(as_json: bool = JSON_OPTION) -> None:
    """The bindings the catalog implies under the topic prefix (reads no broker)."""
    settings = BusSettings()
    catalog = _catalog(settings)
    bindings = sorted(acl_plan(catalog, settings.topic_prefix))
    if as_json:
        print(json.dumps({"bindings": [b.as_json() for b in bindings], "groups": faust_apps(catalog)}))
        return
    _warn_overlaps(catalog)
    console.print(_bindings_table(bindings))
    console.print(f"{len(bindings)} bindings for {len(catalog.principals())} principals")


def _report_json(report: AclReport, dry_run: bool) -> str:
    return json.dumps(
        {
            "dry_run": dry_run,
            "planned": len(report.plan),
            "present": len(report.diff.present),
            "missing": [b.as_json() for b in report.diff.missing],
            "extra": [b.as_json() for b in report.diff.extra],
            "created": [b.as_json() for b in report.created],
            "deleted": [b.as_json() for b in report.deleted],
            "changed": report.changed,
        }
    )


def _print_report(report: AclReport, dry_run: bool, prune: bool) -> None:
    verb = "would create" if dry_run else "create"
    for b in report.diff.missing:
        console.print(f"[green]{verb}[/green] {b.describe()}")
    for b in report.diff.extra:
        if b in report.deleted:
            console.print(f"[red]delete[/red] {b.describe()}")
        else:
            hint = "would delete" if dry_run and prune else "not in the catalog (--prune removes it)"
            console.print(f"[yellow]extra[/yellow] {b.describe()}: {hint}")
    if not report.diff.missing and not report.deleted:
        console.print(f"no changes: {len(report.diff.present)} bindings already match the catalog")
    elif not dry_run:
        console.print(f"{len(report.created)} created, {len(report.deleted)} deleted")


@app.command("apply")
def apply(
    dry_run: bool = DRY_RUN_OPTION,
    prune: bool = typer.Option(
        False, "--prune", help="also delete bindings of catalog principals that the catalog no longer implies"
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create the ACLs the catalog implies. A second run changes nothing and says so."""
    settings = BusSettings()
    catalog = _catalog(settings)
    _warn_overlaps(catalog)
    try:
        report = asyncio.run(apply_acls(settings, catalog, dry_run=dry_run, prune=prune))
    except BrokerError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2 if exc.not_authorized else 1) from exc
    if as_json:
        print(_report_json(report, dry_run))
    else:
        _print_report(report, dry_run, prune)


@app.command("list")
def list_acls(
    everyone: bool = typer.Option(
        False, "--all", help="every user's ACLs, not only the catalog's principals"
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """The ACLs on the broker (for the catalog's principals unless --all)."""
    settings = BusSettings()
    principals = set(_catalog(settings).principals())
    try:
        bindings = asyncio.run(list_bindings(settings))
    except BrokerError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2 if exc.not_authorized else 1) from exc
    shown = [b for b in bindings if everyone or b.principal in principals]
    if as_json:
        print(json.dumps([b.as_json() for b in shown]))
        return
    console.print(_bindings_table(shown))
    console.print(f"{len(shown)} bindings")


def _print_users(changes: list[UserChange], passwords: dict[str, Password], dry_run: bool) -> None:
    for c in changes:
        colour = {"create": "green", "update": "yellow", "keep": "dim"}[c.action]
        action = f"would {c.action}" if dry_run and c.action != "keep" else c.action
        source = passwords[c.principal].source
        console.print(f"[{colour}]{action}[/{colour}] {c.principal}: {c.detail} (password from {source})")
    if all(c.action == "keep" for c in changes):
        console.print(f"no changes: {len(changes)} users already accept their configured passwords")


@app.command("users")
def users(dry_run: bool = DRY_RUN_OPTION, dev: bool = DEV_OPTION, as_json: bool = JSON_OPTION) -> None:
    """Give every catalog principal a SCRAM-SHA-512 user with its configured password."""
    settings = BusSettings()
    catalog = _catalog(settings)
    passwords = _passwords(settings, catalog.principals(), dev)
    try:
        changes = asyncio.run(apply_users(settings, passwords, dry_run=dry_run))
    except BrokerError as exc:
        errors.print(f"[red]{exc}[/red]")
        raise typer.Exit(2 if exc.not_authorized else 1) from exc
    if as_json:
        rows = [
            {"principal": c.principal, "action": c.action, "detail": c.detail, "password_from": p.origin}
            for c, p in ((c, passwords[c.principal]) for c in changes)
        ]
        print(json.dumps({"dry_run": dry_run, "users": rows}))
        return
    _print_users(changes, passwords, dry_run)


@app.command("env")
def env(
    principal: str = typer.Argument(..., help="a catalog principal, e.g. police-service"),
    dev: bool = DEV_OPTION,
) -> None:
    """Print export lines that make commands and services connect as PRINCIPAL.

    `eval "$(incidentbus acl env police-service --dev-passwords)"` before `incidentbus run police`.
    """
    settings = BusSettings()
    if principal not in _catalog(settings).principals():
        errors.print(f"[red]{principal!r} is not a principal of the catalog[/red]")
        raise typer.Exit(2)
    password = _passwords(settings, [principal], dev)[principal]
    mine = as_principal(settings, principal, password.value)
    lines = {
        "KAFKA_BOOTSTRAP_SERVERS": mine.bootstrap_servers,
        "INCIDENTBUS_SECURITY_PROTOCOL": mine.security_protocol,
        "INCIDENTBUS_SASL_MECHANISM": str(mine.sasl_mechanism),
        "INCIDENTBUS_SASL_USERNAME": principal,
        "INCIDENTBUS_SASL_PASSWORD": password.value.get_secret_value(),
    }
    if mine.uses_tls:  # the same TLS trust as the settings this runs with
        if mine.ssl_cafile is not None:
            lines["INCIDENTBUS_SSL_CAFILE"] = str(mine.ssl_cafile)
        lines["INCIDENTBUS_SSL_CHECK_HOSTNAME"] = str(mine.ssl_check_hostname).lower()
    for name, value in lines.items():
        print(f"export {name}={shlex.quote(value)}")
