"""`incidentbus correlate` on the README's hand-written file: adapters and core offline, no broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from incidentbus.cli.main import app
from incidentbus.correlator.rulesfile import default_rules_text, load_rules
from incidentbus.devtools import natives
from incidentbus.kernel.grids import shipped_grid_layer
from incidentbus.kernel.jurisdictions import shipped_jurisdictions
from incidentbus.kernel.settings import REPO_ROOT
from incidentbus.ops.offline import correlate
from incidentbus.ops.text import parse_when
from tests.gridlayers import relabelled_sample

SAMPLE = REPO_ROOT / "examples" / "correlate-sample.jsonl"


def outcomes(*args: str) -> tuple[int, dict[int, dict[str, object]]]:
    done = CliRunner().invoke(app, ["correlate", "--input", str(SAMPLE), *args])
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.exit_code, {int(record["line"]): record for record in lines}


def test_the_sample_file_gives_every_line_its_case_or_its_reason() -> None:
    code, by_line = outcomes("--json")
    assert code == 0
    assert sorted(by_line) == list(range(5, 15))  # comment lines are skipped, every other line answered
    crash = by_line[5]
    assert (crash["agency"], crash["ref"], crash["outcome"]) == ("police", "P-1001", "opened")
    assert crash["recorded_at"] == "2026-11-25T08:00:00+08:00"  # as written
    case = crash["case_id"]
    assert str(case).startswith("C-310101-")
    # the ambulance call about the same crash two minutes later, 25 m away, joins it, with its score
    assert (by_line[6]["outcome"], by_line[6]["case_id"]) == ("linked", case)
    assert 0 < by_line[6]["score"]["total"] <= 1  # type: ignore[index]
    assert by_line[7]["outcome"] in ("linked", "opened")  # the grid worker's blocked road
    # a noise complaint and a manhole elsewhere open cases of their own
    assert by_line[8]["outcome"] == by_line[9]["outcome"] == "opened"
    assert len({case, by_line[8]["case_id"], by_line[9]["case_id"]}) == 3
    # the same native message twice is one report
    assert (by_line[10]["outcome"], by_line[10]["case_id"]) == ("duplicate", case)
    assert [by_line[n]["reason"] for n in range(11, 15)] == [
        "intake.unknown_code",
        "offline.unknown_agency",
        "offline.time",
        "offline.json",
    ]
    assert all(by_line[n]["outcome"] == "refused" and by_line[n]["detail"] for n in range(11, 15))


def test_output_file_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "cases.jsonl"
    done = CliRunner().invoke(app, ["correlate", "--input", str(SAMPLE), "--output", str(out), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["lines"] == 10
    assert summary["outcomes"]["refused"] == 4
    assert summary["refused_by_reason"]["offline.json"] == 1
    assert len(out.read_text().splitlines()) == 10


def test_the_table_names_each_line() -> None:
    done = CliRunner().invoke(app, ["correlate", "--input", str(SAMPLE)], env={"COLUMNS": "160"})
    assert done.exit_code == 0
    assert "P-1001" in done.stdout
    assert "intake.unknown_code" in done.stdout
    assert "10 lines:" in done.stdout


def test_a_missing_file_is_unusable_input(tmp_path: Path) -> None:
    done = CliRunner().invoke(app, ["correlate", "--input", str(tmp_path / "none.jsonl")])
    assert done.exit_code == 2


def test_the_engine_steps_in_event_time_and_answers_in_input_order() -> None:
    """A file out of time order: the later report, given first, still joins the earlier one's case."""
    lines = [json.loads(x) for x in SAMPLE.read_text().splitlines() if x.startswith("{")]
    police, health = lines[0], lines[1]

    def item(line: dict[str, object]) -> tuple[str, object, int]:
        return (
            str(line["agency"]),
            line["native"],
            int(parse_when(str(line["recorded_at"])).timestamp() * 1000),
        )

    run = correlate([item(health), item(police)], load_rules(), shipped_jurisdictions())
    first, second = run.outcomes
    assert (first.agency, first.outcome, second.outcome) == ("health", "linked", "opened")
    assert first.case_id == second.case_id
    assert set(run.states) == {"310101"}


# ---- the grid layer of the settings (INCIDENTBUS_GRIDS_PATH) --------------------------------------

CASE_GRID, FAR = "310101-002-003-07", "310101-009-001-01"  # no neighbours in the shipped layer
DROPPED = "310101-012-002-05"


def grid_lines(tmp_path: Path) -> Path:
    """A crash without a point, the ambulance call two minutes later in FAR, a grid worker's report
    with only a point, in DROPPED."""
    at = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    ambulance = natives.report("health", "H-9", "TRAUMA_RTC", FAR, at + timedelta(minutes=2))
    worker = natives.report("community", "G-9", "E01", "", at + timedelta(minutes=3))
    centre = shipped_grid_layer().grids[DROPPED].geometry.centroid
    del worker["grid_code"]
    worker |= {"lat": centre.y, "lng": centre.x}
    lines = [
        ("police", natives.report("police", "P-9", "TA2", CASE_GRID, at, injured=1), at),
        ("health", ambulance, at + timedelta(minutes=2)),
        ("community", worker, at + timedelta(minutes=3)),
    ]
    path = tmp_path / "reports.jsonl"
    path.write_text(
        "".join(
            json.dumps({"agency": agency, "native": native, "recorded_at": when.isoformat()}) + "\n"
            for agency, native, when in lines
        ),
        "utf-8",
    )
    return path


def test_correlate_places_and_neighbours_by_the_layer_the_settings_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports = grid_lines(tmp_path)
    layer = tmp_path / "grids.geojson"  # FAR on the polygon east of CASE_GRID; DROPPED not drawn
    layer.write_text(relabelled_sample("310101-002-003-08", FAR, without=DROPPED), "utf-8")

    def run(env: dict[str, str]) -> list[dict[str, Any]]:
        done = CliRunner().invoke(app, ["correlate", "--input", str(reports), "--json"], env=env)
        assert done.exit_code == 0, done.output
        return [json.loads(line) for line in done.stdout.splitlines()[:3]]

    monkeypatch.delenv("INCIDENTBUS_GRIDS_PATH", raising=False)  # integration tests set it
    shipped = run({})
    assert [r["outcome"] for r in shipped] == ["opened", "opened", "opened"]
    assert len({r["case_id"] for r in shipped}) == 3
    crash, ambulance, worker = run({"INCIDENTBUS_GRIDS_PATH": str(layer)})
    assert (ambulance["outcome"], ambulance["case_id"]) == ("linked", crash["case_id"])
    assert ambulance["score"]["rule"] == "neighbour_grid"
    assert ambulance["score"]["place"] == 0.7
    assert (worker["outcome"], worker["reason"]) == ("refused", "intake.bad_location")
    assert "lies in no grid of the layer" in worker["detail"]


def test_correlate_refuses_a_rules_file_with_a_grids_table(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(default_rules_text() + '\n[grids."310101-002-003-07"]\nneighbours = []\n', "utf-8")
    done = CliRunner().invoke(app, ["correlate", "--input", str(SAMPLE), "--rules", str(rules)])
    assert done.exit_code == 2
    assert "[grids] is no longer read" in " ".join(done.stderr.split())  # rich wraps lines
