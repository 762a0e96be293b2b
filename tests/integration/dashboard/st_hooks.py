"""schemathesis hooks for the query API run (SCHEMATHESIS_HOOKS names this module): a valid or
absent event-stream duration becomes 1 s, so every generated request to /events ends; an invalid
one is sent as generated (the service must answer 400)."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    if case.path != "/events":
        return
    query = dict(case.query or {})
    duration = query.get("duration")
    valid = isinstance(duration, int | float) and not isinstance(duration, bool) and 1 <= duration <= 86400
    if duration is None or valid:
        query["duration"] = 1
    case.query = query
