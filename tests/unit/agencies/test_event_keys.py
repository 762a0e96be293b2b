"""Canonical events are keyed by what they are about, so what must stay in order shares a partition.

Found when a correlator saw a task's `arrived` before its `acknowledged` after a pause: each reply
was keyed by its own reference, so one task's replies spread over partitions of the events topic.
"""

from __future__ import annotations

import json
from typing import Any

from incidentbus.agencies.pipeline import intake
from incidentbus.agencies.registry import load_adapter
from incidentbus.kernel.gate import Rejected
from incidentbus.kernel.records import OutgoingRecord, RawRecord
from incidentbus.kernel.settings import BusSettings
from tests.unit.agencies.test_police import incident, status

SETTINGS = BusSettings(topic_prefix="unit.", environment="test")
RECEIVED = 1_795_595_400_000  # 2026-11-25T08:30Z


def published(native: dict[str, Any], offset: int) -> OutgoingRecord:
    record = RawRecord("unit.police.inbox.v1", 0, offset, RECEIVED, b"any", json.dumps(native).encode(), ())
    out = intake(load_adapter("police"), record, SETTINGS)
    assert not isinstance(out, Rejected), out
    return out


def test_one_tasks_replies_share_its_key_whatever_their_own_references() -> None:
    replies = [
        status("ACK", status_seq=1),
        status("ONS", status_seq=2),
        status("CLR", status_seq=3, clear_code="RPT"),
    ]
    keys = {published(native, n).key for n, native in enumerate(replies)}
    assert keys == {b"task-1"}


def test_a_reports_revisions_share_its_reference() -> None:
    keys = {published(incident(revision=n), n).key for n in (0, 1, 2)}
    assert keys == {b"P2026-000123"}
