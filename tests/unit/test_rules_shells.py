"""The correlator service (`incidentbus run correlator`) and `incidentbus replay` run the core by
the grid layer of their settings (INCIDENTBUS_GRIDS_PATH), and refuse a rules file that still holds
a `[grids]` table before they start or read. The broker is the integration tests': the service's
app is not started here, and replay's reading is replaced (its core runs for real)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import incidentbus.correlator.service as correlator_service
from incidentbus.cli import replay as replay_cli
from incidentbus.cli.main import app
from incidentbus.cli.run import CORRELATOR_PORT, _correlator
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.rulesfile import default_rules_text
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.replay import Replay, Window
from incidentbus.ops.replay import replay as real_replay
from tests.gridlayers import relabelled_sample

CASE_GRID, FAR = "310101-002-003-07", "310101-009-001-01"


@pytest.fixture
def replayed(monkeypatch: pytest.MonkeyPatch) -> list[Rules]:
    """The rules each replay ran by; the topics read as empty."""
    seen: list[Rules] = []

    def replay(records: Iterable[Any], rules: Rules, window: Window, signer: Any = None, **kw: Any) -> Replay:
        seen.append(rules)
        return real_replay(records, rules, window, signer, **kw)

    monkeypatch.setattr(replay_cli, "read_all", lambda *args, **kwargs: None)
    monkeypatch.setattr(replay_cli, "run", lambda coroutine, settings: [])
    monkeypatch.setattr(replay_cli, "replay", replay)
    return seen


def test_replay_runs_by_the_layer_the_settings_name(tmp_path: Path, replayed: list[Rules]) -> None:
    layer = tmp_path / "grids.geojson"  # FAR on the polygon east of CASE_GRID
    layer.write_text(relabelled_sample("310101-002-003-08", FAR), "utf-8")
    done = CliRunner().invoke(app, ["replay", "--json"], env={"INCIDENTBUS_GRIDS_PATH": str(layer)})
    assert done.exit_code == 0, done.output
    [rules] = replayed
    assert rules.neighbours(CASE_GRID) == {
        "310101-002-002-07",
        "310101-002-003-06",
        "310101-002-004-07",
        FAR,
    }


def test_replay_refuses_a_rules_file_with_a_grids_table_before_reading(
    tmp_path: Path, replayed: list[Rules], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(default_rules_text() + '\n[grids."310101-002-003-07"]\nneighbours = []\n', "utf-8")
    monkeypatch.setattr(replay_cli, "run", lambda coroutine, settings: pytest.fail("read the topics"))
    done = CliRunner().invoke(app, ["replay", "--rules", str(rules)])
    assert done.exit_code == 2
    assert "[grids] is no longer read" in done.stderr
    assert replayed == []


def test_the_correlator_service_runs_by_the_layer_the_settings_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layer = tmp_path / "grids.geojson"
    layer.write_text(relabelled_sample("310101-002-003-08", FAR), "utf-8")
    built: list[Rules] = []
    monkeypatch.setattr(correlator_service, "build_app", lambda settings, rules, **kw: built.append(rules))
    _correlator(BusSettings(grids_path=layer), None, CORRELATOR_PORT, "memory://", (60.0, 5.0))
    [rules] = built
    assert FAR in rules.neighbours(CASE_GRID)  # compressed for a drill, still the layer's
    assert "310101-002-003-08" not in rules.neighbours(CASE_GRID)


def test_the_correlator_service_refuses_a_rules_file_with_a_grids_table(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(default_rules_text() + '\n[grids."310101-002-003-07"]\nneighbours = []\n', "utf-8")
    done = CliRunner().invoke(app, ["run", "correlator", "--rules", str(rules)])
    assert done.exit_code == 2
    assert "correlator: refusing to start: " in done.stderr
    assert "[grids] is no longer read" in done.stderr
