"""The benchmark's own topics: the catalog under a `bench-<random>.` prefix, plus raw pairs
for the passthroughs, shaped like the catalog topics they stand in for; all deleted at the end."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiokafka.admin import NewTopic

from bench.gridlayer import GRIDS
from bench.places import TABLE
from incidentbus.kernel.admin import admin_client, apply_catalog, broker_count, delete_topics
from incidentbus.kernel.catalog import Catalog, Topic, load_catalog
from incidentbus.kernel.settings import BusSettings


def bench_settings() -> BusSettings:
    """Settings with a prefix of the run's own, the bench's jurisdiction table (bench/places.py) and
    its grid layer (bench/gridlayer.py); everything else from the environment."""
    return BusSettings(
        topic_prefix=f"bench-{uuid.uuid4().hex[:8]}.",
        environment="test",
        log_level="WARNING",
        jurisdictions_path=TABLE,
        grids_path=GRIDS,
    )


def part_settings(settings: BusSettings, part: str) -> BusSettings:
    """The run's settings under a prefix of one part's own (`bench-<random>.<part>.`): its topics,
    consumer groups and tables are apart from the other parts', and the run's `drop` deletes them
    (their names start with the run's prefix)."""
    return settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}{part}."})


class BenchTopics:
    """Creates the catalog and extra raw topics under the prefix; `drop` deletes every topic under it
    (faust's changelog and leader topics included, since faust app ids carry the prefix too)."""

    def __init__(self, settings: BusSettings) -> None:
        self.settings = settings
        self.catalog: Catalog = load_catalog(settings.catalog_path)

    def like(self, catalog_name: str) -> Topic:
        return next(t for t in self.catalog.topics if t.name == catalog_name)

    async def apply(self) -> None:
        """Create the catalog's topics and wait until every partition has a leader."""
        await apply_catalog(self.settings, self.catalog)
        await self.wait_for([self.settings.topic(t.name) for t in self.catalog.topics])

    async def create_raw(self, pairs: dict[str, str]) -> None:
        """Create raw topics `<prefix><name>` with the partitions and configs of a catalog topic each."""
        async with admin_client(self.settings) as client:
            brokers = await broker_count(client)
            new = [
                NewTopic(
                    self.settings.topic(name),
                    self.like(model).partitions,
                    min(self.like(model).replication, brokers),
                    topic_configs=self.like(model).configs(brokers),
                )
                for name, model in pairs.items()
            ]
            await client.create_topics(new)
        await self.wait_for([self.settings.topic(n) for n in pairs])

    async def declare_changelogs(self, apps: list[Any]) -> None:
        """Create the faust apps' table changelog topics (compacted, the tables' partitions) before
        the apps start, and wait for their leaders.

        Left to faust, an app creates them as it starts, and under load its group's first
        assignment can come before the consumer's metadata holds the new topic ("Ignoring missing
        topic"): the table then sees a changelog of 0 partitions, every write raises
        PartitionsMismatch and the agent crash-loops (and republishes its batch every 5 s) until
        the client refreshes its metadata, up to 5 minutes later (aiokafka's metadata_max_age).
        A deployment meets that race once, on its first start; the benchmark measures the steady
        state, so its topics exist first, as they would after that start."""
        wanted = {
            table.changelog_topic.get_topic_name(): table.partitions or app.conf.topic_partitions
            for app in apps
            for table in app.tables.values()
        }
        async with admin_client(self.settings) as client:
            existing = set(await client.list_topics())
            new = [
                NewTopic(name, partitions, 1, topic_configs={"cleanup.policy": "compact"})
                for name, partitions in wanted.items()
                if name not in existing
            ]
            if new:
                await client.create_topics(new)
        await self.wait_for(list(wanted))

    async def wait_for(self, names: list[str], timeout: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            async with admin_client(self.settings) as client:
                if set(names) <= set(await client.list_topics()):
                    described = await client.describe_topics(names)
                    if all(p["leader"] >= 0 for t in described for p in t["partitions"]):
                        return
            await asyncio.sleep(0.2)
        raise TimeoutError(f"topics not created: {names}")

    async def drop(self) -> list[str]:
        """Delete every topic whose name starts with the run's prefix; returns their names."""
        async with admin_client(self.settings) as client:
            mine = sorted(t for t in await client.list_topics() if t.startswith(self.settings.topic_prefix))
        if mine:
            await delete_topics(self.settings, mine)
        return mine
