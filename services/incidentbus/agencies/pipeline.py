"""The pure pipelines of an agency service: native intake -> canonical, task -> native outbox.

Both take a record and return records to produce, or a Rejected carrying the dead letter.
Nothing here touches Kafka, faust or the clock: `recorded_at` is the inbox record's log time,
so processing the same record twice gives the same bytes.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from incidentbus.agencies.base import AgencyAdapter, Mapped, MappingError
from incidentbus.agencies.bounds import validation_reason
from incidentbus.agencies.places import settle_location
from incidentbus.kernel.codec import Decoded, encode
from incidentbus.kernel.envelope import new_envelope, timestamp, timestamp_ms, wrap
from incidentbus.kernel.gate import Rejected, reject
from incidentbus.kernel.grids import GridLayer, load_grid_layer
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.jurisdictions import Jurisdictions, load_jurisdictions, shipped_jurisdictions
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.sealing import Keyring, field_keyring, seal_message
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2, bus_pb2

JSON_CONTENT_TYPE = b"application/json"


def events_topic(agency: str) -> str:
    return f"{agency}.events.v1"


def inbox_topic(agency: str) -> str:
    return f"{agency}.inbox.v1"


def outbox_topic(agency: str) -> str:
    return f"{agency}.outbox.v1"


def dispatch_topic(agency: str) -> str:
    return f"{agency}.dispatch.v1"


class IntakeError(Exception):
    """Why a native message was refused, before it became a canonical event."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def _json_text(value: bytes | None, max_bytes: int) -> str:
    if not value:
        raise IntakeError("intake.empty", "the message has no body")
    if len(value) > max_bytes:
        raise IntakeError("intake.oversized", f"{len(value)} bytes > limit {max_bytes}")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntakeError("intake.encoding", f"not UTF-8 at byte {exc.start}") from exc
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IntakeError(
            "intake.json", f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(payload, dict):
        raise IntakeError("intake.not_object", f"expected a JSON object, got {type(payload).__name__}")
    return text


def _validation_detail(exc: ValidationError) -> str:
    """Pydantic errors as `field.path: message` lines, without echoing input values (privacy)."""
    parts = [f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()]
    return "; ".join(parts)


MAX_CLAIM_AHEAD_MS = 24 * 3_600_000


def _check_claimed_time(mapped: Mapped, recorded_at_ms: int) -> None:
    """An agency's own time is kept as a fact, but one a day ahead of the bus is a broken record."""
    if mapped.occurred_at is not None and recorded_at_ms > 0:
        claimed = int(mapped.occurred_at.timestamp() * 1000)
        if claimed > recorded_at_ms + MAX_CLAIM_AHEAD_MS:
            hours = (claimed - recorded_at_ms) // 3_600_000
            raise IntakeError(
                "intake.future_time", f"the message claims a time {hours} h after it was received"
            )


def canonical_event(
    adapter: AgencyAdapter,
    payload: bytes | None,
    recorded_at_ms: int,
    max_bytes: int,
    places: Jurisdictions | None = None,
    *,
    grids: GridLayer | None = None,
) -> agency_events_pb2.AgencyEvent:
    """The canonical event for a native message; IntakeError with the exact reason otherwise.

    `places` is the jurisdiction table reports are held to, `grids` the grid layer that places
    point-only reports (defaults: the shipped ones)."""
    text = _json_text(payload, max_bytes)
    try:
        native = adapter.parse(text)
    except ValidationError as exc:
        raise IntakeError(validation_reason(exc), _validation_detail(exc)) from exc
    try:
        mapped = adapter.canonical(native)
        if isinstance(mapped.body, agency_events_pb2.IncidentReported):
            settle_location(mapped.body, places or shipped_jurisdictions(), grids)
        _check_claimed_time(mapped, recorded_at_ms)
        return _event(adapter, mapped, recorded_at_ms)
    except MappingError as exc:
        raise IntakeError(exc.reason, exc.detail) from exc
    except (ValueError, OverflowError, TypeError) as exc:
        # The native models bound every value by its canonical field (agencies/bounds.py); this is
        # the net under them. The exception's text may hold the value, so only its kind is named.
        raise IntakeError(
            "intake.validation", f"a value does not fit the canonical schema ({type(exc).__name__})"
        ) from exc


def _event(adapter: AgencyAdapter, mapped: Mapped, recorded_at_ms: int) -> agency_events_pb2.AgencyEvent:
    envelope = new_envelope(
        event_type=mapped.body.DESCRIPTOR.full_name,
        source=adapter.name,
        source_ref=mapped.source_ref,
        revision=mapped.revision,
        recorded_at=timestamp_ms(recorded_at_ms),
        occurred_at=timestamp(mapped.occurred_at) if mapped.occurred_at else None,
        subject=mapped.subject or mapped.source_ref,
        correlation_id=mapped.correlation_id,
        status=mapped.status,
    )
    event: agency_events_pb2.AgencyEvent = wrap(agency_events_pb2.AgencyEvent, mapped.body, envelope)  # type: ignore[assignment]
    return event


def intake(
    adapter: AgencyAdapter,
    record: RawRecord,
    settings: BusSettings,
    keyring: Keyring | None = None,
    places: Jurisdictions | None = None,
    *,
    grids: GridLayer | None = None,
) -> OutgoingRecord | Rejected:
    """One inbox record -> one canonical event record, or a dead letter with the reason.

    Personal fields are sealed here, before encoding, so they leave the agency only encrypted
    (kernel/sealing.py); the seal is deterministic, so a redelivered record gives the same bytes."""
    places = places or load_jurisdictions(settings.jurisdictions_path)
    grids = grids if grids is not None else load_grid_layer(settings.grids_path)
    try:
        event = canonical_event(
            adapter, record.value, record.timestamp_ms, settings.max_message_bytes, places, grids=grids
        )
    except IntakeError as exc:
        return reject(record, reason=exc.reason, detail=exc.detail, phase="intake", rejected_by=adapter.name)
    seal_message(event, keyring or field_keyring(settings), event.envelope.event_id)
    topic = settings.topic(events_topic(adapter.name))
    # Keyed by what the event is about (a report: its reference; a reply: its task; an answer: its
    # verification), so one task's replies share a partition and reach the correlator in order.
    return encode(event, topic=topic, key=event.envelope.subject or event.envelope.source_ref)


def _native_headers(command_id: str, out_id: str) -> tuple[tuple[str, bytes], ...]:
    return (
        ("content-type", JSON_CONTENT_TYPE),
        ("ce_id", out_id.encode()),
        ("ce_causation", command_id.encode()),
    )


def outbox(adapter: AgencyAdapter, decoded: Decoded, settings: BusSettings) -> OutgoingRecord | Rejected:
    """One canonical task command -> the agency's native JSON on its outbox (deterministic bytes)."""
    command: bus_pb2.TaskCommand = decoded.message  # type: ignore[assignment]
    target = command.dispatch_task.agency if command.HasField("dispatch_task") else adapter.name
    if target != adapter.name:
        return reject(
            decoded.record,
            reason="dispatch.wrong_agency",
            detail=f"task for {target!r} on {adapter.name}'s topic",
            phase="process",
            rejected_by=adapter.name,
        )
    try:
        native = adapter.render_task(command)
    except MappingError as exc:
        return reject(
            decoded.record, reason=exc.reason, detail=exc.detail, phase="process", rejected_by=adapter.name
        )
    value = json.dumps(native, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    command_id = command.envelope.event_id
    out_id = stable_id("outbox", adapter.name, command_id)
    key = command.envelope.subject or command_id
    return OutgoingRecord(
        settings.topic(outbox_topic(adapter.name)), key.encode(), value, _native_headers(command_id, out_id)
    )
