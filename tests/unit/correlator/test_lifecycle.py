"""The lifecycle's invariants over random interleavings (hypothesis stateful testing).

Reports (actual and drill, in neighbouring grids, with and without points tens to hundreds of metres
apart, so that cases link by distance or grid and merge when a report places a grid-only case),
later revisions (some stale), replies of every kind to any task (active or not, naming known and
unknown agencies), verifications (pending, stale, after closing), clock ticks from seconds to
days, and operator splits are driven through the core in random order; after every step
`invariants.violations` must be empty and every report must have exactly one live case.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.invariants import spoken_for, violations
from incidentbus.correlator.domain.outputs import Output
from incidentbus.v1 import case_events_pb2, common_pb2
from tests.unit.correlator.builders import MIN, T0
from tests.unit.correlator.conftest import RULES, Run

TYPES = [
    "traffic.collision",
    "traffic.collision_injury",
    "medical.injury",
    "urban.road_damage",
    "urban.garbage",
    "unknown.gas",
    "public_safety.noise",
    "public_safety.disturbance",
    "community.dispute",
]
GRIDS = ["310101-002-003-07", "310101-002-003-06", "310101-002-003-08", "310101-007-001-01"]
AGENCIES = ["police", "health", "urban", "community"]
REPORTERS = [*AGENCIES, "citizen", "citizen"]  # citizens (12345, Open311) report; some leave a contact
NAMED = [*AGENCIES, "", "fire brigade"]
REPLIES = ["ack", "dispatched", "arrived", "progress", "complete", "decline", "assist"]
STATUS = [common_pb2.EVENT_STATUS_ACTUAL, common_pb2.EVENT_STATUS_EXERCISE]


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.run = Run()
        self.now = T0
        self.records: dict[tuple[str, str], tuple[int, int]] = {}  # identity -> (revision, status)
        self.problems: list[str] = []

    def step(self, item: Input) -> list[Output]:
        before = self.run.state.copy()
        out = self.run(item)
        self.problems += violations(before, out, self.run.state, RULES)
        self.problems += spoken_for(item, out, RULES)
        self.now = max(self.now, item.recorded_ms)
        return out

    def later(self, minutes: int) -> int:
        return self.now + minutes * MIN

    @rule(
        agency=st.sampled_from(REPORTERS),
        contactable=st.booleans(),
        kind=st.sampled_from(TYPES),
        grid=st.sampled_from(GRIDS),
        dt=st.integers(0, 30),
        casualties=st.integers(0, 12),
        status=st.sampled_from(STATUS),
        point=st.sampled_from([None, 0.0, 0.0005, 0.001, 0.0025]),  # degrees east: 0, ~50, ~95, ~240 m
    )
    def report(
        self,
        *,
        agency: str,
        contactable: bool,
        kind: str,
        grid: str,
        dt: int,
        casualties: int,
        status: int,
        point: float | None,
    ) -> None:
        lat, lon = (31.23, 121.47 + point) if point is not None else (None, None)
        item = self.run.feed.report(
            agency,
            kind,
            self.later(dt),
            grid=grid,
            casualties=casualties,
            status=status,
            lat=lat,
            lon=lon,
            contactable=contactable,
        )
        self.records[(agency, item.event.envelope.source_ref)] = (0, status)
        self.step(item)

    @precondition(lambda self: self.records)
    @rule(
        pick=st.integers(0, 10_000),
        kind=st.sampled_from(TYPES),
        grid=st.sampled_from(GRIDS),
        casualties=st.integers(0, 12),
        bump=st.integers(-1, 2),
        dt=st.integers(0, 20),
    )
    def revise(self, *, pick: int, kind: str, grid: str, casualties: int, bump: int, dt: int) -> None:
        (agency, ref), (revision, status) = sorted(self.records.items())[pick % len(self.records)]
        new = max(0, revision + bump)
        item = self.run.feed.report(
            agency,
            kind,
            self.later(dt),
            grid=grid,
            casualties=casualties,
            ref=ref,
            revision=new,
            status=status,
        )
        self.records[(agency, ref)] = (max(new, revision), status)
        self.step(item)

    @rule(
        reply=st.sampled_from(REPLIES),
        pick=st.integers(0, 10_000),
        named=st.sampled_from(NAMED),
        dt=st.integers(0, 30),
    )
    def reply(self, reply: str, pick: int, named: str, dt: int) -> None:
        tasks = sorted(
            (c.case_id, t.task_id, t.agency) for c in self.run.state.cases.values() for t in c.tasks
        )
        if not tasks:
            return
        case_id, task_id, agency = tasks[pick % len(tasks)]
        extra: dict[str, Any] = {
            "complete": {"disposition": 1},
            "decline": {"reason": 2, "suggested_agency": named},
            "assist": {"requested_agency": named},
        }.get(reply, {})
        self.step(self.run.feed.reply(agency, reply, task_id, case_id, self.later(dt), **extra))

    @rule(
        reply=st.sampled_from(REPLIES),
        pick=st.integers(0, 10_000),
        claimed=st.sampled_from(AGENCIES),
        by=st.sampled_from([*AGENCIES, "operator"]),
        dt=st.integers(0, 30),
    )
    def impersonate(self, reply: str, pick: int, claimed: str, by: str, dt: int) -> None:
        """Someone other than the task's agency answers it, in its own name or claiming another's."""
        tasks = sorted(
            (c.case_id, t.task_id, t.agency) for c in self.run.state.cases.values() for t in c.tasks
        )
        if not tasks:
            return
        case_id, task_id, agency = tasks[pick % len(tasks)]
        if agency == by:
            return
        out = self.step(self.run.feed.reply(claimed, reply, task_id, case_id, self.later(dt), by=by))
        refused = [o.reason for o in out if o.kind == "reject"]
        assert any(r.startswith("authz.") for r in refused), refused
        acted = [o for o in out if o.kind == "case_event" and o.message.actor != "correlator"]  # type: ignore[union-attr]
        assert acted == []

    @rule(
        ok=st.booleans(),
        pick=st.integers(0, 10_000),
        dt=st.integers(0, 60),
        by=st.sampled_from(["community", "community", "citizen", "citizen", "police"]),
    )
    def verify(self, ok: bool, pick: int, dt: int, by: str) -> None:
        """Verification answers, now and then from an agency they were not addressed to: the grid
        worker for a citizen's, a citizen for the grid worker's, or an agency that verifies none."""
        asked = sorted(
            (c.case_id, f"{c.case_id}/v{n}")
            for c in self.run.state.cases.values()
            for n in range(1, c.verifications + 1)
        )
        if asked:
            case_id, vid = asked[pick % len(asked)]
            case = self.run.state.resolve(case_id)
            other = case is not None and case.verification_id == vid and by != case.verifier
            out = self.step(self.run.feed.verification(case_id, vid, self.later(dt), ok=ok, by=by))
            if by not in RULES.verifiers or other:
                assert "authz.not_addressed" in [o.reason for o in out if o.kind == "reject"]

    @rule(minutes=st.one_of(st.integers(1, 60), st.integers(60, 3 * 24 * 60)))
    def tick(self, minutes: int) -> None:
        self.step(self.run.feed.tick(self.later(minutes)))

    @rule(pick=st.integers(0, 10_000), by=st.sampled_from(["operator", "operator", "operator", "urban"]))
    def split(self, pick: int, by: str) -> None:
        """Operators' splits, now and then published by an agency (refused)."""
        cases = sorted(c.case_id for c in self.run.state.open_cases() if len(c.reports) > 1)
        if cases:
            case = self.run.state.cases[cases[pick % len(cases)]]
            out = self.step(
                self.run.feed.split(case.case_id, [case.reports[-1].event_id], self.later(1), by=by)
            )
            if by != "operator":
                assert "authz.wrong_publisher" in [o.reason for o in out if o.kind == "reject"]

    @invariant()
    def every_step_keeps_the_invariants(self) -> None:
        assert self.problems == []

    @invariant()
    def every_report_is_in_exactly_one_live_case(self) -> None:
        """Judged on the record: links add a home, splits and merges take one away."""
        homes: dict[tuple[str, str], set[str]] = {}
        for event in self.run.events():
            assert isinstance(event, case_events_pb2.CaseEvent)
            body = event.WhichOneof("body")
            if body == "report_linked":
                ref = event.report_linked.report
                homes.setdefault((ref.source_agency, ref.source_ref), set()).add(event.case_id)
            elif body == "case_split":
                for ref in event.case_split.moved_reports:
                    homes[(ref.source_agency, ref.source_ref)].discard(event.case_id)
            elif body == "case_closed" and event.case_closed.merged_into:
                for cases in homes.values():
                    cases.discard(event.case_id)
        # A case the core no longer holds nor remembers as retired is past its memory horizon
        # (SEEN_RETENTION_MS after it left the working state): a revision then starts afresh.
        state = self.run.state
        remembered = set(state.cases) | {case_id for case_id, _ in state.retired.values()}
        for key in self.records:
            held = homes.get(key, set())
            live, forgotten = held & remembered, held - remembered
            assert len(live) == 1 or (not live and forgotten), (key, held)
        assert set(homes) <= set(self.records)


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(
    max_examples=int(os.environ.get("LIFECYCLE_EXAMPLES", "60")),
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
