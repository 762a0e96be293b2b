"""The Open311 gateway's state and decisions over I/O: the citizen service it posts through, the
front ends' API keys, and a projection of the case topics and of its own canonical events
(gateways/open311/status.py), followed from the beginning like the query service's. The HTTP
routes are in web.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incidentbus.agencies.citizen.adapter import CitizenAdapter, Service
from incidentbus.agencies.pipeline import events_topic, inbox_topic
from incidentbus.agencies.service import AgencyService
from incidentbus.gateways.open311.documents import Document, Open311Error
from incidentbus.gateways.open311.requests import ApiKeys, date_window, listed, native_request, score_of
from incidentbus.gateways.open311.status import Request as Citizen
from incidentbus.gateways.open311.status import RequestBook, pending_confirmation, view
from incidentbus.kernel.codec import DecodeError, decode
from incidentbus.kernel.gate import reject
from incidentbus.kernel.records import RawRecord
from incidentbus.ops.query import fold, follow
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import agency_events_pb2, common_pb2


@dataclass
class Posted:
    """A POST as read: its route, its form's fields (the last of a repeated one) and its bytes."""

    route: str
    fields: dict[str, str] = field(default_factory=dict)
    raw: bytes = b""


MAX_RESULTS = 1000
CASE_TOPICS = ("case.snapshots.v1", "case.events.v1")
API_KEY_FIELD = re.compile(rb"(^|&)api_key=[^&]*")


