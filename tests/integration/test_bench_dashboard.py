"""The dashboard benchmark runs on the broker with a real browser and prints every figure (not a
timed test: no figure is judged, only that each was measured and is sane)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.dashboard import FIGURES

from incidentbus.kernel.settings import REPO_ROOT
from tests.integration.waits import PROCESS_CEILING

CASES, UPDATES = 200, 3


def test_dashboard_benchmark_prints_every_figure_as_json() -> None:
    argv = ["--cases", str(CASES), "--updates", str(UPDATES), "--repeat", "2", "--idle-seconds", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", *argv, "--json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_CEILING,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)

    figures = result["figures"]
    assert set(figures) == set(FIGURES)
    assert figures["first_render.rows"] == CASES  # every case open, none merged into another
    assert figures["board.bytes"] > 0
    assert 0 < figures["first_render.received_ms"] <= figures["first_render.rendered_ms"]
    for name in ("board.get_ms", "update.latency_p50_ms", "update.latency_max_ms", "update.page_p50_ms"):
        assert figures[name] > 0, (name, figures[name])
    for name in ("search.redraw_p50_ms", "filter.category_p50_ms", "filter.all_p50_ms"):
        assert figures[name] > 0, (name, figures[name])
    assert figures["update.latency_p50_ms"] <= figures["update.latency_max_ms"] < 60_000

    details = result["details"]
    assert len(details["updates"]) == UPDATES
    assert all(u["latency_ms"] > 0 and u["case_id"].startswith("C-") for u in details["updates"])
    assert details["shown"]["listed"] == 100  # one page of the list
    assert details["shown"]["grids"] > 0  # the benchmark's grid layer is on the map
    assert details["errors"] == []
    assert set(details["long_tasks"]) <= {"first_render", "updates", "filters", "idle"}

    assert result["cases"] == CASES
    assert result["machine"]["cores"] > 0
    assert result["topic_prefix"].startswith("bench-dash-")
    assert result["topics_deleted"] > 0
