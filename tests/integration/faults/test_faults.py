"""Faults on the real broker, under load: kill -9 the correlator, rebalance two workers, restart the
broker. After each, every report is in exactly one case, no case event is missing or exists in two
versions, every chain verifies, and the cases equal those of an undisturbed run."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from incidentbus.kernel.catalog import load_catalog
from incidentbus.kernel.settings import BusSettings
from tests.integration.faults.bus import AGENCIES, REPO, Broker, Run, outcome, workload

REPORTS = workload()
REFS = {
    str(n.get("incident_no") or n.get("call_id") or n.get("work_order_id") or n.get("report_id"))
    for _, n in REPORTS
}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    home = tmp_path_factory.mktemp("kafka-faults")
    # The jars the session's broker runs from (infra/kafka: $INCIDENTBUS_KAFKA_HOME/libs, else
    # infra/.kafka/libs): a worktree or a second node keeps them only under its own home.
    kafka_home = os.environ.get("INCIDENTBUS_KAFKA_HOME") or REPO / "infra" / ".kafka"
    (home / "libs").symlink_to(Path(kafka_home) / "libs")
    node = Broker(home)
    node.run("start")
    yield node
    node.run("stop")


def play(broker: Broker, logs: Path, disturb: Callable[[Run], None]) -> frozenset[frozenset[str]]:
    """Send half the workload; disturb once part of it is correlated; send the rest into the
    disturbance; then check the invariants."""
    run = Run(broker, logs)
    try:
        for agency in AGENCIES:
            run.start(agency)
        run.start("correlator")
        half = len(REPORTS) // 2
        run.send(REPORTS[:half])
        run.wait_linked(len(REFS) // 4)
        disturb(run)
        run.send(REPORTS[half:])
        run.wait_linked(len(REFS))
        run.settle()  # every input processed and committed: the last outputs and repeats are out
        cases, problems = outcome(run.events())
    finally:
        run.stop()
    refs = [ref for case in cases for ref in case]
    assert sorted(refs) == sorted(REFS), "every report is in exactly one live case"
    assert problems == [], problems
    return cases


@pytest.fixture(scope="module")
def undisturbed(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> frozenset[frozenset[str]]:
    cases = play(broker, tmp_path_factory.mktemp("logs"), lambda run: None)
    assert len(cases) == 60  # 60 incidents, every third reported twice and joined
    return cases


def kill_and_restart(run: Run) -> None:
    """SIGKILL mid-stream; a supervisor restarts the worker after a short back-off. The group hands the
    dead member's partitions over when its session expires (`group_session_seconds`, 15 s)."""
    [correlator] = [s for s in run.services if s.name == "correlator"]
    correlator.kill9()
    time.sleep(12)
    run.start("correlator")


FAILOVERS: list[float] = []  # seconds from kill -9 to the survivor owning every input partition


def kill_one_of_two_workers(run: Run) -> None:
    """Two correlator workers share the input partitions; SIGKILL one. Its partitions move to the
    survivor when its session expires (the group's session timeout, then the survivor's rejoin),
    and the survivor recovers their table partitions from the changelog."""
    run.start("correlator")
    run.wait_owners(lambda owners: len(owners) == 2 and all(owners.values()))  # both own some
    victim = run.services[-1]
    killed = time.monotonic()
    victim.kill9()
    partitions = load_catalog(run.settings.catalog_path).get("correlator.input.v1").partitions
    run.wait_owners(lambda owners: list(owners.values()) == [set(range(partitions))])
    FAILOVERS.append(time.monotonic() - killed)


def add_a_second_worker(run: Run) -> None:
    run.start("correlator")  # joins the group: partitions move mid-stream


def restart_the_broker(run: Run) -> None:
    run.broker.run("stop")
    run.broker.run("start")


@pytest.mark.parametrize(
    "disturb",
    [kill_and_restart, add_a_second_worker, restart_the_broker],
    ids=["kill-9-correlator", "rebalance-two-workers", "broker-restart"],
)
def test_cases_survive(
    broker: Broker, undisturbed: frozenset[frozenset[str]], disturb: Callable[[Run], None], tmp_path: Path
) -> None:
    assert play(broker, tmp_path, disturb) == undisturbed


def test_a_killed_workers_partitions_move_to_the_survivor_within_the_session(
    broker: Broker, undisturbed: frozenset[frozenset[str]], tmp_path: Path
) -> None:
    """The dead member is noticed when its session expires, at most `group_session_seconds` after
    its last heartbeat, and the survivor joins the new generation at its next heartbeat (every
    3 s); 10 s more are allowed for a loaded machine. The services take the settings' defaults."""
    assert play(broker, tmp_path, kill_one_of_two_workers) == undisturbed
    session = BusSettings().group_session_seconds
    [failover] = FAILOVERS
    print(f"failover after kill -9: {failover:.1f} s (session {session:.0f} s)")
    assert failover < session + 10
