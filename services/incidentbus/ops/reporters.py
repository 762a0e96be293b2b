"""Who reported, for an auditor: the personal fields of a case's original agency reports.

Those fields travel sealed (kernel/sealing.py). An auditor holding the key sees them opened; one
without it sees each as sealed with the id of the key that would open it, so they know which key
to ask for. A value that fails to open is shown as such, never guessed. Pure: the caller reads
the record at the report's position (`trace` already does, to check it).
"""

from __future__ import annotations

from dataclasses import dataclass

from incidentbus.kernel.codec import DecodeError, decode
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.sealing import (
    Keyring,
    SealingError,
    field_keyring,
    is_sealed,
    open_value,
    sealed_key_id,
    sensitive_slots,
)
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2


@dataclass(frozen=True)
class Shown:
    """One personal field as the auditor sees it. `state`: opened (the plaintext), sealed (no key:
    `value` names the key id), unsealed (never sealed: an event from before sealing), failed."""

    path: str
    value: str
    state: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "value": self.value, "state": self.state}


@dataclass(frozen=True)
class Reporter:
    """The personal fields of one source report, or why they could not be read (`note`)."""

    event_id: str
    fields: tuple[Shown, ...] = ()
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"event_id": self.event_id, "fields": [f.as_dict() for f in self.fields], "note": self.note}


def auditor_keyring(settings: BusSettings) -> Keyring | None:
    """The keys this auditor holds, or None in production without keys (values then show sealed).
    KeyringError when keys are configured but unusable. Several keys need no active id here:
    opening picks the key by the id each sealed value names."""
    if not settings.field_keys and settings.environment == "production":
        return None
    return field_keyring(settings, opening_only=True)


def _shown(path: str, value: str, keyring: Keyring | None, event_id: str) -> Shown:
    if not is_sealed(value):
        return Shown(path, value, "unsealed")
    kid = sealed_key_id(value)
    if keyring is None or kid not in keyring.keys:
        return Shown(path, f"sealed (key {kid})", "sealed")
    try:
        return Shown(path, open_value(value, keyring, event_id, path), "opened")
    except SealingError as exc:
        return Shown(path, str(exc), "failed")


def reporter_of(event_id: str, record: RawRecord | None, keyring: Keyring | None) -> Reporter:
    """The personal fields of the agency event at a report's position, opened where the keyring
    allows. The record must carry the report's event id: sealed values are bound to it."""
    if record is None:
        return Reporter(event_id, note="no record at the report's position")
    try:
        event: agency_events_pb2.AgencyEvent = decode(record, agency_events_pb2.AgencyEvent).message  # type: ignore[assignment]
    except DecodeError as exc:
        return Reporter(event_id, note=f"not an agency event: {exc.reason}")
    if event.envelope.event_id != event_id:
        return Reporter(event_id, note=f"the record there is event {event.envelope.event_id}")
    fields = tuple(
        _shown(slot.path, value, keyring, event_id)
        for slot in sensitive_slots(event)
        if (value := slot.get())
    )
    return Reporter(event_id, fields)
