"""Correlator rules as validated data: correlation, routing, deadlines, levels, closing.

Which grids neighbour is not in the rules file: it comes from the grid layer's polygons
(kernel/grids.py), which the shell loads and hands over as plain data
(`Rules.with_grid_neighbours`), so the core stays pure and every shell judges places alike.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from incidentbus.correlator.domain.names import category_family

Level = Literal["NONE", "IV", "III", "II", "I"]
LEVELS: tuple[str, ...] = ("NONE", "IV", "III", "II", "I")
JURISDICTION_LEVELS = ("grid", "community", "street", "district", "city")


class RulesError(Exception):
    """The rules file is malformed; the message carries pydantic's detail."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Compatible(Frozen):
    name: str
    types: tuple[str, ...]


class Weights(Frozen):
    place: float = 0.4
    category: float = 0.4
    time: float = 0.2


class Repeat(Frozen):
    """Reports that match a recently closed case: linked to it as a repeat, on the record."""

    # Minutes after a case closed (event time) that a matching report is its repeat, per
    # incident type or category family ("default" for the rest; 0 = never). Must end before the closed case
    # leaves the working state (a day).
    window_minutes: dict[str, float] = Field(default_factory=lambda: {"default": 0.0})
    # Types or families whose repeat reopens the case (the incident is evidently not over);
    # others are recorded only.
    reopen: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _within_retention(self) -> Repeat:
        if not all(0 <= v <= 1440 for v in self.window_minutes.values()):  # NaN fails too
            raise ValueError("repeat window_minutes must be within 0..1440 (closed cases are held a day)")
        return self


class AddressRules(Frozen):
    """How normalised addresses (kernel/addresses.py) weigh in the place score."""

    # The same address, or the same two streets of an intersection: strong evidence of one place.
    same_score: float = Field(default=1.0, ge=0, le=1)
    # Addresses on different streets are different places, even within the radius.
    veto_different_streets: bool = True
    # Different house numbers on one street are different places (building complaints).
    veto_different_numbers: bool = False
    # Two intersections on one street with different cross streets are different spots.
    veto_different_cross_streets: bool = False


class Correlation(Frozen):
    threshold: float = Field(default=0.55, ge=0, le=1)
    # A merge of two live cases needs more evidence than a link (tasks, agencies, deadlines move).
    merge_threshold: float = Field(default=0.9, ge=0, le=1)
    # Metres within which two points are one place, by incident type, category family or
    # "default" (a bare number is the default for all).
    radius_m: dict[str, float] = Field(default_factory=lambda: {"default": 300.0})
    weights: Weights = Weights()
    same_type_score: float = 1.0
    compatible_score: float = 0.7
    same_grid_score: float = 1.0
    neighbour_grid_score: float = 0.7
    compatible: tuple[Compatible, ...] = ()
    # Minutes a case's reports may span, by incident type, category family or "default".
    window_minutes: dict[str, float] = Field(default_factory=lambda: {"default": 60.0})
    # Minutes of silence after which a report no longer joins (by type, family or "default";
    # absent: the window alone decides).
    inactivity_gap_minutes: dict[str, float] = Field(default_factory=dict)
    repeat: Repeat = Repeat()
    address: AddressRules = AddressRules()

    @field_validator("radius_m", mode="before")
    @classmethod
    def _one_radius(cls, value: object) -> object:
        return {"default": value} if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _positive(self) -> Correlation:
        if not all(0 < v < math.inf for v in self.radius_m.values()):
            raise ValueError("every radius_m must be a positive number")
        if not all(
            0 < v < math.inf for v in [*self.window_minutes.values(), *self.inactivity_gap_minutes.values()]
        ):
            raise ValueError("every window_minutes and inactivity_gap_minutes must be a positive number")
        longer = sorted(
            k for k, v in self.inactivity_gap_minutes.items() if v > self.window_minutes.get(k, math.inf)
        )
        if longer:
            raise ValueError(f"inactivity_gap_minutes longer than the window_minutes of {longer}")
        if self.merge_threshold < self.threshold:
            raise ValueError("merge_threshold must be at least the link threshold")
        return self


