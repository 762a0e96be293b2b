"""A POSTed GeoReport v2 form -> the citizen agency's native message, or an Open311Error.

The gateway checks what the standard asks of a request (a service code, a location) and who
sends it (`api_key`, whose client decides whether its requests are actual, an exercise or a
test); everything else the citizen adapter checks as intake does for every agency. Pure: the
request id and the time come from the caller.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from incidentbus.gateways.open311.documents import Open311Error

# Fields of GeoReport v2 POST /requests this gateway reads; `attribute[...]` are not offered
# (every service has `metadata` false) and are ignored.
TEXT_FIELDS = (
    "service_code",
    "address_string",
    "address_id",
    "description",
    "media_url",
    "email",
    "phone",
    "first_name",
    "last_name",
    "device_id",
    "account_id",
)
Mode = Literal["actual", "exercise", "test"]
WINDOW = timedelta(days=90)  # GET requests: the standard's default and widest date range
KEYS_FORMAT = 'a JSON object {"<api key>": {"client": "<name>", "event_status": "actual|exercise|test"}}'
# An address a citizen can be written to: something@domain.tld, nothing more is claimed.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class Client(BaseModel):
    """A front end allowed to post: its name and what its requests are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client: str = Field(min_length=1, max_length=200)
    event_status: Mode = "actual"


@dataclass(frozen=True)
class ApiKeys:
    """API keys of the front ends (`INCIDENTBUS_OPEN311_KEYS`: JSON {"key": {"client": "...",
    "event_status": "actual" | "exercise" | "test"}}). `open` (no keys configured, outside
    production) lets any poster in as an actual, unnamed client."""

    clients: Mapping[str, Client]
    open: bool = False

    @classmethod
    def parse(cls, text: str | None, *, production: bool) -> ApiKeys:
        """ValueError naming what is wrong; production needs keys."""
        if not text:
            if production:
                raise ValueError("INCIDENTBUS_OPEN311_KEYS is required in production")
            return cls({}, open=True)
        try:
            raw = json.loads(text)
            if not isinstance(raw, dict) or not raw:
                raise ValueError("a non-empty JSON object of API keys")
            clients = {str(k): Client.model_validate(v) for k, v in raw.items()}
        except (json.JSONDecodeError, ValidationError, ValueError) as exc:
            raise ValueError(
                f"INCIDENTBUS_OPEN311_KEYS ({type(exc).__name__}): expected {KEYS_FORMAT}"
            ) from None
        if any(len(key) < 16 for key in clients):
            raise ValueError("INCIDENTBUS_OPEN311_KEYS: every API key needs 16 characters or more")
        return cls(clients)

    def client(self, api_key: str) -> Client:
        """The client of a key; Open311Error 403 for a missing or unknown one."""
        if api_key in self.clients:
            return self.clients[api_key]
        if self.open:
            return Client(client="development")
        raise Open311Error(403, "api_key is missing or not valid", "open311.forbidden")


def native_request(
    form: Mapping[str, str], client: Client, service_request_id: str, received: datetime
) -> dict[str, Any]:
    """The citizen agency's `service_request` for a POSTed form. Open311Error 400 when the
    standard's required fields are missing or malformed (service code; lat and long together,
    or an address_id)."""
    native: dict[str, Any] = {
        "msg_type": "service_request",
        "service_request_id": service_request_id,
        "requested_datetime": received.isoformat(),
        "client": client.client,
    }
    for name in TEXT_FIELDS:
        value = form.get(name, "").strip()
        if value:
            native[name] = value
    if "service_code" not in native:
        raise Open311Error(400, "service_code was not provided")
    if "email" in native and not EMAIL.match(native["email"]):
        raise Open311Error(400, "email is not an email address")
    lat, long = form.get("lat", "").strip(), form.get("long", "").strip()
    if bool(lat) != bool(long):
        raise Open311Error(400, "lat and long must be given together")
    if lat:
        native["lat"], native["long"] = _degrees("lat", lat), _degrees("long", long)
    if not lat and "address_id" not in native:
        raise Open311Error(
            400,
            "a location is required: lat and long (WGS84), or a grid code as address_id; "
            "address_string alone is not geocoded here",
        )
    if client.event_status != "actual":
        native["event_status"] = client.event_status
    return native


def _degrees(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Open311Error(400, f"{name} is not a number") from None
    if not math.isfinite(value):
        raise Open311Error(400, f"{name} is not a finite number")
    return value


def score_of(text: str) -> int:
    """A satisfaction score: an ASCII digit 1-5, 0 or blank when the citizen was not asked."""
    score = text.strip() or "0"
    if not (score.isascii() and score.isdigit()) or int(score) > 5:
        raise Open311Error(400, "score must be a whole number from 1 to 5 (0: not asked)")
    return int(score)


def listed(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def date_window(query: Mapping[str, str], now: datetime) -> tuple[int, int]:
    """`GET requests`' range in ms: W3C datetimes, at most 90 days; defaults reach 90 days back."""
    end = w3c("end_date", query.get("end_date", "")) or now
    try:
        start = w3c("start_date", query.get("start_date", "")) or end - WINDOW
    except OverflowError:  # an end_date within 90 days of year 1
        raise Open311Error(400, "end_date is too early") from None
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def w3c(name: str, text: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Open311Error(400, f"{name} is not a W3C datetime such as 2026-12-01T00:00:00Z") from None
    if value.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone, e.g. 2026-12-01T00:00:00Z")
    return value
