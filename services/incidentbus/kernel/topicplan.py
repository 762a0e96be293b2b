"""Planning topic changes: a pure comparison of the catalog with what the broker reports.

`topics apply` observes, plans, then performs the plan; running it again plans nothing.
Partitions only grow (Kafka cannot shrink them and key placement would break), replication is
capped to the broker count, and the catalog owns every config it declares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from incidentbus.kernel.catalog import Catalog, Topic


@dataclass(frozen=True)
class ObservedTopic:
    """What the broker says about one topic."""

    name: str
    partitions: int
    replication: int
    configs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One step of a plan. `kind` says what the adapter must do."""

    kind: Literal["create", "add_partitions", "set_configs", "warn"]
    topic: str
    detail: str
    partitions: int = 0
    replication: int = 0
    configs: tuple[tuple[str, str], ...] = ()


def _create(topic: Topic, physical: str, brokers: int) -> Change:
    replication = min(topic.replication, brokers)
    note = (
        f" (replication {topic.replication} capped to {brokers} broker(s))"
        if replication < topic.replication
        else ""
    )
    return Change(
        "create",
        physical,
        f"create with {topic.partitions} partitions, replication {replication}{note}",
        partitions=topic.partitions,
        replication=replication,
        configs=tuple(sorted(topic.configs(brokers).items())),
    )


def _update(topic: Topic, seen: ObservedTopic, brokers: int) -> list[Change]:
    changes: list[Change] = []
    if seen.partitions < topic.partitions:
        changes.append(
            Change(
                "add_partitions",
                seen.name,
                f"partitions {seen.partitions} -> {topic.partitions}",
                partitions=topic.partitions,
            )
        )
    elif seen.partitions > topic.partitions:
        changes.append(
            Change(
                "warn",
                seen.name,
                f"has {seen.partitions} partitions, catalog says {topic.partitions}; "
                "Kafka cannot shrink a topic, left as is",
            )
        )
    wanted = topic.configs(brokers)
    drift = {k: v for k, v in wanted.items() if seen.configs.get(k) != v}
    if drift:
        shown = ", ".join(f"{k} {seen.configs.get(k)!r} -> {v!r}" for k, v in sorted(drift.items()))
        changes.append(Change("set_configs", seen.name, shown, configs=tuple(sorted(wanted.items()))))
    return changes


def plan(
    catalog: Catalog, observed: dict[str, ObservedTopic], brokers: int, prefix: str = ""
) -> list[Change]:
    """The changes that make the broker match the catalog; empty when it already does."""
    changes: list[Change] = []
    for topic in catalog.topics:
        physical = f"{prefix}{topic.name}"
        seen = observed.get(physical)
        changes.extend([_create(topic, physical, brokers)] if seen is None else _update(topic, seen, brokers))
    return changes
