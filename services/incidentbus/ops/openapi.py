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


_STATS = {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Stats"}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "incidentbus query API",
        "version": "1.0.0",
        "description": "Read model over the correlator's case snapshots and case events.",
    },
    "paths": {
        "/cases": _get(
            "Open cases, optionally by area (district code) or grid",
            _CASES,
            [_param("area", "query", "district code, e.g. 310101"), _param("grid", "query", "grid code")],
        ),
        "/cases/overdue": _get("Open cases that missed a deadline or have one past due", _CASES),
        "/cases/{case_id}": _get(
            "The latest snapshot of a case (404 if unknown)",
            {"$ref": "#/components/schemas/CaseSnapshot"},
            [_param("case_id", "path", "case id, C-<district>-<hash>", required=True)],
        ),
        "/stats/agencies": _get(
            "Per-agency times to acknowledge/arrive/complete, deadline compliance, reopen rate", _STATS
        ),
        "/stats/grids": _get("Per-grid cases, time to resolve, deadline compliance, reopen rate", _STATS),
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "text exposition format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
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
                    "incident_type": {"type": "string"},
                    "priority": {"type": "integer"},
                    "tasks": {"type": "array", "items": {"type": "object"}},
                    "reports": {"type": "array", "items": {"type": "object"}},
                },
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
                    "reopen_rate": {"type": "number"},
                },
            },
        }
    },
}
