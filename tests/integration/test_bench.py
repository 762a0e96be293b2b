"""The benchmark script runs and prints every figure (not a timed test: no figure is judged)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from incidentbus.kernel.settings import REPO_ROOT
from tests.integration.waits import PROCESS_CEILING

FIGURES = (
    "core.events_per_second",
    "core.report_us",
    "core.reply_us",
    "core.tick_us",
    "core.serialized_bytes_per_open_case",
    "core.traced_bytes_per_open_case",
    "pipeline.reports_per_second",
    "pipeline.tasks_per_second",
    "pipeline.case_events_per_second",
    "raw_aiokafka.per_second",
    "raw_aiokafka_ack_each.per_second",
    "faust_passthrough.per_second",
    "faust_passthrough_buffered.per_second",
)
RATIOS = ("pipeline/raw_aiokafka", "pipeline/faust_passthrough", "faust_passthrough/raw_aiokafka")


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

    machine = result["machine"]
    assert machine["cores"] > 0
    assert machine["ram_gib"] > 0
    assert machine["python"]
    assert machine["kafka"]
    assert "bench.run --quick --json" in result["command"]
    assert result["topics_deleted"] > 0
    assert result["topic_prefix"].startswith("bench-")
