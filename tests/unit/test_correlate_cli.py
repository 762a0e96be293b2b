"""`incidentbus correlate` on the README's hand-written file: adapters and core offline, no broker."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from incidentbus.cli.main import app
from incidentbus.correlator.rulesfile import load_rules
from incidentbus.kernel.jurisdictions import shipped_jurisdictions
from incidentbus.kernel.settings import REPO_ROOT
from incidentbus.ops.offline import correlate
from incidentbus.ops.text import parse_when

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
