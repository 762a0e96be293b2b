"""What every agency adapter is made of: code tables, a native parser, a pure mapping.

An adapter turns one validated native message into one canonical body (`to_canonical`) and
one canonical task command into one native JSON object (`render_task`). Native codes are
looked up in tables the agency edits (`codes.toml` beside its module); a code that is not in
the table is an error, never a default. Drills stay drills: each agency marks one with a
native field of its own (`status_field`, table `event_status`), in and out.
"""

from __future__ import annotations

import re
import sys
import tomllib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.protobuf.message import Message
from pydantic import BaseModel, ConfigDict, TypeAdapter

from incidentbus.agencies.bounds import TIME_ZONE
from incidentbus.agencies.taxonomy import (
    IncidentType,
    decline_reason_value,
    disposition_value,
    event_status_value,
    incident_types,
)
from incidentbus.v1 import agency_events_pb2, bus_pb2, case_events_pb2, common_pb2

GRID_PATTERN = re.compile(r"^(\d{6})-(\d{3})-(\d{3})-(\d{2})$")
ACTUAL = common_pb2.EVENT_STATUS_ACTUAL
NativeField = tuple[str, str]  # (native field name, native code), for messages that name the field


class MappingError(Exception):
    """A native message that validates but cannot be mapped; `reason` is a stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Native(BaseModel):
    """Base of native message models: strict types (no "1" for 1), unknown fields ignored."""

    model_config = ConfigDict(strict=True, frozen=True, extra="ignore", str_strip_whitespace=True)


@dataclass(frozen=True)
class Mapped:
    """A canonical body plus what its envelope needs from the native message."""

    body: Message
    source_ref: str
    revision: int = 0
    occurred_at: datetime | None = None
    subject: str = ""
    correlation_id: str = ""
    status: int = ACTUAL  # common_pb2.EventStatus: a drill or test stays one on the bus


@dataclass(frozen=True)
class CodeTables:
    """An agency's editable code tables: table name -> native code -> canonical name."""

    agency: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.time_zone()  # a zone that does not exist fails when the tables load, not at the first report

    @classmethod
    def load(cls, agency: str, path: Path) -> CodeTables:
        return cls(agency, tomllib.loads(path.read_text("utf-8")))

    def time_zone(self) -> ZoneInfo | None:
        """The agency's declared time zone (table `time`, key `zone`, an IANA name such as
        "Asia/Shanghai"), used only for native times that carry no UTC offset; None when it declares
        none (such times are then refused). ValueError for a name the zone database lacks."""
        name = self.tables.get("time", {}).get("zone")
        if name is None:
            return None
        try:
            if not isinstance(name, str):
                raise TypeError(name)
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(
                f"{self.agency} code tables: time zone {name!r} is not an IANA zone name"
            ) from exc

    def lookup(self, table: str, code: str) -> Any:
        """The table's entry for a code; MappingError('intake.unknown_code') when absent."""
        rows = self.tables.get(table, {})
        if code not in rows:
            raise MappingError(
                "intake.unknown_code", f"{self.agency} {table} code {code!r} is not in the code table"
            )
        return rows[code]

    def incident_type(self, code: str) -> IncidentType:
        return incident_types()[self.lookup("incident_types", code)]

    def reply(
        self,
        status: str,
        task_id: str,
        case_id: str,
        *,
        decline_code: str = "",
        disposition_code: str = "",
        note: str = "",
        requested: NativeField = ("", ""),
        suggested: NativeField = ("", ""),
        **fields: str,
    ) -> TaskReply:
        """A task reply from native codes: the status table names the kind; a decline needs a known
        reason code and a completion a known disposition code (both refused when unknown).

        Other agencies are named in the agency's own terms (table `agencies`). An assistance
        request naming one the bus does not know is refused; a decline is a fact even when its
        transfer suggestion is unknown, so it keeps the decline, drops the suggestion and says so
        in its text (the correlator then uses its rule's fallback)."""
        kind = ReplyKind(self.lookup("status", status))
        declined = self.lookup("decline_reasons", decline_code) if kind is ReplyKind.DECLINED else ""
        disposition = self.lookup("dispositions", disposition_code) if kind is ReplyKind.COMPLETED else ""
        requested_agency = suggested_agency = ""
        if kind is ReplyKind.ASSISTANCE and requested[1]:
            requested_agency = self.lookup("agencies", requested[1])
        if kind is ReplyKind.DECLINED and suggested[1]:
            suggested_agency = self.tables.get("agencies", {}).get(suggested[1], "")
            if not suggested_agency:
                refusal = f"{suggested[0]} {suggested[1]!r} is not a known agency; refused"
                note = f"{note}; {refusal}" if note else refusal
        return TaskReply(
            kind,
            task_id,
            case_id,
            note=note,
            decline_reason=declined,
            disposition=disposition,
            requested_agency=requested_agency,
            suggested_agency=suggested_agency,
            **fields,
        )

    def event_status(self, code: str | None) -> int:
        """A native drill marker as an EventStatus: absent is actual, an unknown code is refused."""
        if code is None:
            return ACTUAL
        return event_status_value(self.lookup("event_status", code))


