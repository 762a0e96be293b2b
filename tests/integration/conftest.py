"""Integration fixtures: the real broker, with an isolated topic prefix per test session."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from incidentbus.kernel.admin import apply_catalog, delete_topics
from incidentbus.kernel.catalog import Catalog, load_catalog
from incidentbus.kernel.settings import BusSettings
from tests.integration.acl_probes import SecuredBroker
from tests.integration.secured_bus import SecuredBus, secure_catalog
from tests.integration.teardown import install as bound_asyncio_teardown

pytestmark = pytest.mark.broker
# Integration modules report in districts of their own (tests/jurisdictions.toml); set before any
# settings are read, so in-process buses and the services the tests start as processes use it.
os.environ["INCIDENTBUS_JURISDICTIONS_PATH"] = str(Path(__file__).parents[1] / "jurisdictions.toml")
# Likewise the grids that place point-only reports (tests/grids.geojson: tests/gridlayers.py).
os.environ["INCIDENTBUS_GRIDS_PATH"] = str(Path(__file__).parents[1] / "grids.geojson")
# A task that ignores its cancellation fails the test with its stack instead of hanging the suite.
bound_asyncio_teardown()


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """faust's data directories (INCIDENTBUS_DATA_DIR) in pytest's temporary tree, for in-process
    apps and the services the tests start as processes alike, not under the repository's var/."""
    path = tmp_path_factory.mktemp("faust")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("INCIDENTBUS_DATA_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def settings() -> BusSettings:
    prefix = f"it-{uuid.uuid4().hex[:8]}."
    return BusSettings(topic_prefix=prefix, environment="test")


@pytest.fixture(scope="session")
def catalog(settings: BusSettings) -> Catalog:
    return load_catalog(settings.catalog_path)


@pytest.fixture(scope="session")
def applied(settings: BusSettings, catalog: Catalog) -> Iterator[BusSettings]:
    """The whole catalog created under the session prefix; deleted afterwards."""
    asyncio.run(apply_catalog(settings, catalog))
    yield settings
    if not os.environ.get("INCIDENTBUS_KEEP_TEST_TOPICS"):
        asyncio.run(delete_topics(settings, [settings.topic(t.name) for t in catalog.topics]))


@pytest.fixture(scope="module")
def isolated() -> Iterator[BusSettings]:
    """A prefix of its own: replay compares whole histories, so other tests' rules must not be in it."""
    settings = BusSettings(topic_prefix=f"rp-{uuid.uuid4().hex[:8]}.", environment="test")
    catalog = load_catalog(settings.catalog_path)
    asyncio.run(apply_catalog(settings, catalog))
    yield settings
    names = [settings.topic(t.name) for t in catalog.topics]
    asyncio.run(delete_topics(settings, names + [f"sbx.{n}" for n in names]))


@pytest.fixture(scope="session")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    """The secured node (infra/kafka-secure) on free ports, started only for the tests that ask:
    CI starts only the plaintext broker. Stopped and wiped even on failure."""
    broker = SecuredBroker.start(tmp_path_factory.mktemp("kafka-secure"))
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def bus(secured: SecuredBroker) -> SecuredBus:
    """The catalog on the secured node under a prefix of this module's own, with users and ACLs."""
    return secure_catalog(secured)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in str(item.fspath):
            item.add_marker(pytest.mark.broker)
