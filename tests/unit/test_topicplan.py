"""Planning topic changes: creation, growth, drift and the idempotent second run."""

from __future__ import annotations

from incidentbus.kernel.catalog import parse_catalog
from incidentbus.kernel.topicplan import ObservedTopic, plan

CATALOG = parse_catalog("""
version = 1
agencies = []
[[topic]]
name = "case.events.v1"
key = "case_id"
value = "incidentbus.v1.CaseEvent"
partitions = 4
retention_ms = -1
producers = ["correlator"]
consumers = ["auditor"]
""")
TOPIC = CATALOG.get("case.events.v1")


def matching(partitions: int = 4, **configs: str) -> dict[str, ObservedTopic]:
    current = TOPIC.configs(1) | configs
    return {"case.events.v1": ObservedTopic("case.events.v1", partitions, 1, current)}


def test_missing_topic_is_created_with_replication_capped() -> None:
    [change] = plan(CATALOG, {}, brokers=1)
    assert (change.kind, change.partitions, change.replication) == ("create", 4, 1)
    assert dict(change.configs)["min.insync.replicas"] == "1"
    assert "capped" in change.detail


def test_a_matching_broker_needs_nothing() -> None:
    assert plan(CATALOG, matching(), brokers=1) == []


def test_partitions_grow_but_never_shrink() -> None:
    [grow] = plan(CATALOG, matching(partitions=2), brokers=1)
    assert (grow.kind, grow.partitions) == ("add_partitions", 4)
    [warn] = plan(CATALOG, matching(partitions=8), brokers=1)
    assert warn.kind == "warn"


def test_config_drift_is_corrected_with_the_full_managed_set() -> None:
    [change] = plan(CATALOG, matching(**{"retention.ms": "1000"}), brokers=1)
    assert change.kind == "set_configs"
    assert dict(change.configs)["retention.ms"] == "-1"
    assert "'1000' -> '-1'" in change.detail


def test_prefix_names_physical_topics() -> None:
    [change] = plan(CATALOG, {}, brokers=3, prefix="sandbox.")
    assert change.topic == "sandbox.case.events.v1"
    assert change.replication == 3
