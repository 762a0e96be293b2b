"""The query service's CAP feed is built once per new alert and served as built until the next."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from incidentbus.kernel.settings import BusSettings
from incidentbus.ops import alerting
from incidentbus.ops.alerts import ALERTS_KEPT, AlertLog
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2 as ce
from incidentbus.v1 import common_pb2 as cm
from tests.unit.correlator.builders import GRID, MIN, T0, location
from tests.unit.dashboard_builders import event


async def test_the_feed_is_rebuilt_only_when_an_alert_arrives(monkeypatch: pytest.MonkeyPatch) -> None:
    builds: list[int] = []
    real = alerting.feed

    def counting(*args: Any, **kwargs: Any) -> bytes:
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(alerting, "feed", counting)
    model = ReadModel()
    model.apply_event(event("C-1", 1, T0, case_opened=ce.CaseOpened(fast_path=True, location=location(GRID))))
    app = web.Application()
    alerting.add_cap(app, BusSettings(environment="test"), model)
    async with TestClient(TestServer(app)) as client:
        first = await (await client.get("/cap/alerts.atom")).read()
        again = await (await client.get("/cap/alerts.atom")).read()
        escalated = ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_COMMUNITY)
        model.apply_event(event("C-1", 2, T0 + MIN, case_escalated=escalated))
        third = await (await client.get("/cap/alerts.atom")).read()
    assert first == again
    assert len(builds) == 2  # the first request, then the one after the new alert
    assert third.count(b"<atom:entry") == 2


def test_the_alert_log_hands_every_alert_to_a_publisher_beyond_its_window() -> None:
    """The window keeps the latest 500; a publisher's outbox gets every alert, in order."""
    log = AlertLog(outbox=[])
    silent = AlertLog()
    for n in range(ALERTS_KEPT + 20):
        opened = event(
            f"C-{n}", 1, T0 + n, case_opened=ce.CaseOpened(fast_path=True, location=location(GRID))
        )
        log.fold(opened)
        silent.fold(opened)
    assert log.outbox is not None
    assert [a.seq for a in log.outbox] == list(range(1, ALERTS_KEPT + 21))
    assert len(log.alerts) == ALERTS_KEPT
    assert silent.outbox is None
