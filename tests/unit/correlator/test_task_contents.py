"""Everything a responder needs travels with the task: the case's address and point reach every
agency's native outbox (dispatch and verification request) and every snapshot."""

from __future__ import annotations

import json

import pytest

from incidentbus.agencies.registry import RESPONDERS, load_adapter
from incidentbus.v1 import bus_pb2, case_events_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import Run

ADDRESS = "12 Palm St (rear gate)"


@pytest.mark.parametrize("agency", sorted(RESPONDERS))
def test_the_native_task_of_every_agency_carries_the_address(agency: str) -> None:
    run = Run()
    run(run.feed.report("police", "unknown.gas", T0, lat=31.2304, lon=121.4737, address=ADDRESS))  # all four
    [command] = [o.message for o in run.kinds("dispatch") if o.agency == agency]
    assert isinstance(command, bus_pb2.TaskCommand)
    native = json.dumps(load_adapter(agency).render_task(command), ensure_ascii=False)
    assert ADDRESS in native
    assert command.dispatch_task.location.point.latitude == pytest.approx(31.2304)


def test_verification_requests_and_snapshots_carry_the_address() -> None:
    run = Run()
    run(run.feed.report("police", "traffic.collision", T0, address=ADDRESS))
    case = run.only_case()
    [task] = case.tasks
    run(run.feed.reply("police", "complete", task.task_id, case.case_id, T0 + MIN, disposition=1))
    [request] = [
        o.message
        for o in run.kinds("dispatch")
        if o.message.WhichOneof("body") == "request_verification"  # type: ignore[union-attr]
    ]
    assert isinstance(request, bus_pb2.TaskCommand)
    assert ADDRESS in json.dumps(load_adapter("community").render_task(request), ensure_ascii=False)
    snapshots = [o.message for o in run.kinds("snapshot")]
    assert snapshots
    assert all(
        isinstance(s, case_events_pb2.CaseSnapshot) and s.location.address == ADDRESS for s in snapshots
    )
