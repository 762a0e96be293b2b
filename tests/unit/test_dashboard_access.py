"""Who may read the query service (ops/dashboard/access.py), through aiohttp's in-process test
server, and the live stream's fan-out (web.Hub)."""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from pydantic import SecretStr

from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.dashboard.access import COOKIE, AccessError, access_middleware, presented, required_token
from incidentbus.ops.dashboard.web import CLIENT_QUEUE, Client, Hub

TOKEN = "s3cret-" + "x" * 25
REALM = 'Bearer realm="incidentbus"'


# -- the token the settings require --------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "token", "required"),
    [
        ("development", None, None),
        ("test", None, None),
        ("development", "", None),
        ("development", "short", "short"),  # outside production any token is taken as given
        ("test", TOKEN, TOKEN),
        ("production", "p" * 24, "p" * 24),
        ("production", TOKEN, TOKEN),
    ],
)
def test_required_token(environment: str, token: str | None, required: str | None) -> None:
    secret = SecretStr(token) if token is not None else None
    settings = BusSettings(environment=environment, query_token=secret)  # type: ignore[arg-type]
    assert required_token(settings) == required


@pytest.mark.parametrize(
    ("token", "says"), [(None, "set INCIDENTBUS_QUERY_TOKEN"), ("", "set"), ("p" * 23, "24")]
)
def test_production_refuses_to_serve_without_a_usable_token(token: str | None, says: str) -> None:
    secret = SecretStr(token) if token is not None else None
    settings = BusSettings(environment="production", query_token=secret)
    with pytest.raises(AccessError, match="INCIDENTBUS_QUERY_TOKEN") as refused:
        required_token(settings)
    assert says in str(refused.value)


# -- the token a request presents ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "given"),
    [
        ("/board", {}, ""),
        ("/board", {"Authorization": "Bearer from-header"}, "from-header"),
        ("/board", {"Authorization": "bearer   from-header  "}, "from-header"),
        ("/board?access_token=from-query", {}, "from-query"),
        ("/board", {"Cookie": f"{COOKIE}=from-cookie"}, "from-cookie"),
        ("/board", {"Cookie": "other=x"}, ""),
        # precedence: header, then query parameter, then cookie
        (
            "/board?access_token=from-query",
            {"Authorization": "Bearer from-header", "Cookie": f"{COOKIE}=from-cookie"},
            "from-header",
        ),
        ("/board?access_token=from-query", {"Cookie": f"{COOKIE}=from-cookie"}, "from-query"),
        # what is no bearer token falls through to the next place
        ("/board?access_token=from-query", {"Authorization": "Basic dXNlcjpwdw=="}, "from-query"),
        ("/board", {"Authorization": "Bearer ", "Cookie": f"{COOKIE}=from-cookie"}, "from-cookie"),
        ("/board?access_token=", {"Cookie": f"{COOKIE}=from-cookie"}, "from-cookie"),
    ],
)
def test_presented(path: str, headers: dict[str, str], given: str) -> None:
    assert presented(make_mocked_request("GET", path, headers=headers)) == given


# -- the middleware, in process ------------------------------------------------------------------


def app(token: str | None) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="the page")

    async def board(request: web.Request) -> web.Response:
        return web.json_response({"rows": []})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    application = web.Application(middlewares=[access_middleware(token)])
    application.router.add_get("/", page)
    application.router.add_get("/board", board)
    application.router.add_get("/static/app.js", page)
    application.router.add_get("/health", health)
    return application


@pytest.fixture
async def http() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(app(TOKEN))) as client:
        yield client


async def test_an_api_path_without_a_token_is_refused_with_json(
    http: TestClient[web.Request, web.Application],
) -> None:
    response = await http.get("/board")
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert response.content_type == "application/json"
    assert await response.json() == {"error": "unauthorized", "detail": "an access token is required"}


