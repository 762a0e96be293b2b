"""structlog set up once per process: JSON lines in production, a readable console in development.

Log lines about a record are bound with its event id, case id, topic, partition and offset so
one grep follows a fact through every service. Personal data never reaches a log line: fields are
sealed at intake, and `redact_personal` below removes what slips through anyway.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.schema import WIRE_TYPES, sensitive_paths
from incidentbus.kernel.settings import BusSettings

REDACTED = "[redacted]"
# Keys whose values are personal: the schema's sensitive fields, and the agencies' native names
# for them (police caller.id_no, health caller_name, urban citizen.mobile, community worker_name).
SENSITIVE_KEYS = frozenset(
    {p.rsplit(".", 1)[-1] for wire in WIRE_TYPES for p in sensitive_paths(wire.DESCRIPTOR)}
    | {"caller", "caller_name", "caller_phone", "citizen", "mobile", "id_no", "worker_name", "reporter"}
)
_NOT_ALNUM_BEFORE, _NOT_ALNUM_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
# Mainland mobile (optionally +86), landline with area code, PRC identity number (18 or 15).
_PERSONAL_TEXT = re.compile(
    _NOT_ALNUM_BEFORE
    + r"(?:(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}"
    + r"|0\d{2,3}-\d{7,8}"
    + r"|[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    + r"|[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})"
    + _NOT_ALNUM_AFTER
)


def _redacted(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return _PERSONAL_TEXT.sub(REDACTED, value)
    if isinstance(value, Mapping):
        return {k: _redacted(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redacted("", v) for v in value]
    return value


def redact_personal(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor, defence in depth: values of personal keys (name, phone, id_number,
    caller_name, …) and any text that looks like a phone or a PRC identity number become
    `[redacted]`, in nested values and rendered tracebacks too. Sealing keeps personal data out of
    the events; this keeps a careless log call from putting it into the logs."""
    return {key: _redacted(key, value) for key, value in event_dict.items()}


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
        processors=[*shared, structlog.processors.format_exc_info, redact_personal, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level if isinstance(level, int) else 20),
        logger_factory=structlog.PrintLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )


class _Logger:
    """A logger that looks structlog's configuration up at each call. structlog binds a logger to
    the configuration of the moment it is bound, so module-level loggers made at import, before
    `configure_logging`, would otherwise keep the defaults: no JSON, no redaction."""

    def __init__(self, context: dict[str, Any]) -> None:
        self._context = context

    def bind(self, **values: Any) -> _Logger:
        return _Logger({**self._context, **values})

    def __getattr__(self, method: str) -> Any:
        return getattr(structlog.get_logger().bind(**self._context), method)


def get_logger(name: str, **bound: Any) -> Any:
    """A structlog logger with the service name and any fixed context bound."""
    return _Logger({"logger": name, **bound})


def record_context(record: RawRecord, **extra: Any) -> dict[str, Any]:
    """Context keys that locate a record: topic, partition, offset, and ids when known."""
    context: dict[str, Any] = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    event_id = record.header("ce_id")
    if event_id:
        context["event_id"] = event_id.decode("utf-8", "replace")
    context.update({k: v for k, v in extra.items() if v})
    return context