class Route(Frozen):
    types: tuple[str, ...]
    jurisdiction: str = "*"
    lead: str
    support: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()

    def matches(self, incident_type: str, district: str) -> bool:
        return any(fnmatchcase(incident_type, p) for p in self.types) and fnmatchcase(
            district, self.jurisdiction
        )


class StepMinutes(Frozen):
    """Minutes of event time per step; fractions allowed (drills and tests use seconds)."""

    acknowledge: float | None = Field(default=None, gt=0)
    arrive: float | None = Field(default=None, gt=0)
    resolve: float | None = Field(default=None, gt=0)
    verify: float | None = Field(default=None, gt=0)


class Deadlines(Frozen):
    severity: dict[str, StepMinutes]
    category: dict[str, StepMinutes] = Field(default_factory=dict)
    # Event time a deadline waits past its due time before it fires: a reply logged in time
    # but stepped later than this (a service lagging more) can still be escalated.
    allowed_lateness_seconds: float = Field(default=10.0, ge=0)

    @property
    def allowed_lateness_ms(self) -> int:
        return round(self.allowed_lateness_seconds * 1000)


class CasualtyLevel(Frozen):
    at_least: int = Field(ge=1)
    level: Level


class Escalation(Frozen):
    raise_at: Literal["grid", "community", "street", "district", "city"] = "district"
    # At the top of the ladder a missed deadline is reminded, not escalated: the n-th reminder
    # comes after the step's span x backoff^n minutes, never more than reminder_max_minutes.
    reminder_backoff: float = Field(default=2.0, ge=1.0)
    reminder_max_minutes: float = Field(default=1440.0, gt=0)


class ResponseLevels(Frozen):
    deadline_factor: dict[Level, float]
    notify: dict[Level, tuple[str, ...]] = Field(default_factory=dict)

    def factor(self, level: str) -> float:
        return self.deadline_factor.get(level, 1.0)  # type: ignore[call-overload, no-any-return]

    def notified(self, level: str) -> list[str]:
        return list(self.notify.get(level, ()))  # type: ignore[call-overload]

    casualties: tuple[CasualtyLevel, ...] = ()
    category: dict[str, Level] = Field(default_factory=dict)
    escalation: Escalation = Escalation()


class Policy(Frozen):
    policy: str
    types: tuple[str, ...]


class Closing(Frozen):
    without_verification: tuple[Policy, ...] = ()
    # A dissatisfied verification answer within this many days of closing reopens the case
    # (12345 practice); later ones are dead-lettered with an alert.
    reopen_window_days: float = Field(default=7.0, gt=0)

    @property
    def reopen_window_ms(self) -> int:
        return round(self.reopen_window_days * 86_400_000)


class Audit(Frozen):
    """Signed checkpoints of the case chains (correlator/checkpointing.py)."""

    # Every this many minutes of a partition's event time, the chain heads its steps moved are
    # fixed in a signed checkpoint: a cut tail, deleted case or rollback of what a checkpoint
    # fixed is visible to `incidentbus verify --checkpoints`; what came after it is not yet.
    checkpoint_minutes: float = Field(default=5.0, gt=0)

    @property
    def checkpoint_interval_ms(self) -> int:
        return max(1, round(self.checkpoint_minutes * 60_000))


