"""structlog set up once per process: JSON lines in production, a readable console in development.

Log lines about a record are bound with its event id, case id, topic, partition and offset so
one grep follows a fact through every service.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings


def configure_logging(settings: BusSettings, *, stream: Any = None) -> None:
    """Configure structlog and route stdlib logging (faust, aiokafka) through the same renderer."""
    level = logging.getLevelName(settings.log_level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=True)
        if settings.effective_log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level if isinstance(level, int) else 20),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str, **bound: Any) -> Any:
    """A structlog logger with the service name and any fixed context bound."""
    return structlog.get_logger(name).bind(logger=name, **bound)


def record_context(record: RawRecord, **extra: Any) -> dict[str, Any]:
    """Context keys that locate a record: topic, partition, offset, and ids when known."""
    context: dict[str, Any] = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    event_id = record.header("ce_id")
    if event_id:
        context["event_id"] = event_id.decode("utf-8", "replace")
    context.update({k: v for k, v in extra.items() if v})
    return context
