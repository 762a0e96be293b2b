"""Inputs for the correlator core, built the way the bus builds them.

The idea of tests/unit/correlator/builders.py `Feed` (number inputs in log order, like one
partition of correlator.input.v1), but every agency event is made from the agency's native JSON by
its real adapter (`agencies.pipeline.canonical_event`, what the agency service publishes), and
ticks are made like the correlator shell makes them. bench/ does not import tests/.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from bench.gridlayer import lattice_grid_layer
from bench.places import lattice_jurisdictions
from incidentbus.agencies.base import AgencyAdapter
from incidentbus.agencies.pipeline import canonical_event
from incidentbus.agencies.registry import AGENCIES, load_adapter
from incidentbus.correlator.domain.inputs import Input, Position
from incidentbus.kernel.envelope import new_envelope, timestamp_ms, wrap
from incidentbus.kernel.grids import GridLayer
from incidentbus.kernel.ids import stable_id
from incidentbus.kernel.jurisdictions import Jurisdictions
from incidentbus.v1 import agency_events_pb2

INPUT_TOPIC = "correlator.input.v1"
MAX_BYTES = 1_000_000


@dataclass
class Feed:
    """Numbers inputs in log order, like one partition of correlator.input.v1."""

    offsets: itertools.count[int] = field(default_factory=itertools.count)
    adapters: dict[str, AgencyAdapter] = field(
        default_factory=lambda: {name: load_adapter(name) for name in AGENCIES}
    )
    places: Jurisdictions = field(default_factory=lattice_jurisdictions)  # the mix's districts
    grids: GridLayer = field(default_factory=lattice_grid_layer)  # and its grids, as polygons

    def native(self, agency: str, native: dict[str, Any], at_ms: int) -> Input:
        """The canonical event an agency service publishes for a native message recorded at `at_ms`."""
        payload = json.dumps(native, ensure_ascii=False).encode()
        event = canonical_event(
            self.adapters[agency], payload, at_ms, MAX_BYTES, self.places, grids=self.grids
        )
        offset = next(self.offsets)
        return Input(
            event, Position(INPUT_TOPIC, 0, offset), Position(f"{agency}.events.v1", 0, offset), agency
        )

    def tick(self, at_ms: int) -> Input:
        """A ClockTicked as the correlator shell writes it into an input partition."""
        body = agency_events_pb2.ClockTicked(partition=0)
        env = new_envelope(
            event_type=body.DESCRIPTOR.full_name,
            source="correlator",
            source_ref=f"tick/0/{at_ms}",
            recorded_at=timestamp_ms(at_ms),
            id_override=stable_id("tick", INPUT_TOPIC, 0, at_ms),
        )
        event: agency_events_pb2.AgencyEvent = wrap(agency_events_pb2.AgencyEvent, body, env)  # type: ignore[assignment]
        offset = next(self.offsets)
        return Input(event, Position(INPUT_TOPIC, 0, offset), Position(INPUT_TOPIC, 0, offset), "correlator")