class Rules(Frozen):
    """Everything the core decides by. Immutable; a changed file is a new Rules."""

    version: int
    # Every agency the rules may give a task to; the shell checks them against the topic catalog.
    agencies: tuple[str, ...] = ("police", "health", "urban", "community")
    default_owner: str
    fast_path_agencies: tuple[str, ...]
    verifier: str
    # The agency whose own reporters confirm a resolution when a report of theirs in the case left
    # a contact (a citizen called back by the 12345 hotline); "" for none. Unanswered in time, the
    # verification passes to `verifier`.
    reporter_verifier: str = ""
    correlation: Correlation
    routing: tuple[Route, ...]
    deadlines: Deadlines
    response_levels: ResponseLevels
    closing: Closing = Closing()
    audit: Audit = Audit()
    # Grid code -> the codes of the grids that share a boundary with it: the grid layer's
    # adjacency, filled by the shell (`with_grid_neighbours`), never read from the rules file.
    grid_neighbours: dict[str, frozenset[str]] = Field(default_factory=dict, repr=False)

    @model_validator(mode="after")
    def _names_known(self) -> Rules:
        named = {self.default_owner, self.verifier, *self.fast_path_agencies}
        for route in self.routing:
            named |= {route.lead, *route.support, *route.fallback}
        for level in self.response_levels.notify.values():
            named |= set(level)
        unknown = sorted(named - set(self.agencies))
        if unknown:
            raise ValueError(f"agencies {unknown} are not in the rules' agencies {list(self.agencies)}")
        return self

    @property
    def addressees(self) -> frozenset[str]:
        """Every agency the correlator writes to: those of tasks, and the reporter verifier."""
        return frozenset({*self.agencies, self.reporter_verifier} - {""})

    @property
    def verifiers(self) -> frozenset[str]:
        """The agencies whose verification answers the correlator reads."""
        return frozenset({self.verifier, self.reporter_verifier} - {""})

    def route(self, incident_type: str, district: str) -> Route:
        """The first routing rule for a type; a catch-all to the default owner if none matches."""
        for route in self.routing:
            if route.matches(incident_type, district):
                return route
        return Route(types=("*",), lead=self.default_owner)

    def window_ms(self, incident_type: str, category: str) -> int:
        """How long a case of this type may span (ms): its type's window, else its family's,
        else the default."""
        return round(_by_type(self.correlation.window_minutes, incident_type, category, 60.0) * 60_000)

    def gap_ms(self, incident_type: str, category: str) -> int:
        """The inactivity gap (ms) of a type: how long a silence ends its incident; its window
        when the rules give none."""
        window = self.window_ms(incident_type, category)
        gaps = self.correlation.inactivity_gap_minutes
        return min(window, round(_by_type(gaps, incident_type, category, window / 60_000) * 60_000))

    def radius_m(self, incident_type: str, category: str) -> float:
        """The radius of a report: its type's, else its category family's, else the default."""
        return _by_type(self.correlation.radius_m, incident_type, category, 300.0)

    def repeat_window_ms(self, incident_type: str, category: str) -> int:
        """How long after closing a matching report repeats the case (ms); 0 = never."""
        return round(_by_type(self.correlation.repeat.window_minutes, incident_type, category, 0.0) * 60_000)

    def repeat_reopens(self, incident_type: str, category: str) -> bool:
        """Whether a repeat of a case of this type reopens it (its type or family is listed)."""
        return bool({incident_type, category_family(category)} & set(self.correlation.repeat.reopen))

    def compressed(self, factor: float) -> Rules:
        """The same rules with every duration divided by `factor` (demos and drills run a day in minutes)."""

        def shrink(step: StepMinutes) -> StepMinutes:
            return StepMinutes(**{k: v / factor if v else v for k, v in step.model_dump().items()})

        deadlines = Deadlines(
            severity={k: shrink(v) for k, v in self.deadlines.severity.items()},
            category={k: shrink(v) for k, v in self.deadlines.category.items()},
            allowed_lateness_seconds=self.deadlines.allowed_lateness_seconds / factor,
        )
        windows = {k: v / factor for k, v in self.correlation.window_minutes.items()}
        gaps = {k: v / factor for k, v in self.correlation.inactivity_gap_minutes.items()}
        repeat = self.correlation.repeat.model_copy(
            update={
                "window_minutes": {k: v / factor for k, v in self.correlation.repeat.window_minutes.items()}
            }
        )
        correlation = self.correlation.model_copy(
            update={"window_minutes": windows, "inactivity_gap_minutes": gaps, "repeat": repeat}
        )
        levels = self.response_levels
        escalation = levels.escalation.model_copy(
            update={"reminder_max_minutes": levels.escalation.reminder_max_minutes / factor}
        )
        closing = self.closing.model_copy(
            update={"reopen_window_days": self.closing.reopen_window_days / factor}
        )
        return self.model_copy(
            update={
                "deadlines": deadlines,
                "correlation": correlation,
                "response_levels": levels.model_copy(update={"escalation": escalation}),
                "closing": closing,
                "audit": Audit(checkpoint_minutes=self.audit.checkpoint_minutes / factor),
            }
        )

    def step_minutes(self, severity: str, category: str, kind: str) -> float:
        """Deadline length for a step: the category's override, else the severity's."""
        override = getattr(self.deadlines.category.get(category, StepMinutes()), kind)
        base = getattr(self.deadlines.severity.get(severity, StepMinutes()), kind)
        minutes = override or base
        if minutes is None:
            raise RulesError(f"no {kind} deadline for severity {severity!r}")
        return float(minutes)

    def compatibility(self, a: str, b: str) -> float:
        """Category score of two incident types: same, compatible (one group), or 0."""
        if a == b:
            return self.correlation.same_type_score
        if any(a in g.types and b in g.types for g in self.correlation.compatible):
            return self.correlation.compatible_score
        return 0.0

    def with_grid_neighbours(self, adjacency: Mapping[str, Iterable[str]]) -> Rules:
        """The same rules judging neighbouring grids by `adjacency` (grid code -> its neighbours,
        e.g. `GridLayer.adjacency`) instead of any given before."""
        neighbours = {code: frozenset(near) - {code} for code, near in adjacency.items()}
        return self.model_copy(update={"grid_neighbours": {k: v for k, v in neighbours.items() if v}})

    def neighbours(self, grid: str) -> frozenset[str]:
        """The grids that share a boundary with this one (none for a grid the layer does not draw)."""
        return self.grid_neighbours.get(grid, frozenset())

    def close_policy(self, incident_type: str) -> str:
        """The named policy that closes this type without verification, or ''."""
        for policy in self.closing.without_verification:
            if any(fnmatchcase(incident_type, p) for p in policy.types):
                return policy.policy
        return ""


