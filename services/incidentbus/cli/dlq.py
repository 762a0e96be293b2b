"""`incidentbus dlq ...`: the dead letters, for the operator on duty.

Every writer has a dead-letter topic of its own (the catalog's `DeadLetter` topics:
`<agency>.deadletters.v1`, `correlator.deadletters.v1`); the commands read them all as one
shelf, and each letter is judged by the writer of the topic it was read from (see
`incidentbus.ops.redrive` for why). Thin on purpose: reading and producing happen here, every
decision is in `incidentbus.ops`.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import get_args

import typer
from rich.table import Table
from rich.text import Text

from incidentbus.cli.reading import (
    EXIT_PROBLEMS,
    EXIT_UNUSABLE,
    console,
    errors,
    fail,
    progress_bar,
    read_topic,
    run,
    time_option,
    who,
)
from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.kafka import AUTHORIZATION_ERRORS, producer, send, topic_state
from incidentbus.kernel.sealing import Keyring, KeyringError, field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.deadletters import Letter, LetterFilter, Shelf, collect, details, find, select, summary
from incidentbus.ops.redrive import (
    FAILED,
    Action,
    Marks,
    Outcome,
    TopicAccess,
    not_authorized,
    plan_redrive,
    redrive_record,
    redriven,
    sent,
    source_topics,
    trusted,
    would_send,
)
from incidentbus.ops.text import clock, shorten

app = typer.Typer(
    help="Dead letters (every writer's <writer>.deadletters.v1, read as one): list them, show one whole, "
    "redrive them.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="machine-readable output")
TOPIC_HELP = "only letters from this source topic (catalog name, e.g. police.inbox.v1, or physical name)"
SINCE_HELP = "recorded at or after this time, ISO 8601 with a zone (2026-11-25T08:00+08:00, ...Z)"
UNTIL_HELP = "recorded before this time, ISO 8601 with a zone"
REASON_HELP = "only letters whose reason starts with this, e.g. 'intake.' or 'decode.protobuf'"


def _filter(
    settings: BusSettings, topic: str | None, reason: str, since: str | None, until: str | None
) -> LetterFilter:
    """The operator's filter; a source topic may be given by its catalog name or physical name."""
    topics = frozenset({topic, settings.topic(topic)}) if topic else frozenset()
    return LetterFilter(topics, reason, time_option(since, "--since"), time_option(until, "--until"))


def _catalog(settings: BusSettings) -> Catalog:
    return load_catalog(settings.catalog_path)


async def _shelf(settings: BusSettings, catalog: Catalog) -> Shelf:
    """Every writer's dead-letter topic, read as one shelf; each letter knows its topic's writers."""
    writers = {settings.topic(t.name): t.producers for t in catalog.dead_letter_topics()}
    records = []
    with progress_bar() as bar:
        for topic in writers:
            records.extend(await read_topic(settings, topic, bar))
    try:  # an auditor holds no keys: the letters stay sealed and say so
        keyring: Keyring | None = field_keyring(settings, opening_only=True)
    except KeyringError:
        keyring = None
    shelf = collect(records, writers, keyring)
    if shelf.unreadable:
        errors.print(f"[yellow]{len(shelf.unreadable)} record(s) on the topics are not dead letters[/yellow]")
    return shelf


@app.command("list")
def list_letters(
    topic: str | None = typer.Option(None, "--topic", help=TOPIC_HELP),
    reason: str = typer.Option("", "--reason", help=REASON_HELP),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    as_json: bool = JSON_OPTION,
) -> None:
    """List dead letters, each once however often it was written, oldest first."""
    settings = BusSettings()
    wanted = _filter(settings, topic, reason, since, until)
    letters = select(run(_shelf(settings, _catalog(settings)), settings).letters, wanted)
    repeats = sum(letter.copies - 1 for letter in letters)
    if as_json:
        print(json.dumps({"letters": [summary(x) for x in letters], "repeats_collapsed": repeats}))
        return
    table = Table("letter id", "time (UTC)", "source", "reason", "written by", "detail")
    for letter in letters:
        dl = letter.letter
        table.add_row(
            *(
                Text(cell)
                for cell in (
                    letter.id,
                    clock(dl.envelope.recorded_at),
                    letter.source,
                    dl.reason,
                    ", ".join(letter.written_by) or letter.topic,
                    shorten(dl.detail),
                )
            )
        )
    console.print(table)
    console.print(f"{len(letters)} letter(s); {repeats} repeat(s) collapsed")


