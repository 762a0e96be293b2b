"""Benchmarks as a script: every figure and ratio measured in one run, on this machine.

    .venv/bin/python -m bench.run [--quick] [--json] [--data FILE] [--store URL]
    .venv/bin/python -m bench.run --only alone [--profile FILE] [--save FILE]   (parts 1 and 2 only)

1. the correlator's pure core offline, over the montco 911 mix (bench/mix.py, bench/core.py);
2. the correlator alone, live, over the agency events part 1 stepped, beside the same events
   stepped offline (bench/alone.py);
3. the live pipeline on the real broker: agency services + correlator in this process
   (bench/live.py), at its maximum rate and at offered loads, one of them a quarter of that
   maximum;
4. recovery: a correlator restarted with a district of many open cases, until it resumes
   (bench/recovery.py; from local state only with a store that keeps one, `--store`);
5. the limits of this machine for the same messages: raw aiokafka and empty faust passthroughs
   (bench/limits.py).

Everything runs under a topic prefix of its own (`bench-<random>.`; parts 2 and 4 under
`bench-<random>.<part>.`, so their consumer groups and tables are their own), created from the
catalog and deleted at the end with every other topic under that prefix. Progress goes to stderr; the
table (or `--json`) to stdout. `--quick` makes every part tiny, so a test can run it in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
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

from bench.alone import Alone, run_alone
from bench.core import CoreResult, Stepped, run_core, step_inputs
from bench.limits import Message, run_limits
from bench.live import Load, run_live
from bench.machine import load_average, machine
from bench.mix import Mix, load_mix
from bench.recovery import MEMORY, run_recovery
from bench.report import Parts, assemble, render
from bench.topics import BenchTopics, bench_settings, part_settings
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.kernel.logging import configure_logging
from incidentbus.kernel.settings import BusSettings

BASE_MS = 1_764_057_600_000  # 2025-11-25T08:00:00Z: where the offline day starts


@dataclass(frozen=True)
class Sizes:
    rows: int | None  # montco rows for the core (None: all)
    tick_seconds: int  # event-time interval of clock ticks offline
    reports: int  # (a) reports preloaded for the maximum rate
    loads: tuple[Load, ...]  # (b) offered loads, in this order
    recovery_cases: int  # open cases in the district of the recovery part
    passthrough: dict[str, int]
    budget: float  # seconds at most per passthrough
    timeout: float  # seconds to wait for the pipeline to finish a phase (correlator: for an output)


FULL = Sizes(
    rows=None,
    tick_seconds=60,
    reports=1000,
    loads=(Load(40, of_max=0.25), Load(20, 10), Load(20, 50)),
    recovery_cases=10_000,
    passthrough={"raw": 120_000, "raw_each": 12_000, "faust": 12_000, "faust_buffered": 30_000},
    budget=5.0,
    timeout=120.0,
)
QUICK = Sizes(
    rows=120,
    tick_seconds=60,
    reports=300,  # several batches, so the halves of the max-rate window have a width
    loads=(Load(3, of_max=0.25), Load(2, 10)),
    recovery_cases=1_200,  # more than two of the correlate loop's batches (500 records)
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


async def live_parts(
    settings: BusSettings, mix: Mix, sizes: Sizes, *, core: CoreResult, offline: Stepped, store: str
) -> tuple[Parts, list[str]]:
    topics = BenchTopics(settings)
    rules = rules_for(settings)  # bench/grids.geojson, the layer the bench's agencies place by
    progress(f"topics under {settings.topic_prefix}")
    try:
        await topics.apply()
        with tempfile.TemporaryDirectory(prefix="bench-faust-") as datadir:
            progress(f"part 2: the correlator alone over {len(core.agency_inputs)} agency events")
            alone = await run_alone(
                BenchTopics(part_settings(settings, "alone")),
                rules,
                core.agency_inputs,
                offline,
                datadir=Path(datadir),
                stall=sizes.timeout,
                progress=progress,
            )
            progress("part 3: live pipeline")
            live = await run_live(
                topics,
                rules,
                mix.incidents,
                reports=sizes.reports,
                loads=list(sizes.loads),
                datadir=Path(datadir),
                timeout=sizes.timeout,
                progress=progress,
            )
            progress(f"part 4: recovery with {sizes.recovery_cases} open cases ({store})")
            recovery = await run_recovery(
                BenchTopics(part_settings(settings, "recovery")),
                rules,
                cases=sizes.recovery_cases,
                datadir=Path(datadir) / "recovery",
                stall=sizes.timeout,
                store=store,
                progress=progress,
            )
            progress("part 5: passthroughs")
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
    return Parts(core, offline, alone, live, recovery, limits), dropped


async def alone_part(
    settings: BusSettings, core: CoreResult, offline: Stepped, sizes: Sizes, profile: Path | None
) -> tuple[Alone, list[str]]:
    """Part 2 alone (`--only alone`), under its own prefix, with its topics dropped at the end;
    `profile`: cProfile the live part (preload, correlator, watcher: the whole process) into it."""
    topics = BenchTopics(settings)
    profiler = cProfile.Profile() if profile else None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-faust-") as datadir:
            progress(f"part 2: the correlator alone over {len(core.agency_inputs)} agency events")
            if profiler:
                profiler.enable()
            alone = await run_alone(
                BenchTopics(part_settings(settings, "alone")),
                rules_for(settings),
                core.agency_inputs,
                offline,
                datadir=Path(datadir),
                stall=sizes.timeout,
                progress=progress,
            )
            if profiler and profile:
                profiler.disable()
                profiler.dump_stats(profile)
    finally:
        dropped = await topics.drop()
        progress(f"deleted {len(dropped)} topics under {settings.topic_prefix}")
    return alone, dropped


def only_alone(args: argparse.Namespace, argv: list[str], sizes: Sizes, settings: BusSettings) -> int:
    """Parts 1 and 2 only: the offline core on the same inputs and the correlator alone, the ratio
    of one run (for iterating on the live correlator; the full run prints the same figures)."""
    before = load_average()
    mix = load_mix(BASE_MS, args.data)
    core_mix = replace(mix, incidents=mix.incidents[: sizes.rows]) if sizes.rows else mix
    progress(f"part 1: correlator core over {len(core_mix.incidents)} rows of {mix.source}")
    core = run_core(core_mix, rules_for(settings), tick_ms=sizes.tick_seconds * 1000)
    offline = step_inputs(core.agency_inputs, rules_for(settings))
    after_core = load_average()
    alone, dropped = asyncio.run(alone_part(settings, core, offline, sizes, args.profile))
    result = {
        "command": command_line(argv),
        "mix": {"source": mix.source, "real_data": mix.real, "rows": len(core_mix.incidents)},
        "load_average": {"before": before, "after_core": after_core, "after": load_average()},
        "figures": {
            "core.agency_events_no_ticks_per_second": round(offline.per_second, 1),
            "correlator_alone.inputs_per_second": round(alone.per_second, 1),
            "correlator_alone.inputs_per_second_whole": round(alone.whole_per_second, 1),
            "correlator_alone.startup_s": round(alone.startup_seconds, 2),
            "correlator_alone.cpu_us_per_input": round(alone.cpu_us_per_input, 1),
        },
        "ratios": {
            "correlator_alone/core_same_inputs": round(alone.per_second / offline.per_second, 4),
            "correlator_alone_cpu/core_same_inputs": round(alone.cpu_ratio, 4),
        },
        "correlator_alone": vars(alone),
        "topics_deleted": len(dropped),
    }
    text = json.dumps(result, indent=2, ensure_ascii=False, default=str)
    if args.save:
        args.save.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0 if alone.complete else 1


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds), for tests")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--data", type=Path, default=None, help="the montco 911 CSV (default ../shared/data)")
    parser.add_argument("--save", type=Path, default=None, help="also write the JSON result to this file")
    parser.add_argument(
        "--store",
        default=MEMORY,
        help="the correlator's table store in the recovery part (memory://: no local state to resume from)",
    )
    parser.add_argument(
        "--only", choices=["alone"], default=None, help="run parts 1 and 2 only (the correlator alone)"
    )
    parser.add_argument("--profile", type=Path, default=None, help="with --only alone: cProfile part 2 here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # so the topics are deleted on `kill` as on Ctrl-C
    sizes = QUICK if args.quick else FULL
    settings = bench_settings()
    configure_logging(settings, stream=sys.stderr)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retried NotLeader warnings on new topics
    if args.only == "alone":
        try:
            return only_alone(args, argv, sizes, settings)
        except KeyboardInterrupt as exc:
            progress(f"interrupted ({exc or 'Ctrl-C'}); no figures")
            return 130
    started, clock = datetime.now(UTC), time.perf_counter()
    before = load_average()

    mix = load_mix(BASE_MS, args.data)
    if not mix.real:
        progress(f"montco data not found: using a synthetic mix ({mix.source})")
    core_mix = replace(mix, incidents=mix.incidents[: sizes.rows]) if sizes.rows else mix
    progress(f"part 1: correlator core over {len(core_mix.incidents)} rows of {mix.source}")
    core = run_core(core_mix, rules_for(settings), tick_ms=sizes.tick_seconds * 1000)
    progress(f"part 1: the same {len(core.agency_inputs)} agency events again, without ticks")
    offline = step_inputs(core.agency_inputs, rules_for(settings))
    try:
        parts, dropped = asyncio.run(
            live_parts(settings, mix, sizes, core=core, offline=offline, store=args.store)
        )
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
    result = assemble(
        command=command_line(argv),
        quick=args.quick,
        mix=mix,
        tick_seconds=sizes.tick_seconds,
        parts=parts,
        context=context,
    )
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
