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

from incidentbus.agencies.taxonomy import incident_types
from incidentbus.correlator.domain.names import category_family, category_name
from incidentbus.correlator.domain.rules import Rules, RulesError, parse_rules
from incidentbus.kernel.grids import GridLayer, load_grid_layer, shipped_grid_layer
from incidentbus.kernel.settings import BusSettings


def default_rules_text() -> str:
    return resources.files("incidentbus").joinpath("data/correlator_rules.toml").read_text("utf-8")


def load_rules(path: Path | None = None, *, grids: GridLayer | None = None) -> Rules:
    """The rules from a file, or the shipped defaults, with neighbouring grids from `grids` (default:
    the shipped layer, as the agencies' intake defaults to it)."""
    rules = parse_rules(path.read_text("utf-8") if path else default_rules_text())
    unknown = unknown_names(rules)
    if unknown:
        where = "; ".join(f"{table}: {', '.join(names)}" for table, names in unknown.items())
        raise RulesError(f"invalid correlator rules: names no incident type or family knows: {where}")
    return rules.with_grid_neighbours((grids if grids is not None else shipped_grid_layer()).adjacency)


def rules_for(settings: BusSettings, path: Path | None = None) -> Rules:
    """The rules (`path`, else the shipped ones) with the grid layer of the settings
    (`INCIDENTBUS_GRIDS_PATH`): what the correlator runs by. GridLayerError for a bad layer."""
    return load_rules(path, grids=load_grid_layer(settings.grids_path))


def unknown_names(rules: Rules) -> dict[str, list[str]]:
    """Names in the per-type tables that are no incident type of the taxonomy, no category family
    and not "default", by table: a misspelt type would otherwise silently fall back to its family."""
    types = incident_types()
    families = {category_family(category_name(t.category)) for t in types.values()}
    known = set(types) | families | {"default"}
    c = rules.correlation
    tables = {
        "correlation.window_minutes": list(c.window_minutes),
        "correlation.inactivity_gap_minutes": list(c.inactivity_gap_minutes),
        "correlation.radius_m": list(c.radius_m),
        "correlation.repeat.window_minutes": list(c.repeat.window_minutes),
        "correlation.repeat.reopen": list(c.repeat.reopen),
        "correlation.compatible": [t for group in c.compatible for t in group.types],
    }
    found = {table: sorted(set(names) - known) for table, names in tables.items()}
    return {table: names for table, names in found.items() if names}
