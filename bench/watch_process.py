"""The correlator-alone part's watcher, in a process of its own (`python -m bench.watch_process`).

A consumer of the outputs is another process in any deployment; in the correlator's process it
took about a tenth of the one core the correlator runs on (it fetches and parses every output),
and the figure is the correlator's. The parent writes a job as JSON on stdin (topic prefix,
expected records per output topic, the event ids a case event must cite, the stall ceiling);
this process reads the output topics from the beginning until every expected record and cited
id has arrived, or nothing arrived for `stall` seconds, and writes what it saw as JSON on
stdout: counts per topic, for each cited input the arrival of the first case event citing it,
repeated case events, first and last arrival, whether it was complete. Arrival times are
`time.perf_counter()`, which on Linux is CLOCK_MONOTONIC, one clock for every process of the
machine: the parent compares them with its own (and checks `started` against its spawn time).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from bench.topics import BenchTopics
from bench.watching import OUTPUT_TOPICS, Outputs, TopicWatcher, until
from incidentbus.kernel.settings import BusSettings


@dataclass(frozen=True)
class Watched:
    """What the watcher process saw (its JSON result)."""

    counts: Counter[str]
    caused: dict[str, float]
    repeated_case_events: int
    first: float
    last: float
    started: float  # when the watcher process began (perf_counter)
    complete: bool


async def watch(job: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    settings = BusSettings(topic_prefix=job["prefix"], environment="test", log_level="WARNING")
    expected, cited, stall = Counter(job["expected"]), frozenset(job["cited"]), float(job["stall"])
    outputs = Outputs(settings.topic_prefix)
    async with TopicWatcher(BenchTopics(settings), OUTPUT_TOPICS, outputs.handle):
        complete = await until(lambda: outputs.reached(expected, cited), outputs, stall)
    return {
        "counts": dict(outputs.counts),
        "caused": {e: t for e, t in outputs.caused.items() if e in cited},
        "repeated_case_events": outputs.repeated_case_events,
        "first": outputs.first,
        "last": outputs.last,
        "started": started,
        "complete": complete,
    }


async def run_watcher(prefix: str, expected: Counter[str], cited: frozenset[str], stall: float) -> Watched:
    """Spawn the watcher process and return what it saw once it is done. The parent meanwhile
    starts what it measures (the watcher reads from the beginning, so nothing is missed)."""
    spawned = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.watch_process",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    job = {"prefix": prefix, "expected": dict(expected), "cited": sorted(cited), "stall": stall}
    out, _ = await process.communicate(json.dumps(job).encode())
    if process.returncode != 0:
        raise RuntimeError(f"the watcher process failed (exit {process.returncode})")
    seen = json.loads(out)
    if seen["started"] < spawned:
        raise RuntimeError("the watcher's clock is not the parent's (perf_counter is not system-wide here)")
    return Watched(
        Counter(seen["counts"]),
        seen["caused"],
        seen["repeated_case_events"],
        seen["first"],
        seen["last"],
        seen["started"],
        seen["complete"],
    )


if __name__ == "__main__":
    sys.stdout.write(json.dumps(asyncio.run(watch(json.load(sys.stdin)))))
