"""Taking over from a correlator that kept its state in a faust table (releases before the correlate
loop ran on aiokafka): its table's changelog becomes the first records of `correlator.state.v1`.

When the correlate loop's group has no committed offset for an input partition, it asks whether
faust's group (the app id) committed one. If so, that partition's state is the faust table's
changelog partition (latest value per key; keys "<area>|<store>/<key>", older whole-area values
under "<area>", the partition's districts under "__areas__/<n>"): its records, converted, are
written to the state changelog as reflecting the input before that offset, and the offset is
committed for the new group. The restore that follows applies them like any committed batch.

Idempotent: a take-over cut short writes the same records again the next time (the new group
still has no offset). Stop the old correlator workers first: a faust worker still running would
keep reading the input under its own group.

The conversion (`converted`) is pure; `take_over` does the I/O.
"""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from incidentbus.correlator.domain.statecodec import all_records, legacy_loads
from incidentbus.correlator.partitions import AREAS_KEY
from incidentbus.kernel.admin import admin_client
from incidentbus.kernel.changelog import read_to_end, state_headers
from incidentbus.kernel.logging import get_logger
from incidentbus.kernel.settings import BusSettings

log = get_logger("incidentbus.correlator.upgrade")
LEGACY_GROUP = "incidentbus-correlator"  # faust's app id: the group its correlate agent read in
LEGACY_CHANGELOG = "incidentbus-correlator-correlator-areas-changelog"
LEGACY_AREAS = "__areas__/"


def _text(raw: bytes) -> str:
    """A faust-serialized str: JSON (its default value serializer) or raw UTF-8 (keys)."""
    decoded = raw.decode()
    if decoded.startswith('"'):
        loaded = json.loads(decoded)
        if isinstance(loaded, str):
            return loaded
    return decoded


def converted(latest: dict[bytes, bytes | None]) -> dict[bytes, bytes]:
    """The faust table's latest records (key -> value, None: deleted) as state records of the
    correlate loop. ValueError for a value that is not one the faust correlator wrote."""
    out: dict[bytes, bytes] = {}
    for raw_key, raw_value in sorted(latest.items()):
        if raw_value is None:
            continue
        key, value = _text(raw_key), _text(raw_value)
        if key.startswith(LEGACY_AREAS):
            out[AREAS_KEY] = value.encode()
        elif "|" in key:
            out[key.encode()] = value.encode()
        elif value:  # a whole area, as releases before per-case records kept it
            for name, record in all_records(legacy_loads(value.encode())):
                if record is not None:
                    out[f"{key}|{name}".encode()] = record
    return out


async def legacy_offsets(settings: BusSettings, topic: str) -> dict[int, int]:
    """The offsets faust's group committed for the input's partitions (partition -> offset;
    none for a deployment that never ran a faust correlator). One request for all partitions."""
    async with admin_client(settings) as admin:
        found = await admin.list_consumer_group_offsets(settings.topic(LEGACY_GROUP))
    return {tp.partition: int(m.offset) for tp, m in found.items() if tp.topic == topic and m.offset >= 0}


async def _latest(reader: AIOKafkaConsumer, tp: TopicPartition) -> dict[bytes, bytes | None]:
    """Every key's latest value on a changelog partition (read to its end as of now)."""
    latest: dict[bytes, bytes | None] = {}
    async for batch in read_to_end(reader, tp, None):
        for m in batch:
            if m.key is not None:
                latest[bytes(m.key)] = None if m.value is None else bytes(m.value)
    return latest


async def take_over(
    settings: BusSettings,
    tp: TopicPartition,
    committed: int,
    *,
    consumer: AIOKafkaConsumer,
    reader: AIOKafkaConsumer,
    producer: AIOKafkaProducer,
    changelog: str,
    generation: int,
) -> None:
    """Carry a faust table's partition over (see the module's docstring): `committed` is the
    offset faust's group committed for input partition `tp` (`legacy_offsets`), which `consumer`
    holds in group `generation`; it is committed for the new group once the records are written.
    `reader` reads outside any group."""
    legacy = TopicPartition(settings.topic(LEGACY_CHANGELOG), tp.partition)
    topics = await reader.topics()
    records = converted(await _latest(reader, legacy)) if legacy.topic in topics else {}
    header = state_headers(committed - 1, generation)
    sends = [
        await producer.send(changelog, value, key=key, partition=tp.partition, headers=header)
        for key, value in records.items()
    ]
    await asyncio.gather(*sends)
    await consumer.commit({tp: OffsetAndMetadata(committed, "")})
    log.info("took over a faust table", partition=tp.partition, records=len(records), offset=committed)
