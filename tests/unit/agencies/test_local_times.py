"""Native times without an offset: read in the agency's declared zone, or refused with the reason.

One rule for every native time (agencies/bounds.py `ProtoTime`): a time with an offset is that
instant; a naive one is local time in the zone the agency's code table declares (table `time`,
key `zone`); a local time the zone skips or repeats is refused; no zone, no naive time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from incidentbus.agencies.base import CodeTables
from incidentbus.agencies.pipeline import IntakeError, canonical_event, intake
from incidentbus.agencies.police.adapter import PoliceAdapter
from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.devtools import natives
from incidentbus.kernel.gate import Rejected
from incidentbus.kernel.records import RawRecord
from incidentbus.kernel.settings import BusSettings

GRID = "310101-002-003-07"
RECEIVED = 1_795_595_400_000  # 2026-11-25T08:30Z: the inbox record's log time
SETTINGS = BusSettings(topic_prefix="unit.", environment="test")
POLICE_TABLES = PoliceAdapter().codes.tables


def police_in(zone: str | None) -> PoliceAdapter:
    """The police adapter with its code tables declaring `zone` (None: declaring none)."""
    tables = {name: dict(rows) for name, rows in POLICE_TABLES.items() if name != "time"}
    if zone is not None:
        tables["time"] = {"zone": zone}
    return PoliceAdapter(CodeTables("police", tables))


def report_at(text: str) -> bytes:
    native = natives.report("police", "P-1", "TA1", GRID, datetime(2026, 1, 1, tzinfo=UTC))
    return json.dumps(native | {"reported_at": text}).encode()


def status_at(text: str) -> bytes:
    native = natives.reply("police", "ack", "T-1", "C-1", seq=1, at=datetime(2026, 1, 1, tzinfo=UTC))
    return json.dumps(native | {"at": text}).encode()


def occurred(adapter: PoliceAdapter, payload: bytes) -> str:
    event = canonical_event(adapter, payload, RECEIVED, 1_000_000)
    return str(event.envelope.occurred_at.ToJsonString())


ACCEPTED = [
    # (declared zone, native time, the instant it is): an offset always wins over the zone
    ("America/New_York", "2022-05-01T00:00:03Z", "2022-05-01T00:00:03Z"),
    ("America/New_York", "2022-05-01T00:00:03+08:00", "2022-04-30T16:00:03Z"),
    ("America/New_York", "2022-03-13T02:30:00-05:00", "2022-03-13T07:30:00Z"),  # in the gap, but offset
    ("America/New_York", "2022-11-06T01:30:00-04:00", "2022-11-06T05:30:00Z"),  # first 01:30 (EDT)
    ("America/New_York", "2022-11-06T01:30:00-05:00", "2022-11-06T06:30:00Z"),  # second 01:30 (EST)
    (None, "2026-11-25T16:30:00+08:00", "2026-11-25T08:30:00Z"),
    # naive: local time in the declared zone
    ("America/New_York", "2022-05-01T00:00:03", "2022-05-01T04:00:03Z"),  # EDT, -04:00
    ("America/New_York", "2022-01-15T12:01:00", "2022-01-15T17:01:00Z"),  # EST, -05:00
    ("America/New_York", "2022-03-13T01:59:59", "2022-03-13T06:59:59Z"),  # just before the gap
    ("America/New_York", "2022-03-13T03:00:00", "2022-03-13T07:00:00Z"),  # just after it
    ("America/New_York", "2022-11-06T00:59:59", "2022-11-06T04:59:59Z"),  # just before the fold
    ("America/New_York", "2022-11-06T02:00:00", "2022-11-06T07:00:00Z"),  # just after it
    ("Asia/Shanghai", "2026-11-25T16:30:00", "2026-11-25T08:30:00Z"),
    ("Asia/Shanghai", "2026-11-25 16:30:00", "2026-11-25T08:30:00Z"),  # the space many systems write
    ("UTC", "2026-11-25T08:30:00.250", "2026-11-25T08:30:00.250Z"),
]


@pytest.mark.parametrize(("zone", "native", "instant"), ACCEPTED)
def test_a_time_is_its_offset_or_local_time_in_the_declared_zone(
    zone: str | None, native: str, instant: str
) -> None:
    assert occurred(police_in(zone), report_at(native)) == instant
    assert occurred(police_in(zone), status_at(native)) == instant  # replies follow the same rule


NY = "America/New_York"
REFUSED = [
    # (declared zone, naive native time, reason, what the detail says)
    (NY, "2022-03-13T02:30:00", "intake.nonexistent_time", "does not exist in America/New_York"),
    (NY, "2022-03-13T02:00:00", "intake.nonexistent_time", "does not exist in America/New_York"),
    (NY, "2022-11-06T01:30:00", "intake.ambiguous_time", "occurs twice in America/New_York"),
    (NY, "2022-11-06T01:00:00", "intake.ambiguous_time", "occurs twice in America/New_York"),
    ("Europe/Berlin", "2022-03-27T02:15:00", "intake.nonexistent_time", "does not exist in Europe/Berlin"),
    ("Europe/Berlin", "2022-10-30T02:15:00", "intake.ambiguous_time", "occurs twice in Europe/Berlin"),
    ("Asia/Shanghai", "1991-04-14T02:30:00", "intake.nonexistent_time", "does not exist in Asia/Shanghai"),
    (None, "2022-05-01T00:00:03", "intake.validation", "Input should have timezone info"),
    (None, "2026-11-25 16:30:00", "intake.validation", "Input should have timezone info"),
]


@pytest.mark.parametrize(("zone", "native", "reason", "says"), REFUSED)
def test_a_local_time_the_zone_skips_or_repeats_or_no_zone_is_refused_with_the_reason(
    zone: str | None, native: str, reason: str, says: str
) -> None:
    for build, field in ((report_at, "reported_at"), (status_at, "at")):  # reports and replies alike
        with pytest.raises(IntakeError) as caught:
            canonical_event(police_in(zone), build(native), RECEIVED, 1_000_000)
        assert caught.value.reason == reason
        assert f".{field}: " in caught.value.detail
        assert says in caught.value.detail
        assert native[11:16] not in caught.value.detail  # names the field and zone, never the value


def test_the_refusal_is_a_dead_letter_with_the_original_bytes() -> None:
    value = report_at("2022-11-06T01:30:00")
    record = RawRecord("unit.police.inbox.v1", 0, 7, RECEIVED, b"P-1", value, ())
    result = intake(police_in("America/New_York"), record, SETTINGS)
    assert isinstance(result, Rejected)
    letter = result.letter
    assert (letter.reason, letter.original_value, letter.source_offset) == ("intake.ambiguous_time", value, 7)


def test_a_message_with_other_errors_too_is_a_validation_refusal() -> None:
    native = json.loads(report_at("2022-11-06T01:30:00")) | {"injured": -1}
    with pytest.raises(IntakeError) as caught:
        canonical_event(police_in("America/New_York"), json.dumps(native).encode(), RECEIVED, 1_000_000)
    assert caught.value.reason == "intake.validation"
    assert "reported_at: local time" in caught.value.detail
    assert "injured" in caught.value.detail


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../etc/passwd", 8])
def test_a_zone_the_database_lacks_fails_when_the_tables_load(zone: Any) -> None:
    with pytest.raises(ValueError, match="is not an IANA zone name"):
        CodeTables("police", {"time": {"zone": zone}})


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_the_shipped_agencies_declare_shanghai(agency: str) -> None:
    """The shipped agencies' systems are in Shanghai (UTC+8 all year, no DST since 1991)."""
    adapter = load_adapter(agency)
    zone = adapter.codes.time_zone()
    assert zone is not None
    assert zone.key == "Asia/Shanghai"
    native = natives.report(agency, "R-1", _any_code(agency), GRID, datetime(2026, 1, 1, tzinfo=UTC))
    field = next(name for name, value in native.items() if value == "2026-01-01T00:00:00+00:00")
    native[field] = "2026-11-25T16:30:00"
    event = canonical_event(adapter, json.dumps(native).encode(), RECEIVED, 1_000_000)
    assert event.envelope.occurred_at.ToJsonString() == "2026-11-25T08:30:00Z"


@pytest.mark.parametrize("agency", sorted(AGENCIES))
def test_without_its_zone_a_shipped_agency_refuses_a_naive_time(agency: str) -> None:
    shipped = load_adapter(agency)
    tables = {name: dict(rows) for name, rows in shipped.codes.tables.items() if name != "time"}
    adapter = type(shipped)(CodeTables(agency, tables))
    native = natives.report(agency, "R-1", _any_code(agency), GRID, datetime(2026, 1, 1, tzinfo=UTC))
    field = next(name for name, value in native.items() if value == "2026-01-01T00:00:00+00:00")
    native[field] = "2026-11-25T16:30:00"
    with pytest.raises(IntakeError) as caught:
        canonical_event(adapter, json.dumps(native).encode(), RECEIVED, 1_000_000)
    assert caught.value.reason == "intake.validation"
    assert f".{field}: Input should have timezone info" in caught.value.detail


def _any_code(agency: str) -> str:
    tables = load_adapter(agency).codes.tables
    return next(iter(tables.get("incident_types") or tables["services"]))  # citizens name services
