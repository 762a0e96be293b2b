"""Health figures of the bus: consumer lag per group, records per topic, dead letters, cases, breaches.

Rendered as Prometheus text (`/metrics` of the query service) and as tables (`incidentbus status`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from incidentbus.kernel.admin import admin_client
from incidentbus.kernel.catalog import Catalog
from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.readmodel import OPEN, ReadModel


@dataclass
class Figures:
    lag: dict[tuple[str, str], int] = field(default_factory=dict)  # (group, topic) -> records behind
    records: dict[str, int] = field(default_factory=dict)  # topic -> records held
    dead_letters: dict[str, int] = field(default_factory=dict)  # reason -> count
    open_cases: dict[str, int] = field(default_factory=dict)  # district -> open cases
    cases_by_status: dict[str, int] = field(default_factory=dict)
    deadline_breaches: int = 0  # escalations
    reminders: int = 0  # deadlines missed again at the top of the ladder


def from_model(figures: Figures, model: ReadModel, include_drills: bool = False) -> Figures:
    """Fill the case-derived figures from the read model (drills only when asked)."""
    from incidentbus.v1 import case_events_pb2

    for snap in model.live(include_drills):
        status = case_events_pb2.CaseStatus.Name(snap.status).removeprefix("CASE_STATUS_").lower()
        figures.cases_by_status[status] = figures.cases_by_status.get(status, 0) + 1
        if snap.status not in OPEN:
            area = snap.location.jurisdiction.district
            figures.open_cases[area] = figures.open_cases.get(area, 0) + 1
    figures.dead_letters = dict(model.dead_letters)
    counted = [c for case_id, c in model.cases.items() if model.counts(case_id, include_drills)]
    figures.deadline_breaches = sum(c.escalations for c in counted)
    figures.reminders = sum(c.reminders for c in counted)
    return figures


async def broker_figures(settings: BusSettings, catalog: Catalog) -> Figures:
    """Lag of every consumer group on catalog topics, and the records each topic holds."""
    topics = [settings.topic(t.name) for t in catalog.topics]
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        cluster = await consumer._client.fetch_all_metadata()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(cluster.partitions_for_topic(t) or [])]
        end = await consumer.end_offsets(tps) if tps else {}
        start = await consumer.beginning_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    figures = Figures()
    for tp, offset in end.items():
        figures.records[tp.topic] = figures.records.get(tp.topic, 0) + offset - start.get(tp, 0)
    figures.lag = await _lag(settings, end)
    return figures


async def _lag(settings: BusSettings, end: dict[TopicPartition, int]) -> dict[tuple[str, str], int]:
    lag: dict[tuple[str, str], int] = {}
    async with admin_client(settings) as admin:
        groups = [g[0] for g in await admin.list_consumer_groups()]
        for group in sorted(groups):
            committed = await admin.list_consumer_group_offsets(group)
            for tp, meta in committed.items():
                if tp in end and meta.offset >= 0:
                    key = (group, tp.topic)
                    lag[key] = lag.get(key, 0) + max(0, end[tp] - meta.offset)
    return lag


def prometheus_text(figures: Figures) -> bytes:
    """The figures in Prometheus exposition format."""
    registry = CollectorRegistry()
    lag = Gauge(
        "incidentbus_consumer_lag",
        "Records a consumer group is behind",
        ["group", "topic"],
        registry=registry,
    )
    for (group, topic), value in figures.lag.items():
        lag.labels(group, topic).set(value)
    records = Gauge(
        "incidentbus_topic_records", "Records held by a topic (events in/out)", ["topic"], registry=registry
    )
    for topic, value in figures.records.items():
        records.labels(topic).set(value)
    letters = Gauge("incidentbus_dead_letters", "Dead letters by reason", ["reason"], registry=registry)
    for reason, value in figures.dead_letters.items():
        letters.labels(reason).set(value)
    open_cases = Gauge("incidentbus_open_cases", "Open cases by district", ["area"], registry=registry)
    for area, value in figures.open_cases.items():
        open_cases.labels(area).set(value)
    cases = Gauge("incidentbus_cases", "Cases by status", ["status"], registry=registry)
    for status, value in figures.cases_by_status.items():
        cases.labels(status).set(value)
    Gauge("incidentbus_deadline_breaches", "Missed deadlines (escalations)", registry=registry).set(
        figures.deadline_breaches
    )
    Gauge(
        "incidentbus_deadline_reminders",
        "Deadlines missed again at the top of the jurisdiction ladder (reminders)",
        registry=registry,
    ).set(figures.reminders)
    return generate_latest(registry)
