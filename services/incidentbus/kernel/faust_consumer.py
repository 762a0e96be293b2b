"""Corrections to faust-streaming's Kafka consumer, all about records lost at a hand-over.

Faust drops records it has already drawn from aiokafka whenever its flow stops (a rebalance, a
recovery) and relies on "seek back to committed offsets" to read them again. aiokafka's
`seek_to_committed` moves only partitions whose committed offset is above zero; a partition
nothing was ever committed for (a new consumer group, or a worker killed before its first
commit) keeps its advanced position, so the dropped records are never read, and faust's gap
tracking then commits past them. Seen here: a correlator restarted after `kill -9` lost a third
of the reports routed to it (tests/integration/faults). This consumer seeks such partitions to
their earliest offset, which is what `auto.offset.reset=earliest` promises; the outputs are
idempotent, so reading again is safe.

Second, faust skips any record below a per-partition "read offset" it keeps to drop repeats after
a seek back. A seek racing with the delivery of an earlier batch (faust resumes the partitions
before it seeks them) leaves that offset too high, and the records read again from the seek
point were skipped although some had never been delivered (seen in the same test after the
first correction). Repeats are harmless here and losses are not, so nothing is skipped.

Third, when recovery completes faust resumes the stream partitions, seeks them to their committed
offsets, and only then resumes its flow control, which empties every agent's queue. Records
fetched after the seek and still queued behind a busy agent were thrown away, and nothing reads
them again: their position is past them. Seen when a correlator worker was killed beside a second
one (tests/integration/faults): the survivor took its partitions over and lost 1 to 6 of 80
reports in 5 runs of 6, at 60 s and 15 s sessions alike. Flow control here empties the queues
only when it resumes from suspended (when what was fetched meanwhile is stale); by the end of
recovery it is already running, and nothing is emptied.

Fourth, records fetched while the flow is stopped are dropped, and faust then seeks back to the
committed offsets; a table's changelog partitions have none, and keep the position past what was
dropped. Table recovery, which had just sought them to where it starts reading, then waits for
records that never come: seen, once the third correction was in, as a survivor that never
finished recovering the partitions it took over (2 runs of 8; half the reports unprocessed).
Here the changelog partitions being recovered, and the standby ones, are sought back to the
record after the last one recovery received.

Fifth, faust commits past a lost record at the head of a partition: it refuses to commit only
when the first processed offset is more than one past the committed one, so the record exactly
at the committed offset could be skipped (its follower processed, the commit moved past both).
Here nothing is committed past an offset that was not processed; a record dropped anywhere is
read again at the next hand-over instead of being lost for good.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from mode.utils.queues import FlowControlEvent


class ReadOffsets(dict[TP, int | None]):
    """faust's read offsets, kept but never used to skip a record (see the module docstring)."""

    def __getitem__(self, tp: TP) -> None:
        return None


class KeepingFlowControl(FlowControlEvent):
    """faust's flow control, emptying the stream queues only when resumed from suspended."""

    def resume(self) -> None:
        if self.is_active():
            return  # already running: what the queues hold is current, keep it
        super().resume()


class RewindingConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer: rewinds never-committed partitions, never skips a record read,
    never commits past a record not processed (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = ReadOffsets()
        self._first_offset: dict[TP, int] = {}  # where reading starts when nothing is committed

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: dict[TP, int] = dict(await super().seek_to_committed())  # None: never committed
        recovering = self._recovery_positions(committed)
        if recovering:
            await self.seek_wait(recovering)
        streams = [tp for tp in committed if not self._is_changelog_tp(tp)]
        if not streams:
            return committed
        earliest = await self.earliest_offsets(*streams)
        # Never committed, or committed before what retention kept: read from the earliest record
        # (what auto.offset.reset=earliest promises), and count that as the committed offset, so
        # the head check of `_new_offset` waits for the earliest record, not for one that is gone.
        moved: dict[TP, int] = {}
        for tp in streams:
            offset = committed[tp]
            if not offset or offset < earliest[tp]:
                moved[tp] = earliest[tp]
        if moved:
            await self.seek_wait(moved)
            committed.update(moved)
        self._first_offset = {tp: earliest[tp] for tp in streams}
        return committed

    def _recovery_positions(self, assigned: Mapping[TP, object]) -> dict[TP, int]:
        """Where table recovery stands on the changelog partitions it reads: the offset after the
        last record it received (0 before any), for active partitions while it recovers them and
        for standby partitions always. Records dropped on their way to it are read again from there."""
        recovery: Any = self.app.tables.recovery  # type: ignore[attr-defined]  # faust types omit it
        reading = [(recovery.standby_tps, recovery.standby_offsets)]
        if recovery.in_recovery:
            reading.append((recovery.active_tps, recovery.active_offsets))
        positions: dict[TP, int] = {}
        for tps, offsets in reading:
            for tp in tps:
                last = offsets.get(tp)
                if tp in assigned and last is not None:
                    positions[tp] = max(last + 1, 0)
        return positions

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked[tp]
        committed = self._committed_offset[tp]  # None when nothing (or 0) is committed
        if committed is None:
            committed = self._first_offset.get(tp)
        if acked and committed is not None:
            head = min([*acked, *(gap.begin for gap in self._gap[tp])])
            if head > committed:
                return None  # the record at the committed offset is not processed yet
        new: int | None = super()._new_offset(tp)
        return new


class RewindingTransport(faust_aiokafka.Transport):
    Consumer = RewindingConsumer


class BusApp(faust.App):
    """A faust app whose consumer and flow control keep records across hand-overs (see the
    module docstring), and whose data directory may be nested (faust makes only its last
    component)."""

    async def on_first_start(self) -> None:
        self.conf.datadir.mkdir(parents=True, exist_ok=True)
        await super().on_first_start()

    async def on_started(self) -> None:
        """Once the app is up, what it holds from its start (modules, faust's machinery, the
        process's other data) moves out of the garbage collector's way (`gc.freeze`): a full
        collection then walks only what was made since. Full collections over a large heap
        held up every service of the process for 100-200 ms (the benchmark's pipeline, whose
        p99 latency they set)."""
        await super().on_started()
        gc.collect()
        gc.freeze()

    def _new_transport(self) -> Any:
        return RewindingTransport(self.conf.broker_consumer, self)

    @cached_property
    def flow_control(self) -> FlowControlEvent:
        return KeepingFlowControl(loop=self.loop)
