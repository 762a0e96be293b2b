"""Shared pieces for the core's tests: the shipped rules and a runner that keeps every output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from incidentbus.correlator.domain.area import AreaState
from incidentbus.correlator.domain.core import step
from incidentbus.correlator.domain.inputs import Input
from incidentbus.correlator.domain.invariants import spoken_for, violations
from incidentbus.correlator.domain.model import Case
from incidentbus.correlator.domain.outputs import Output
from incidentbus.correlator.domain.rules import Rules
from incidentbus.correlator.rulesfile import load_rules
from incidentbus.kernel.grids import load_grid_layer
from tests.gridlayers import LAYER
from tests.unit.correlator.builders import Feed

# The shipped rules, with neighbouring grids from the tests' layer (tests/grids.geojson), as the
# correlator gets them from INCIDENTBUS_GRIDS_PATH.
RULES = load_rules(grids=load_grid_layer(LAYER))


@dataclass
class Run:
    """Feeds inputs through `step`, keeping the state and all outputs."""

    rules: Rules = RULES
    state: AreaState = field(default_factory=lambda: AreaState("310101"))
    outputs: list[Output] = field(default_factory=list)
    feed: Feed = field(default_factory=Feed)

    def __call__(self, item: Input) -> list[Output]:
        self.state, out = step(self.state, item, self.rules)
        self.outputs.extend(out)
        return out

    def only_case(self) -> Case:
        [case] = [c for c in self.state.cases.values() if c.status != "MERGED"]
        return case

    def events(self, case_id: str | None = None) -> list[object]:
        return [
            o.message
            for o in self.outputs
            if o.kind == "case_event" and (case_id is None or o.key == case_id)
        ]

    def bodies(self, case_id: str) -> list[str]:
        return [m.WhichOneof("body") for m in self.events(case_id)]  # type: ignore[attr-defined]

    def links(self, case_id: str) -> list[Any]:
        """The ReportLinked bodies of a case, in order."""
        return [e.report_linked for e in self.events(case_id) if e.WhichOneof("body") == "report_linked"]  # type: ignore[attr-defined]

    def kinds(self, kind: str) -> list[Output]:
        return [o for o in self.outputs if o.kind == kind]


@pytest.fixture
def run() -> Run:
    return Run()


def checked(run: Run, item: Input) -> list[Output]:
    """Step with the invariants checked: the state stays lawful and every case event speaks only
    for the input's publisher."""
    before = run.state.copy()
    out = run(item)
    assert violations(before, out, run.state, run.rules) == []
    assert spoken_for(item, out, run.rules) == []
    return out
