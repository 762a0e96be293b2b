"""Does the core's cost per input stay flat as a district fills up? (issue: the correlator at city scale)

One district of the benchmark lattice is filled with N open cases (N = 100, 1,000, 10,000,
50,000 by default), each a police report with its lead task and deadlines at its own point
(a 25 x 25-cell district, points spread over it; reports over the last two hours; five remembered
event ids per case), then three inputs are timed against that state, each from the same state
(`decide`: the step's writes are undone after it):

- a report at a point no case is near (it is scored against every candidate, opens a case);
- a reply (acknowledgement) to one case's lead task;
- a clock tick a minute later, when no deadline falls due.

Also printed: the state as the shell stores it (`statecodec.all_records`: one record per case,
remembered id, retired report and alias), in bytes per open case and the largest record; the
time to build the area's indexes from its cases (what a worker does once after a restart or a
rebalance); and the ratio of each step's time at N to its time at the smallest N (target of the
scale issue: at 10,000 open cases at most 1.5x the time at 100).

    .venv/bin/python -m bench.scale [--sizes 100,1000,10000,50000] [--repeat 5] [--json]

Cases are built by copying one case the real core opened (new ids, points and times), not by
stepping N reports. Times are medians of `--repeat` steps, in CPU time of this process
(`time.process_time`): the core is pure and single-threaded, so its CPU time is its cost, and a
shared machine's other processes no longer make single figures jump (wall time did, by 2x).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bench.feed import Feed
from bench.machine import load_average, machine
from bench.mix import CELL, DISTRICT_CELLS, LAT0, LNG0, grid_of
from bench.topics import bench_settings
from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.core import decide, step
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.model import Case
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.domain.statecodec import all_records
from incidentbus.correlator.rulesfile import rules_for
from incidentbus.devtools import natives

SIZES = (100, 1_000, 10_000, 50_000)
T0 = int(datetime(2026, 11, 30, 8, 0, tzinfo=UTC).timestamp() * 1000)
MIN = 60_000
SIDE = DISTRICT_CELLS * CELL  # degrees: the first lattice district is [LAT0, LAT0 + SIDE] x [LNG0, ...]


def spread(i: int, n: int) -> tuple[float, float]:
    """The i-th of n points spread evenly over the district, a cell's margin from its edges."""
    per_row = max(1, math.ceil(n**0.5))
    step_deg = (SIDE - 2 * CELL) / per_row
    row, column = divmod(i, per_row)
    return LAT0 + CELL + row * step_deg, LNG0 + CELL + column * step_deg


def police_report(feed: Feed, ref: str, at_ms: int, point: tuple[float, float]) -> Input:
    lat, lng = point
    grid = grid_of(lat, lng)
    place = {"grid": grid, "address": "", "lat": lat, "lon": lng}
    native = natives.report(
        "police", ref, "TA1", grid, datetime.fromtimestamp(at_ms / 1000, UTC), priority="P3", location=place
    )
    return feed.native("police", native, at_ms)


def seed_case(feed: Feed, rules: Rules) -> tuple[AreaState, Case]:
    """One case the real core opened: the template of every other."""
    state, _ = step(AreaState(""), police_report(feed, "SEED", T0, spread(0, 1)), rules)
    [case] = state.cases.values()
    return state, case


def filled(template: Case, area: str, n: int, clock_ms: int) -> AreaState:
    """A district with n open cases like the template, each at its own point and time."""
    cases: dict[str, Case] = {}
    seen: dict[str, int] = {}
    span = 120 * MIN
    for i in range(n):
        lat, lng = spread(i, n)
        at = clock_ms - span + (i * span) // max(n, 1)
        case_id = f"{template.case_id}-{i:06d}"
        place = replace(template.place, grid=grid_of(lat, lng), lat=lat, lon=lng)
        reports = tuple(
            replace(r, place=place, source_ref=f"R-{i}", reported_ms=at) for r in template.reports
        )
        tasks = tuple(
            replace(t, task_id=t.task_id.replace(template.case_id, case_id)) for t in template.tasks
        )
        deadlines = tuple(  # as if opened at the clock: none falls due in the timed minute
            replace(
                d,
                task_id=d.task_id.replace(template.case_id, case_id),
                set_ms=d.set_ms - T0 + clock_ms,
                due_ms=d.due_ms - T0 + clock_ms,
            )
            for d in template.deadlines
        )
        cases[case_id] = replace(
            template,
            case_id=case_id,
            place=place,
            reports=reports,
            tasks=tasks,
            deadlines=deadlines,
            opened_ms=at,
            updated_ms=at,
        )
        for k in range(5):
            seen[f"{case_id}/e{k}"] = at
    return AreaState(area, clock_ms=clock_ms, cases=cases, seen=seen)


