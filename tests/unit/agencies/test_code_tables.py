"""Every agency's code tables point at names the canonical schema and taxonomy know."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from incidentbus.agencies.base import ReplyKind
from incidentbus.agencies.registry import AGENCIES, RESPONDERS, load_adapter
from incidentbus.agencies.taxonomy import (
    decline_reason_value,
    disposition_value,
    event_status_value,
    incident_types,
    severity_value,
)
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.settings import BusSettings

CATALOG_AGENCIES = load_catalog(BusSettings().catalog_path).agencies


def catalog_agency(name: str) -> None:
    assert name in CATALOG_AGENCIES, f"{name!r} is not an agency of topics/catalog.toml"


def drill_status(name: str) -> None:
    assert name in ("actual", "exercise", "test"), name
    event_status_value(name)


CHECKS = {
    "incident_types": lambda name: incident_types()[name],
    "priority": severity_value,
    "triage": severity_value,
    "severity": severity_value,
    "status": ReplyKind,
    "decline_reasons": decline_reason_value,
    "dispositions": disposition_value,
    "agencies": catalog_agency,
    "event_status": drill_status,
    "time": ZoneInfo,  # zone = an IANA name
}


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_every_table_entry_resolves(agency: str) -> None:
    adapter = load_adapter(agency)
    assert adapter.codes.tables, f"{agency} has no code tables"
    for table, rows in adapter.codes.tables.items():
        check = CHECKS.get(table)
        if check is None:
            continue
        for code, name in rows.items():
            check(name)  # raises for a name the schema or taxonomy lacks
            assert code, f"{agency}.{table}: empty code"
            assert code == code.strip(), f"{agency}.{table}: bad code {code!r}"


@pytest.mark.parametrize("agency", sorted(RESPONDERS))
def test_every_responding_agency_names_each_bus_agency(agency: str) -> None:
    """Every agency that replies to tasks can name every other that takes them (at least by its
    plain name), for assistance requests and transfers."""
    tables = load_adapter(agency).codes.tables
    assert {name: name for name in RESPONDERS}.items() <= tables["agencies"].items()


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_every_agency_marks_drills(agency: str) -> None:
    tables = load_adapter(agency).codes.tables
    assert set(tables["event_status"].values()) == {"actual", "exercise", "test"}
    assert load_adapter(agency).status_field


def test_every_incident_type_has_a_category_and_severity() -> None:
    types = incident_types()
    assert len(types) > 30
    assert all(t.category and t.severity for t in types.values())
