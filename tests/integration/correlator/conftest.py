"""Fixtures for whole-bus tests that compare or count everything on their topics."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from incidentbus.kernel.admin import apply_catalog, delete_topics
from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.settings import BusSettings


@pytest.fixture(scope="module")
def isolated() -> Iterator[BusSettings]:
    """A prefix of its own: replay compares whole histories, so other tests' rules must not be in it."""
    settings = BusSettings(topic_prefix=f"rp-{uuid.uuid4().hex[:8]}.", environment="test")
    catalog = load_catalog(settings.catalog_path)
    asyncio.run(apply_catalog(settings, catalog))
    yield settings
    names = [settings.topic(t.name) for t in catalog.topics]
    asyncio.run(delete_topics(settings, names + [f"sbx.{n}" for n in names]))