class ReplyKind(Enum):
    """What an agency's status message means, whatever its native code."""

    ACKNOWLEDGED = "acknowledged"
    DECLINED = "declined"
    UNIT_DISPATCHED = "unit_dispatched"
    UNIT_ARRIVED = "unit_arrived"
    PROGRESS = "progress"
    COMPLETED = "completed"
    ASSISTANCE = "assistance"


class Outcome(Enum):
    """What a verification answer (回访) means, whatever the native result code (table
    `verification`)."""

    VERIFIED = "verified"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class TaskReply:
    """An agency's reply to a task, in canonical terms, before it becomes a body."""

    kind: ReplyKind
    task_id: str
    case_id: str
    actor: str = ""
    unit: str = ""
    note: str = ""
    decline_reason: str = ""
    disposition: str = ""
    requested_agency: str = ""
    suggested_agency: str = ""


def reply_body(reply: TaskReply) -> Message:  # noqa: PLR0911 - one return per reply kind
    """The canonical event body for a task reply."""
    t, c = reply.task_id, reply.case_id
    match reply.kind:
        case ReplyKind.ACKNOWLEDGED:
            return agency_events_pb2.TaskAcknowledged(task_id=t, case_id=c, acknowledged_by=reply.actor)
        case ReplyKind.DECLINED:
            reason = decline_reason_value(reply.decline_reason)
            return agency_events_pb2.TaskDeclined(
                task_id=t,
                case_id=c,
                reason=reason,
                reason_text=reply.note,
                suggested_agency=reply.suggested_agency,
            )
        case ReplyKind.UNIT_DISPATCHED:
            return agency_events_pb2.UnitDispatched(task_id=t, case_id=c, unit_id=reply.unit)
        case ReplyKind.UNIT_ARRIVED:
            return agency_events_pb2.UnitArrived(task_id=t, case_id=c, unit_id=reply.unit)
        case ReplyKind.PROGRESS:
            return agency_events_pb2.ProgressNoted(task_id=t, case_id=c, note=reply.note)
        case ReplyKind.COMPLETED:
            disposition = disposition_value(reply.disposition)
            return agency_events_pb2.TaskCompleted(
                task_id=t, case_id=c, disposition=disposition, summary=reply.note
            )
        case ReplyKind.ASSISTANCE:
            return agency_events_pb2.AssistanceRequested(
                task_id=t, case_id=c, requested_agency=reply.requested_agency, reason=reply.note
            )


def reply_mapped(reply: TaskReply, source_ref: str, at: datetime) -> Mapped:
    """A reply's canonical event, about its task (subject) and in its case (correlation)."""
    return Mapped(
        reply_body(reply),
        source_ref=source_ref,
        occurred_at=at,
        subject=reply.task_id,
        correlation_id=reply.case_id,
    )


def jurisdiction_path(grid: str) -> common_pb2.JurisdictionPath:
    """The jurisdiction path a grid code spells: `DDDDDD-SSS-CCC-GG` = district, street, community,
    grid (the city is the district's first four digits + `00`); MappingError when malformed."""
    match = GRID_PATTERN.match(grid)
    if match is None:
        raise MappingError("intake.bad_location", f"grid code {grid!r} is not DDDDDD-SSS-CCC-GG")
    district, street, community, _ = match.groups()
    return common_pb2.JurisdictionPath(
        city=f"{district[:4]}00",
        district=district,
        street=f"{district}-{street}",
        community=f"{district}-{street}-{community}",
        grid=grid,
    )


def location(
    grid: str | None, *, address: str = "", lat: float | None = None, lon: float | None = None
) -> common_pb2.Location:
    """A canonical location from a grid code and/or a WGS84 point; the jurisdiction path is read off
    the grid code itself (`jurisdiction_path`).

    A report needs one of the two: with a point and no grid code, intake places it by the grid
    layer (agencies/places.py `settle_location`); with neither it is `intake.missing_location`.
    """
    if not grid and lat is None and lon is None:
        raise MappingError(
            "intake.missing_location", "no grid code and no point: every report must be located in a grid"
        )
    result = common_pb2.Location(address=address)
    if grid:
        result.grid_code = grid
        result.jurisdiction.CopyFrom(jurisdiction_path(grid))
    if (lat is None) != (lon is None):
        raise MappingError("intake.bad_location", "a point needs both latitude and longitude")
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise MappingError("intake.bad_location", f"({lat}, {lon}) is not a WGS84 point")
        result.point.CopyFrom(common_pb2.GeoPoint(latitude=lat, longitude=lon))
    return result


@dataclass(frozen=True)
class TaskFields:
    """An agency's native names for what every task message it receives carries."""

    kind: str  # the discriminator field, e.g. "msg_type"
    task: str  # the task id field
    case: str  # the case id field
    cancel: str  # the discriminator value of a cancellation


