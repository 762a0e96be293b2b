"""The query API's OpenAPI components: security schemes and the shapes of its JSON bodies."""

from __future__ import annotations

from typing import Any

COMPONENTS: dict[str, Any] = {
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
                "kind": {
                    "type": "string",
                    "enum": [
                        "fast_path",
                        "escalated",
                        "level_changed",
                        "merged",
                        "reopened",
                        "resolved",
                        "closed",
                    ],
                    "description": "merged: a merged case's alerts continue in this one; reopened: a "
                    "new chain; resolved, closed: the case's earlier alerts are over (CAP Cancel)",
                },
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
}
