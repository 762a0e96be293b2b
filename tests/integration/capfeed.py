"""Reading the query service's CAP feed in tests: the alerts of the case holding a report."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from capparselib.parsers import CAPParser

from tests.integration.waits import CEILING


async def alerts_of(
    http: aiohttp.ClientSession, case_ref: str, agency: str = "police"
) -> list[dict[str, Any]]:
    """The feed's alerts of the case holding the agency's report `case_ref` (found through the
    query API's report lookup), once there are any."""
    deadline = asyncio.get_running_loop().time() + CEILING
    while asyncio.get_running_loop().time() < deadline:
        async with http.get(f"/reports/{agency}/{case_ref}") as found:
            case_id = (await found.json()).get("case_id") if found.status == 200 else None
        if case_id:
            async with http.get("/cap/alerts.atom") as response:
                assert response.content_type == "application/atom+xml"
                read: list[dict[str, Any]] = CAPParser(await response.text()).as_dict()
            mine = [a for a in read if str(a["cap_incidents"]) == case_id]
            if mine:
                return mine
        await asyncio.sleep(0.5)
    raise AssertionError(f"no alert for {agency} report {case_ref} within {CEILING}s")
