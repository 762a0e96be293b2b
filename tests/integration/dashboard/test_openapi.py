"""The query API against its own OpenAPI document: schemathesis (its CLI, every phase and check)
generates requests for every path, the dashboard's board, case view, grid layer and event stream
included, and checks each answer against the document: no server error, a documented status,
content type and body shape, and that unsupported methods are refused.

The service runs on the real broker, over a bus with a closed case and an escalated one. The event
stream is asked for one second at a time (st_hooks.py), so each generated request ends.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from xml.etree import ElementTree

from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.query import serve
from tests.integration.agencies.harness import free_port
from tests.integration.correlator.harness import Bus
from tests.integration.correlator.test_end_to_end import RULES, fast_rules
from tests.integration.correlator.test_query import closed_loop, escalated
from tests.integration.dashboard.browser import ARTIFACTS
from tests.integration.waits import PROCESS_CEILING

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


REPORTS = ARTIFACTS.parent / "schemathesis"


def operations_run(junit: Path) -> set[str]:
    """The operations schemathesis ran, from its JUnit report."""
    return {case.attrib["name"] for case in ElementTree.parse(junit).getroot().iter("testcase")}


async def fuzz(url: str, junit: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        "25",
        "--request-timeout",
        "30",
        "--seed",
        "20261201",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        env=os.environ | {"SCHEMATHESIS_HOOKS": "tests.integration.dashboard.st_hooks", "NO_COLOR": "1"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), PROCESS_CEILING)
    return process.returncode or 0, output.decode("utf-8", "replace")


def test_every_answer_is_documented(isolated: BusSettings) -> None:
    REPORTS.mkdir(parents=True, exist_ok=True)
    junit = REPORTS / "query-api.xml"

    async def run() -> tuple[int, str]:
        async with Bus(isolated, RULES) as bus:
            await closed_loop(bus, f"P-{uuid.uuid4().hex[:6]}")
        async with Bus(isolated, fast_rules()) as bus:
            await escalated(bus, f"U-{uuid.uuid4().hex[:6]}")
        port = free_port()
        async with serve(isolated, port):
            return await fuzz(f"http://127.0.0.1:{port}", junit)

    code, output = asyncio.run(run())
    assert code == 0, output
    ran = operations_run(junit)
    assert {"GET /events", "GET /board", "GET /cases/{case_id}/view", "GET /cases/{case_id}"} <= ran, ran
