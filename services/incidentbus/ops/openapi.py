"""The query API's OpenAPI 3.1 description (served at /openapi.json): every path the query service
answers with data, and every response each can give (schemathesis checks it against the running
service in `make test`: tests/integration/dashboard/test_openapi.py)."""

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


_UNAUTHORIZED = {
    "description": "an access token is set (always in production) and the request presents none, "
    "or a wrong one",
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
    "content": {_JSON: {"schema": _ERROR}, "text/plain": {"schema": {"type": "string"}}},
}


def _guarded(paths: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every operation but /health may answer 401 (ops/dashboard/access.py)."""
    for name, path in paths.items():
        if name == "/health":
            path["get"]["security"] = []
        else:
            path["get"]["responses"]["401"] = _UNAUTHORIZED
    return paths


# One event of the stream (the schema applies to each event, as OpenAPI 3.2's itemSchema does).
_SSE_EVENT = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["board", "cases", "alert", "summary"]},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "board: a Board; cases: {now, rows: [CaseRow], removed: [case id]}; "
            "alert: an Alert; summary: {now, tiles}",
        },
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}
_STATS = {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Stats"}}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "incidentbus query API",
        "version": "1.0.0",
        "description": "Read model over the correlator's case snapshots and case events.",
    },
    "paths": _guarded(
        {
            "/cases": _drills(
                _get(
                    "Open cases, optionally by area (district code) or grid",
                    _CASES,
                    [
                        _param("area", "query", "district code, e.g. 310101"),
                        _param("grid", "query", "grid code"),
                    ],
                )
            ),
            "/cases/overdue": _drills(
                _get(
                    "Open cases that missed a deadline or have one past due (with escalations, reminders)",
                    _CASES,
                )
            ),
            "/cases/{case_id}": _not_found(
                _get(
                    "The latest snapshot of a case, drill or not",
                    {"$ref": "#/components/schemas/CaseSnapshot"},
                    [_param("case_id", "path", "case id, C-<district>-<hash>", required=True)],
                ),
                "no such case",
            ),
            "/cases/{case_id}/view": _not_found(
                _get(
                    "The dashboard's case view: the case's row, its timeline as `incidentbus trace` shows it "
                    "(who, what, when, why, pending deadlines after each step), source reports with "
                    "topic/partition/offset, merges and splits; reporters stay sealed",
                    {"$ref": "#/components/schemas/CaseView"},
                    [_param("case_id", "path", "case id, C-<district>-<hash>", required=True)],
                ),
                "no such case",
            ),
            "/board": _get(
                "The dashboard's whole board: every case shown (open, and closed or merged within a day "
                "of bus time; drills included, each row says its event_status), agency tiles, latest alerts",
                {"$ref": "#/components/schemas/Board"},
            ),
            "/events": {
                "get": {
                    "summary": "The live stream (Server-Sent Events): `board` (as GET /board) first, then "
                    "`cases` ({now, rows, removed}), `alert` (an Alert) and `summary` ({now, tiles}) as the "
                    "read model changes; `: ping` comments every 15 s",
                    "parameters": [
                        {
                            "name": "duration",
                            "in": "query",
                            "required": False,
                            "description": "end the stream after this many seconds (EventSource reconnects); "
                            "default a day",
                            "schema": {"type": "number", "minimum": 1, "maximum": 86400},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "an event stream",
                            "content": {"text/event-stream": {"schema": _SSE_EVENT}},
                        },
                        "400": {
                            "description": "duration out of range",
                            "content": {_JSON: {"schema": _ERROR}},
                        },
                    },
                }
            },
            "/layers/grids.geojson": {
                "get": {
                    "summary": "The grid layer the map draws (the service's INCIDENTBUS_GRIDS_PATH), GeoJSON",
                    "responses": {
                        "200": {
                            "description": "a FeatureCollection of grid polygons with property grid_code",
                            "content": {"application/geo+json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
            "/": {
                "get": {
                    "summary": "The dashboard page (`?access_token=` becomes the access cookie, "
                    "then redirects here)",
                    "parameters": [
                        _param("access_token", "query", "the access token, once (becomes a cookie)")
                    ],
                    "responses": {
                        "200": {
                            "description": "the page",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                        "303": {"description": "the access token became a cookie: go to / without it"},
                        "503": {
                            "description": "the page's libraries are not built (make web)",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
            "/reports/{agency}/{ref}": _not_found(
                _get(
                    "The live case holding an agency's report (its native reference, any revision), "
                    "following merges; drill or not",
                    {"$ref": "#/components/schemas/ReportCase"},
                    [
                        _param(
                            "agency", "path", "the reporting agency: police, health, urban, community", True
                        ),
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
                    "Per-grid cases, time to resolve, deadline compliance, escalations, reminders, "
                    "reopen rate",
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
            "/health": _get(
                "Liveness and how many cases are loaded; needs no access token", {"type": "object"}
            ),
        }
    ),
    "security": [{"bearer": []}, {"cookie": []}, {"query": []}, {}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "INCIDENTBUS_QUERY_TOKEN"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "incidentbus_access"},
            "query": {"type": "apiKey", "in": "query", "name": "access_token"},
        },
        "schemas": {
            "CaseRow": {
                "type": "object",
                "description": "one case on the dashboard (ops/dashboard/board.py row); times in ms since "
                "the epoch, bus time; enum values without their prefix, '' for none",
                "required": ["id", "status", "open", "grid", "event_status"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string"},
                    "category": {"type": "string"},
                    "type": {"type": "string"},
                    "priority": {"type": "integer"},
                    "opened": {"type": "integer"},
                    "updated": {"type": "integer"},
                    "due": {"type": ["integer", "null"], "description": "next pending deadline"},
                    "due_kind": {"type": "string"},
                    "level": {"type": "string", "description": "supervising jurisdiction level"},
                    "escalations": {"type": "integer"},
                    "response": {"type": "string", "enum": ["", "I", "II", "III", "IV"]},
                    "lead": {"type": "string"},
                    "grid": {"type": "string"},
                    "district": {"type": "string"},
                    "street": {"type": "string"},
                    "community": {"type": "string"},
                    "six_unknowns": {"type": "boolean"},
                    "major": {"type": "boolean", "description": "response level I or II"},
                    "open": {"type": "boolean"},
                    "reports": {"type": "integer"},
                    "event_status": {"type": "string", "enum": ["ACTUAL", "EXERCISE", "TEST"]},
                },
            },
            "Alert": {
                "type": "object",
                "required": ["seq", "at", "case_id", "kind"],
                "properties": {
                    "seq": {"type": "integer"},
                    "at": {"type": "integer"},
                    "case_id": {"type": "string"},
                    "kind": {"type": "string", "enum": ["fast_path", "escalated", "level_changed"]},
                    "detail": {"type": "object", "additionalProperties": {"type": "string"}},
                    "event_id": {"type": "string"},
                    "event_status": {"type": "string"},
                },
            },
            "Tile": {
                "type": "object",
                "properties": {
                    "open_tasks": {"type": "integer"},
                    "overdue_tasks": {"type": "integer"},
                    "median_s_to_acknowledge": {"type": ["number", "null"]},
                    "deadline_compliance": {"type": ["number", "null"]},
                },
            },
            "Board": {
                "type": "object",
                "required": ["now", "rows", "tiles", "alerts"],
                "properties": {
                    "now": {"type": "integer", "description": "the service's clock, ms since the epoch"},
                    "rows": {"type": "array", "items": {"$ref": "#/components/schemas/CaseRow"}},
                    "tiles": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/Tile"},
                    },
                    "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
                    "districts": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "CaseView": {
                "type": "object",
                "required": ["case", "events", "reports", "reporters"],
                "properties": {
                    "case": {"$ref": "#/components/schemas/CaseRow"},
                    "events": {"type": "array", "items": {"type": "object"}},
                    "reports": {"type": "array", "items": {"type": "object"}},
                    "merged_into": {"type": "array", "items": {"type": "string"}},
                    "absorbed": {"type": "array", "items": {"type": "string"}},
                    "split_into": {"type": "array", "items": {"type": "string"}},
                    "reporters": {"type": "string", "enum": ["sealed"]},
                },
            },
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
        },
    },
}
