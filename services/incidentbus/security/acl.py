"""The ACLs the bus needs, computed from the topic catalog: no hand-kept permission list.

Every principal a topic names as a producer may write it, every consumer may read it; nothing
else is granted (the broker runs with `allow.everyone.if.no.acl.found=false`). The faust
services additionally own a consumer group and the internal topics faust creates under their
app id. Each agency's own system (`<agency>-system`) may use any consumer group whose name starts
with `<agency>-system.` (PREFIXED, under the topic prefix), e.g. `police-system.outbox`, so it can
keep its outbox offsets on the broker; it can use no other principal's group, and no other
principal can use its groups. `acl_plan` is pure: the same catalog and prefix always give the
same set of bindings, so `incidentbus acl apply` can compare it with the broker and change only
the difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum

from incidentbus.kernel.catalog import Catalog, Topic

# Kafka's one cluster resource is always named like this.
CLUSTER_NAME = "kafka-cluster"
USER_PRINCIPAL = "User:"
ANY_HOST = "*"
# faust uses the app id as the consumer group and as the prefix of the changelog and
# repartition topics it creates (`<app id>-<table>-changelog`). The app ids follow this
# convention (agencies/service.py, correlator/service.py); tests/unit/test_acl.py checks it.
APP_ID_PREFIX = "incidentbus-"
AGENCY_SERVICE_SUFFIX = "-service"
AGENCY_SYSTEM_SUFFIX = "-system"
# An agency system's consumer groups are `<agency>-system` + this + any name. The dot keeps one
# system's prefix from covering another principal's name: agency names are [a-z][a-z0-9]* (they
# are the first part of topic names), so no `<agency>-system.` is a prefix of another's.
SYSTEM_GROUP_SEPARATOR = "."
CORRELATOR = "correlator"
# The correlator's core loop (correlator/runtime.py, on aiokafka) reads correlator.input.v1 in a
# consumer group of its own; faust's group, the app id, is its routers'.
CORRELATOR_CORE_GROUP = f"{APP_ID_PREFIX}{CORRELATOR}-core"


class ResourceType(IntEnum):
    """Kafka's AclResourceType codes (the wire values)."""

    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class Operation(IntEnum):
    """Kafka's AclOperation codes (the wire values)."""

    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14


class PatternType(IntEnum):
    """Kafka's PatternType codes: LITERAL names one resource, PREFIXED every name starting so."""

    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class Permission(IntEnum):
    """Kafka's AclPermissionType codes. The bus only ever grants (ALLOW); DENY is for humans."""

    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


@dataclass(frozen=True, order=True)
class Binding:
    """One ACL: `principal` (a user name, without `User:`) may do `operation` on the resource."""

    principal: str
    resource_type: ResourceType
    resource_name: str
    pattern_type: PatternType
    operation: Operation
    permission: Permission = Permission.ALLOW
    host: str = ANY_HOST

    @property
    def kafka_principal(self) -> str:
        return f"{USER_PRINCIPAL}{self.principal}"

    def describe(self) -> str:
        """One readable line, the way kafka-acls prints a binding."""
        pattern = "" if self.pattern_type is PatternType.LITERAL else f" ({self.pattern_type.name.lower()})"
        return (
            f"{self.principal}: {self.permission.name} {self.operation.name} on "
            f"{self.resource_type.name} {self.resource_name}{pattern}"
            + ("" if self.host == ANY_HOST else f" from {self.host}")
        )

    def as_json(self) -> dict[str, str]:
        return {
            "principal": self.kafka_principal,
            "resource_type": self.resource_type.name,
            "resource_name": self.resource_name,
            "pattern_type": self.pattern_type.name,
            "operation": self.operation.name,
            "permission": self.permission.name,
            "host": self.host,
        }


# What each role needs on a catalog topic. DESCRIBE is implied by READ and WRITE on the broker
# but listed anyway, so the plan says in plain words what a principal can see.
PRODUCE = (Operation.WRITE, Operation.DESCRIBE)
CONSUME = (Operation.READ, Operation.DESCRIBE)
# faust creates, reads and writes its own changelog/repartition topics under the app id.
FAUST_INTERNAL = (Operation.CREATE, Operation.READ, Operation.WRITE, Operation.DESCRIBE)


def faust_apps(catalog: Catalog) -> dict[str, str]:
    """Principal -> faust app id (before the topic prefix) for every service the catalog names.

    Each agency's `<agency>-service` runs app `incidentbus-<agency>`, the `correlator` runs
    `incidentbus-correlator`. The agency systems get consumer-group prefixes of their own
    (`system_groups`); the operator and auditor read without a consumer group and get none.
    """
    apps = {f"{a}{AGENCY_SERVICE_SUFFIX}": f"{APP_ID_PREFIX}{a}" for a in catalog.agencies}
    apps[CORRELATOR] = f"{APP_ID_PREFIX}{CORRELATOR}"
    named = set(catalog.principals())
    return {principal: app for principal, app in sorted(apps.items()) if principal in named}


def system_groups(catalog: Catalog) -> dict[str, str]:
    """Principal -> consumer-group prefix (before the topic prefix) of every agency system the
    catalog names: `<agency>-system.`, so `police-system.outbox` is police's system's group."""
    named = set(catalog.principals())
    systems = (f"{agency}{AGENCY_SYSTEM_SUFFIX}" for agency in catalog.agencies)
    return {p: f"{p}{SYSTEM_GROUP_SEPARATOR}" for p in sorted(systems) if p in named}


