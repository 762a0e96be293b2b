"""Dead letters as a holder of the writer's keys reads them (the tests' services seal with the
public development key): `read_letter` decodes and opens; `sealed_letter` only decodes."""

from __future__ import annotations

from incidentbus.kernel.deadletter import decode_dead_letter, open_letter
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.sealing import SealingError, field_keyring
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import bus_pb2

KEYS = field_keyring(BusSettings(environment="test"))


def read_letter(record: RawRecord) -> bus_pb2.DeadLetter:
    """The letter with its original opened. A letter sealed with another key (a test module running
    its services with keys of its own shares the session's topics) comes back sealed: its original
    is empty, so it matches nothing; one planted unsealed (the trust tests write letters as earlier
    versions did) comes back as it is. That services seal is test_personal_data's to check."""
    letter = decode_dead_letter(record)
    try:
        return open_letter(letter, KEYS)
    except SealingError:
        return letter
