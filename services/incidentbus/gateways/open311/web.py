"""The Open311 gateway's HTTP shell, on the citizen agency service (`incidentbus run open311`).

Routes under `/open311/v2` (GeoReport v2, `.json` or `.xml`): `GET services`, `GET
services/{code}`, `POST requests`, `GET requests`, `GET requests/{id}`; and one extension, `POST
requests/{id}/verification`: the citizen's answer when the bus asks them to confirm a resolution
(回访), relayed by the front end that posted the request. A POST is read here and handed to the
gateway (gateway.py), which checks it (form, API key) and has the citizen adapter check it (as
every agency's HTTP intake is) before writing it to the citizen inbox; a refused one is answered
with the standard's error document and dead-lettered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import faust
from aiohttp import ClientPayloadError
from aiohttp.web_exceptions import HTTPRequestEntityTooLarge
from faust.web import Request, Response, View

from incidentbus.agencies.service import AgencyService, read_limited
from incidentbus.gateways.open311.documents import (
    Document,
    Open311Error,
    definition_xml,
    service_definition,
    service_list,
    to_xml,
)
from incidentbus.gateways.open311.gateway import Gateway, Posted

ROOT = "/open311/v2"
FORMATS = "{fmt:json|xml}"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def _answer(view_: View, fmt: str, root: str, document: Document, status: int = 200) -> Response:
    headers = {"Retry-After": "5"} if status == 503 else None  # catching up: seconds, not a refusal
    if fmt == "xml":
        return view_.bytes(to_xml(root, document), content_type="text/xml", status=status, headers=headers)
    return view_.json(document, status=status, headers=headers)


def _refused(view_: View, fmt: str, exc: Open311Error) -> Response:
    return _answer(view_, fmt, "errors", exc.document(), exc.status)


async def read_form(request: Request, posted: Posted, limit: int) -> None:
    """Fill `posted` from the request (what was read stays in it for the dead letter when the
    form is refused: Open311Error 400 not a form or not UTF-8, 413 over `limit` bytes). Files of
    a multipart form are not kept (`media_url` only)."""
    kind = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if kind == FORMS[1]:
        try:
            parts = await request.post()  # aiohttp bounds it by the app's client_max_size (1 MiB)
        except HTTPRequestEntityTooLarge:
            raise Open311Error(
                413, "the form exceeds 1 MiB; send photos as media_url", "intake.oversized"
            ) from None
        except (ValueError, LookupError, ClientPayloadError) as exc:  # no boundary, bad charset, ...
            raise Open311Error(400, f"the multipart form cannot be read ({type(exc).__name__})") from None
        posted.fields = {k: v for k, v in parts.items() if isinstance(v, str)}
        posted.raw = urlencode(posted.fields).encode()
    else:
        posted.raw, truncated = await read_limited(request, limit)
        if truncated:
            raise Open311Error(413, f"the form exceeds {limit} bytes", "intake.oversized")
    if kind not in FORMS:
        raise Open311Error(400, "POST a form: application/x-www-form-urlencoded or multipart/form-data")
    if kind == FORMS[0]:
        try:
            posted.fields = dict(parse_qsl(posted.raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise Open311Error(400, "the form is not UTF-8", "intake.encoding") from None
    posted.fields.setdefault("api_key", request.query.get("api_key", ""))


def add_open311(app: faust.App, service: AgencyService) -> Gateway:
    """Put the gateway's routes on the citizen service's web server and follow its sources."""
    gateway = Gateway(service)
    log = service.log

    class Services(View):
        async def get(self, request: Request, fmt: str) -> Response:
            return _answer(self, fmt, "services", service_list(gateway.services.values()))

    class Definition(View):
        async def get(self, request: Request, service_code: str, fmt: str) -> Response:
            found = gateway.services.get(service_code)
            if found is None:
                return _refused(self, fmt, Open311Error(404, f"no service {service_code!r}"))
            if fmt == "xml":
                return self.bytes(definition_xml(service_definition(found)), content_type="text/xml")
            return self.json(service_definition(found))

    class Requests(View):
        async def get(self, request: Request, fmt: str) -> Response:
            try:
                return _answer(
                    self, fmt, "service_requests", gateway.search(request.query, datetime.now(UTC))
                )
            except Open311Error as exc:
                return _refused(self, fmt, exc)

        async def post(self, request: Request, fmt: str) -> Response:
            posted = Posted(f"POST {request.url.path}")
            try:
                await read_form(request, posted, service.settings.max_message_bytes)
                return _answer(self, fmt, "service_requests", await gateway.post(posted.fields))
            except Open311Error as exc:
                await gateway.refuse(posted, exc)
                return _refused(self, fmt, exc)
            except Exception:  # never a stack trace to the caller; the log has it
                log.exception("open311 request failed")
                return _refused(self, fmt, Open311Error(500, "the request could not be taken; retry later"))

    class Verification(View):
        async def post(self, request: Request, service_request_id: str, fmt: str) -> Response:
            posted = Posted(f"POST {request.url.path}")
            try:
                await read_form(request, posted, service.settings.max_message_bytes)
                answered = await gateway.verify(service_request_id, posted.fields)
                return _answer(self, fmt, "service_requests", answered)
            except Open311Error as exc:
                await gateway.refuse(posted, exc)
                return _refused(self, fmt, exc)
            except Exception:
                log.exception("open311 verification failed")
                return _refused(self, fmt, Open311Error(500, "the answer could not be taken; retry later"))

    class Unknown(View):
        """Any other path under the root: the standard's error document, not a bare 404."""

        async def get(self, request: Request, path: str) -> Response:
            fmt = "xml" if path.endswith(".xml") else "json"
            return _refused(self, fmt, Open311Error(404, f"no such resource: {ROOT}/{path}"))

        async def post(self, request: Request, path: str) -> Response:
            return await self.get(request, path)

    class One(View):
        async def get(self, request: Request, service_request_id: str, fmt: str) -> Response:
            try:
                return _answer(self, fmt, "service_requests", gateway.one(service_request_id))
            except Open311Error as exc:
                return _refused(self, fmt, exc)

    app.page(f"{ROOT}/services.{FORMATS}")(Services)
    app.page(f"{ROOT}/services/{{service_code}}.{FORMATS}")(Definition)
    app.page(f"{ROOT}/requests.{FORMATS}")(Requests)
    app.page(f"{ROOT}/requests/{{service_request_id}}.{FORMATS}")(One)
    app.page(f"{ROOT}/requests/{{service_request_id}}/verification.{FORMATS}")(Verification)
    app.page(f"{ROOT}/{{path:.*}}")(Unknown)  # last: aiohttp matches routes in order
    app.task(gateway.follow)
    return gateway
