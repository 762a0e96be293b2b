"""The topic catalog: topics declared as data in topics/catalog.toml, validated with pydantic."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from incidentbus.kernel.schema import WIRE_TYPES, message_class

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$")
JSON_PREFIX = "json:"
XML_PREFIX = "xml:"  # documents of a published standard (CAP 1.2 alerts)
# The value type of dead-letter topics: how the catalog marks them (one per writing principal).
DEAD_LETTER_VALUE = "incidentbus.v1.DeadLetter"
# LogAppendTime: the broker stamps records; used where producers must not set the bus's clock.
TimestampType = Literal["CreateTime", "LogAppendTime"]


class CatalogError(Exception):
    """The catalog file is unreadable or violates the schema."""


class TopicDefaults(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    partitions: int = Field(default=6, gt=0)
    replication: int = Field(default=3, gt=0)
    retention_ms: int = Field(default=604_800_000, ge=-1)
    cleanup_policy: Literal["delete", "compact", "compact,delete"] = "delete"
    min_insync_replicas: int = Field(default=2, gt=0)
    max_message_bytes: int = Field(default=1_048_588, gt=0)
    timestamp_type: TimestampType = "CreateTime"
    min_compaction_lag_ms: int = Field(default=0, ge=0)


class TopicSpec(BaseModel):
    """One topic as declared; unset numbers fall back to the catalog defaults."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    key: str
    value: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    description: str = ""
    partitions: int | None = Field(default=None, gt=0)
    replication: int | None = Field(default=None, gt=0)
    retention_ms: int | None = Field(default=None, ge=-1)
    cleanup_policy: Literal["delete", "compact", "compact,delete"] | None = None
    min_insync_replicas: int | None = Field(default=None, gt=0)
    max_message_bytes: int | None = Field(default=None, gt=0)
    timestamp_type: TimestampType | None = None
    # How long a record is kept from compaction even when a newer one has its key (a state
    # changelog: see correlator.state.v1).
    min_compaction_lag_ms: int | None = Field(default=None, ge=0)

    def resolved(self, defaults: TopicDefaults) -> Topic:
        data = defaults.model_dump() | self.model_dump(exclude_none=True)
        return Topic.model_validate(data)


