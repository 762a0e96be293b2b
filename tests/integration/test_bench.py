"""The benchmark script runs and prints every figure (not a timed test: no figure is judged)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from bench.run import QUICK

from incidentbus.kernel.settings import REPO_ROOT
from tests.integration.waits import PROCESS_CEILING

FIGURES = (
    "core.events_per_second",
    "core.agency_events_per_second",
    "core.agency_events_no_ticks_per_second",
    "core.report_us",
    "core.reply_us",
    "core.tick_us",
    "core.serialized_bytes_per_open_case",
    "core.traced_bytes_per_open_case",
    "pipeline.reports_per_second",
    "pipeline.tasks_per_second",
    "pipeline.case_events_per_second",
    "pipeline.latency@0.25max.p50_ms",
    "pipeline.latency@0.25max.p99_ms",
    "correlator_alone.inputs_per_second",
    "correlator_alone.inputs_per_second_whole",
    "correlator_alone.startup_s",
    "correlator_alone.cpu_us_per_input",
    "recovery.fill_reports_per_second",
    "recovery.changelog_s",
    "raw_aiokafka.per_second",
    "raw_aiokafka_ack_each.per_second",
    "faust_passthrough.per_second",
    "faust_passthrough_buffered.per_second",
)
RATIOS = (
    "pipeline/raw_aiokafka",
    "pipeline/faust_passthrough",
    "faust_passthrough/raw_aiokafka",
    "correlator_alone/core_same_inputs",
    "correlator_alone/core_agency_events",
    "correlator_alone_cpu/core_same_inputs",
)


def test_quick_benchmark_prints_every_figure_as_json() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_CEILING,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)

    figures = result["figures"]
    for name in FIGURES:
        assert figures.get(name, 0) > 0, f"{name}: {figures.get(name)}"
    latencies = [n for n in figures if re.fullmatch(r"pipeline\.latency@[\d.]+rps\.(p50|p99)_ms", n)]
    assert len(latencies) >= 2, sorted(figures)
    assert all(value > 0 for value in figures.values()), figures
    assert all(result["units"].get(name) for name in figures)
    for name in RATIOS:
        assert result["ratios"].get(name, 0) > 0, f"{name}: {result['ratios'].get(name)}"

    # the correlator alone decided what the offline core decided over the same inputs, and its
    # rate is measured between two points of its progress (not over one batch)
    details = result["details"]
    alone = details["correlator_alone"]
    assert alone["complete"], alone
    assert alone["outputs_seen"] == alone["outputs_expected"] == details["core"]["no_ticks"]["outputs"]
    assert (
        alone["inputs"]
        == details["core"]["no_ticks"]["inputs"]
        == sum(n for kind, n in details["core"]["inputs_by_kind"].items() if kind != "clock_ticked")
    )
    assert 0 < alone["window_inputs"] < alone["inputs"]
    assert figures["correlator_alone.startup_s"] < alone["all_seconds"]
    # the quarter load offered a quarter of the maximum rate measured before it (at least 1/s)
    quarter = next(load for load in details["pipeline"]["loads"] if load["name"] == "0.25max")
    expected = max(figures["pipeline.reports_per_second"] / 4, 1.0)
    assert abs(quarter["target_per_second"] - expected) < 0.01, (quarter, expected)
    assert quarter["matched"] == quarter["sent"] > 0
    # every report of the recovery part opened a case; memory:// keeps no local state to resume from
    recovery = details["recovery"]
    assert recovery["open_cases"] == QUICK.recovery_cases
    assert recovery["changelog_records"] >= recovery["open_cases"]
    assert recovery["local_seconds"] is None
    assert 0 < recovery["changelog_seconds"] < 120

    machine = result["machine"]
    assert machine["cores"] > 0
    assert machine["ram_gib"] > 0
    assert machine["python"]
    assert machine["kafka"]
    assert "bench.run --quick --json" in result["command"]
    assert result["topics_deleted"] > 0
    assert result["topic_prefix"].startswith("bench-")