def _topic_bindings(topic: Topic, prefix: str) -> Iterator[Binding]:
    name = f"{prefix}{topic.name}"
    for role, operations in ((topic.producers, PRODUCE), (topic.consumers, CONSUME)):
        for principal in role:
            for operation in operations:
                yield Binding(principal, ResourceType.TOPIC, name, PatternType.LITERAL, operation)


def _producer_bindings(catalog: Catalog) -> Iterator[Binding]:
    """aiokafka's idempotent producer (and faust's) asks for a producer id: IDEMPOTENT_WRITE."""
    for principal in sorted({p for t in catalog.topics for p in t.producers}):
        yield Binding(
            principal, ResourceType.CLUSTER, CLUSTER_NAME, PatternType.LITERAL, Operation.IDEMPOTENT_WRITE
        )


def _faust_bindings(catalog: Catalog, prefix: str) -> Iterator[Binding]:
    """A service's consumer group (its app id) and the internal topics faust makes under it; the
    correlator's core loop's group."""
    for principal, app in faust_apps(catalog).items():
        group = f"{prefix}{app}"
        yield Binding(principal, ResourceType.GROUP, group, PatternType.LITERAL, Operation.READ)
        if principal == CORRELATOR:
            core = f"{prefix}{CORRELATOR_CORE_GROUP}"
            yield Binding(principal, ResourceType.GROUP, core, PatternType.LITERAL, Operation.READ)
        for operation in FAUST_INTERNAL:
            yield Binding(principal, ResourceType.TOPIC, f"{group}-", PatternType.PREFIXED, operation)


def _system_group_bindings(catalog: Catalog, prefix: str) -> Iterator[Binding]:
    """An agency system's consumer groups (READ on the group: join, commit and fetch offsets).
    What it reads through them is still bounded by its topic grants (its outbox)."""
    for principal, group_prefix in system_groups(catalog).items():
        yield Binding(
            principal, ResourceType.GROUP, f"{prefix}{group_prefix}", PatternType.PREFIXED, Operation.READ
        )


def acl_plan(catalog: Catalog, prefix: str = "") -> frozenset[Binding]:
    """Every binding the bus needs under a topic prefix, and nothing more."""
    bindings: set[Binding] = set()
    for topic in catalog.topics:
        bindings.update(_topic_bindings(topic, prefix))
    bindings.update(_producer_bindings(catalog))
    bindings.update(_faust_bindings(catalog, prefix))
    bindings.update(_system_group_bindings(catalog, prefix))
    return frozenset(bindings)


def overlapping_apps(catalog: Catalog) -> list[str]:
    """App ids that are a prefix of another's internal-topic prefix (`police-` vs `police-x`).

    A PREFIXED grant on `incidentbus-police-` would also cover `incidentbus-police-x-...`, so an
    agency named like another agency plus a dash would see that agency's internal topics.
    """
    apps = sorted(faust_apps(catalog).values())
    return [f"{a} / {b}" for a in apps for b in apps if a != b and b.startswith(f"{a}-")]


@dataclass(frozen=True)
class AclDiff:
    """The plan against the broker: what to create, what is already there, what is not planned."""

    missing: tuple[Binding, ...]
    present: tuple[Binding, ...]
    # On the broker for a managed principal and in the plan's scope, but not in the plan.
    extra: tuple[Binding, ...]

    @property
    def in_sync(self) -> bool:
        return not self.missing and not self.extra


def in_scope(binding: Binding, principals: Iterable[str], prefix: str) -> bool:
    """Whether `apply --prune` may remove a binding: a catalog principal, under our prefix.

    Cluster bindings have no prefix and are shared by every prefix on the cluster, so only an
    unprefixed (production) apply considers them.
    """
    if binding.principal not in set(principals):
        return False
    if binding.resource_type is ResourceType.CLUSTER:
        return prefix == ""
    return binding.resource_name.startswith(prefix)


def diff(plan: frozenset[Binding], existing: Iterable[Binding], catalog: Catalog, prefix: str) -> AclDiff:
    """Compare the plan with the broker's bindings."""
    have = frozenset(existing)
    principals = catalog.principals()
    extra = [b for b in have - plan if in_scope(b, principals, prefix)]
    return AclDiff(
        missing=tuple(sorted(plan - have)), present=tuple(sorted(plan & have)), extra=tuple(sorted(extra))
    )


def by_principal(bindings: Iterable[Binding]) -> Mapping[str, list[Binding]]:
    """Bindings grouped by principal, each group sorted: for listings."""
    grouped: dict[str, list[Binding]] = {}
    for binding in sorted(bindings):
        grouped.setdefault(binding.principal, []).append(binding)
    return grouped


def allows(
    plan: Iterable[Binding],
    principal: str,
    topic: str,
    operation: Operation,
    resource_type: ResourceType = ResourceType.TOPIC,
) -> bool:
    """Whether the plan lets `principal` do `operation` on a (physical) topic name, or on a
    consumer group's name with `resource_type=GROUP`.

    The broker's rule for ALLOW bindings: a LITERAL binding on the name, or a PREFIXED binding on
    a prefix of it. Used by tests to predict the broker's answers.
    """
    for b in plan:
        if b.principal != principal or b.resource_type is not resource_type or b.operation != operation:
            continue
        literal = b.pattern_type is PatternType.LITERAL and b.resource_name == topic
        prefixed = b.pattern_type is PatternType.PREFIXED and topic.startswith(b.resource_name)
        if literal or prefixed:
            return True
    return False
