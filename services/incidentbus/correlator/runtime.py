"""The correlator's hot loop on aiokafka directly. faust delivered each record through two tasks
of its own and wrote a table key at a time; here the correlator alone reached 0.47-0.55 of the
offline core in CPU time against faust's 0.24-0.35 (README, The correlator).

One loop owns the per-batch protocol (quix-streams' checkpoint order, see kernel/partition_state.py):
  1. `getmany` a batch; every record of an owned, restored partition goes through the engine edge
     (`engine.records_for`: gate, bus clock, the steps of its districts' working states);
  2. the batch's outputs and its state records (one per changed key, to the state changelog's
     partition of the input, each with the input offset it reflects and the writer's group
     generation) go to the producer together;
  3. once every one is acknowledged, the input offsets are committed (explicitly);
  4. then the batch is written to each partition's RocksDB with the changelog offset it reached.
Steps 3 and 4 of a batch run while the next batch is stepped and sent (one batch in flight,
finished in order). A failure before 4 restores every owned partition again, as if newly
assigned, and reads on from its committed offset: the records are read again and, the core
being deterministic, give the same outputs and records (byte-identical repeats).

A partition assigned is paused until its state is restored: its RocksDB from a previous run,
then the changelog's tail past it (only records of committed inputs); on the group's first start,
a faust table of an older release is taken over first (correlator/upgrade.py). A partition revoked waits
for the batch in hand (the loop holds `lock` while it works), then its state is closed.

The clock: every `tick_seconds` of wall time, a tick record goes to each owned input partition
(`engine.tick_record`); the core reads time only from its input.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from incidentbus.correlator.checkpointing import Checkpointer
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.engine import INPUT, records_for, tick_record
from incidentbus.correlator.partitions import Partition, PartitionStore
from incidentbus.correlator.upgrade import legacy_offsets, take_over
from incidentbus.kernel.batches import BatchStats, Produce, SentBatch, send_batches
from incidentbus.kernel.changelog import read_tail, state_headers
from incidentbus.kernel.checkpoint_keys import checkpoint_signer
from incidentbus.kernel.logging import get_logger
from incidentbus.kernel.partition_state import PartitionState
from incidentbus.kernel.records import OutgoingRecord, RawRecord, normalize_headers
from incidentbus.kernel.settings import BusSettings
from incidentbus.security.acl import CORRELATOR_CORE_GROUP

log = get_logger("incidentbus.correlator.runtime")
CHANGELOG = "correlator.state.v1"
RETRY_SECONDS = 1.0  # after a failed round (broker away, send refused): read again after this
RESTORE_RETRY_MAX_SECONDS = 30.0  # a failed restore is tried again, backing off up to this
FINISH_SECONDS = 60.0  # the longest wait for a batch's acknowledgements and commit before giving up on it


class StartupError(Exception):
    """The loop cannot start as configured (its topics missing or mismatched); the message says why."""


@dataclass
class Sent:
    """A batch handed to the producer: per partition its state records and last input offset,
    and the record batches they went in."""

    generation: int
    writes: dict[int, tuple[dict[bytes, bytes | None], int]] = field(default_factory=dict)
    sent: list[SentBatch] = field(default_factory=list)
    inputs: int = 0
    outputs: int = 0


def _failed(task: asyncio.Task[None]) -> bool:
    """A finished task that did not succeed (cancelled counts), without raising its exception."""
    return task.done() and (task.cancelled() or task.exception() is not None)


def _untrusted(state: PartitionState, committed: int, changelog_end: int) -> bool:
    """A local database that cannot be a prefix of the committed state: ahead of the group's
    committed offset (offsets expired or reset) or of the changelog's end (a new changelog)."""
    processed, read = state.processed_offset, state.changelog_offset
    return (processed is not None and processed >= committed) or (read is not None and read >= changelog_end)


