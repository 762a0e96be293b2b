"""The query API's OpenAPI 3.1 description (served at /openapi.json): every path the query service
answers with data, and every response each can give (schemathesis checks it against the running
service in `make test`: tests/integration/dashboard/test_openapi.py)."""

from __future__ import annotations

from typing import Any

from incidentbus.ops.openapi_schemas import COMPONENTS

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
            "/cap/alerts.atom": {
                "get": {
                    "summary": "The latest alerts as an Atom feed, newest first, each entry's content "
                    "a CAP 1.2 alert (status Actual, Exercise or Test from the case's events: "
                    "drills stay drills)",
                    "responses": {
                        "200": {
                            "description": "an Atom feed (RFC 4287)",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        }
                    },
                }
            },
            "/cap/alerts/{identifier}.xml": _not_found(
                {
                    "get": {
                        "summary": "One alert as an OASIS CAP 1.2 document",
                        "parameters": [
                            _param(
                                "identifier", "path", "the alert's CAP identifier (<sender>.<event id>)", True
                            )
                        ],
                        "responses": {
                            "200": {
                                "description": "a CAP 1.2 alert",
                                "content": {"application/cap+xml": {"schema": {"type": "string"}}},
                            }
                        },
                    }
                },
                "no such alert, or it has left the latest 500",
            ),
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
    "components": COMPONENTS,
}
