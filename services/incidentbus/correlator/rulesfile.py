"""Reading the rules file and the grid layer they judge places by (I/O lives here, outside the
pure core).

Every shell that builds rules for the core — the correlator service, `incidentbus replay`,
`incidentbus correlate`, the benchmarks — calls `rules_for(settings)` (or `load_rules` with a
layer), so a replay or an offline run joins reports in neighbouring grids exactly as the service
does, by the layer the agencies place reports with.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from incidentbus.correlator.domain.rules import Rules, parse_rules
from incidentbus.kernel.grids import GridLayer, load_grid_layer, shipped_grid_layer
from incidentbus.kernel.settings import BusSettings


def default_rules_text() -> str:
    return resources.files("incidentbus").joinpath("data/correlator_rules.toml").read_text("utf-8")


def load_rules(path: Path | None = None, *, grids: GridLayer | None = None) -> Rules:
    """The rules from a file, or the shipped defaults, with neighbouring grids from `grids` (default:
    the shipped layer, as the agencies' intake defaults to it)."""
    rules = parse_rules(path.read_text("utf-8") if path else default_rules_text())
    return rules.with_grid_neighbours((grids if grids is not None else shipped_grid_layer()).adjacency)


def rules_for(settings: BusSettings, path: Path | None = None) -> Rules:
    """The rules (`path`, else the shipped ones) with the grid layer of the settings
    (`INCIDENTBUS_GRIDS_PATH`): what the correlator runs by. GridLayerError for a bad layer."""
    return load_rules(path, grids=load_grid_layer(settings.grids_path))
