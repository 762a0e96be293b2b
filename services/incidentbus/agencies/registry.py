"""Which agencies exist and where their adapters live. A fifth agency is one line here,
its name in topics/catalog.toml, and a module with an adapter and a codes.toml."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from incidentbus.agencies.base import AgencyAdapter


@dataclass(frozen=True)
class AgencyEntry:
    adapter: str  # "module:Class"
    web_port: int
    # "module:function" adding a standard's gateway to the service's app (function(app, service))
    gateway: str = ""
    # Whether the agency takes tasks (dispatch, cancel) and replies to them; citizens only report
    # and answer verification requests.
    responds: bool = True


AGENCIES: dict[str, AgencyEntry] = {
    "police": AgencyEntry("incidentbus.agencies.police.adapter:PoliceAdapter", 6101),
    "health": AgencyEntry("incidentbus.agencies.health.adapter:HealthAdapter", 6102),
    "urban": AgencyEntry("incidentbus.agencies.urban.adapter:UrbanAdapter", 6103),
    "community": AgencyEntry("incidentbus.agencies.community.adapter:CommunityAdapter", 6104),
    # Citizens' requests: `incidentbus run open311` runs this service with the Open311 gateway.
    "citizen": AgencyEntry(
        "incidentbus.agencies.citizen.adapter:CitizenAdapter",
        6105,
        gateway="incidentbus.gateways.open311.web:add_open311",
        responds=False,
    ),
}
# The agencies that take tasks: the ones a rule may dispatch to.
RESPONDERS = tuple(name for name, entry in AGENCIES.items() if entry.responds)


# Services known by the standard they speak: `incidentbus run open311` is the citizen service.
ALIASES = {"open311": "citizen"}


def load_gateway(name: str) -> Callable[..., object] | None:
    """The function adding an agency's gateway to its app, None when it has none."""
    entry = AGENCIES.get(name)
    if entry is None or not entry.gateway:
        return None
    module_name, function = entry.gateway.split(":")
    found: Callable[..., object] = getattr(importlib.import_module(module_name), function)
    return found


def load_adapter(name: str) -> AgencyAdapter:
    """A fresh adapter for a registered agency; KeyError names the known ones."""
    if name not in AGENCIES:
        raise KeyError(f"unknown agency {name!r}; known: {', '.join(sorted(AGENCIES))}")
    module_name, class_name = AGENCIES[name].adapter.split(":")
    adapter: AgencyAdapter = getattr(importlib.import_module(module_name), class_name)()
    return adapter
