"""Benchmarks as a script: every figure and ratio measured in one run, on this machine.

    .venv/bin/python -m bench.run [--quick] [--json] [--data FILE]

1. the correlator's pure core offline, over the montco 911 mix (bench/mix.py, bench/core.py);
2. the live pipeline on the real broker: agency services + correlator in this process
   (bench/live.py), at its maximum rate and at fixed offered loads;
3. the limits of this machine for the same messages: raw aiokafka and empty faust passthroughs
   (bench/limits.py).

Everything runs under a topic prefix of its own (`bench-<random>.`), created from the catalog
and deleted at the end with every other topic under that prefix. Progress goes to stderr; the
table (or `--json`) to stdout. `--quick` makes every part tiny, so a test can run it in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.core import CoreResult, run_core
from bench.limits import Limits, Message, run_limits
from bench.live import LiveResult, run_live
from bench.machine import load_average, machine
from bench.mix import Mix, load_mix
from bench.topics import BenchTopics, bench_settings
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.kernel.logging import configure_logging
from incidentbus.kernel.settings import BusSettings

BASE_MS = 1_764_057_600_000  # 2025-11-25T08:00:00Z: where the offline day starts
REPLIES = ("task_acknowledged", "unit_arrived", "task_completed", "task_declined")


@dataclass(frozen=True)
class Sizes:
    rows: int | None  # montco rows for the core (None: all)
    tick_seconds: int  # event-time interval of clock ticks offline
    reports: int  # (a) reports preloaded for the maximum rate
    loads: tuple[tuple[float, float], ...]  # (b) (reports/s, seconds)
    passthrough: dict[str, int]
    budget: float  # seconds at most per passthrough
    timeout: float  # seconds to wait for the pipeline to finish a phase


FULL = Sizes(
    rows=None,
    tick_seconds=60,
    reports=1000,
    loads=((10, 20), (50, 20)),
    passthrough={"raw": 120_000, "raw_each": 12_000, "faust": 12_000, "faust_buffered": 30_000},
    budget=5.0,
    timeout=120.0,
)
QUICK = Sizes(
    rows=120,
    tick_seconds=60,
    reports=60,
    loads=((10, 2),),
    passthrough={"raw": 2_000, "raw_each": 300, "faust": 300, "faust_buffered": 1_000},
    budget=3.0,
    timeout=60.0,
)


def progress(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def command_line(argv: list[str]) -> str:
    python = os.path.relpath(sys.executable)
    python = sys.executable if python.startswith("..") else python
    return " ".join([python, "-m", "bench.run", *argv])


def _messages(mix: Mix) -> Any:
    def messages(tag: str, count: int) -> list[Message]:
        found = mix.incidents
        return [
            (
                f"{tag}-{i}".encode(),
                json.dumps(found[i % len(found)].native(f"{tag}-{i}"), ensure_ascii=False).encode(),
            )
            for i in range(count)
        ]

    return messages


async def live_parts(settings: BusSettings, mix: Mix, sizes: Sizes) -> tuple[LiveResult, Limits, list[str]]:
    topics = BenchTopics(settings)
    progress(f"topics under {settings.topic_prefix}")
    try:
        await topics.apply()
        with tempfile.TemporaryDirectory(prefix="bench-faust-") as datadir:
            progress("part 2: live pipeline")
            live = await run_live(
                topics,
                rules_for(settings),  # bench/grids.geojson, the layer its agencies place by
                mix.incidents,
                reports=sizes.reports,
                loads=list(sizes.loads),
                datadir=Path(datadir),
                timeout=sizes.timeout,
                progress=progress,
            )
            progress("part 3: passthroughs")
            limits = await run_limits(
                topics,
                _messages(mix),
                counts=sizes.passthrough,
                budget=sizes.budget,
                datadir=Path(datadir),
            )
    finally:
        dropped = await topics.drop()
        progress(f"deleted {len(dropped)} topics under {settings.topic_prefix}")
    return live, limits, dropped


def _mean_us(core: CoreResult, kinds: tuple[str, ...]) -> float:
    total = sum(core.per_kind_us.get(k, 0.0) * core.kinds.get(k, 0) for k in kinds)
    count = sum(core.kinds.get(k, 0) for k in kinds)
    return total / count if count else 0.0


def assemble(
    args: argparse.Namespace,
    argv: list[str],
    *,
    mix: Mix,
    sizes: Sizes,
    core: CoreResult,
    live: LiveResult,
    limits: Limits,
    context: dict[str, Any],
) -> dict[str, Any]:
    figures: dict[str, float] = {}
    units: dict[str, str] = {}
    how: dict[str, str] = {}

    def add(name: str, value: float, unit: str, what: str) -> None:
        figures[name], units[name], how[name] = round(value, 3), unit, what

    # 1. core
    add("core.events_per_second", core.events_per_second, "inputs/s", "core.step over the whole mix")
    add("core.report_us", core.per_kind_us.get("incident_reported", 0.0), "µs", "mean step of a report")
    add("core.reply_us", _mean_us(core, REPLIES), "µs", "mean step of a task reply")
    add(
        "core.verification_us",
        _mean_us(core, ("resolution_verified", "resolution_disputed")),
        "µs",
        "mean step of a 回访 answer",
    )
    add("core.tick_us", core.per_kind_us.get("clock_ticked", 0.0), "µs", "mean tick (steps every district)")
    busiest = core.busiest
    add(
        "core.serialized_bytes_per_open_case",
        busiest.serialized_per_open_case,
        "B",
        f"statecodec.dumps of all districts / open cases ({busiest.open_cases} open, "
        f"{busiest.held_cases} held), when most were open",
    )
    add(
        "core.traced_bytes_per_open_case",
        busiest.traced_per_open_case,
        "B",
        "tracemalloc: live objects of those states (rebuilt by statecodec.loads) / open cases",
    )
    # 2. live pipeline
    burst = live.max_rate
    add(
        "pipeline.reports_per_second",
        burst.reports_per_second,
        "reports/s",
        f"max rate, {burst.linked}/{burst.reports} reports; 10th-90th pct of first ReportLinked",
    )
    add("pipeline.reports_per_second_first_half", burst.first_half_per_second, "reports/s", "10th-50th pct")
    add("pipeline.reports_per_second_second_half", burst.second_half_per_second, "reports/s", "50th-90th pct")
    add("pipeline.tasks_per_second", burst.tasks_per_second, "DispatchTask/s", "same window, dispatch topics")
    add("pipeline.case_events_per_second", burst.case_events_per_second, "CaseEvent/s", "same window")
    for (rate, _seconds), load in zip(sizes.loads, live.latencies, strict=True):
        tag = f"pipeline.latency@{rate:g}rps"
        what = (
            f"report → first DispatchTask; {load.matched}/{load.sent} matched, "
            f"offered {load.offered_per_second:.1f}/s for {load.seconds:.1f} s"
        )
        if rate > burst.reports_per_second:
            what += " (above the max rate: a queue builds)"
        add(f"{tag}.p50_ms", load.p50_ms, "ms", what)
        add(f"{tag}.p99_ms", load.p99_ms, "ms", what)
        add(f"{tag}.max_ms", load.max_ms, "ms", what)
    # 3. limits
    add("raw_aiokafka.per_second", limits.raw.per_second, "msgs/s", f"{limits.raw.records} msgs, batch acks")
    add(
        "raw_aiokafka_ack_each.per_second",
        limits.raw_ack_each.per_second,
        "msgs/s",
        f"{limits.raw_ack_each.records} msgs, send_and_wait each",
    )
    add(
        "faust_passthrough.per_second",
        limits.faust.per_second,
        "msgs/s",
        f"{limits.faust.records} msgs, empty agent, kernel publish (send_and_wait) each",
    )
    add(
        "faust_passthrough_buffered.per_second",
        limits.faust_buffered.per_second,
        "msgs/s",
        f"{limits.faust_buffered.records} msgs, empty agent, topic.send()",
    )

    pipeline = burst.reports_per_second

    def ratio(a: float, b: float) -> float:
        return round(a / b, 5) if b else 0.0

    ratios = {
        "pipeline/raw_aiokafka": ratio(pipeline, limits.raw.per_second),
        "pipeline/faust_passthrough": ratio(pipeline, limits.faust.per_second),
        "faust_passthrough/raw_aiokafka": ratio(limits.faust.per_second, limits.raw.per_second),
        "pipeline/raw_aiokafka_ack_each": ratio(pipeline, limits.raw_ack_each.per_second),
        "faust_passthrough_buffered/raw_aiokafka": ratio(
            limits.faust_buffered.per_second, limits.raw.per_second
        ),
    }
    details = {
        "core": {
            "inputs": core.inputs,
            "area_steps": core.area_steps,
            "outputs": core.outputs,
            "seconds_in_step": round(core.seconds, 3),
            "inputs_by_kind": core.kinds,
            "us_by_kind": {k: round(v, 1) for k, v in core.per_kind_us.items()},
            "districts": core.areas,
            "event_time_hours": round(core.span_hours, 1),
            "busiest": vars(core.busiest),
            "final": vars(core.final),
        },
        "pipeline": {
            "max_rate": vars(burst),
            "loads": [vars(x) for x in live.latencies],
            "largest_district_state_bytes": live.largest_area_state_bytes,
        },
        "passthrough": {
            k: {"records": getattr(limits, k).records, "seconds": round(getattr(limits, k).seconds, 3)}
            for k in ("raw", "raw_ack_each", "faust", "faust_buffered")
        },
    }
    return {
        "command": command_line(argv),
        "quick": args.quick,
        **context,
        "mix": {
            "source": mix.source,
            "real_data": mix.real,
            "rows": len(mix.incidents),
            "tick_seconds_event_time": sizes.tick_seconds,
            "offline_answers": "75% prompt, 15% late, 5% hours late, 5% decline; 回访 91% ok, 5% disputed",
        },
        "figures": figures,
        "units": units,
        "how": how,
        "ratios": ratios,
        "details": details,
    }


def render(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    m = result["machine"]
    console.print(
        f"[bold]incidentbus benchmark[/bold]   {result['started_at']}   {result['duration_seconds']} s"
    )
    console.print(f"command: {result['command']}")
    console.print(
        f"machine: {m['cores']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}, Python {m['python']}, "
        f"Kafka {m['kafka']}, faust-streaming {m['faust_streaming']}, aiokafka {m['aiokafka']}"
    )
    console.print(f"load average before/after: {m['load_average_before']} / {m['load_average_after']}")
    mix = result["mix"]
    console.print(
        f"mix: {mix['rows']} rows from {mix['source']}"
        + ("" if mix["real_data"] else "  [bold red](SYNTHETIC)[/]")
    )
    table = Table(title="figures (one run)", show_lines=False)
    for column in ("figure", "value", "unit", "how"):
        table.add_column(column, justify="right" if column == "value" else "left")
    sections = {
        "core": "1. correlator core, offline",
        "pipeline": "2. live pipeline (4 agency services + correlator, one process)",
        "raw_aiokafka": "3. limits of this machine (same messages, A → B)",
    }
    for name, value in result["figures"].items():
        heading = sections.pop(name.split(".")[0], None)
        if heading:
            table.add_row(f"[bold]{heading}[/bold]", "", "", "")
        table.add_row(
            name,
            f"{value:,.3f}" if value < 100 else f"{value:,.0f}",
            result["units"][name],
            result["how"][name],
        )
    table.add_row("[bold]ratios[/bold]", "", "", "")
    for name, value in result["ratios"].items():
        table.add_row(name, f"{value:.5f}", "×", "")
    console.print(table)
    core = result["details"]["core"]
    final = core["final"]
    console.print(
        f"core: {core['inputs']} inputs {core['inputs_by_kind']} over {core['event_time_hours']} h "
        f"of event time, {core['districts']} districts; the final state holds {final['held_cases']} cases "
        f"({final['open_cases']} open), {final['serialized_bytes']:,} B serialized"
    )
    largest = result["details"]["pipeline"]["largest_district_state_bytes"]
    console.print(
        f"pipeline: largest district state at the end {largest:,} B (one record of the correlator's"
        " changelog)"
    )
    console.print(f"topics deleted: {result['topics_deleted']} under {result['topic_prefix']}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for tests")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--data", type=Path, default=None, help="the montco 911 CSV (default ../shared/data)")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON result to this file")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so the topics are deleted on `kill` as on Ctrl-C
    sizes = QUICK if args.quick else FULL
    settings = bench_settings()
    configure_logging(settings, stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retried NotLeader warnings on new topics
    started, clock = datetime.now(UTC), time.perf_counter()
    before = load_average()

    mix = load_mix(BASE_MS, args.data)
    if not mix.real:
        progress(f"montco data not found: using a synthetic mix ({mix.source})")
    core_mix = replace(mix, incidents=mix.incidents[: sizes.rows]) if sizes.rows else mix
    progress(f"part 1: correlator core over {len(core_mix.incidents)} rows of {mix.source}")
    core = run_core(core_mix, rules_for(settings), tick_ms=sizes.tick_seconds * 1000)
    try:
        live, limits, dropped = asyncio.run(live_parts(settings, mix, sizes))
    except KeyboardInterrupt as exc:
        progress(f"interrupted ({exc or 'Ctrl-C'}); no figures")
        return 130

    context = {
        "started_at": started.isoformat(timespec="seconds"),
        "duration_seconds": round(time.perf_counter() - clock, 1),
        "machine": {**machine(settings), "load_average_before": before, "load_average_after": load_average()},
        "topic_prefix": settings.topic_prefix,
        "topics_deleted": len(dropped),
    }
    result = assemble(args, argv, mix=mix, sizes=sizes, core=core, live=live, limits=limits, context=context)
    text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    if args.save:
        args.save.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text)
    else:
        render(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