class Runtime(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka ships no stubs for it
    """The correlate loop: reads `correlator.input.v1` in its consumer group, writes the outputs,
    keeps state per partition under `datadir` (None: a temporary directory removed at stop, so
    every start restores from the changelog), and signs each partition's checkpoints
    (correlator/checkpointing.py; CheckpointKeyError at construction when the keys cannot be
    used). `start()`, then `stop()`.

    `tick_seconds`: wall-clock seconds between ticks (None: no ticks, as the benchmark's
    correlator-alone part runs it)."""

    def __init__(
        self,
        settings: BusSettings,
        rules: Rules,
        datadir: Path | None,
        *,
        tick_seconds: float | None = 5.0,
        stats: BatchStats | None = None,
    ) -> None:
        self.settings, self.rules, self.datadir = settings, rules, datadir
        self.signer = checkpoint_signer(settings)  # CheckpointKeyError before anything starts
        self.tick_seconds, self.stats = tick_seconds, stats or BatchStats()
        self.input = settings.topic(INPUT)
        self.changelog = settings.topic(CHANGELOG)
        self.group = settings.topic(CORRELATOR_CORE_GROUP)
        self.owned: dict[int, Partition] = {}
        self.lock = asyncio.Lock()
        self.stopping = asyncio.Event()
        self.restoring: dict[int, asyncio.Task[None]] = {}
        self.finishing: asyncio.Task[None] | None = None  # the batch awaiting its acknowledgements
        self.reading = asyncio.Lock()  # one changelog partition at a time on `reader`
        self.tasks: list[asyncio.Task[None]] = []
        self.scratch: Path | None = None
        self.legacy: dict[int, int] | None = None  # faust's committed input offsets (upgrade.py)

    def _clients(self) -> None:
        """The consumer (in the group), the changelog reader (outside any group) and the producer;
        made when the loop starts (aiokafka's clients belong to the running event loop)."""
        settings = self.settings
        options = settings.kafka_client_options()
        self.consumer = AIOKafkaConsumer(
            **options,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=int(settings.group_session_seconds * 1000),
            heartbeat_interval_ms=int(min(3.0, settings.group_session_seconds / 5) * 1000),
            max_partition_fetch_bytes=settings.max_message_bytes * 4,
        )
        self.reader = AIOKafkaConsumer(  # short fetch waits: a seek or end_offsets waits for one
            **options,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=20,
        )
        self.producer = AIOKafkaProducer(
            **options,
            acks="all",
            enable_idempotence=True,
            max_request_size=settings.max_message_bytes * 4,
            max_batch_size=settings.max_message_bytes,  # a partition's records in few record batches
        )

    # -- lifecycle -------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect, check the topics, join the group; the loop (and the ticker) run in tasks.
        StartupError when the input or state topic is missing or their partitions differ."""
        if self.datadir is None:
            self.scratch = self.datadir = Path(tempfile.mkdtemp(prefix="incidentbus-correlator-"))
        self._clients()
        await self.producer.start()
        await self.reader.start()
        await self.consumer.start()
        try:
            await self._check_topics()
        except StartupError:
            await self._close_clients()
            raise
        self.consumer.subscribe([self.input], listener=self)
        self.tasks.append(asyncio.create_task(self._run(), name="correlate"))
        if self.tick_seconds:
            self.tasks.append(asyncio.create_task(self._ticks(self.tick_seconds), name="tick"))
        log.info(
            "correlator loop started", input=self.input, changelog=self.changelog, datadir=str(self.datadir)
        )

    async def _check_topics(self) -> None:
        found: dict[str, int] = {}
        for topic in (self.input, self.changelog):
            try:
                found[topic] = len(await asyncio.wait_for(self.producer.partitions_for(topic), 60))
            except Exception as exc:
                raise StartupError(
                    f"topic {topic} is not there ({type(exc).__name__}): run `incidentbus topics apply`"
                ) from exc
        if found[self.input] != found[self.changelog]:
            raise StartupError(
                f"{self.changelog} has {found[self.changelog]} partitions and {self.input} "
                f"{found[self.input]}: the state changelog needs one partition per input partition"
            )

    async def stop(self) -> None:
        """Finish the batch in hand (stored and committed, or read again by the next owner),
        leave the group, close the state. Each wait is bounded: giving up is safe, since what
        was not committed is read again."""
        self.stopping.set()
        for task in self.tasks:
            if task.get_name() == "tick":
                task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, FINISH_SECONDS + 5)
        await self._settle_finishing()
        restoring = list(self.restoring.values())
        for task in restoring:
            task.cancel()
        await asyncio.gather(*restoring, return_exceptions=True)
        await self._close_clients()
        for partition in self.owned.values():
            partition.state.close()
        self.owned.clear()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    async def _close_clients(self) -> None:
        for name in ("consumer", "reader", "producer"):
            client = getattr(self, name, None)  # none before `start`
            if client is not None:
                with contextlib.suppress(Exception):
                    await client.stop()

    # -- rebalances ------------------------------------------------------------------------------
    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        async with self.lock:  # the batch in hand finishes first
            await self._settle_finishing()  # a failure: the next owner reads it again
            for tp in revoked:
                task = self.restoring.pop(tp.partition, None)
                if task is not None:
                    task.cancel()
                partition = self.owned.pop(tp.partition, None)
                if partition is not None:
                    partition.state.close()
        if revoked:
            log.info("partitions revoked", partitions=sorted(tp.partition for tp in revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Pause the new partitions and restore each in a task of its own (this callback holds up
        the group's heartbeats while it runs)."""
        self._begin_restores({tp for tp in assigned if tp.partition not in self.owned})

    def _begin_restores(self, tps: set[TopicPartition]) -> None:
        held = tps & self.consumer.assignment()
        if held:
            self.consumer.pause(*held)
        for tp in held:
            if tp.partition not in self.restoring:
                self.restoring[tp.partition] = asyncio.create_task(self._restore(tp))

    async def _restore(self, tp: TopicPartition) -> None:
        """Restore a partition, trying again with a growing pause until it is restored or
        revoked; then seek it to its committed offset and resume it."""
        delay = RETRY_SECONDS
        while True:
            try:
                partition, committed, applied, seconds = await self._recover(tp)
                break
            except Exception:
                log.exception("restore failed; trying again", partition=tp.partition, seconds=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RESTORE_RETRY_MAX_SECONDS)
        try:
            async with self.lock:
                self.restoring.pop(tp.partition, None)
                if tp not in self.consumer.assignment():
                    partition.state.close()
                    return
                self.owned[tp.partition] = partition
                self.consumer.seek(tp, committed)
                self.consumer.resume(tp)
        except BaseException:
            if self.owned.get(tp.partition) is not partition:
                partition.state.close()
            raise
        log.info(
            "partition restored",
            partition=tp.partition,
            applied=applied,
            areas=len(partition.areas),
            seconds=seconds,
        )

    async def _recover(self, tp: TopicPartition) -> tuple[Partition, int, int, float]:
        """The partition's state as of its committed offset: its RocksDB here (unless it cannot
        be trusted), then the changelog's tail past it; on the group's first start a faust table
        is taken over first. (partition, committed offset, records applied, seconds)."""
        assert self.datadir is not None
        started = time.monotonic()
        path = self.datadir / f"{tp.partition}"
        changelog = TopicPartition(self.changelog, tp.partition)
        state = PartitionState(path)
        try:
            async with self.reading:
                committed = await self.consumer.committed(tp)
                if committed is None:  # the group's first start, or a faust table to take over
                    if self.legacy is None:
                        self.legacy = await legacy_offsets(self.settings, self.input)
                    committed = self.legacy.get(tp.partition)
                    if committed is not None:
                        await take_over(
                            self.settings,
                            tp,
                            committed,
                            consumer=self.consumer,
                            reader=self.reader,
                            producer=self.producer,
                            changelog=self.changelog,
                            generation=self._generation(),
                        )
                committed = committed or 0
                end = (await self.reader.end_offsets([changelog]))[changelog]
                if _untrusted(state, committed, end):
                    log.warning("local state discarded", partition=tp.partition, path=str(path))
                    state.destroy()
                    state = PartitionState(path)
                applied = 0
                try:
                    async for batch in read_tail(self.reader, changelog, state.changelog_offset):
                        applied += state.restore(batch, committed)
                finally:
                    self.reader.unsubscribe()  # nothing fetched between restores
            checkpoints = Checkpointer(tp.partition, self.signer, self.rules.audit.checkpoint_interval_ms)
            partition = Partition(tp.partition, state, checkpoints)
            partition.load()
        except BaseException:
            state.close()
            raise
        return partition, committed, applied, round(time.monotonic() - started, 3)

    def _generation(self) -> int:
        """The consumer-group generation of this worker's assignment (aiokafka keeps it on its
        group coordinator and offers no public accessor; -1 before the first join)."""
        coordinator = getattr(self.consumer, "_coordinator", None)
        return int(getattr(coordinator, "generation", -1))

    # -- the loop --------------------------------------------------------------------------------
    async def _run(self) -> None:
        """Rounds until `stop()`. A failed round (broker away, a send refused) is logged and the
        partitions are restored again from what is committed (`_rewind`) before the next one."""
        dirty = False
        while not self.stopping.is_set():
            try:
                if dirty:
                    async with self.lock:
                        await self._rewind()
                    dirty = False
                await self._round()
            except Exception:
                log.exception("batch failed; reading again from the committed offsets")
                dirty = True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), RETRY_SECONDS)
        await self._settle_finishing()

    async def _settle_finishing(self) -> None:
        """Wait (at most FINISH_SECONDS) for the batch in flight: stored and committed, or, if it
        fails or takes too long, read again from the committed offsets by whoever restores next."""
        finishing, self.finishing = self.finishing, None
        if finishing is None:
            return
        await asyncio.wait([finishing], timeout=FINISH_SECONDS)  # raises nothing of the task's
        if not finishing.done():
            finishing.cancel()
            finishing.add_done_callback(_failed)  # its outcome retrieved, not needed
        if not finishing.done() or _failed(finishing):
            log.warning("the batch in flight did not finish; it will be read again")

    async def _round(self) -> None:
        waited = time.perf_counter()
        fetched = await self.consumer.getmany(
            timeout_ms=100, max_records=self.settings.correlator_batch_records
        )
        self.stats.input_wait_s += time.perf_counter() - waited
        if not fetched:
            return
        async with self.lock:
            previous = self.finishing
            if previous is not None and _failed(previous):
                raise RuntimeError("the batch before did not finish")
            sent = await self._send(fetched)
            self.finishing = asyncio.create_task(self._finish(sent, previous))
        if previous is not None:
            held = time.perf_counter()
            await asyncio.wait([previous])
            self.stats.ack_wait_s += time.perf_counter() - held
            if _failed(previous):  # the round fails, and the loop restores and reads again
                raise RuntimeError("the batch before did not finish")

    async def _send(self, fetched: dict[TopicPartition, list[Any]]) -> Sent:
        """Step the batch's records and hand its outputs and state records to the producer."""
        began = time.perf_counter()
        batch = Sent(self._generation())
        outputs: list[OutgoingRecord] = []
        touched: list[Partition] = []
        for tp, messages in fetched.items():
            partition = self.owned.get(tp.partition)
            if partition is None:  # revoked or not restored: read again by its owner
                continue
            touched.append(partition)
            store = PartitionStore(partition)
            for m in messages:
                headers = normalize_headers(m.headers)
                record = RawRecord(m.topic, m.partition, m.offset, m.timestamp, m.key, m.value, headers)
                outputs += records_for(store, self.rules, self.settings, record)
                partition.last = m.offset
                batch.inputs += 1
        for p in touched:
            batch.writes[p.number] = (p.writes(), p.last)
            p.settle()
        handled = time.perf_counter()
        produce = [Produce(o.topic, o.key, o.value, o.headers) for o in outputs]
        produce += [
            Produce(self.changelog, key, value, state_headers(last, batch.generation), partition=number)
            for number, (writes, last) in batch.writes.items()
            for key, value in writes.items()
        ]
        batch.outputs = len(outputs)
        batch.sent = await send_batches(self.producer, produce)
        self.stats.batches += 1
        self.stats.records += batch.inputs
        self.stats.largest = max(self.stats.largest, batch.inputs)
        self.stats.handle_s += handled - began
        self.stats.send_s += time.perf_counter() - handled
        return batch

    async def _finish(self, batch: Sent, previous: asyncio.Task[None] | None) -> None:
        """Once the batch before is finished and every record of this one acknowledged: commit
        its offsets, then write its state."""
        if previous is not None:
            await asyncio.wait([previous])
            if _failed(previous):  # its failure is this batch's too
                raise RuntimeError("the batch before did not finish")
        began = time.perf_counter()
        await asyncio.gather(*(sent.ack for sent in batch.sent))
        acked = time.perf_counter()
        committed = {
            TopicPartition(self.input, number): OffsetAndMetadata(last + 1, "")
            for number, (_, last) in batch.writes.items()
        }
        if committed:
            await self.consumer.commit(committed)
        reached: dict[int, int] = {}
        for sent in batch.sent:
            if sent.topic == self.changelog:
                reached[sent.partition] = max(reached.get(sent.partition, -1), await sent.last_offset())
        for number, (writes, last) in batch.writes.items():
            partition = self.owned.get(number)
            if partition is not None and number in reached:
                partition.state.commit(
                    writes, changelog_offset=reached[number], processed=last, generation=batch.generation
                )
        self.stats.publish_s += acked - began
        self.stats.store_s += time.perf_counter() - acked
        if batch.inputs and self.settings.logs_debug:
            log.debug(
                "batch stored", inputs=batch.inputs, outputs=batch.outputs, partitions=len(batch.writes)
            )

    async def _rewind(self) -> None:
        """After a failure: let the batch in flight finish (or give up on it), then restore every
        owned partition again, as if newly assigned (RocksDB holds only committed batches, the
        changelog's tail what was committed since), and read on from the committed offsets."""
        await self._settle_finishing()
        tps = {TopicPartition(self.input, number) for number in self.owned}
        for partition in self.owned.values():
            partition.state.close()
        self.owned.clear()
        self._begin_restores(tps)

    # -- the clock -------------------------------------------------------------------------------
    async def _ticks(self, every: float) -> None:
        """A tick into every owned input partition each `every` seconds (the only wall-clock read
        that reaches the core, as a record on its input)."""
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), every)
                return
            try:
                await self.tick()
            except Exception:
                log.exception("tick not sent; the next one carries the time")

    async def tick(self) -> None:
        """Write a clock tick now into each input partition this worker owns."""
        now = int(time.time() * 1000)
        owned = sorted(tp.partition for tp in self.consumer.assignment() if tp.topic == self.input)
        sends = [
            await self.producer.send(
                record.topic, record.value, key=record.key, partition=p, headers=list(record.headers)
            )
            for p in owned
            for record in [tick_record(self.settings, p, now)]
        ]
        await asyncio.gather(*sends)