def _by_type(table: dict[str, float], incident_type: str, category: str, fallback: float) -> float:
    """A per-type setting: the type's entry, else its category family's, else "default"."""
    for key in (incident_type, category_family(category), "default"):
        if key in table:
            return table[key]
    return fallback


# Tables a rules file once held or might be expected to hold, and why they are refused.
NOT_IN_THE_FILE = {
    "grids": "[grids] is no longer read: neighbouring grids come from the grid layer's polygons "
    "(INCIDENTBUS_GRIDS_PATH); remove the table, and correct the layer where it is wrong",
    "grid_neighbours": "grid_neighbours comes from the grid layer (INCIDENTBUS_GRIDS_PATH), "
    "not the rules file",
}


def parse_rules(text: str) -> Rules:
    """Rules from TOML text (pure), without grid neighbours; RulesError with the exact problem
    when invalid. A hand-kept `[grids]` table is refused rather than ignored or merged: it would
    silently disagree with the polygons the agencies place reports by."""
    try:
        data = tomllib.loads(text)
        refused = [why for key, why in NOT_IN_THE_FILE.items() if key in data]
        if refused:
            raise RulesError(f"invalid correlator rules: {'; '.join(refused)}")
        return Rules.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RulesError(f"invalid correlator rules: {exc}") from exc
