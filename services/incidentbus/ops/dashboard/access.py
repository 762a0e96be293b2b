"""Who may read the query service: anyone on the bound address, or, once an access token is set
(always in production), only a request that presents it.

A token is presented as `Authorization: Bearer <token>` (API clients, RFC 6750 §2.1), as the
`access_token` query parameter (RFC 6750 §2.3: the URL a duty officer is given), or as the cookie
the page sets from that parameter, so its own requests and its event stream carry it. `/health`
stays open for liveness probes (it says only that the service runs and how many cases it holds).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from incidentbus.kernel.settings import BusSettings

COOKIE = "incidentbus_access"
OPEN_PATHS = frozenset({"/health"})
MIN_PRODUCTION_LENGTH = 24

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AccessError(Exception):
    """The query service must not start with these settings (production without a usable token)."""


def required_token(settings: BusSettings) -> str | None:
    """The token requests must present, or None when the service is open (outside production,
    no token set). AccessError in production without one, or with one shorter than 24 characters."""
    token = settings.query_token.get_secret_value() if settings.query_token is not None else ""
    if settings.environment == "production":
        if not token:
            raise AccessError(
                "production (INCIDENTBUS_ENVIRONMENT=production) serves cases only behind an access "
                "token: set INCIDENTBUS_QUERY_TOKEN (24 characters or more, e.g. `openssl rand -hex 24`)"
            )
        if len(token) < MIN_PRODUCTION_LENGTH:
            raise AccessError(f"INCIDENTBUS_QUERY_TOKEN is shorter than {MIN_PRODUCTION_LENGTH} characters")
    return token or None


def presented(request: web.Request) -> str:
    """The token the request carries ('' if none): header, then query parameter, then cookie."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.query.get("access_token") or request.cookies.get(COOKIE, "")


def _refused(request: web.Request, why: str) -> web.Response:
    headers = {"WWW-Authenticate": 'Bearer realm="incidentbus"'}
    if request.path == "/" or request.path.startswith("/static/"):
        text = f"{why}: open the address the query service printed, with ?access_token=<token>"
        return web.Response(status=401, text=text, headers=headers)
    body = json.dumps({"error": "unauthorized", "detail": why})
    return web.Response(status=401, text=body, content_type="application/json", headers=headers)


def access_middleware(token: str | None) -> Middleware:
    """Refuse (401, with the reason) every request but /health that does not present `token`."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if token is None or request.path in OPEN_PATHS:
            return await handler(request)
        given = presented(request)
        if not given:
            return _refused(request, "an access token is required")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _refused(request, "the access token is not valid")
        if request.path == "/" and "access_token" in request.query:
            # keep the token out of the address bar and history: a cookie carries it from now on
            found = web.Response(status=303, headers={"Location": "/"})  # returned, not an HTTPException
            found.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/")
            return found
        return await handler(request)

    return check