class Gateway:
    """The gateway's state: the citizen service it posts through, its keys and its projection."""

    def __init__(self, service: AgencyService) -> None:
        assert isinstance(service.adapter, CitizenAdapter)
        self.service, self.adapter, self.settings = service, service.adapter, service.settings
        secret = self.settings.open311_keys
        self.keys = ApiKeys.parse(
            secret.get_secret_value() if secret is not None else None,
            production=self.settings.environment == "production",
        )
        self.services: dict[str, Service] = {s.code: s for s in self.adapter.services()}
        self.names = {code: s.name for code, s in self.services.items()}
        self.model, self.book, self.ready = ReadModel(), RequestBook(), asyncio.Event()
        if self.keys.open:
            service.log.warning(
                "Open311 gateway without API keys: every poster is let in as an actual client; "
                "set INCIDENTBUS_OPEN311_KEYS"
            )

    def fold(self, record: RawRecord, topic: str) -> None:
        """A record of a followed topic into the projection; undecodable ones are skipped (their
        producer dead-lettered or logged them)."""
        if topic != events_topic("citizen"):
            fold(self.model, record, topic)
            return
        try:
            event = decode(record, agency_events_pb2.AgencyEvent).message
        except DecodeError:
            return
        assert isinstance(event, agency_events_pb2.AgencyEvent)
        self.book.fold(event)

    async def follow(self) -> None:
        await follow(
            self.settings, self.model, self.ready, (*CASE_TOPICS, events_topic("citizen")), self.fold
        )

    async def post(self, form: Mapping[str, str]) -> Document:
        """Accept a citizen's request: its id, or Open311Error (the caller dead-letters it)."""
        received = datetime.now(UTC)
        request_id = f"{received:%Y%m%d}-{secrets.token_hex(8)}"
        client = self.keys.client(form.get("api_key", ""))
        native = native_request(form, client, request_id, received)
        await self._publish(native)
        accepted = _accepted(native, received)
        self.book.requests[request_id] = accepted
        notice = view(accepted, self.model, self.names)["service_notice"]
        return [
            {
                "service_request_id": request_id,
                "service_notice": notice,
                "account_id": form.get("account_id", ""),
            }
        ]

    async def _publish(self, native: Mapping[str, Any]) -> None:
        """Through the citizen service's HTTP intake path (checked, then logged on its inbox);
        Open311Error with intake's reason when refused (intake dead-lettered the native message)."""
        status, answer = await self.service.on_http(json.dumps(native).encode(), False)
        if status != 202:
            code = 500 if status >= 500 else (413 if status == 413 else 400)
            raise Open311Error(code, f"{answer['error']}: {answer['detail']}", answer["error"], lettered=True)

    async def refuse(self, posted: Posted, exc: Open311Error) -> None:
        """A refused POST on the citizen dead letters: the form as posted, api_key masked, with the
        route and a fingerprint of the key in headers (two refusals of one form by two keys, or for
        two requests, are two letters). Not for 503 (retry) or what intake dead-lettered already."""
        if exc.lettered or exc.status == 503:
            return
        kept = API_KEY_FIELD.sub(rb"\1api_key=***", posted.raw)  # the bytes as posted, but the key
        for secret in self.keys.clients:  # a key posted in a body that is not a form (JSON, ...)
            kept = kept.replace(secret.encode(), b"***")
        headers = [("x-intake", b"open311"), ("x-open311-route", posted.route.encode())]
        key = posted.fields.get("api_key", "")
        if key:
            headers.append(("x-api-key-sha256", hashlib.sha256(key.encode()).hexdigest()[:16].encode()))
        topic = self.settings.topic(inbox_topic("citizen"))
        record = RawRecord(topic, -1, -1, int(time.time() * 1000), None, kept, tuple(headers))
        rejected = reject(
            record, reason=exc.reason, detail=exc.description, phase="intake", rejected_by="citizen"
        )
        await self.service.dead_letter(rejected, record)

    async def verify(self, request_id: str, form: Mapping[str, str]) -> Document:
        """A citizen's answer to the confirmation the case waits for (form `result` confirmed or
        not_fixed, optional `comment` and `score` 1-5), from the front end that posted the request.
        Open311Error 403 (another front end), 404 (no such request), 409 (nothing to confirm now);
        503 while catching up (not a refusal: not dead-lettered)."""
        self._caught_up()
        native = self._answer(request_id, form)
        await self._publish(native)
        return [{"service_request_id": request_id, "verification_id": native["verification_id"]}]

    def _answer(self, request_id: str, form: Mapping[str, str]) -> dict[str, Any]:
        client = self.keys.client(form.get("api_key", ""))
        found = self.book.requests.get(request_id)
        if found is None:
            raise Open311Error(404, f"no service request {request_id!r}", "open311.not_found")
        if not self.keys.open and found.client != client.client:
            raise Open311Error(
                403, "only the front end that posted a request may answer for it", "open311.forbidden"
            )
        if not self.keys.open and found.status != _status(client.event_status):
            raise Open311Error(
                403, f"an {client.event_status} key cannot answer for this request", "open311.forbidden"
            )
        case, _ = self.model.case_of_report("citizen", request_id)
        pending = pending_confirmation(self.model, case["case_id"], request_id) if case else ""
        if case is None or not pending:
            raise Open311Error(409, "no confirmation is pending for this request", "open311.not_pending")
        result = form.get("result", "").strip()
        if result not in self.adapter.codes.tables.get("verification", {}):
            answers = " or ".join(self.adapter.codes.tables.get("verification", {}))
            raise Open311Error(400, f"result is required: {answers}")
        score = score_of(form.get("score", ""))
        native = {
            "msg_type": "verification",
            "verification_id": pending,
            "case_id": case["case_id"],
            "service_request_id": request_id,
            "result": result,
            "score": score,
            "comment": form.get("comment", "").strip(),
            "answered_at": datetime.now(UTC).isoformat(),
        }
        if found.status != common_pb2.EVENT_STATUS_ACTUAL:
            native["event_status"] = (
                common_pb2.EventStatus.Name(found.status).removeprefix("EVENT_STATUS_").lower()
            )
        return native

    def _caught_up(self) -> None:
        """Reads answer from the projection only once it holds the history present at start: an
        old request would otherwise read as unknown."""
        if not self.ready.is_set():
            raise Open311Error(503, "catching up with the bus; retry in a few seconds", "open311.unavailable")

    def one(self, request_id: str) -> Document:
        self._caught_up()
        found = self.book.requests.get(request_id)
        if found is None:
            raise Open311Error(404, f"no service request {request_id!r}", "open311.not_found")
        return [view(found, self.model, self.names)]

    def search(self, query: Mapping[str, str], now: datetime) -> Document:
        """`GET requests`: by ids (which override every other filter), else by service codes,
        statuses and a date range of at most 90 days (default the last 90); newest first, at most
        1,000. Exercises and tests are listed only by id."""
        self._caught_up()
        ids = listed(query.get("service_request_id", ""))
        if ids:
            return [
                view(self.book.requests[i], self.model, self.names) for i in ids if i in self.book.requests
            ]
        codes = set(listed(query.get("service_code", "")))
        statuses = set(listed(query.get("status", ""))) or {"open", "closed"}
        if not statuses <= {"open", "closed"}:
            raise Open311Error(400, "status must be open, closed, or both comma-separated")
        start, end = date_window(query, now)
        chosen = [
            r
            for r in sorted(self.book.requests.values(), key=lambda r: -r.requested_ms)
            if (not codes or r.service_code in codes)
            and start <= r.requested_ms <= end
            and r.status == common_pb2.EVENT_STATUS_ACTUAL
        ]
        shown = (view(r, self.model, self.names) for r in chosen)
        return [r for r in shown if r["status"] in statuses][:MAX_RESULTS]


def _accepted(native: Mapping[str, Any], received: datetime) -> Citizen:
    """What a just-accepted request shows until its canonical event is read back."""
    mode = native.get("event_status", "actual")
    return Citizen(
        service_request_id=native["service_request_id"],
        service_code=native["service_code"],
        description=native.get("description", ""),
        address=native.get("address_string", ""),
        lat=native.get("lat"),
        long=native.get("long"),
        requested_ms=int(received.timestamp() * 1000),
        media_url=native.get("media_url", ""),
        status=_status(mode),
    )


def _status(mode: str) -> int:
    return common_pb2.EventStatus.Value(f"EVENT_STATUS_{mode.upper()}")
