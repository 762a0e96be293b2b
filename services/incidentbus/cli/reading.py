"""What the operator commands share: reading whole topics behind a progress bar, and turning
broker trouble into one clear line and an exit code instead of a stack trace."""

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

from incidentbus.kernel.kafka import read_all, topic_exists
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.text import parse_when

T = TypeVar("T")

console = Console(soft_wrap=True, highlight=False)
# Progress and errors go to stderr, so `--json` output on stdout stays clean for scripts.
errors = Console(stderr=True, highlight=False)

# Exit codes shared by the operator commands.
EXIT_PROBLEMS = 1  # the command ran and found problems (or not what was asked for)
EXIT_UNUSABLE = 2  # the command could not run: bad option, no broker, no such topic


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
    """Every record of a topic, with a bar; exits with a message when the topic does not exist."""
    if not await topic_exists(settings, topic):
        fail(f"topic {topic} does not exist (is INCIDENTBUS_TOPIC_PREFIX right?)", EXIT_UNUSABLE)
    task = bar.add_task(f"reading {escape(topic)}", total=None)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total or None)

    records = await read_all(settings, topic, progress=advance)
    bar.update(task, completed=len(records), total=len(records))
    return records


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run the command's I/O; a broker that cannot be reached is one line and exit code 2."""
    try:
        return asyncio.run(coroutine)
    except (KafkaError, ConnectionError, OSError) as exc:
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
