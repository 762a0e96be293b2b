"""The ACL plan derived from the catalog: what it grants, to whom, and that the real services fit it."""

from __future__ import annotations

from typing import Any

import pytest

from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.agencies.service import build_app as agency_app
from incidentbus.correlator.rulesfile import load_rules
from incidentbus.correlator.service import build_app as correlator_app
from incidentbus.correlator.service import runtime_of
from incidentbus.kernel.catalog import Catalog, load_catalog, parse_catalog
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.acl import (
    CLUSTER_NAME,
    CORRELATOR_CORE_GROUP,
    Binding,
    Operation,
    PatternType,
    ResourceType,
    acl_plan,
    allows,
    diff,
    faust_apps,
    overlapping_apps,
    system_groups,
)

PREFIX = "t."
TWO_AGENCIES = """
version = 1
agencies = ["police", "fire"]
[[template]]
name = "{agency}.events.v1"
key = "source_ref"
value = "incidentbus.v1.AgencyEvent"
producers = ["{agency}-service"]
consumers = ["correlator"]
[[topic]]
name = "case.events.v1"
key = "case_id"
value = "incidentbus.v1.CaseEvent"
producers = ["correlator"]
consumers = ["auditor"]
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(BusSettings().catalog_path)


def _topic_ops(plan: frozenset[Binding], principal: str, topic: str) -> set[Operation]:
    return {
        b.operation
        for b in plan
        if b.principal == principal and b.resource_type is ResourceType.TOPIC and b.resource_name == topic
    }


def test_producers_write_and_consumers_read_exactly_their_topics(catalog: Catalog) -> None:
    plan = acl_plan(catalog, PREFIX)
    for topic in catalog.topics:
        for principal in catalog.principals():
            ops = _topic_ops(plan, principal, PREFIX + topic.name)
            expected: set[Operation] = set()
            if principal in topic.producers:
                expected |= {Operation.WRITE, Operation.DESCRIBE}
            if principal in topic.consumers:
                expected |= {Operation.READ, Operation.DESCRIBE}
            assert ops == expected, f"{principal} on {topic.name}"


def test_literal_topic_grants_are_only_on_catalog_topics(catalog: Catalog) -> None:
    names = {PREFIX + t.name for t in catalog.topics}
    for b in acl_plan(catalog, PREFIX):
        if b.resource_type is ResourceType.TOPIC and b.pattern_type is PatternType.LITERAL:
            assert b.resource_name in names


def test_idempotent_write_exactly_for_principals_that_produce(catalog: Catalog) -> None:
    plan = acl_plan(catalog, PREFIX)
    cluster = {b.principal for b in plan if b.resource_type is ResourceType.CLUSTER}
    assert cluster == {p for t in catalog.topics for p in t.producers}
    assert {(b.resource_name, b.operation) for b in plan if b.resource_type is ResourceType.CLUSTER} == {
        (CLUSTER_NAME, Operation.IDEMPOTENT_WRITE)
    }
    assert "auditor" not in cluster  # reads only: cannot even obtain a producer id


def test_groups_and_internal_topics_only_for_the_faust_services(catalog: Catalog) -> None:
    plan = acl_plan(catalog, PREFIX)
    groups = {
        (b.principal, b.resource_name, b.operation)
        for b in plan
        if b.resource_type is ResourceType.GROUP and b.pattern_type is PatternType.LITERAL
    }
    apps = faust_apps(catalog)
    core = ("correlator", PREFIX + CORRELATOR_CORE_GROUP, Operation.READ)
    assert groups == {(p, PREFIX + app, Operation.READ) for p, app in apps.items()} | {core}
    assert set(apps) == {f"{a}-service" for a in catalog.agencies} | {"correlator"}
    prefixed = {
        b for b in plan if b.pattern_type is PatternType.PREFIXED and b.resource_type is ResourceType.TOPIC
    }
    assert {(b.principal, b.resource_name) for b in prefixed} == {
        (p, f"{PREFIX}{a}-") for p, a in apps.items()
    }
    assert {b.operation for b in prefixed} == {
        Operation.CREATE,
        Operation.READ,
        Operation.WRITE,
        Operation.DESCRIBE,
    }


def test_each_agency_system_has_a_consumer_group_prefix_of_its_own(catalog: Catalog) -> None:
    plan = acl_plan(catalog, PREFIX)
    prefixed_groups = {
        (b.principal, b.resource_name, b.operation)
        for b in plan
        if b.resource_type is ResourceType.GROUP and b.pattern_type is PatternType.PREFIXED
    }
    assert prefixed_groups == {
        (f"{a}-system", f"{PREFIX}{a}-system.", Operation.READ) for a in catalog.agencies
    }
    assert system_groups(catalog) == {f"{a}-system": f"{a}-system." for a in catalog.agencies}
    group = ResourceType.GROUP
    assert allows(plan, "police-system", f"{PREFIX}police-system.outbox", Operation.READ, group)
    assert allows(plan, "police-system", f"{PREFIX}police-system.cad-7", Operation.READ, group)
    assert not allows(plan, "police-system", f"{PREFIX}health-system.outbox", Operation.READ, group)
    assert not allows(plan, "police-system", f"{PREFIX}police-system", Operation.READ, group)  # no dot
    assert not allows(plan, "police-system", f"{PREFIX}incidentbus-police", Operation.READ, group)
    assert not allows(plan, "police-system", "other.police-system.outbox", Operation.READ, group)
    for principal in catalog.principals():
        if principal != "police-system":
            assert not allows(plan, principal, f"{PREFIX}police-system.outbox", Operation.READ, group)
    # A group only holds offsets: what the system reads through it is still only its outbox.
    readable = {
        b.resource_name for b in plan if b.principal == "police-system" and b.operation is Operation.READ
    }
    assert readable == {f"{PREFIX}police.outbox.v1", f"{PREFIX}police-system."}


def test_a_new_agency_system_gets_its_group_prefix_from_the_catalog_alone() -> None:
    text = TWO_AGENCIES.replace('consumers = ["correlator"]', 'consumers = ["correlator", "{agency}-system"]')
    plan = acl_plan(parse_catalog(text), PREFIX)
    assert allows(plan, "fire-system", f"{PREFIX}fire-system.x", Operation.READ, ResourceType.GROUP)
    assert not allows(plan, "fire-system", f"{PREFIX}police-system.x", Operation.READ, ResourceType.GROUP)
    # No system named in the catalog, no group for it.
    assert system_groups(parse_catalog(TWO_AGENCIES)) == {}


def test_nothing_is_granted_to_anyone_outside_the_catalog(catalog: Catalog) -> None:
    plan = acl_plan(catalog, PREFIX)
    assert {b.principal for b in plan} == set(catalog.principals())
    assert all(b.host == "*" and b.permission.name == "ALLOW" for b in plan)
    assert not any(b.operation in {Operation.ALL, Operation.ALTER, Operation.DELETE} for b in plan)


def test_the_plan_is_a_pure_function_of_catalog_and_prefix(catalog: Catalog) -> None:
    assert acl_plan(catalog, PREFIX) == acl_plan(catalog, PREFIX)
    unprefixed = acl_plan(catalog)
    assert len(unprefixed) == len(acl_plan(catalog, PREFIX))
    assert not any(b.resource_name.startswith(PREFIX) for b in unprefixed)


def test_a_new_agency_gets_its_grants_from_the_catalog_alone() -> None:
    plan = acl_plan(parse_catalog(TWO_AGENCIES))
    assert allows(plan, "fire-service", "fire.events.v1", Operation.WRITE)
    assert allows(plan, "correlator", "fire.events.v1", Operation.READ)
    assert not allows(plan, "police-service", "fire.events.v1", Operation.WRITE)
    assert allows(plan, "fire-service", "incidentbus-fire-fire-published-changelog", Operation.CREATE)
    assert not allows(plan, "police-service", "incidentbus-fire-x-changelog", Operation.READ)


def test_overlapping_app_ids_are_reported() -> None:
    catalog = parse_catalog(TWO_AGENCIES.replace('"fire"', '"police-x"'))
    assert overlapping_apps(catalog) == ["incidentbus-police / incidentbus-police-x"]
    assert overlapping_apps(parse_catalog(TWO_AGENCIES)) == []


def _extra(principal: str, name: str, rtype: ResourceType = ResourceType.TOPIC) -> Binding:
    return Binding(principal, rtype, name, PatternType.LITERAL, Operation.READ)


def test_diff_reports_missing_present_and_only_our_extras(catalog: Catalog) -> None:
    plan = acl_plan(catalog, PREFIX)
    have = sorted(plan)[:10]
    ours = _extra("operator", PREFIX + "stray.v1")
    foreign = [
        _extra("someone-else", PREFIX + "stray.v1"),  # not a catalog principal
        _extra("operator", "other." + "stray.v1"),  # another prefix's
        _extra("operator", CLUSTER_NAME, ResourceType.CLUSTER),  # cluster: only without a prefix
    ]
    found = diff(plan, [*have, ours, *foreign], catalog, PREFIX)
    assert found.present == tuple(have)
    assert set(found.missing) == plan - set(have)
    assert found.extra == (ours,)
    assert not found.in_sync
    unprefixed = diff(acl_plan(catalog), [foreign[2]], catalog, "")
    assert unprefixed.extra == (foreign[2],)
    assert diff(plan, plan, catalog, PREFIX).in_sync


def test_allows_follows_the_brokers_literal_and_prefixed_rules() -> None:
    plan = frozenset(
        {
            Binding("a", ResourceType.TOPIC, "x.v1", PatternType.LITERAL, Operation.READ),
            Binding("a", ResourceType.TOPIC, "app-", PatternType.PREFIXED, Operation.WRITE),
        }
    )
    assert allows(plan, "a", "x.v1", Operation.READ)
    assert not allows(plan, "a", "x.v10", Operation.READ)
    assert allows(plan, "a", "app-t-changelog", Operation.WRITE)
    assert not allows(plan, "a", "app", Operation.WRITE)
    assert not allows(plan, "b", "x.v1", Operation.READ)


def _service_apps(settings: BusSettings) -> dict[str, Any]:
    apps: dict[str, Any] = {
        f"{name}-service": agency_app(load_adapter(name), settings, web_port=6190 + i)
        for i, name in enumerate(AGENCIES)
    }
    apps["correlator"] = correlator_app(settings, load_rules(), agencies=list(AGENCIES), web_port=6199)
    return apps


def test_the_real_services_fit_the_plan(catalog: Catalog) -> None:
    """App ids, source topics and changelogs of the faust apps as built: all covered by the plan.

    The plan knows the services' app ids by convention; this holds the convention to the code.
    """
    settings = BusSettings(topic_prefix=PREFIX, environment="test")
    plan = acl_plan(catalog, PREFIX)
    apps = faust_apps(catalog)
    for principal, app in _service_apps(settings).items():
        assert app.conf.id == PREFIX + apps[principal]
        for agent in app.agents.values():
            for topic in agent.channel.topics:
                assert allows(plan, principal, topic, Operation.READ), f"{principal} reads {topic}"
        for table in app.tables.values():
            for topic in table.changelog_topic.topics:
                for op in (Operation.CREATE, Operation.READ, Operation.WRITE):
                    assert allows(plan, principal, topic, op), f"{principal} {op.name} {topic}"
    loop = runtime_of(_service_apps(settings)["correlator"])  # the correlate loop, on aiokafka
    assert allows(plan, "correlator", loop.group, Operation.READ, ResourceType.GROUP)
    for topic, ops in ((loop.input, (Operation.READ,)), (loop.changelog, (Operation.READ, Operation.WRITE))):
        for op in ops:
            assert allows(plan, "correlator", topic, op), f"correlator {op.name} {topic}"
