"""The benchmark's result: every figure with its unit and how it was measured, the ratios and the
details (`assemble`), and the table printed from it (`render`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.alone import Alone
from bench.core import CoreResult, Stepped
from bench.limits import Limits
from bench.live import LiveResult
from bench.mix import Mix
from bench.recovery import Recovery

REPLIES = ("task_acknowledged", "unit_arrived", "task_completed", "task_declined")
SECTIONS = {
    "core": "1. correlator core, offline",
    "correlator_alone": "2. correlator alone, live (the agency events of 1, no ticks)",
    "pipeline": "3. live pipeline (4 agency services + correlator, one process)",
    "recovery": "4. correlator restart with a district of open cases",
    "raw_aiokafka": "5. limits of this machine (same messages, A → B)",
}
Add = Callable[[str, float, str, str], None]


@dataclass(frozen=True)
class Parts:
    core: CoreResult
    offline: Stepped  # the agency events of `core` stepped again without ticks
    alone: Alone
    live: LiveResult
    recovery: Recovery
    limits: Limits


def _mean_us(core: CoreResult, kinds: tuple[str, ...]) -> float:
    total = sum(core.per_kind_us.get(k, 0.0) * core.kinds.get(k, 0) for k in kinds)
    count = sum(core.kinds.get(k, 0) for k in kinds)
    return total / count if count else 0.0


def _core(add: Add, core: CoreResult, offline: Stepped) -> None:
    add("core.events_per_second", core.events_per_second, "inputs/s", "core.step over the whole mix")
    add(
        "core.agency_events_per_second",
        core.agency_events_per_second,
        "inputs/s",
        "the same run, ticks apart: agency events / the time of their steps",
    )
    add(
        "core.agency_events_no_ticks_per_second",
        offline.per_second,
        "inputs/s",
        f"the same {offline.inputs} agency events stepped again in order, no ticks (what part 2 feeds)",
    )
    add(
        "core.output_floor_per_second",
        offline.floor_per_second,
        "inputs/s",
        f"those {offline.inputs} agency events if stepping cost only building, hashing and "
        "serializing their outputs (bench.core.output_floor)",
    )
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


def _alone(add: Add, alone: Alone) -> None:
    seen = f"outputs {alone.outputs_seen}/{alone.outputs_expected} of the offline step"
    add(
        "correlator_alone.inputs_per_second",
        alone.per_second,
        "inputs/s",
        f"10th-90th pct of {alone.inputs} inputs done "
        f"({alone.window_inputs} in {alone.window_seconds:.1f} s); {seen}",
    )
    add(
        "correlator_alone.inputs_per_second_whole",
        alone.whole_per_second,
        "inputs/s",
        "all inputs / first output → last expected output",
    )
    add("correlator_alone.startup_s", alone.startup_seconds, "s", "app.start() → first output")
    add(
        "correlator_alone.cpu_us_per_input",
        alone.cpu_us_per_input,
        "µs",
        "CPU time of the correlator's process, app.start() → last expected output, / inputs",
    )


def _pipeline(add: Add, live: LiveResult) -> None:
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
    for load in live.latencies:
        tag = f"pipeline.latency@{load.name}"
        what = (
            f"report → first DispatchTask; {load.matched}/{load.sent} matched, "
            f"offered {load.offered_per_second:.1f}/s for {load.seconds:.1f} s"
        )
        if load.name.endswith("max"):
            what += f" ({load.name.removesuffix('max')} × the max rate above)"
        elif load.target_per_second > burst.reports_per_second:
            what += " (above the max rate: a queue builds)"
        add(f"{tag}.p50_ms", load.p50_ms, "ms", what)
        add(f"{tag}.p99_ms", load.p99_ms, "ms", what)
        add(f"{tag}.max_ms", load.max_ms, "ms", what)


def _recovery(add: Add, recovery: Recovery) -> None:
    add(
        "recovery.fill_reports_per_second",
        recovery.fill_reports_per_second,
        "reports/s",
        f"{recovery.open_cases} reports opening a case each in one district (first → last output)",
    )
    if recovery.local_seconds is not None:
        add(
            "recovery.local_state_s",
            recovery.local_seconds,
            "s",
            f"restart on the same datadir ({recovery.store}) → first output for a probe report",
        )
    add(
        "recovery.changelog_s",
        recovery.changelog_seconds,
        "s",
        f"restart on a fresh datadir → first output for a probe; {recovery.open_cases} open cases, "
        f"{recovery.changelog_records} changelog records ({recovery.store})",
    )


def _limits(add: Add, limits: Limits) -> None:
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


def _ratio(a: float, b: float) -> float:
    return round(a / b, 5) if b else 0.0


def assemble(
    *,
    command: str,
    quick: bool,
    mix: Mix,
    tick_seconds: int,
    parts: Parts,
    context: dict[str, Any],
) -> dict[str, Any]:
    figures: dict[str, float] = {}
    units: dict[str, str] = {}
    how: dict[str, str] = {}

    def add(name: str, value: float, unit: str, what: str) -> None:
        figures[name], units[name], how[name] = round(value, 3), unit, what

    core, alone, live, limits = parts.core, parts.alone, parts.live, parts.limits
    _core(add, core, parts.offline)
    _alone(add, alone)
    _pipeline(add, live)
    _recovery(add, parts.recovery)
    _limits(add, limits)
    pipeline = live.max_rate.reports_per_second
    ratios = {
        "correlator_alone/core_same_inputs": _ratio(alone.per_second, parts.offline.per_second),
        "correlator_alone/core_agency_events": _ratio(alone.per_second, core.agency_events_per_second),
        "correlator_alone_cpu/core_same_inputs": round(alone.cpu_ratio, 5),
        "core_same_inputs/output_floor": _ratio(parts.offline.per_second, parts.offline.floor_per_second),
        "pipeline/raw_aiokafka": _ratio(pipeline, limits.raw.per_second),
        "pipeline/faust_passthrough": _ratio(pipeline, limits.faust.per_second),
        "faust_passthrough/raw_aiokafka": _ratio(limits.faust.per_second, limits.raw.per_second),
        "pipeline/raw_aiokafka_ack_each": _ratio(pipeline, limits.raw_ack_each.per_second),
        "faust_passthrough_buffered/raw_aiokafka": _ratio(
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
            "no_ticks": {
                "inputs": parts.offline.inputs,
                "seconds_in_step": round(parts.offline.seconds, 3),
                "outputs": len(parts.offline.outputs),
            },
        },
        "correlator_alone": vars(alone),
        "pipeline": {
            "max_rate": vars(live.max_rate),
            "loads": [vars(x) for x in live.latencies],
            "largest_state_record_bytes": live.largest_state_record_bytes,
        },
        "recovery": vars(parts.recovery),
        "passthrough": {
            k: {"records": getattr(limits, k).records, "seconds": round(getattr(limits, k).seconds, 3)}
            for k in ("raw", "raw_ack_each", "faust", "faust_buffered")
        },
    }
    return {
        "command": command,
        "quick": quick,
        **context,
        "mix": {
            "source": mix.source,
            "real_data": mix.real,
            "rows": len(mix.incidents),
            "tick_seconds_event_time": tick_seconds,
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
    sections = dict(SECTIONS)
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
    details = result["details"]
    core, final = details["core"], details["core"]["final"]
    console.print(
        f"core: {core['inputs']} inputs {core['inputs_by_kind']} over {core['event_time_hours']} h "
        f"of event time, {core['districts']} districts; the final state holds {final['held_cases']} cases "
        f"({final['open_cases']} open), {final['serialized_bytes']:,} B serialized"
    )
    alone = details["correlator_alone"]
    console.print(
        f"correlator alone: {alone['outputs_seen']:,} outputs seen of {alone['outputs_expected']:,} "
        f"the offline step gave ({'complete' if alone['complete'] else '[bold red]INCOMPLETE[/]'}), "
        f"{alone['all_seconds']:.1f} s from start to the last, "
        f"{alone['repeated_case_events']} case events seen twice"
    )
    recovery = details["recovery"]
    console.print(
        f"recovery: {recovery['open_cases']:,} open cases, "
        f"{recovery['changelog_records']:,} changelog records, "
        f"{recovery['uncommitted']} input records uncommitted at the restart"
        + ("" if recovery["local_seconds"] is not None else f"; no local state with {recovery['store']}")
    )
    largest = details["pipeline"]["largest_state_record_bytes"]
    console.print(f"pipeline: largest record of the correlator's table at the end {largest:,} B")
    console.print(f"topics deleted: {result['topics_deleted']} under {result['topic_prefix']}")
