"""Protobuf enum values <-> the short names the state and the rules use ("MAJOR", "traffic")."""

from __future__ import annotations

from functools import cache
from typing import Any, cast

from incidentbus.v1 import case_events_pb2, common_pb2


# Cached: protobuf's Name/Value are Python-level lookups, and the core makes several per output.
# Both raise ValueError for an unknown value or name (never cached).
@cache
def short(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)


def label(enum: Any, value: int, prefix: str) -> str:
    """For reading tools: `short`, but '' for the zero value (UNSPECIFIED) and the number as text
    for a value newer than this build (proto3 enums are open; a reader must not crash on one)."""
    if not value:
        return ""
    try:
        return short(enum, value, prefix)
    except ValueError:
        return str(value)


@cache
def value(enum: Any, name: str, prefix: str) -> Any:
    return enum.Value(prefix + name)


def severity_name(v: int) -> str:
    return short(common_pb2.Severity, v, "SEVERITY_")


def severity_of(name: str) -> common_pb2.Severity:
    return cast(common_pb2.Severity, value(common_pb2.Severity, name, "SEVERITY_"))


def category_name(v: int) -> str:
    return short(common_pb2.Category, v, "CATEGORY_").lower()


def category_of(name: str) -> common_pb2.Category:
    return cast(common_pb2.Category, value(common_pb2.Category, name.upper(), "CATEGORY_"))


def category_family(category: str) -> str:
    """The six unknowns share rules under `unknown`; every other category is its own family."""
    return "unknown" if category.startswith("unknown_") else category


def level_name(v: int) -> str:
    return "NONE" if v == 0 else short(common_pb2.ResponseLevel, v, "RESPONSE_LEVEL_")


def level_of(name: str) -> common_pb2.ResponseLevel:
    if name == "NONE":
        return common_pb2.RESPONSE_LEVEL_UNSPECIFIED
    return cast(common_pb2.ResponseLevel, value(common_pb2.ResponseLevel, name, "RESPONSE_LEVEL_"))


def status_of(name: str) -> case_events_pb2.CaseStatus:
    return cast(case_events_pb2.CaseStatus, value(case_events_pb2.CaseStatus, name, "CASE_STATUS_"))


def task_status_name(v: int) -> str:
    return short(case_events_pb2.TaskStatus, v, "TASK_STATUS_")


def task_status_of(name: str) -> case_events_pb2.TaskStatus:
    return cast(case_events_pb2.TaskStatus, value(case_events_pb2.TaskStatus, name, "TASK_STATUS_"))


def role_name(v: int) -> str:
    return short(case_events_pb2.TaskRole, v, "TASK_ROLE_")


def role_of(name: str) -> case_events_pb2.TaskRole:
    return cast(case_events_pb2.TaskRole, value(case_events_pb2.TaskRole, name, "TASK_ROLE_"))


def deadline_name(v: int) -> str:
    return short(common_pb2.DeadlineKind, v, "DEADLINE_KIND_")


def deadline_of(name: str) -> common_pb2.DeadlineKind:
    return cast(common_pb2.DeadlineKind, value(common_pb2.DeadlineKind, name, "DEADLINE_KIND_"))


def jurisdiction_of(name: str) -> common_pb2.JurisdictionLevel:
    return cast(
        common_pb2.JurisdictionLevel, value(common_pb2.JurisdictionLevel, name.upper(), "JURISDICTION_LEVEL_")
    )


def jurisdiction_name(v: int) -> str:
    return short(common_pb2.JurisdictionLevel, v, "JURISDICTION_LEVEL_").lower()


def event_status_name(v: int) -> str:
    """ACTUAL, EXERCISE or TEST; an unset status counts as ACTUAL (a real report is never dropped)."""
    return "ACTUAL" if v == 0 else short(common_pb2.EventStatus, v, "EVENT_STATUS_")


def event_status_of(name: str) -> common_pb2.EventStatus:
    return cast(common_pb2.EventStatus, value(common_pb2.EventStatus, name, "EVENT_STATUS_"))