class Topic(BaseModel):
    """A fully resolved topic: what `topics apply` makes real on the broker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    key: str
    value: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    description: str
    partitions: int
    replication: int
    retention_ms: int
    cleanup_policy: Literal["delete", "compact", "compact,delete"]
    min_insync_replicas: int
    max_message_bytes: int
    timestamp_type: TimestampType
    min_compaction_lag_ms: int

    @property
    def is_protobuf(self) -> bool:
        return not self.value.startswith((JSON_PREFIX, XML_PREFIX))

    def configs(self, brokers: int) -> dict[str, str]:
        """Broker-side topic configs, with replica minimums capped to the cluster size."""
        return {
            "cleanup.policy": self.cleanup_policy,
            "retention.ms": str(self.retention_ms),
            "min.insync.replicas": str(min(self.min_insync_replicas, brokers)),
            "max.message.bytes": str(self.max_message_bytes),
            "message.timestamp.type": self.timestamp_type,
            "min.compaction.lag.ms": str(self.min_compaction_lag_ms),
        }


class CatalogFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    agencies: tuple[str, ...]
    defaults: TopicDefaults = TopicDefaults()
    template: tuple[TopicSpec, ...] = ()
    topic: tuple[TopicSpec, ...] = ()


class Catalog(BaseModel):
    """The expanded catalog: every topic by name, in declaration order."""

    model_config = ConfigDict(frozen=True)

    agencies: tuple[str, ...]
    topics: tuple[Topic, ...]

    def get(self, name: str) -> Topic:
        for topic in self.topics:
            if topic.name == name:
                return topic
        raise KeyError(f"topic {name!r} is not in the catalog")

    def principals(self) -> tuple[str, ...]:
        names = {p for t in self.topics for p in (*t.producers, *t.consumers)}
        return tuple(sorted(names))

    def logical(self, physical: str, prefix: str) -> Topic | None:
        """The catalog topic a physical name (under `prefix`) stands for, or None."""
        if not physical.startswith(prefix):
            return None
        name = physical[len(prefix) :]
        return next((t for t in self.topics if t.name == name), None)

    def dead_letter_topics(self) -> tuple[Topic, ...]:
        """Every dead-letter topic (value `DeadLetter`): one per writing principal, read as one shelf."""
        return tuple(t for t in self.topics if t.value == DEAD_LETTER_VALUE)

    def dead_letter_topic(self, writer: str) -> Topic:
        """The dead-letter topic of a rejecting component (`police`, `correlator`: a letter's
        `rejected_by`): the dead-letter topic of that domain, `<writer>.<entity>.v<N>`."""
        for topic in self.dead_letter_topics():
            if topic.name.split(".", 1)[0] == writer:
                return topic
        raise KeyError(f"the catalog has no dead-letter topic for {writer!r}")


def _expand(spec: TopicSpec, agency: str) -> TopicSpec:
    def fill(text: str) -> str:
        return text.replace("{agency}", agency)

    data = spec.model_dump(exclude_none=True)
    data.update(
        name=fill(spec.name),
        key=fill(spec.key),
        value=fill(spec.value),
        description=fill(spec.description),
        producers=tuple(fill(p) for p in spec.producers),
        consumers=tuple(fill(c) for c in spec.consumers),
    )
    return TopicSpec.model_validate(data)


def parse_catalog(text: str) -> Catalog:
    """Parse catalog TOML text; CatalogError with the pydantic detail when it is malformed."""
    try:
        raw = CatalogFile.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise CatalogError(f"invalid topic catalog: {exc}") from exc
    specs = [_expand(t, a) for a in raw.agencies for t in raw.template] + list(raw.topic)
    return Catalog(agencies=raw.agencies, topics=tuple(s.resolved(raw.defaults) for s in specs))


def load_catalog(path: Path) -> Catalog:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read topic catalog {path}: {exc}") from exc
    return parse_catalog(text)


def _value_problem(topic: Topic) -> str | None:
    if not topic.is_protobuf:
        return None if topic.value.partition(":")[2] else f"empty {topic.value} schema name"
    try:
        cls = message_class(topic.value)
    except KeyError:
        return f"value type {topic.value} does not exist in proto/"
    if cls not in WIRE_TYPES:
        return f"value type {topic.value} is not a bus message (no envelope)"
    return None


def check_catalog(catalog: Catalog) -> list[str]:
    """Every problem of the catalog against the naming convention and the schemas in proto/."""
    problems: list[str] = []
    seen: set[str] = set()
    for topic in catalog.topics:
        if not NAME_PATTERN.match(topic.name):
            problems.append(f"{topic.name}: name does not follow <domain>.<entity>.v<N>")
        if topic.name in seen:
            problems.append(f"{topic.name}: declared twice")
        seen.add(topic.name)
        if (value_problem := _value_problem(topic)) is not None:
            problems.append(f"{topic.name}: {value_problem}")
        if not topic.producers or not topic.consumers:
            problems.append(f"{topic.name}: needs at least one producer and one consumer")
    return (
        problems
        + _dead_letter_problems(catalog)
        + _speaker_problems(catalog)
        + _partition_twin_problems(catalog)
    )


# A state changelog is read per partition of the topic whose state it keeps: partition n of the
# changelog holds what stepping partition n of the input left (correlator/runtime.py).
PARTITION_TWINS = {"correlator.state.v1": "correlator.input.v1"}


def _partition_twin_problems(catalog: Catalog) -> list[str]:
    topics = {t.name: t for t in catalog.topics}
    problems: list[str] = []
    for name, twin in PARTITION_TWINS.items():
        if name in topics and twin in topics and topics[name].partitions != topics[twin].partitions:
            problems.append(
                f"{name}: keeps the state of {twin} partition by partition, so it needs its "
                f"{topics[twin].partitions} partitions, not {topics[name].partitions}"
            )
    return problems


# Topics whose writer is who spoke: the correlator acts in the name of the agency whose events
# topic carried an event, of the operator for commands, and trusts the publisher its router
# recorded on its input (correlator/routing.py). Each must have exactly this one producer.
SPEAKERS = {
    "{agency}.events.v1": "{agency}-service",
    "case.commands.v1": "operator",
    "correlator.input.v1": "correlator",
}


def _speaker_problems(catalog: Catalog) -> list[str]:
    problems: list[str] = []
    topics = {t.name: t for t in catalog.topics}
    for pattern, writer in SPEAKERS.items():
        for agency in catalog.agencies if "{agency}" in pattern else [""]:
            name, only = pattern.format(agency=agency), writer.format(agency=agency)
            topic = topics.get(name)
            if topic is not None and list(topic.producers) != [only]:
                problems.append(
                    f"{name}: its writer says who spoke, so {only} must be its only producer, "
                    f"not {', '.join(topic.producers) or 'nobody'}"
                )
    return problems


def _dead_letter_problems(catalog: Catalog) -> list[str]:
    """A dead-letter topic names its writer only if exactly one principal may write it, and that
    principal writes no other dead-letter topic (the letter's writer is read off the topic)."""
    problems: list[str] = []
    owners: dict[str, str] = {}
    for topic in catalog.dead_letter_topics():
        if len(topic.producers) != 1:
            problems.append(f"{topic.name}: a dead-letter topic needs exactly one producer (its writer)")
        for principal in topic.producers:
            if principal in owners:
                problems.append(
                    f"{topic.name}: {principal} already writes dead letters to {owners[principal]}"
                )
            owners.setdefault(principal, topic.name)
    return problems
