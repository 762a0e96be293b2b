"""The shared incident-type taxonomy and canonical enum names, read from data tables."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import cast

from incidentbus.v1 import agency_events_pb2, common_pb2


@dataclass(frozen=True)
class IncidentType:
    name: str
    category: common_pb2.Category
    severity: common_pb2.Severity


# Names in data tables are enum value names without their prefix, in lower case; a name the
# schema lacks raises ValueError. (The casts only re-type the ints the runtime returns.)
def category_value(name: str) -> common_pb2.Category:
    """`traffic` -> CATEGORY_TRAFFIC."""
    return cast(common_pb2.Category, common_pb2.Category.Value(f"CATEGORY_{name.upper()}"))


def severity_value(name: str) -> common_pb2.Severity:
    return cast(common_pb2.Severity, common_pb2.Severity.Value(f"SEVERITY_{name.upper()}"))


def decline_reason_value(name: str) -> agency_events_pb2.DeclineReason:
    value = agency_events_pb2.DeclineReason.Value(f"DECLINE_REASON_{name.upper()}")
    return cast(agency_events_pb2.DeclineReason, value)


def disposition_value(name: str) -> agency_events_pb2.Disposition:
    return cast(
        agency_events_pb2.Disposition, agency_events_pb2.Disposition.Value(f"DISPOSITION_{name.upper()}")
    )


def event_status_value(name: str) -> common_pb2.EventStatus:
    """`exercise` -> EVENT_STATUS_EXERCISE."""
    return cast(common_pb2.EventStatus, common_pb2.EventStatus.Value(f"EVENT_STATUS_{name.upper()}"))


@cache
def incident_types() -> dict[str, IncidentType]:
    """Every canonical incident type by name (data/incident_types.toml)."""
    text = resources.files("incidentbus").joinpath("data/incident_types.toml").read_text("utf-8")
    table = tomllib.loads(text)["types"]
    return {
        name: IncidentType(name, category_value(row["category"]), severity_value(row["severity"]))
        for name, row in table.items()
    }