def timed(state: AreaState, item: Input, rules: Rules, repeat: int) -> tuple[float, int]:
    """Median seconds of `repeat` steps of one input from the same state, and its outputs."""
    times, outputs = [], 0
    for _ in range(repeat):
        started = time.process_time()
        out = decide(state, item, rules)
        times.append(time.process_time() - started)
        outputs = len(out)
    return statistics.median(times), outputs


def measure(n: int, rules: Rules, repeat: int) -> dict[str, Any]:
    feed = Feed()
    seed, template = seed_case(feed, rules)
    clock = T0 + 240 * MIN
    state = filled(template, seed.area, n, clock)
    some = state.cases[f"{template.case_id}-{n // 2:06d}"]
    lead = some.tasks[0]
    far = (LAT0 + SIDE - CELL / 2, LNG0 + SIDE - CELL / 2)  # the district's far corner: no case near
    report = police_report(feed, "NEW", clock + 1_000, far)
    at = datetime.fromtimestamp((clock + 2_000) / 1000, UTC)
    reply_native = natives.reply("police", "ack", lead.task_id, some.case_id, seq=1, at=at)
    reply = feed.native("police", reply_native, clock + 2_000)
    tick = feed.tick(clock + MIN)
    stored = [len(k) + len(v or b"") for k, v in all_records(state)]
    started = time.perf_counter()
    state.index(rules)
    index_s = time.perf_counter() - started
    report_s, report_out = timed(state, report, rules, repeat)
    reply_s, reply_out = timed(state, reply, rules, repeat)
    tick_s, tick_out = timed(state, tick, rules, repeat)
    return {
        "open_cases": n,
        "report_ms": round(report_s * 1000, 3),
        "reply_ms": round(reply_s * 1000, 3),
        "tick_ms": round(tick_s * 1000, 3),
        "outputs": {"report": report_out, "reply": reply_out, "tick": tick_out},
        "index_build_ms": round(index_s * 1000, 1),
        "state_bytes": sum(stored),
        "largest_record_bytes": max(stored),
        "bytes_per_open_case": round(sum(stored) / n),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default=",".join(map(str, SIZES)), help="open cases per run, comma-separated"
    )
    parser.add_argument("--repeat", type=int, default=5, help="steps timed per input (median)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rules = rules_for(bench_settings())
    started, before = datetime.now(UTC), load_average()
    rows = [measure(int(n), rules, args.repeat) for n in args.sizes.split(",")]
    base = rows[0]
    for row in rows:
        row["ratio_to_smallest"] = {
            k: round(row[f"{k}_ms"] / base[f"{k}_ms"], 2) if base[f"{k}_ms"] else None
            for k in ("report", "reply", "tick")
        }
    command = " ".join([".venv/bin/python -m bench.scale", *(argv if argv is not None else sys.argv[1:])])
    facts = {
        "command": command,
        "date": started.isoformat(timespec="seconds"),
        "machine": machine(bench_settings()),
    }
    facts["load_average"] = {"before": before, "after": load_average()}
    if args.json:
        print(json.dumps({"rows": rows, **facts}, indent=2))
        return 0
    print(
        f"{'open cases':>10} {'report ms':>10} {'reply ms':>9} {'tick ms':>8} {'x report':>9} {'x reply':>8} "
        f"{'x tick':>7} {'state bytes':>12} {'B/case':>7} {'largest B':>9} {'index ms':>8}"
    )
    for row in rows:
        r = row["ratio_to_smallest"]
        times = f"{row['report_ms']:>10.2f} {row['reply_ms']:>9.2f} {row['tick_ms']:>8.2f}"
        ratios = f"{r['report']:>9} {r['reply']:>8} {r['tick']:>7}"
        size = f"{row['state_bytes']:>12,} {row['bytes_per_open_case']:>7,} {row['largest_record_bytes']:>9,}"
        size += f" {row['index_build_ms']:>8.1f}"
        print(f"{row['open_cases']:>10,} {times} {ratios} {size}")
    print(
        f"\nx = time / time at {base['open_cases']:,} open cases (target: <= 1.5 at 10,000). {command} "
        f"({facts['date']}, load {facts['load_average']})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
