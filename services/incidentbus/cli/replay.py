"""`incidentbus replay`: re-run the correlator over recorded input; diff against production."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from incidentbus.cli.reading import run, time_option
from incidentbus.correlator.checkpointing import CHECKPOINTS
from incidentbus.correlator.domain.rules import RulesError
from incidentbus.correlator.engine import INPUT, output_record
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.kernel.admin import apply_catalog
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.checkpoint_keys import CheckpointKeyError, Signer, checkpoint_signer
from incidentbus.kernel.codec import decode
from incidentbus.kernel.grids import GridLayerError
from incidentbus.kernel.kafka import producer, read_all, send
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.replay import (
    CaseDiff,
    CheckpointDiff,
    Replay,
    Window,
    compare,
    compare_checkpoints,
    replay,
    to_ms,
)
from incidentbus.v1 import case_events_pb2

console = Console(soft_wrap=True)


def replay_command(
    since: Annotated[str | None, typer.Option(help="window start, event time, ISO 8601 with a zone")] = None,
    until: Annotated[str | None, typer.Option(help="window end, event time, ISO 8601 with a zone")] = None,
    partition: Annotated[int | None, typer.Option(help="only this input partition")] = None,
    from_offset: Annotated[int | None, typer.Option(help="first input offset (with --partition)")] = None,
    to_offset: Annotated[int | None, typer.Option(help="last input offset (with --partition)")] = None,
    rules: Annotated[Path | None, typer.Option(help="try a changed rules file on history")] = None,
    out: Annotated[Path | None, typer.Option(help="write the replayed outputs to this JSONL file")] = None,
    sandbox: Annotated[str | None, typer.Option(help="produce the outputs under this topic prefix")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    fail_on_diff: Annotated[bool, typer.Option(help="exit 1 when replay and production differ")] = False,
) -> None:
    """Re-run the core over correlator.input.v1 and report where it departs from case.events.v1.

    Reads without a consumer group and writes only to --out or the --sandbox prefix: production
    topics and offsets are never touched.
    """
    window = Window(
        to_ms(time_option(since, "--since")),
        to_ms(time_option(until, "--until")),
        partition,
        from_offset,
        to_offset,
    )
    settings = BusSettings()
    try:  # with the settings' grid layer, as the service runs; refused before minutes of reading
        loaded = rules_for(settings, rules)
    except (OSError, RulesError, GridLayerError) as exc:
        typer.echo(f"incidentbus replay: {exc}", err=True)
        raise typer.Exit(2) from exc
    with console.status("reading correlator.input.v1 and case.events.v1 ..."):
        # A topic that is missing or that this principal may not read exits 2 with the reason,
        # rather than replaying nothing.
        inputs = run(read_all(settings, settings.topic(INPUT), must_exist=True), settings)
        production = [
            decode(r, case_events_pb2.CaseEvent).message
            for r in run(read_all(settings, settings.topic("case.events.v1"), must_exist=True), settings)
        ]
    signer, unsigned = _signer(settings)
    result = replay(inputs, loaded, window, signer, checkpoints=True)
    diffs = compare(result.case_events(), production, result.inputs)  # type: ignore[arg-type]
    published = run(read_all(settings, settings.topic(CHECKPOINTS)), settings)
    checkpoints = compare_checkpoints(result.checkpoints(), published)
    if out:
        _write(out, result, settings)
    if sandbox:
        _to_sandbox(settings, sandbox, result)
    _report(result, diffs, as_json, (checkpoints, unsigned))
    raise typer.Exit(1 if (diffs or checkpoints.differing) and fail_on_diff else 0)


def _signer(settings: BusSettings) -> tuple[Signer | None, str]:
    """The key to sign replayed checkpoints with, or None and why not. Never in production: a
    replay with changed rules or inputs would be another history under the production key, so
    there it makes the checkpoints unsigned and holds their content against production's."""
    if settings.environment == "production":
        return None, "production: the replay does not sign, it compares what production signed"
    try:
        return checkpoint_signer(settings), ""
    except CheckpointKeyError as exc:
        return None, str(exc)


def _write(path: Path, result: Replay, settings: BusSettings) -> None:
    with path.open("w", encoding="utf-8") as f:
        for o in result.outputs + result.ends:
            if o.message is None:
                f.write(
                    json.dumps({"kind": o.kind, "key": o.key, "reason": o.reason, "detail": o.detail}) + "\n"
                )
                continue
            record = output_record(settings, o)
            f.write(
                json.dumps(
                    {
                        "kind": o.kind,
                        "topic": record.topic,
                        "key": o.key,
                        "value": base64.b64encode(record.value).decode(),
                    }
                )
                + "\n"
            )


def _to_sandbox(settings: BusSettings, sandbox: str, result: Replay) -> None:
    if not sandbox.strip(".") or sandbox == settings.topic_prefix:
        raise typer.BadParameter("the sandbox prefix must be non-empty and differ from production's")
    target = settings.model_copy(update={"topic_prefix": sandbox + settings.topic_prefix})

    async def produce() -> None:
        await apply_catalog(target, load_catalog(target.catalog_path))
        async with producer(target) as client:
            for o in result.outputs + result.ends:
                if o.message is not None:
                    await send(client, output_record(target, o))

    run(produce(), target)


def _report(result: Replay, diffs: list[CaseDiff], as_json: bool, signed: tuple[CheckpointDiff, str]) -> None:
    events = len(result.case_events())
    checkpoints, unsigned = signed
    held = {
        "replayed": len(result.checkpoints()),
        "identical": checkpoints.identical,
        "same_content": checkpoints.same_content,
        "differing": checkpoints.differing,
        "unpublished": checkpoints.unpublished,
        "at_partition_ends": len(result.ends),
        "unsigned_because": unsigned,
    }
    if as_json:
        print(
            json.dumps(
                {
                    "replayed": result.replayed,
                    "in_window": len(result.inputs),
                    "case_events": events,
                    "differences": [d.__dict__ for d in diffs],
                    "checkpoints": held,
                }
            )
        )
        return
    console.print(
        f"replayed {result.replayed} inputs ({len(result.inputs)} in the window): "
        f"{events} case events, {len(result.outputs)} outputs"
    )
    console.print(
        f"checkpoints: {held['replayed']} replayed ({'unsigned: ' + unsigned if unsigned else 'signed'}), "
        f"{checkpoints.identical} identical to production's, {checkpoints.same_content} with the same "
        f"content, {len(checkpoints.differing)} differing {checkpoints.differing or ''}, "
        f"{len(checkpoints.unpublished)} not published; {len(result.ends)} more at the partitions' ends"
    )
    if not diffs:
        console.print("[green]no differences[/green] from production")
        return
    table = Table("case", "first different seq", "production", "replay", title=f"{len(diffs)} case(s) differ")
    for d in diffs:
        table.add_row(d.case_id, str(d.sequence), d.production, d.replay)
    console.print(table)
