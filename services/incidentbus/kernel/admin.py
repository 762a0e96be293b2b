"""Topic administration on the broker through aiokafka's admin client (the adapter for topicplan)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, SaslAuthenticationFailed, for_code

from incidentbus.kernel.catalog import Catalog
from incidentbus.kernel.kafka import AUTHORIZATION_ERRORS
from incidentbus.kernel.login import login_refused
from incidentbus.kernel.settings import BusSettings
from incidentbus.kernel.topicplan import Change, ObservedTopic, plan


class BrokerError(Exception):
    """The broker refused or could not be reached; the message says which topic and why.

    `not_authorized` is true when the refusal came from the broker's ACLs (the message then says
    "not authorized"), as opposed to a missing topic, a bad request or an unreachable broker.
    """

    def __init__(self, message: str, *, not_authorized: bool = False) -> None:
        super().__init__(message)
        self.not_authorized = not_authorized


def refusal(what: str, code: int, detail: str | None = None) -> BrokerError:
    """A BrokerError for an error code of a broker response, saying "not authorized" for ACLs."""
    error = for_code(code)
    denied = issubclass(error, AUTHORIZATION_ERRORS)
    words = "not authorized: " if denied else ""
    return BrokerError(f"{words}{what}: {error.__name__} {detail or ''}".strip(), not_authorized=denied)


@asynccontextmanager
async def admin_client(settings: BusSettings) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=30000)
    try:
        await client.start()
    except SaslAuthenticationFailed as exc:
        who = settings.sasl_username or "this client"
        raise BrokerError(
            f"not authorized: the broker refused {who}'s login: {exc}", not_authorized=True
        ) from exc
    except AUTHORIZATION_ERRORS as exc:
        raise BrokerError(f"not authorized: {type(exc).__name__} {exc}", not_authorized=True) from exc
    except KafkaError as exc:
        if await login_refused(settings):  # a refused login looks like an unreachable broker
            raise BrokerError(
                f"not authorized: the broker refused {settings.sasl_username}'s login "
                "(wrong password, or no such user)",
                not_authorized=True,
            ) from exc
        raise BrokerError(f"cannot reach Kafka at {settings.bootstrap_servers}: {exc}") from exc
    try:
        yield client
    finally:
        await client.close()


async def broker_count(client: AIOKafkaAdminClient) -> int:
    cluster = await client.describe_cluster()
    return max(1, len(cluster["brokers"]))


async def _topic_configs(client: AIOKafkaAdminClient, names: list[str]) -> dict[str, dict[str, str]]:
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
    configs: dict[str, dict[str, str]] = {}
    for response in await client.describe_configs(resources):
        for error_code, _msg, _type, name, entries in response.resources:
            if error_code:
                raise refusal(f"describe configs of {name}", error_code)
            configs[name] = {e[0]: e[1] for e in entries}
    return configs


async def observe(client: AIOKafkaAdminClient, names: list[str]) -> dict[str, ObservedTopic]:
    """The broker's view of the named topics that exist."""
    existing = set(await client.list_topics())
    present = [n for n in names if n in existing]
    described: list[dict[str, Any]] = await client.describe_topics(present) if present else []
    configs = await _topic_configs(client, present)
    return {
        t["topic"]: ObservedTopic(
            t["topic"],
            len(t["partitions"]),
            len(t["partitions"][0]["replicas"]) if t["partitions"] else 0,
            configs.get(t["topic"], {}),
        )
        for t in described
    }


def _raise_errors(kind: str, errors: list[tuple[Any, ...]]) -> None:
    for item in errors:
        topic, code = item[0], item[1]
        if code:
            raise refusal(f"{kind} {topic}", code, item[2] if len(item) > 2 else None)


async def perform(client: AIOKafkaAdminClient, change: Change) -> None:
    """Carry out one planned change; BrokerError when the broker refuses."""
    if change.kind == "create":
        topic = NewTopic(
            change.topic, change.partitions, change.replication, topic_configs=dict(change.configs)
        )
        response = await client.create_topics([topic])
        _raise_errors("create", response.topic_errors)
    elif change.kind == "add_partitions":
        await client.create_partitions({change.topic: NewPartitions(change.partitions)})
    elif change.kind == "set_configs":
        resource = ConfigResource(ConfigResourceType.TOPIC, change.topic, dict(change.configs))
        for response in await client.alter_configs([resource]):
            _raise_errors("alter configs of", [(r[3], r[0], r[1]) for r in response.resources])


# How long `apply_catalog` waits for the broker to serve what it changed (normally a second or
# two; on a loaded machine it has taken 3 s on the local node).
SERVED_WITHIN_SECONDS = 180.0


async def unserved(
    client: AIOKafkaAdminClient, partitions: dict[str, int], configs: dict[str, dict[str, str]]
) -> list[str]:
    """The topics the broker does not serve as wanted yet: of `partitions` (name -> count), those
    with partitions missing or without a leader; of `configs`, those showing other values."""
    described: list[dict[str, Any]] = await client.describe_topics(list(partitions)) if partitions else []
    led = {
        t["topic"]: sum(1 for p in t["partitions"] if p["leader"] >= 0)
        for t in described
        if not t["error_code"]
    }
    behind = [name for name, n in partitions.items() if led.get(name, 0) < n]
    seen = await _topic_configs(client, list(configs))
    stale = [t for t, want in configs.items() if any(seen.get(t, {}).get(k) != v for k, v in want.items())]
    return behind + stale


async def wait_until_served(
    client: AIOKafkaAdminClient,
    partitions: dict[str, int],
    configs: dict[str, dict[str, str]],
    timeout: float = SERVED_WITHIN_SECONDS,
) -> None:
    """Return once the broker serves every topic of `partitions` with all its partitions and every
    config of `configs`.

    A broker answers CreateTopics or AlterConfigs once the controller has committed the change;
    what it serves to clients catches up a moment later. A consumer that subscribes in that moment
    does not see a new topic, and asks again only at its next metadata refresh (five minutes by
    default): a service started right after `topics apply` would sit idle on it. And a second
    `apply` would still see the old configs.
    """
    deadline = asyncio.get_running_loop().time() + timeout
    while behind := await unserved(client, partitions, configs):
        if asyncio.get_running_loop().time() >= deadline:
            raise BrokerError(
                f"the broker accepted but does not serve {len(behind)} change(s) after {timeout:.0f}s: "
                + ", ".join(sorted(behind))
            )
        await asyncio.sleep(0.2)


async def apply_catalog(settings: BusSettings, catalog: Catalog) -> list[Change]:
    """Make the broker match the catalog; returns what was done (empty: nothing to change).
    Returns once the broker serves what it changed (`wait_until_served`)."""
    names = [settings.topic(t.name) for t in catalog.topics]
    async with admin_client(settings) as client:
        changes = plan(
            catalog, await observe(client, names), await broker_count(client), settings.topic_prefix
        )
        for change in changes:
            if change.kind != "warn":
                await perform(client, change)
        await wait_until_served(
            client,
            {c.topic: c.partitions for c in changes if c.kind in ("create", "add_partitions")},
            {c.topic: dict(c.configs) for c in changes if c.kind == "set_configs"},
        )
    return changes


async def delete_topics(settings: BusSettings, names: list[str]) -> None:
    """Delete topics (tests and sandboxes only; never called on catalog topics by commands)."""
    async with admin_client(settings) as client:
        existing = set(await client.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            await client.delete_topics(doomed)
