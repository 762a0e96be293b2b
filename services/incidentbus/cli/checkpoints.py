"""`incidentbus checkpoints`: the public key file an auditor keeps, and the checkpoints exported
to a file outside the bus (and imported back into a topic, e.g. an auditor's own cluster).

Thin: the file format is ops/checkpoint_audit.py's, the keys kernel/checkpoint_keys.py's.
"""

from __future__ import annotations

from pathlib import Path

import typer

from incidentbus.cli.reading import EXIT_UNUSABLE, console, fail, progress_bar, read_topic, run
from incidentbus.kernel.checkpoint_keys import CheckpointKeyError, public_keys_text
from incidentbus.kernel.kafka import producer
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.checkpoint_audit import checkpoint_lines, records_of_lines

app = typer.Typer(
    help="Signed checkpoints of the case chains: public keys, export and import.", no_args_is_help=True
)
CHECKPOINTS = "case.checkpoints.v1"


@app.command("public-key")
def public_key(
    out: Path | None = typer.Option(None, "--out", help="write the file here (default: print it)"),
) -> None:
    """The public key file of the configured checkpoint keys (`kid:base64` lines), for auditors
    to keep outside the bus and pass to `verify --public-key`."""
    try:
        text = public_keys_text(BusSettings())
    except CheckpointKeyError as exc:
        fail(str(exc), EXIT_UNUSABLE)
    if out is None:
        print(text, end="")
    else:
        out.write_text(text, "utf-8")
        console.print(f"public keys written to {out}")


@app.command("export")
def export(
    out: Path = typer.Argument(..., help="the file to write (JSON lines)"),
    topic: str | None = typer.Option(
        None, "--topic", help="physical checkpoint topic (default: the bus's own)"
    ),
) -> None:
    """Every checkpoint on the topic, as a file to keep outside the bus (`verify
    --checkpoints-file` reads it; `checkpoints import` writes it back)."""
    settings = BusSettings()
    name = topic or settings.topic(CHECKPOINTS)
    with progress_bar() as bar:
        records = run(read_topic(settings, name, bar), settings)
    lines = checkpoint_lines(records)
    out.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    console.print(f"{len(lines)} checkpoint(s) of {name} written to {out}")


@app.command("import")
def import_(
    source: Path = typer.Argument(..., help="a file `checkpoints export` wrote"),
    topic: str = typer.Option(..., "--topic", help="physical topic to write them to"),
) -> None:
    """Write an exported file's checkpoints, byte for byte, to a topic (keys, values, headers)."""
    settings = BusSettings()
    try:
        records = records_of_lines(source.read_text("utf-8").splitlines(), str(source))
    except (OSError, ValueError) as exc:
        fail(str(exc), EXIT_UNUSABLE)
    run(_write(settings, topic, records), settings)
    console.print(f"{len(records)} checkpoint(s) written to {topic}")


async def _write(settings: BusSettings, topic: str, records: list[RawRecord]) -> None:
    async with producer(settings) as client:
        sends = [
            await client.send(
                topic, r.value, key=r.key, headers=list(r.headers), timestamp_ms=r.timestamp_ms or None
            )
            for r in records
        ]
        for sent in sends:
            await sent
