"""What the operator commands share: reading whole topics behind a progress bar, and turning
broker trouble into one clear line and an exit code instead of a stack trace.

"Not authorized" (the broker's ACLs refuse this principal) and "does not exist" are told apart
and both exit 2: a refused read must never pass for an empty topic."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn, TypeVar

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from incidentbus.kernel.kafka import AUTHORIZATION_ERRORS, TopicMissingError, read_all
from incidentbus.kernel.login import login_refused
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.text import parse_when

T = TypeVar("T")

console = Console(soft_wrap=True, highlight=False)
# Progress and errors go to stderr, so `--json` output on stdout stays clean for scripts.
errors = Console(stderr=True, highlight=False)

# Exit codes shared by the operator commands.
EXIT_PROBLEMS = 1  # the command ran and found problems (or not what was asked for)
EXIT_UNUSABLE = 2  # the command could not run: bad option, no broker, no such topic, not authorized


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress bar on stderr that disappears when done (it is only there while waiting).
    Off when stderr is no terminal, so scripts and logs get no stray lines."""
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
        disable=not errors.is_terminal,
    ) as bar:
        yield bar


async def read_topic(settings: BusSettings, topic: str, bar: Progress) -> list[RawRecord]:
    """Every record of a topic, with a bar; under `run`, a topic that does not exist or that this
    principal may not read is one line and exit code 2."""
    task = bar.add_task(f"reading {escape(topic)}", total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total or None)

    records = await read_all(settings, topic, progress=advance, must_exist=True)
    bar.update(task, completed=len(records), total=len(records))
    return records


def who(settings: BusSettings) -> str:
    """The principal the command connects as, for messages."""
    return settings.sasl_username or "this client (no SASL user)"


def not_authorized(settings: BusSettings, exc: BaseException) -> str:
    """One line for a refusal by the broker's ACLs: who, what kind, and on what."""
    kind = type(exc).__name__
    what = str(exc).split(":", 1)[-1].strip() if ":" in str(exc) else ""
    return f"not authorized: the broker refused {who(settings)} ({kind}{': ' + what if what else ''})"


def run(coroutine: Coroutine[Any, Any, T], settings: BusSettings | None = None) -> T:
    """Run the command's I/O. A refusal by the broker's ACLs ("not authorized"), a topic that does
    not exist and a broker that cannot be reached are each one line and exit code 2."""
    try:
        return asyncio.run(coroutine)
    except AUTHORIZATION_ERRORS as exc:
        fail(not_authorized(settings or BusSettings(), exc), EXIT_UNUSABLE)
    except TopicMissingError as exc:
        fail(
            f"topic {exc.topic} does not exist (is INCIDENTBUS_TOPIC_PREFIX right? "
            "`incidentbus topics apply` creates the catalog's topics)",
            EXIT_UNUSABLE,
        )
    except (KafkaError, ConnectionError, OSError) as exc:
        settings = settings or BusSettings()
        if asyncio.run(login_refused(settings)):
            refused = f"the broker refused {who(settings)}'s login (wrong password, or no such user)"
            fail(f"not authorized: {refused}", EXIT_UNUSABLE)
        fail(f"cannot talk to Kafka: {exc}", EXIT_UNUSABLE)


def time_option(text: str | None, option: str) -> datetime | None:
    """A `--since`/`--until` value by the one rule of `parse_when` (ISO 8601 with a zone); a value
    it refuses is one line naming the option, and exit code 2, before anything is read."""
    if text is None:
        return None
    try:
        return parse_when(text)
    except ValueError as exc:
        fail(f"{option} {exc}", EXIT_UNUSABLE)


def fail(message: str, code: int) -> NoReturn:
    errors.print(f"[red]{escape(message)}[/red]")
    raise typer.Exit(code)
