"""bench.scale fills a district, steps a report, a reply and a tick from it, and prints the cost."""

from __future__ import annotations

import json

import pytest
from bench import scale


def test_the_scale_benchmark_measures_each_size_with_working_inputs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert scale.main(["--sizes", "10,40", "--repeat", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    small, large = out["rows"]
    assert (small["open_cases"], large["open_cases"]) == (10, 40)
    # the report opens a case with its task, the reply is taken (not refused), the tick fires nothing
    assert large["outputs"]["report"] >= 4
    assert large["outputs"]["reply"] >= 2
    assert large["outputs"]["tick"] == 0
    assert small["ratio_to_smallest"] == {"report": 1.0, "reply": 1.0, "tick": 1.0}
    assert large["state_bytes"] > 3 * small["state_bytes"]


def test_filled_cases_are_distinct_open_and_not_yet_due() -> None:
    from bench.feed import Feed
    from bench.topics import bench_settings

    from incidentbus.correlator.rulesfile import rules_for

    rules = rules_for(bench_settings())
    seed, template = scale.seed_case(Feed(), rules)
    clock = scale.T0 + 240 * scale.MIN
    state = scale.filled(template, seed.area, 50, clock)
    assert len(state.cases) == 50
    assert all(c.is_open for c in state.cases.values())
    assert len({(c.place.lat, c.place.lon) for c in state.cases.values()}) == 50
    assert min(d.due_ms for c in state.cases.values() for d in c.deadlines) > clock + scale.MIN
