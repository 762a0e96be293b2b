"""Field sealing: personal fields encrypted in place, bound to their event and field, keys rotatable,
deterministic so a redelivered inbox record reproduces the same bytes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from incidentbus.agencies.pipeline import canonical_event, intake
from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.kernel.codec import decode
from incidentbus.kernel.gate import Rejected
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.schema import WIRE_TYPES, sensitive_paths
from incidentbus.kernel.sealing import (
    Keyring,
    KeyringError,
    SealingError,
    field_keyring,
    is_sealed,
    open_message,
    open_value,
    parse_keyring,
    seal_message,
    seal_value,
    sealed_key_id,
    sensitive_slots,
)
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

ADAPTER = PoliceAdapter()
T0 = int(datetime(2026, 11, 25, 8, 31, tzinfo=UTC).timestamp() * 1000)  # the inbox record's log time
NAME, PHONE, ID_NO = "Zhang San 张三", "13800000000", "110101199003071234"
REPORTER = "incident_reported.reporter"


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


K1, K2 = b"1" * 32, b"2" * 32
OLD = parse_keyring(f"k1:{b64(K1)}", None)
NEW = parse_keyring(f"k1:{b64(K1)},k2:{b64(K2)}", "k2")


def report(**caller: str) -> agency_events_pb2.AgencyEvent:
    native: dict[str, Any] = {
        "msg_type": "incident",
        "incident_no": "P2026-000123",
        "type_code": "TA2",
        "priority": "P2",
        "reported_at": "2026-11-25T16:30:00+08:00",
        "location": {"grid": "310101-002-003-07", "address": "Renmin Rd / Xizang Rd"},
        "caller": caller or {"name": NAME, "phone": PHONE, "id_no": ID_NO},
    }
    return canonical_event(ADAPTER, json.dumps(native).encode(), T0, 1_000_000)


def sealed(keyring: Keyring = OLD, **caller: str) -> agency_events_pb2.AgencyEvent:
    event = report(**caller)
    seal_message(event, keyring, event.envelope.event_id)
    return event


def copy(event: agency_events_pb2.AgencyEvent) -> agency_events_pb2.AgencyEvent:
    other = agency_events_pb2.AgencyEvent()
    other.CopyFrom(event)
    return other


# -- whole messages -------------------------------------------------------------------------------


def test_every_sensitive_field_is_sealed_and_nothing_else_changes() -> None:
    plain, event = report(), sealed()
    reporter = event.incident_reported.reporter
    for value in (reporter.name, reporter.phone, reporter.id_number):
        assert is_sealed(value)
        assert sealed_key_id(value) == "k1"
        assert all(p not in value for p in (NAME, PHONE, ID_NO))
    assert reporter.role == plain.incident_reported.reporter.role == "caller"
    for message in (plain, event):
        message.incident_reported.reporter.ClearField("name")
        message.incident_reported.reporter.ClearField("phone")
        message.incident_reported.reporter.ClearField("id_number")
    assert event == plain


def test_open_message_restores_the_plaintext() -> None:
    plain, event = report(), sealed()
    assert open_message(event, OLD, event.envelope.event_id) == 3
    assert event == plain


def test_empty_and_absent_fields_stay_empty_and_absent() -> None:
    event = sealed(name=NAME)
    reporter = event.incident_reported.reporter
    assert is_sealed(reporter.name)
    assert (reporter.phone, reporter.id_number) == ("", "")
    reply = agency_events_pb2.AgencyEvent()
    reply.envelope.event_id = "e1"
    reply.task_acknowledged.task_id = "t1"
    assert seal_message(reply, OLD, "e1") == 0
    assert not reply.HasField("incident_reported")
    bare = agency_events_pb2.AgencyEvent()
    bare.incident_reported.description = "no reporter"
    assert seal_message(bare, OLD, "e1") == 0
    assert not bare.incident_reported.HasField("reporter")


def test_sealing_twice_changes_nothing() -> None:
    event = sealed()
    again = copy(event)
    assert seal_message(again, OLD, event.envelope.event_id) == 0
    assert again.SerializeToString(deterministic=True) == event.SerializeToString(deterministic=True)
    # under a rotated keyring too: values that open are left as they are
    assert seal_message(again, NEW, event.envelope.event_id) == 0


def test_the_same_event_seals_to_the_same_bytes() -> None:
    """A redelivered inbox record must reproduce the canonical event byte for byte."""
    first, second = sealed(), sealed()
    assert first.SerializeToString(deterministic=True) == second.SerializeToString(deterministic=True)
    phone = f"{REPORTER}.phone"
    assert seal_value(PHONE, OLD, "e1", phone) == seal_value(PHONE, OLD, "e1", phone)
    assert seal_value(PHONE, OLD, "e1", phone) != seal_value(PHONE, OLD, "e2", phone)
    assert seal_value(PHONE, OLD, "e1", phone) != seal_value(PHONE, OLD, "e1", f"{REPORTER}.name")
    assert seal_value(PHONE, OLD, "e1", phone) != seal_value("13800000001", OLD, "e1", phone)


def test_a_value_that_only_looks_sealed_is_sealed_anyway() -> None:
    lookalike = "enc:v1:k1:" + "A" * 40
    event = sealed(name=lookalike)
    assert event.incident_reported.reporter.name != lookalike
    open_message(event, OLD, event.envelope.event_id)
    assert event.incident_reported.reporter.name == lookalike


# -- rotation -------------------------------------------------------------------------------------


def test_rotation_old_values_open_and_new_values_use_the_new_key() -> None:
    old = sealed(OLD)
    new = sealed(NEW)
    assert sealed_key_id(old.incident_reported.reporter.phone) == "k1"
    assert sealed_key_id(new.incident_reported.reporter.phone) == "k2"
    for event in (old, new):
        open_message(event, NEW, event.envelope.event_id)
        assert event.incident_reported.reporter.phone == PHONE


def test_a_missing_key_is_named() -> None:
    event = sealed(NEW)
    only_old = parse_keyring(f"k1:{b64(K1)}", None)
    with pytest.raises(SealingError, match="'k2'") as caught:
        open_message(event, only_old, event.envelope.event_id)
    assert caught.value.kid == "k2"
    assert caught.value.path.startswith(REPORTER)


# -- tampering and misuse -------------------------------------------------------------------------


def _flip(value: str) -> str:
    head, body = value.rsplit(":", 1)
    i = len(body) // 2
    return f"{head}:{body[:i]}{'B' if body[i] == 'A' else 'A'}{body[i + 1 :]}"


def test_altered_ciphertext_does_not_open() -> None:
    event = sealed()
    event.incident_reported.reporter.phone = _flip(event.incident_reported.reporter.phone)
    with pytest.raises(SealingError, match=r"key 'k1' but does not verify") as caught:
        open_message(event, OLD, event.envelope.event_id)
    assert caught.value.path == f"{REPORTER}.phone"


def test_a_value_moved_to_another_event_or_field_does_not_open() -> None:
    event = sealed()
    reporter = event.incident_reported.reporter
    with pytest.raises(SealingError, match="moved from another event"):
        open_value(reporter.phone, OLD, "another-event-id", f"{REPORTER}.phone")
    with pytest.raises(SealingError, match="does not verify"):
        open_value(reporter.phone, OLD, event.envelope.event_id, f"{REPORTER}.name")


def test_a_relabelled_or_wrong_key_does_not_open() -> None:
    event = sealed()
    phone = event.incident_reported.reporter.phone
    wrong = parse_keyring(f"k1:{b64(b'x' * 32)}", None)
    with pytest.raises(SealingError, match="'k1'"):
        open_value(phone, wrong, event.envelope.event_id, f"{REPORTER}.phone")
    relabelled = phone.replace("enc:v1:k1:", "enc:v1:k2:")
    with pytest.raises(SealingError, match="'k2'"):
        open_value(relabelled, NEW, event.envelope.event_id, f"{REPORTER}.phone")


@pytest.mark.parametrize("value", ["plain", "enc:v1:k1:" + "A" * 37, "enc:v1:k1:" + "A" * 39])
def test_malformed_values_are_refused_clearly(value: str) -> None:
    with pytest.raises(SealingError):
        open_value(value, OLD, "e1", "p")


# -- keys from configuration ----------------------------------------------------------------------


def test_keyrings_parse_from_json_or_pairs() -> None:
    as_json = parse_keyring(json.dumps({"k1": b64(K1), "k2": b64(K2)}), "k2")
    assert dict(as_json.keys) == dict(NEW.keys)
    assert as_json.active == "k2"
    urlsafe = parse_keyring(f"k1:{base64.urlsafe_b64encode(K1).decode().rstrip('=')}", None)
    assert urlsafe.keys["k1"] == K1


@pytest.mark.parametrize(
    ("text", "active", "message"),
    [
        (f"k1:{b64(K1)},k2:{b64(K2)}", None, "INCIDENTBUS_FIELD_KEY_ID"),
        (f"k1:{b64(K1)}", "k9", "'k9' is not in the keyring"),
        (f"k1:{b64(b'short')}", None, "need 32"),
        ("k1:not base64!", None, "not base64"),
        (f"k1:{b64(K1)},k1:{b64(K2)}", None, "twice"),
        (f"bad id:{b64(K1)}", None, "key id"),
        ("", None, "no keys"),
        ("k1", None, "kid:base64"),
    ],
)
def test_bad_keyrings_are_refused_without_quoting_keys(text: str, active: str | None, message: str) -> None:
    with pytest.raises(KeyringError, match=message) as caught:
        parse_keyring(text, active)
    assert b64(K1) not in str(caught.value)
    assert b64(K2) not in str(caught.value)


def test_several_keys_open_without_an_active_id() -> None:
    keyring = parse_keyring(f"k1:{b64(K1)},k2:{b64(K2)}", None, opening_only=True)
    event = sealed(NEW)
    open_message(event, keyring, event.envelope.event_id)
    assert event.incident_reported.reporter.name == NAME


def test_production_refuses_to_run_without_keys_or_with_the_development_key() -> None:
    with pytest.raises(KeyringError, match="INCIDENTBUS_FIELD_KEYS"):
        field_keyring(BusSettings(environment="production"))
    dev = BusSettings(environment="test")
    assert field_keyring(dev).active == "dev"
    assert field_keyring(dev).is_development
    dev_key = SecretStr(f"dev:{b64(field_keyring(dev).keys['dev'])}")
    with pytest.raises(KeyringError, match="development key"):
        field_keyring(BusSettings(environment="production", field_keys=dev_key))


def test_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENTBUS_FIELD_KEYS", json.dumps({"k1": b64(K1), "k2": b64(K2)}))
    monkeypatch.setenv("INCIDENTBUS_FIELD_KEY_ID", "k2")
    monkeypatch.setenv("INCIDENTBUS_ENVIRONMENT", "production")
    settings = BusSettings()
    assert b64(K1) not in repr(settings)
    keyring = field_keyring(settings)
    assert (keyring.active, sorted(keyring.keys)) == ("k2", ["k1", "k2"])
    assert b64(K1) not in repr(keyring)
    assert "k2" in repr(keyring)


def test_every_sensitive_field_on_the_bus_is_a_string() -> None:
    """The walker seals strings only; a sensitive field of another type would be refused loudly."""
    for wire in WIRE_TYPES:
        for slot_path in sensitive_paths(wire.DESCRIPTOR):
            descriptor = wire.DESCRIPTOR
            *parents, leaf = slot_path.split(".")
            for name in parents:
                descriptor = descriptor.fields_by_name[name].message_type
            assert descriptor.fields_by_name[leaf].type == descriptor.fields_by_name[leaf].TYPE_STRING


# -- at the agency edge ---------------------------------------------------------------------------


def _inbox_record(caller: dict[str, str]) -> RawRecord:
    native = {
        "msg_type": "incident",
        "incident_no": "P2026-000999",
        "type_code": "TA2",
        "priority": "P2",
        "reported_at": "2026-11-25T16:30:00+08:00",
        "location": {"grid": "310101-002-003-07"},
        "caller": caller,
    }
    return RawRecord("police.inbox.v1", 0, 7, T0, b"k", json.dumps(native).encode(), ())


def test_intake_seals_before_encoding_and_redelivery_gives_the_same_bytes() -> None:
    settings = BusSettings(environment="test")
    record = _inbox_record({"name": NAME, "phone": PHONE, "id_no": ID_NO})
    first, second = intake(ADAPTER, record, settings), intake(ADAPTER, record, settings)
    assert isinstance(first, OutgoingRecord)
    assert isinstance(second, OutgoingRecord)
    assert first.value == second.value
    for plain in (NAME, PHONE, ID_NO):
        assert plain.encode() not in first.value
    consumed = RawRecord(first.topic, 0, 0, T0, first.key, first.value, first.headers)
    event: agency_events_pb2.AgencyEvent = decode(consumed, agency_events_pb2.AgencyEvent).message  # type: ignore[assignment]
    open_message(event, field_keyring(settings), event.envelope.event_id)
    assert event.incident_reported.reporter.id_number == ID_NO


def test_intake_refusals_stay_refusals() -> None:
    outcome = intake(ADAPTER, _inbox_record({"name": NAME, "phone": 13800000000}), BusSettings())  # type: ignore[dict-item]
    assert isinstance(outcome, Rejected)
    assert outcome.reason == "intake.validation"
    assert PHONE not in outcome.letter.detail


# -- properties -----------------------------------------------------------------------------------


@given(st.text(), st.text(max_size=40), st.sampled_from(["name", "phone", "id_number"]))
def test_any_text_round_trips(plaintext: str, event_id: str, leaf: str) -> None:
    path = f"{REPORTER}.{leaf}"
    value = seal_value(plaintext, NEW, event_id, path)
    assert is_sealed(value)
    assert sealed_key_id(value) == "k2"
    assert open_value(value, NEW, event_id, path) == plaintext
    assert value == seal_value(plaintext, NEW, event_id, path)


@given(st.text(), st.text(), st.text())
def test_any_reporter_round_trips_through_a_message(name: str, phone: str, id_number: str) -> None:
    event = agency_events_pb2.AgencyEvent()
    event.envelope.event_id = "e-1"
    event.incident_reported.reporter.CopyFrom(
        agency_events_pb2.Reporter(name=name, phone=phone, id_number=id_number, role="citizen")
    )
    original = copy(event)
    seal_message(event, OLD, "e-1")
    for slot in sensitive_slots(event):
        assert slot.get() == "" or is_sealed(slot.get())
    open_message(event, OLD, "e-1")
    assert event == original
