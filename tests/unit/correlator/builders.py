"""Inputs for the pure core, built the way the agency services would have published them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.v1 import agency_events_pb2, common_pb2

T0 = 1_764_057_600_000  # 2025-11-25T08:00:00Z
MIN = 60_000
GRID = "310101-002-003-07"
CATEGORY = {
    "traffic": 2,
    "medical": 3,
    "hazard": 5,
    "urban": 6,
    "community": 7,
    "unknown": 10,
    "public_safety": 1,
    "public_health": 4,
}


def location(
    grid: str = GRID, lat: float | None = None, lon: float | None = None, address: str = "somewhere"
) -> common_pb2.Location:
    district, street, community, _ = grid.split("-")
    path = common_pb2.JurisdictionPath(
        city=district[:4] + "00",
        district=district,
        street=f"{district}-{street}",
        community=f"{district}-{street}-{community}",
        grid=grid,
    )
    loc = common_pb2.Location(grid_code=grid, jurisdiction=path, address=address)
    if lat is not None and lon is not None:
        loc.point.CopyFrom(common_pb2.GeoPoint(latitude=lat, longitude=lon))
    return loc


@dataclass
class Feed:
    """Numbers inputs in log order, like one partition of correlator.input.v1."""

    offsets: itertools.count[int] = field(default_factory=itertools.count)
    refs: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _input(
        self, agency: str, ref: str, body: object, at_ms: int, by: str | None = None, **env: int | str
    ) -> Input:
        """`agency` is what the envelope claims; `by` whose topic carried it (default: the same)."""
        envelope = new_envelope(
            event_type=body.DESCRIPTOR.full_name,
            source=agency,
            source_ref=ref,  # type: ignore[attr-defined]
            recorded_at=timestamp_ms(at_ms),
            **env,
        )
        event = wrap(agency_events_pb2.AgencyEvent, body, envelope)  # type: ignore[arg-type]
        offset = next(self.offsets)
        publisher = by or agency
        own = {"operator": "case.commands.v1", "correlator": "correlator.input.v1"}
        topic = own.get(publisher, f"{publisher}.events.v1")
        at, source = Position("correlator.input.v1", 0, offset), Position(topic, 0, offset)
        return Input(event, at, source, publisher)  # type: ignore[arg-type]

    def report(
        self,
        agency: str,
        incident_type: str,
        at_ms: int,
        *,
        grid: str = GRID,
        severity: int = 3,
        casualties: int = 0,
        case_ref: str = "",
        lat: float | None = None,
        lon: float | None = None,
        ref: str = "",
        revision: int = 0,
        status: int = common_pb2.EVENT_STATUS_ACTUAL,
        address: str = "somewhere",
        by: str | None = None,
        contactable: bool = False,
    ) -> Input:
        """A canonical report; `ref` and `revision` make later revisions of one native record;
        `contactable`: its reporter left a contact (may be asked to verify)."""
        family = incident_type.split(".", maxsplit=1)[0]
        category = (
            CATEGORY[family]
            if family != "unknown"
            else 8
            + ["object", "species", "gas", "liquid", "disease", "sign"].index(incident_type.split(".")[1])
        )
        body = agency_events_pb2.IncidentReported(
            category=category,
            incident_type=incident_type,
            severity=severity,  # type: ignore[arg-type]
            location=location(grid, lat, lon, address),
            casualties=casualties,
            case_ref=case_ref,
            reporter=agency_events_pb2.Reporter(role="citizen", contactable=contactable),
        )
        ref = ref or f"{agency}-{next(self.refs)}"
        return self._input(agency, ref, body, at_ms, by, revision=revision, status=status)

    def reply(
        self,
        agency: str,
        kind: str,
        task_id: str,
        case_id: str,
        at_ms: int,
        *,
        by: str | None = None,
        **fields: object,
    ) -> Input:
        cls = {
            "ack": agency_events_pb2.TaskAcknowledged,
            "decline": agency_events_pb2.TaskDeclined,
            "dispatched": agency_events_pb2.UnitDispatched,
            "arrived": agency_events_pb2.UnitArrived,
            "progress": agency_events_pb2.ProgressNoted,
            "complete": agency_events_pb2.TaskCompleted,
            "assist": agency_events_pb2.AssistanceRequested,
        }[kind]
        body = cls(task_id=task_id, case_id=case_id, **fields)
        return self._input(agency, f"{agency}-r{next(self.refs)}", body, at_ms, by)

    def verification(
        self, case_id: str, verification_id: str, at_ms: int, *, ok: bool = True, by: str = "community"
    ) -> Input:
        body: object
        if ok:
            body = agency_events_pb2.ResolutionVerified(
                case_id=case_id, verification_id=verification_id, verified_by="gw-1", satisfaction=5
            )
        else:
            body = agency_events_pb2.ResolutionDisputed(
                case_id=case_id, verification_id=verification_id, disputed_by="gw-1", reason="still blocked"
            )
        return self._input(by, f"v-{next(self.refs)}", body, at_ms)

    def split(self, case_id: str, report_ids: list[str], at_ms: int, *, by: str = "operator") -> Input:
        body = agency_events_pb2.SplitCase(
            case_id=case_id, report_event_ids=report_ids, reason="two incidents", requested_by="op-1"
        )
        return self._input(by, f"split-{next(self.refs)}", body, at_ms)

    def tick(self, at_ms: int) -> Input:
        return self._input("correlator", f"tick-{at_ms}", agency_events_pb2.ClockTicked(partition=0), at_ms)
