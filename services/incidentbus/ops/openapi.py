"""The query API's OpenAPI 3.1 description (served at /openapi.json)."""

from __future__ import annotations

from typing import Any

_CASES = {
    "type": "object",
    "properties": {"cases": {"type": "array", "items": {"$ref": "#/components/schemas/CaseSnapshot"}}},
}
_JSON = "application/json"


def _get(summary: str, schema: dict[str, Any], params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {"200": {"description": "OK", "content": {_JSON: {"schema": schema}}}},
    }
    if params:
        op["parameters"] = params
    return {"get": op}


def _param(name: str, where: str, description: str, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


_DRILLS = {
    "name": "include_drills",
    "in": "query",
    "required": False,
    "description": "count cases whose events carry envelope status EXERCISE or TEST (drills); "
    "they are left out by default so a drill never moves the real figures",
    "schema": {"type": "boolean", "default": False},
}
_ERROR = {"type": "object", "properties": {"error": {"type": "string"}, "detail": {"type": "string"}}}
_BAD = {"400": {"description": "include_drills is not true or false", "content": {_JSON: {"schema": _ERROR}}}}


def _drills(path: dict[str, Any]) -> dict[str, Any]:
    """The operation, also taking `include_drills` (and refusing a value that is not a boolean)."""
    op = path["get"]
    op["parameters"] = [*op.get("parameters", []), _DRILLS]
    op["responses"] |= _BAD
    return path


def _not_found(path: dict[str, Any], why: str) -> dict[str, Any]:
    path["get"]["responses"]["404"] = {"description": why, "content": {_JSON: {"schema": _ERROR}}}
    return path


_STATS = {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Stats"}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "incidentbus query API",
        "version": "1.0.0",
        "description": "Read model over the correlator's case snapshots and case events.",
    },
    "paths": {
        "/cases": _drills(
            _get(
                "Open cases, optionally by area (district code) or grid",
                _CASES,
                [_param("area", "query", "district code, e.g. 310101"), _param("grid", "query", "grid code")],
            )
        ),
        "/cases/overdue": _drills(
            _get(
                "Open cases that missed a deadline or have one past due (with escalations, reminders)", _CASES
            )
        ),
        "/cases/{case_id}": _get(
            "The latest snapshot of a case, drill or not (404 if unknown)",
            {"$ref": "#/components/schemas/CaseSnapshot"},
            [_param("case_id", "path", "case id, C-<district>-<hash>", required=True)],
        ),
        "/reports/{agency}/{ref}": _not_found(
            _get(
                "The live case holding an agency's report (its native reference, any revision), "
                "following merges; drill or not",
                {"$ref": "#/components/schemas/ReportCase"},
                [
                    _param("agency", "path", "the reporting agency: police, health, urban, community", True),
                    _param("ref", "path", "the agency's own reference (incident_no, call_id, ...)", True),
                ],
            ),
            "no case holds that report (never reported, refused, or its case has left the read model)",
        ),
        "/stats/agencies": _drills(
            _get(
                "Per-agency times to acknowledge/arrive/complete (from each reply's bus time), "
                "deadline compliance (each task against its own acknowledge deadline), reopen rate",
                _STATS,
            )
        ),
        "/stats/grids": _drills(
            _get(
                "Per-grid cases, time to resolve, deadline compliance, escalations, reminders, reopen rate",
                _STATS,
            )
        ),
        "/metrics": _drills(
            {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {
                        "200": {
                            "description": "text exposition format",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        }
                    },
                }
            }
        ),
        "/health": _get("Liveness and how many cases are loaded", {"type": "object"}),
    },
    "components": {
        "schemas": {
            "CaseSnapshot": {
                "type": "object",
                "description": "incidentbus.v1.CaseSnapshot as proto3 JSON (field names as in proto/)",
                "properties": {
                    "case_id": {"type": "string"},
                    "status": {"type": "string"},
                    "event_status": {
                        "type": "string",
                        "enum": ["ACTUAL", "EXERCISE", "TEST"],
                        "description": "from envelope.status; a case with none (older history) is ACTUAL",
                    },
                    "incident_type": {"type": "string"},
                    "priority": {"type": "integer"},
                    "tasks": {"type": "array", "items": {"type": "object"}},
                    "reports": {"type": "array", "items": {"type": "object"}},
                },
            },
            "ReportCase": {
                "allOf": [
                    {"$ref": "#/components/schemas/CaseSnapshot"},
                    {
                        "type": "object",
                        "properties": {
                            "report": {
                                "type": "object",
                                "properties": {"agency": {"type": "string"}, "ref": {"type": "string"}},
                            },
                            "merged_from": {
                                "type": "array",
                                "items": {"type": "string"},
                                "description": "merged cases followed to reach this one (absent if none)",
                            },
                        },
                    },
                ]
            },
            "Stats": {
                "type": "object",
                "properties": {
                    "tasks": {"type": "integer"},
                    "cases": {"type": "integer"},
                    "median_s_to_acknowledge": {"type": ["number", "null"]},
                    "median_s_to_arrive": {"type": ["number", "null"]},
                    "median_s_to_complete": {"type": ["number", "null"]},
                    "median_s_to_resolve": {"type": ["number", "null"]},
                    "deadline_compliance": {"type": ["number", "null"]},
                    "escalations": {"type": "integer"},
                    "reminders": {"type": "integer"},
                    "repeat_reports": {"type": "integer"},
                    "cases_repeated": {"type": "integer"},
                    "reopen_rate": {"type": "number"},
                },
            },
        }
    },
}
