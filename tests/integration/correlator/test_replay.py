"""`incidentbus replay` on the real broker: unchanged rules reproduce production; a changed rule
names exactly the affected cases; production topics and offsets are never touched."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from incidentbus.correlator.rulesfile import default_rules_text
from incidentbus.devtools import natives
from incidentbus.kernel.codec import decode
from incidentbus.kernel.kafka import read_all
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import case_events_pb2
from tests.integration.correlator.harness import Bus, case_of, now
from tests.integration.correlator.test_end_to_end import RULES, answer
from tests.integration.waits import PROCESS_CEILING


def cli(settings: BusSettings, *args: str) -> dict[str, object]:
    env = os.environ | {"INCIDENTBUS_TOPIC_PREFIX": settings.topic_prefix}
    done = subprocess.run(
        [sys.executable, "-m", "incidentbus.cli", "replay", "--json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_CEILING,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def produce_history(settings: BusSettings) -> tuple[str, str]:
    police, health = f"P-{uuid.uuid4().hex[:6]}", f"H-{uuid.uuid4().hex[:6]}"

    async def run() -> tuple[str, str]:
        async with Bus(settings, RULES) as bus:
            await bus.send("police", natives.report("police", police, "TA1", "310111-001-001-01", now()))
            await bus.send("health", natives.report("health", health, "CARDIAC", "310112-001-001-01", now()))

            async def both() -> tuple[str, str] | None:
                events = await bus.case_events()
                cases = case_of(events, police), case_of(events, health)
                return cases if all(cases) else None

            police_case, health_case = await bus.until(both)
            [task] = await bus.until(lambda: bus.tasks_for("police", police_case))
            await answer(bus, "police", task, ["ack", "arrived"])
            await bus.until(lambda: _has(bus, police_case, 5))
            ticks = await _ticks(bus)
            await bus.until(lambda: _ticks(bus, more_than=ticks + 2))  # a few clock ticks on the record too
        return police_case, health_case

    return asyncio.run(run())


async def _ticks(bus: Bus, more_than: int = -1) -> int:
    """The clock ticks on the correlator's input (0 while not more than `more_than`)."""
    found = sum(1 for r in await bus.records("correlator.input.v1") if (r.key or b"").startswith(b"tick-"))
    return found if found > more_than else 0


async def _has(bus: Bus, case_id: str, n: int) -> bool:
    return len({e.sequence for e in await bus.case_events() if e.case_id == case_id}) >= n


def test_replay_reproduces_production_and_a_changed_rule_names_the_affected_cases(
    isolated: BusSettings, tmp_path: Path
) -> None:
    police_case, health_case = produce_history(isolated)
    before = asyncio.run(read_all(isolated, isolated.topic("case.events.v1")))

    same = cli(isolated, "--out", str(tmp_path / "out.jsonl"))
    assert same["differences"] == []
    assert same["case_events"] >= 5  # type: ignore[operator]
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) >= same["case_events"]  # type: ignore[operator]

    changed = tmp_path / "rules.toml"
    changed.write_text(
        default_rules_text().replace(
            'types = ["traffic.*", "public_safety.*"]\nlead = "police"',
            'types = ["traffic.*", "public_safety.*"]\nlead = "urban"',
        )
    )
    trial = cli(isolated, "--rules", str(changed))
    differing = {d["case_id"] for d in trial["differences"]}  # type: ignore[attr-defined, index]
    assert differing == {police_case}
    assert health_case not in differing

    cli(isolated, "--sandbox", "sbx.")
    sandboxed = BusSettings(topic_prefix="sbx." + isolated.topic_prefix)
    copied = [
        decode(r, case_events_pb2.CaseEvent).message
        for r in asyncio.run(read_all(sandboxed, sandboxed.topic("case.events.v1")))
    ]
    assert {e.case_id for e in copied} >= {police_case, health_case}  # type: ignore[attr-defined]
    after = asyncio.run(read_all(isolated, isolated.topic("case.events.v1")))
    assert len(after) == len(before)  # production untouched
