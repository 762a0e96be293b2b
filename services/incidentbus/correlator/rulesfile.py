"""Reading the rules file (I/O lives here, outside the pure core)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from incidentbus.correlator.domain.rules import Rules, parse_rules


def default_rules_text() -> str:
    return resources.files("incidentbus").joinpath("data/correlator_rules.toml").read_text("utf-8")


def load_rules(path: Path | None = None) -> Rules:
    """The rules from a file, or the shipped defaults."""
    return parse_rules(path.read_text("utf-8") if path else default_rules_text())