@pytest.mark.parametrize("path", ["/", "/static/app.js"])
async def test_the_page_without_a_token_is_refused_in_words(
    http: TestClient[web.Request, web.Application], path: str
) -> None:
    response = await http.get(path)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == REALM
    assert response.content_type == "text/plain"
    text = await response.text()
    assert text.startswith("an access token is required")
    assert "?access_token=<token>" in text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/board", {"Authorization": "Bearer wrong"}),
        ("/board", {"Authorization": f"Bearer {TOKEN}x"}),
        ("/board?access_token=wrong", {}),
        ("/board", {"Cookie": f"{COOKIE}=wrong"}),
        ("/board", {"Authorization": "Bearer wrong", "Cookie": f"{COOKIE}={TOKEN}"}),  # the header is judged
    ],
)
async def test_a_wrong_token_is_refused(
    http: TestClient[web.Request, web.Application], path: str, headers: dict[str, str]
) -> None:
    response = await http.get(path, headers=headers)
    assert response.status == 401
    assert await response.json() == {"error": "unauthorized", "detail": "the access token is not valid"}


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/board", {"Authorization": f"Bearer {TOKEN}"}),
        ("/board?access_token=" + TOKEN, {}),
        ("/board", {"Cookie": f"{COOKIE}={TOKEN}"}),
    ],
)
async def test_the_right_token_is_let_through(
    http: TestClient[web.Request, web.Application], path: str, headers: dict[str, str]
) -> None:
    response = await http.get(path, headers=headers)
    assert response.status == 200
    assert await response.json() == {"rows": []}


async def test_health_stays_open(http: TestClient[web.Request, web.Application]) -> None:
    response = await http.get("/health")
    assert (response.status, await response.json()) == (200, {"status": "ok"})


async def test_without_a_token_everything_is_open() -> None:
    async with TestClient(TestServer(app(None))) as client:
        for path in ("/", "/board", "/health"):
            assert (await client.get(path)).status == 200


async def test_the_address_with_the_token_sets_a_cookie_and_leaves_the_address_bar(
    http: TestClient[web.Request, web.Application],
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = await http.get(f"/?access_token={TOKEN}", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"] == "/"
    cookie = response.cookies[COOKIE]
    assert cookie.value == TOKEN
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Strict", "/")
    # aiohttp deprecates returning an HTTPException from a handler (it stops being a response in 4.0)
    assert [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)] == []
    # from now on the cookie alone is enough, for the page and the API
    page = await http.get("/")
    assert (page.status, await page.text()) == (200, "the page")
    board = await http.get("/board")
    assert (board.status, await board.json()) == (200, {"rows": []})


async def test_a_wrong_token_in_the_address_sets_no_cookie(
    http: TestClient[web.Request, web.Application],
) -> None:
    response = await http.get("/?access_token=wrong", allow_redirects=False)
    assert response.status == 401
    assert COOKIE not in response.cookies
    assert (await http.get("/board")).status == 401


# -- the live stream's fan-out -------------------------------------------------------------------


async def test_publish_reaches_every_subscriber_in_order() -> None:
    hub = Hub()
    clients = [hub.subscribe() for _ in range(3)]
    hub.publish("cases", json.dumps({"rows": []}))
    hub.publish("alert", '{"seq": 1}')
    for client in clients:
        got = [client.queue.get_nowait() for _ in range(client.queue.qsize())]
        assert got == [("cases", '{"rows": []}'), ("alert", '{"seq": 1}')]
        assert not client.dropped
    assert hub.clients == set(clients)


async def test_an_unsubscribed_page_gets_nothing_more() -> None:
    hub = Hub()
    gone, stays = hub.subscribe(), hub.subscribe()
    hub.unsubscribe(gone)
    hub.publish("summary", "{}")
    assert (gone.queue.qsize(), stays.queue.qsize()) == (0, 1)
    assert hub.clients == {stays}


async def test_a_page_that_falls_behind_is_dropped_and_the_others_still_receive() -> None:
    hub = Hub()
    slow, fast = hub.subscribe(), hub.subscribe()
    for n in range(CLIENT_QUEUE):
        hub.publish("alert", str(n))
        fast.queue.get_nowait()  # this page keeps up
    assert (slow.dropped, slow.queue.qsize()) == (False, CLIENT_QUEUE)
    hub.publish("alert", "one too many")
    assert slow.dropped
    assert hub.clients == {fast}
    hub.publish("alert", "after")
    assert slow.queue.qsize() == CLIENT_QUEUE  # nothing more is queued for it
    assert [fast.queue.get_nowait() for _ in range(fast.queue.qsize())] == [
        ("alert", "one too many"),
        ("alert", "after"),
    ]
    assert not fast.dropped


async def test_two_pages_are_two_clients() -> None:
    hub = Hub()
    tiny = Client(queue=asyncio.Queue(1))
    hub.clients.add(tiny)
    other = hub.subscribe()
    hub.publish("cases", "a")
    hub.publish("cases", "b")
    assert (tiny.dropped, other.dropped) == (True, False)
    assert (tiny.queue.get_nowait(), other.queue.qsize()) == (("cases", "a"), 2)
    assert Client() != Client()  # hashed and compared by identity, so a set holds each page
