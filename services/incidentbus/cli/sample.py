"""`incidentbus sample`: publish one canonical report and read it back through the codec."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from google.protobuf.json_format import MessageToDict

from incidentbus.devtools.samples import sample_report
from incidentbus.kernel.codec import decode, encode
from incidentbus.kernel.kafka import producer, raw_record, send
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

SAMPLE_TOPIC = "police.events.v1"


@dataclass(frozen=True)
class RoundTrip:
    topic: str
    partition: int
    offset: int
    headers: dict[str, str]
    event: dict[str, object]
    identical: bool


async def _read_at(
    settings: BusSettings, topic: str, partition: int, offset: int
) -> agency_events_pb2.AgencyEvent:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
        decoded = decode(raw_record(message), agency_events_pb2.AgencyEvent)
        return decoded.message  # type: ignore[return-value]
    finally:
        await consumer.stop()


async def round_trip(settings: BusSettings) -> RoundTrip:
    """Publish the sample report, consume it at its offset, and compare."""
    event = sample_report()
    record = encode(event, topic=settings.topic(SAMPLE_TOPIC), key=event.envelope.source_ref)
    async with producer(settings) as client:
        partition, offset = await send(client, record)
    back = await _read_at(settings, record.topic, partition, offset)
    return RoundTrip(
        topic=record.topic,
        partition=partition,
        offset=offset,
        headers={k: v.decode() for k, v in record.headers},
        event=MessageToDict(back, preserving_proto_field_name=True),
        identical=back == event,
    )


def render(result: RoundTrip, as_json: bool) -> str:
    if as_json:
        return json.dumps(result.__dict__, ensure_ascii=False, indent=2)
    lines = [
        f"published and read back {result.topic}[{result.partition}]@{result.offset}",
        *(f"  {k}: {v}" for k, v in result.headers.items()),
        json.dumps(result.event, ensure_ascii=False, indent=2),
        "round trip: identical" if result.identical else "round trip: DIFFERENT",
    ]
    return "\n".join(lines)
