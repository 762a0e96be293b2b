"""`incidentbus case ...`: operators' commands on cases, published for the correlator to apply."""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime

import typer

from incidentbus.cli.reading import run
from incidentbus.kernel.codec import encode
from incidentbus.kernel.envelope import new_envelope, timestamp, wrap
from incidentbus.kernel.kafka import producer, send
from incidentbus.kernel.settings import BusSettings
from incidentbus.v1 import agency_events_pb2

app = typer.Typer(help="Operators' commands on cases.", no_args_is_help=True)
COMMANDS_TOPIC = "case.commands.v1"


def split_command(
    case_id: str, report_ids: list[str], reason: str, operator: str, at: datetime
) -> agency_events_pb2.AgencyEvent:
    """The SplitCase command; its id derives from what it asks, so a re-sent command is one fact."""
    body = agency_events_pb2.SplitCase(
        case_id=case_id, report_event_ids=sorted(report_ids), reason=reason, requested_by=operator
    )
    ref = f"split/{case_id}/{','.join(sorted(report_ids))}"
    env = new_envelope(
        event_type=body.DESCRIPTOR.full_name,
        source="operator",
        source_ref=ref,
        recorded_at=timestamp(at),
        subject=case_id,
        correlation_id=case_id,
    )
    event: agency_events_pb2.AgencyEvent = wrap(agency_events_pb2.AgencyEvent, body, env)  # type: ignore[assignment]
    return event


@app.command("split")
def split(
    case_id: str = typer.Argument(..., help="the case holding the wrongly merged reports"),
    report: list[str] = typer.Option(..., "--report", help="event id of a report to move (repeatable)"),
    reason: str = typer.Option(..., help="why, for the record"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Move reports out of a case into a new case of their own (the correlator records CaseSplit)."""
    settings = BusSettings()
    event = split_command(case_id, report, reason, getpass.getuser(), datetime.now(UTC))
    record = encode(event, topic=settings.topic(COMMANDS_TOPIC), key=case_id)

    async def publish() -> tuple[int, int]:
        async with producer(settings) as client:
            return await send(client, record)

    partition, offset = run(publish(), settings)  # refused by the ACLs: "not authorized", exit 2
    result = {
        "command": event.envelope.event_id,
        "topic": record.topic,
        "partition": partition,
        "offset": offset,
    }
    print(json.dumps(result) if as_json else f"split requested for {case_id}: command {result['command']}")
