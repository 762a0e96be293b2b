"""Two corrections to faust-streaming's Kafka consumer, both about records lost at a hand-over.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP


class ReadOffsets(dict[TP, int | None]):
    """faust's read offsets, kept but never used to skip a record (see the module docstring)."""

    def __getitem__(self, tp: TP) -> None:
        return None


class RewindingConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer: rewinds never-committed partitions, never skips a record read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = ReadOffsets()

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await super().seek_to_committed()
        never = [tp for tp, offset in committed.items() if not offset and not self._is_changelog_tp(tp)]
        if never:  # changelog partitions are positioned by table recovery itself
            await self.seek_wait(await self.earliest_offsets(*never))
        return committed


class RewindingTransport(faust_aiokafka.Transport):
    Consumer = RewindingConsumer


class BusApp(faust.App):
    """A faust app whose consumer rewinds never-committed partitions (see module docstring), and whose
    data directory may be nested (faust makes only its last component)."""

    async def on_first_start(self) -> None:
        self.conf.datadir.mkdir(parents=True, exist_ok=True)
        await super().on_first_start()

    def _new_transport(self) -> Any:
        return RewindingTransport(self.conf.broker_consumer, self)
