"""Which agencies exist and where their adapters live. A fifth agency is one line here,
its name in topics/catalog.toml, and a module with an adapter and a codes.toml."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from incidentbus.agencies.base import AgencyAdapter


@dataclass(frozen=True)
class AgencyEntry:
    adapter: str  # "module:Class"
    web_port: int


AGENCIES: dict[str, AgencyEntry] = {
    "police": AgencyEntry("incidentbus.agencies.police.adapter:PoliceAdapter", 6101),
    "health": AgencyEntry("incidentbus.agencies.health.adapter:HealthAdapter", 6102),
    "urban": AgencyEntry("incidentbus.agencies.urban.adapter:UrbanAdapter", 6103),
    "community": AgencyEntry("incidentbus.agencies.community.adapter:CommunityAdapter", 6104),
}


def load_adapter(name: str) -> AgencyAdapter:
    """A fresh adapter for a registered agency; KeyError names the known ones."""
    if name not in AGENCIES:
        raise KeyError(f"unknown agency {name!r}; known: {', '.join(sorted(AGENCIES))}")
    module_name, class_name = AGENCIES[name].adapter.split(":")
    adapter: AgencyAdapter = getattr(importlib.import_module(module_name), class_name)()
    return adapter