class AgencyAdapter(ABC):
    """The anti-corruption layer of one agency: parse, map in, render out. Pure.

    A subclass names its native message union and its task fields, and maps each native
    message kind; loading its code tables, parsing and cancellations are shared.
    """

    name: str
    message_type: ClassVar[Any]  # the discriminated union of the agency's native messages
    task_fields: ClassVar[TaskFields]
    # The native field that marks a drill or a test (table `event_status`), in and out; "" for an
    # agency whose system cannot mark one (its messages are actual, drill tasks are refused).
    status_field: ClassVar[str] = ""

    def __init__(self, codes: CodeTables | None = None) -> None:
        module = sys.modules[type(self).__module__].__file__ or ""
        self.codes = codes or CodeTables.load(self.name, codes_path(module))
        self.native: TypeAdapter[Any] = TypeAdapter(self.message_type)
        self.time_zone = self.codes.time_zone()

    def parse(self, text: str) -> Native:
        """Validate JSON text against the native models (pydantic ValidationError).

        JSON mode keeps strict types (no "1" for 1) while reading ISO 8601 times; a time without
        an offset is read in the agency's declared zone, if any (agencies/bounds.py, `ProtoTime`).
        """
        result: Native = self.native.validate_json(text, context={TIME_ZONE: self.time_zone})
        return result

    @abstractmethod
    def to_canonical(self, message: Native) -> Mapped:
        """The canonical body for a validated native message; MappingError when unmappable."""

    def canonical(self, message: Native) -> Mapped:
        """`to_canonical`, with the event status the message's drill marker gives."""
        code = getattr(message, self.status_field, None) if self.status_field else None
        return replace(self.to_canonical(message), status=self.codes.event_status(code))

    def render_task(self, command: bus_pb2.TaskCommand) -> dict[str, Any]:
        """The native JSON object for a canonical task command, marked when it is a drill or test."""
        match command.WhichOneof("body"):
            case "dispatch_task":
                native = self.render_dispatch(command.dispatch_task)
            case "cancel_task":
                c, f = command.cancel_task, self.task_fields
                native = {f.kind: f.cancel, f.task: c.task_id, f.case: c.case_id, "reason": c.reason}
            case other:
                native = self.render_other(command, other or "")
        return native | self.status_marker(command.envelope.status)

    def status_marker(self, status: int) -> dict[str, str]:
        """The agency's drill/test marker for a task; nothing for an actual one. A drill the agency
        cannot mark is refused, never sent as if it were real."""
        if status in (ACTUAL, common_pb2.EVENT_STATUS_UNSPECIFIED):
            return {}
        name = enum_name(common_pb2.EventStatus, status, "EVENT_STATUS_")
        code = self.native_code("event_status", name) if self.status_field else None
        if code is None:
            raise MappingError("dispatch.unsupported", f"{self.name} has no code for a {name} task")
        return {self.status_field: code}

    @abstractmethod
    def render_dispatch(self, task: bus_pb2.DispatchTask) -> dict[str, Any]:
        """A dispatch order in the agency's terms; codes it has no name for stay null."""

    def render_other(self, command: bus_pb2.TaskCommand, body: str) -> dict[str, Any]:
        """Commands beyond dispatch and cancel: refused unless the agency takes them."""
        raise MappingError("dispatch.unsupported", f"{self.name} does not take {body}")

    def native_code(self, table: str, canonical: str) -> str | None:
        """The agency's code for a canonical name (None when its table has none)."""
        return reverse_code(self.codes, table, canonical)

    def severity_code(self, table: str, task: bus_pb2.DispatchTask) -> str | None:
        return self.native_code(table, enum_name(common_pb2.Severity, task.severity, "SEVERITY_"))


def role_name(task: bus_pb2.DispatchTask) -> str:
    """`TASK_ROLE_LEAD` -> `lead`."""
    return enum_name(case_events_pb2.TaskRole, task.role, "TASK_ROLE_")


def codes_path(module_file: str) -> Path:
    """The codes.toml beside an adapter module."""
    return Path(module_file).with_name("codes.toml")


def iso(ts: Any) -> str:
    """A protobuf Timestamp as RFC 3339 text (native systems read ISO times)."""
    return str(ts.ToJsonString())


def deadlines_of(task: bus_pb2.DispatchTask) -> dict[str, str]:
    """Deadlines as `{kind: due_at}`, e.g. {"acknowledge": "2026-11-25T08:35:00Z"}."""
    names = common_pb2.DeadlineKind.Name
    return {names(d.kind).removeprefix("DEADLINE_KIND_").lower(): iso(d.due_at) for d in task.deadlines}


def reverse_code(codes: CodeTables, table: str, canonical: str) -> str | None:
    """The first native code of a table that maps to a canonical name (tables are ordered)."""
    return next((code for code, name in codes.tables.get(table, {}).items() if name == canonical), None)


def enum_name(enum: Any, value: int, prefix: str) -> str:
    """`SEVERITY_MAJOR` -> `major`: canonical enum values as table names."""
    return str(enum.Name(value)).removeprefix(prefix).lower()