@app.command("show")
def show(
    letter_id: str = typer.Argument(..., help="the letter id (envelope.event_id, as `dlq list` shows)"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show one letter whole: reason, detail, source position, and the original key, headers and value."""
    settings = BusSettings()
    catalog = _catalog(settings)
    found, _ = find(run(_shelf(settings, catalog), settings).letters, [letter_id])
    if not found:
        names = ", ".join(t.name for t in catalog.dead_letter_topics())
        fail(f"no dead letter {letter_id} on {names}", EXIT_PROBLEMS)
    if len(found) > 1:  # the same id on two writers' topics: one of them is not what it claims
        where = ", ".join(x.topic for x in found)
        errors.print(f"[yellow]{len(found)} letters have this id, on {where}[/yellow]")
    views = [details(letter) for letter in found]
    if as_json:
        print(json.dumps(views[0] if len(views) == 1 else views, ensure_ascii=False))
        return
    for view in views:
        _print_letter(view)


def _print_letter(view: dict[str, object]) -> None:
    fields = Table.grid(padding=(0, 2))
    names = ("letter_id", "time", "reason", "detail", "phase", "rejected_by", "written_by")
    for name in (*names, "dead_letter_topic", "source", "copies"):
        fields.add_row(Text(name, style="bold"), Text(str(view[name])))
    key = view["original_key"]
    assert isinstance(key, dict)
    fields.add_row(Text("original key", style="bold"), Text(f"{key['data']} ({key['encoding']})"))
    console.print(fields)
    headers = Table("header", "value", "encoding", title="original headers")
    for header in view["original_headers"]:  # type: ignore[attr-defined]
        headers.add_row(Text(header["key"]), Text(header["data"]), header["encoding"])
    console.print(headers)
    if view["sealed"]:
        console.print(Text(f"original value and headers sealed: {view['sealed']}", style="yellow"))
        return
    value = view["original_value"]
    assert isinstance(value, dict)
    console.print(Text(f"original value ({value['length']} bytes, {value['encoding']}):", style="bold"))
    console.print(Text(str(value["data"])))


@app.command("redrive")
def redrive(
    letter_ids: list[str] | None = typer.Argument(None, help="letter ids to redrive"),
    reason: str | None = typer.Option(None, "--reason", help="redrive every letter with this reason prefix"),
    topic: str | None = typer.Option(None, "--topic", help="with --reason: only letters from this topic"),
    dry_run: bool = typer.Option(False, "--dry-run", help="say what would be redriven; produce nothing"),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-publish letters' original records to their source topics, marked `x-redrive-of: <id>`.

    Idempotent: a letter whose redriven record is already on its source topic is skipped, so
    running the same redrive twice produces nothing new. HTTP intake letters go to the
    agency's inbox topic, their source. A letter goes back only to a topic the writer of its
    dead-letter topic may write itself; any other is refused with the reason. Exit 1 when a
    letter was refused, not found, or could not be redriven (source topic missing, not
    authorized); exit 2 when the dead letters cannot be read at all.
    """
    if not letter_ids and reason is None:
        fail("name the letters to redrive, or choose them with --reason PREFIX", EXIT_UNUSABLE)
    if letter_ids and (reason is not None or topic is not None):
        fail("give letter ids, or --reason (and --topic), not both", EXIT_UNUSABLE)
    settings = BusSettings()
    wanted = _filter(settings, topic, reason or "", None, None)
    outcomes = run(_redrive(settings, _catalog(settings), letter_ids or [], wanted, dry_run), settings)
    _report(outcomes, dry_run, as_json)
    raise typer.Exit(EXIT_PROBLEMS if any(o.action in FAILED for o in outcomes) else 0)


async def _redrive(
    settings: BusSettings, catalog: Catalog, ids: list[str], wanted: LetterFilter, dry_run: bool
) -> list[Outcome]:
    shelf = await _shelf(settings, catalog)
    chosen, missing = find(shelf.letters, ids) if ids else (select(shelf.letters, wanted), [])
    marks: Marks = {}
    access: dict[str, TopicAccess] = {}
    # Only the topics of letters that may go back are read: a forged letter's claim is not followed.
    for topic in source_topics(trusted(chosen, catalog, settings.topic_prefix)):
        access[topic] = await topic_state(settings, topic)
        if access[topic] != "present":
            continue
        with progress_bar() as bar:
            try:
                marks.update(redriven(await read_topic(settings, topic, bar)))
            except AUTHORIZATION_ERRORS:
                access[topic] = "unauthorized"
    plan = plan_redrive(chosen, marks, access, catalog, settings.topic_prefix)
    done = [would_send(letter) for letter in plan.send] if dry_run else await _produce(settings, plan.send)
    by_letter = {(o.dead_letter_topic, o.letter_id): o for o in [*plan.skip, *done]}
    return [by_letter[(x.topic, x.id)] for x in chosen] + [Outcome(i, "not_found") for i in missing]


async def _produce(settings: BusSettings, letters: list[Letter]) -> list[Outcome]:
    """Produce each letter's record; a write the broker refuses is that letter's `not_authorized`."""
    if not letters:
        return []
    try:
        async with producer(settings) as client:
            outcomes = []
            for letter in letters:
                try:
                    outcomes.append(sent(letter, *await send(client, redrive_record(letter))))
                except AUTHORIZATION_ERRORS as exc:
                    outcomes.append(not_authorized(letter, f"{type(exc).__name__} for {who(settings)}"))
            return outcomes
    except AUTHORIZATION_ERRORS as exc:  # no producer id (IDEMPOTENT_WRITE) for this principal
        return [not_authorized(x, f"{type(exc).__name__} for {who(settings)}") for x in letters]


def _report(outcomes: list[Outcome], dry_run: bool, as_json: bool) -> None:
    counts = Counter(o.action for o in outcomes)
    if as_json:
        totals = {action: counts.get(action, 0) for action in get_args(Action)}
        print(json.dumps({"dry_run": dry_run, "outcomes": [o.as_dict() for o in outcomes], **totals}))
        return
    table = Table("letter id", "source", "action", "where / why")
    for o in outcomes:
        colour = {"redriven": "green", "would_redrive": "cyan"}.get(o.action, "yellow")
        colour = "red" if o.action in FAILED else colour
        table.add_row(
            Text(o.letter_id), Text(o.source), Text(o.action, style=colour), Text(o.target or o.note)
        )
    console.print(table)
    console.print(
        ", ".join(f"{n} {action.replace('_', ' ')}" for action, n in sorted(counts.items()))
        or "nothing chosen"
    )
