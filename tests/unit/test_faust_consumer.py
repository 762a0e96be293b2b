"""The bus's faust consumer never commits past a record it has not processed, and its flow control
empties the stream queues only when it resumes from suspended (kernel/faust_consumer.py)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from intervaltree import IntervalTree
from mode.utils.queues import FlowControlQueue

from incidentbus.kernel.faust_consumer import KeepingFlowControl, RewindingConsumer

PART = TP("correlator.input.v1", 5)


def consumer(committed: int | None, acked: list[int], *, first: int | None = None) -> RewindingConsumer:
    """The consumer's commit bookkeeping only (no broker): what `_new_offset` reads."""
    made = RewindingConsumer.__new__(RewindingConsumer)
    made._acked = defaultdict(list, {PART: sorted(acked)})
    made._acked_index = defaultdict(set, {PART: set(acked)})
    made._gap = defaultdict(IntervalTree)
    made._committed_offset = defaultdict(lambda: None, {PART: committed})
    made._first_offset = {} if first is None else {PART: first}
    return made


def test_a_lost_record_at_the_committed_offset_holds_the_commit_back() -> None:
    # 12 was dropped, 13 and 14 processed: stock faust commits 15, past the lost record.
    assert faust_aiokafka.Consumer._new_offset(consumer(12, [13, 14]), PART) == 15
    assert consumer(12, [13, 14])._new_offset(PART) is None


def test_processed_records_from_the_committed_offset_are_committed() -> None:
    assert consumer(12, [12, 13, 14])._new_offset(PART) == 15
    assert consumer(12, [12, 13, 15])._new_offset(PART) == 14  # up to the first gap


def test_with_nothing_committed_the_commit_waits_for_the_first_record() -> None:
    assert consumer(None, [1, 2], first=0)._new_offset(PART) is None
    assert consumer(None, [0, 1, 2], first=0)._new_offset(PART) == 3
    assert consumer(None, [7, 8], first=7)._new_offset(PART) == 9  # retention removed 0..6


def test_a_known_gap_at_the_head_does_not_hold_the_commit_back() -> None:
    made = consumer(12, [14])
    made._gap[PART].addi(12, 14)  # offsets 12 and 13 do not exist (faust's gap tracking)
    assert made._new_offset(PART) == 15


def test_changelog_partitions_go_back_to_where_recovery_stands() -> None:
    changelog = "incidentbus-correlator-correlator-areas-changelog"
    a0, a1, s2, gone = (TP(changelog, n) for n in (0, 1, 2, 3))
    recovery = SimpleNamespace(
        in_recovery=True,
        active_tps={a0, a1},
        active_offsets={a0: -1, a1: 17},  # -1: nothing received yet
        standby_tps={s2, gone},
        standby_offsets={s2: 4, gone: 9},
    )
    made = consumer(None, [])
    made.app = SimpleNamespace(tables=SimpleNamespace(recovery=recovery))  # type: ignore[assignment]
    assigned = {a0: None, a1: None, s2: None}  # `gone` is no longer assigned
    assert made._recovery_positions(assigned) == {a0: 0, a1: 18, s2: 5}
    recovery.in_recovery = False  # recovered actives are the worker's own: left alone
    assert made._recovery_positions(assigned) == {s2: 5}


def test_flow_control_empties_the_queues_only_when_resumed_from_suspended() -> None:
    async def run() -> list[int]:
        flow = KeepingFlowControl()
        queue: FlowControlQueue[str] = FlowControlQueue(flow_control=flow, clear_on_resume=True)
        sizes = []
        queue.put_nowait("stale")  # fetched while suspended
        flow.resume()
        sizes.append(queue.qsize())  # emptied
        queue.put_nowait("current")  # fetched while running, waiting behind a busy agent
        flow.resume()  # what recovery does last, the flow already running
        sizes.append(queue.qsize())  # kept
        flow.suspend()
        flow.resume()
        sizes.append(queue.qsize())  # emptied again
        return sizes

    assert asyncio.run(run()) == [0, 1, 0]


def test_services_fail_over_in_15_s_by_default_with_a_standby_per_table() -> None:
    from incidentbus.kernel.faust_shell import make_app
    from incidentbus.kernel.settings import BusSettings

    conf = make_app(BusSettings(), "defaults", web_port=6199).conf
    assert (conf.broker_session_timeout, conf.broker_heartbeat_interval) == (15.0, 3.0)
    assert conf.table_standby_replicas == 1
    assert conf.consumer_metadata_max_age_ms == 10_000
    slow = make_app(BusSettings(group_session_seconds=60), "slow", web_port=6199).conf
    assert (slow.broker_session_timeout, slow.broker_heartbeat_interval) == (60.0, 3.0)
