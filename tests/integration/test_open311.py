"""The Open311 GeoReport v2 gateway on the real broker, driven by clients nobody here wrote:
PyPI `georeport` lists the services and reads requests (JSON and XML), and PyPI `civicbot`'s
Open311Client posts them (georeport 0.3.1 has no POST). A citizen's pothole request becomes a
case, a second citizen's report of it joins that case, and both read open -> closed as urban
resolves it and the resolution is verified; refusals answer in Open311's error format and land in
the citizen dead letters; a training front end's key makes a drill whose CAP alerts are all
Exercise."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import aiohttp
import requests
from civicbot.http import HttpError, HttpTransport, RateLimiter
from civicbot.open311 import Open311Client
from civicbot.registry import Endpoint
from georeport import GeoReport
from pydantic import SecretStr

from incidentbus.kernel.settings import BusSettings
from incidentbus.ops.query import serve
from tests.gridlayers import district_point
from tests.integration.agencies.harness import free_port
from tests.integration.capfeed import alerts_of
from tests.integration.correlator.harness import Bus
from tests.integration.correlator.test_end_to_end import RULES, answer
from tests.integration.letters import read_letter
from tests.integration.waits import CEILING

KEY = "city-app-key-0000000001"
DRILL_KEY = "training-app-key-000001"
KEYS = {KEY: {"client": "city app"}, DRILL_KEY: {"client": "training app", "event_status": "exercise"}}


def with_keys(settings: BusSettings) -> BusSettings:
    return settings.model_copy(update={"open311_keys": SecretStr(json.dumps(KEYS))})


def poster(root: str) -> Open311Client:
    endpoint = Endpoint(id="incidentbus", name="incidentbus", base_url=root, write=True)
    return Open311Client(endpoint, HttpTransport(rate_limiter=RateLimiter(min_interval=0)))


def post(root: str, code: str, where: tuple[float, float], key: str = KEY, **fields: Any) -> str:
    """A request posted by civicbot (checked against the live service list first); its id."""
    sent = poster(root).create_request(
        code,
        lat=where[0],
        lng=where[1],
        api_key=key,
        dry_run=False,
        confirm="SEND",
        validate_remote=True,
        **fields,
    )
    [accepted] = sent.response
    return str(accepted["service_request_id"])


def caught_up(root: str) -> bool:
    """The gateway answers reads (503 until its projection holds the history present at start)."""
    try:
        with urllib.request.urlopen(f"{root}/requests.json", timeout=30) as answer:
            return bool(answer.status == 200)
    except urllib.error.HTTPError as exc:
        if exc.code != 503:
            raise
        return False


async def until(probe: Callable[[], Any], what: str) -> Any:
    """Run a blocking probe (the clients are synchronous) off the loop until it is truthy."""
    deadline = asyncio.get_running_loop().time() + CEILING
    while asyncio.get_running_loop().time() < deadline:
        found = await asyncio.to_thread(probe)
        if found:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out after {CEILING}s waiting for {what}")


def test_citizens_requests_follow_their_case_from_open_to_closed(isolated: BusSettings) -> None:
    settings = with_keys(isolated)
    where = district_point("310121")

    async def run() -> dict[str, Any]:
        seen: dict[str, Any] = {}
        async with Bus(settings, RULES) as bus:
            root = f"http://127.0.0.1:{bus.ports['citizen']}/open311/v2"
            await until(lambda: caught_up(root), "the gateway to catch up")
            client, xml = GeoReport(root), GeoReport(root, output_format="xml")
            seen["services"] = await asyncio.to_thread(client.get_service_list)
            seen["services_xml"] = await asyncio.to_thread(xml.get_service_list)
            seen["definition"] = await asyncio.to_thread(client.get_service_definition, "pothole")
            contact = {
                "email": "li.wei@example.cn",
                "first_name": "Li",
                "last_name": "Wei",
                "phone": "13800000000",
            }
            first = await asyncio.to_thread(
                post, root, "pothole", where, description="Deep pothole by the bus stop", **contact
            )
            dispatched = await until(
                lambda: (
                    client.get_service_request(first)["agency_responsible"] == "urban"
                    and client.get_service_request(first)
                ),
                "the request's case to be assigned",
            )
            seen["open"] = dispatched
            second = await asyncio.to_thread(post, root, "pothole", where, description="pothole again")
            seen["joined"] = await until(
                lambda: (
                    "Joined" in client.get_service_request(second)["status_notes"]
                    and client.get_service_request(second)
                ),
                "the second request to join the case",
            )
            await resolve(bus, dispatched["address_id"])
            seen["asked"] = await until(
                lambda: (
                    "please confirm" in client.get_service_request(first)["status_notes"]
                    and [client.get_service_request(first), client.get_service_request(second)]
                ),
                "the citizen who left a contact to be asked to confirm",
            )
            seen["outbox"] = await bus.until(lambda: citizen_outbox(bus))
            seen["not_pending"] = await asyncio.to_thread(confirm, root, second, KEY)
            seen["other_client"] = await asyncio.to_thread(confirm, root, first, DRILL_KEY)
            seen["confirmed"] = await asyncio.to_thread(confirm, root, first, KEY)
            seen["closed"] = await until(
                lambda: (
                    all(r["status"] == "closed" for r in client.get_service_requests(f"{first},{second}"))
                    and client.get_service_requests(f"{first},{second}")
                ),
                "both requests to read closed",
            )
            seen["closed_xml"] = await asyncio.to_thread(xml.get_service_request, first)
            seen["listed"] = await asyncio.to_thread(client.get_service_requests, status="closed")
            seen["ids"] = (first, second)
            seen["refusals"] = await asyncio.to_thread(refusals, root, where)
            seen["letters"] = await bus.until(lambda: letters(bus, 6))
        return seen

    seen = asyncio.run(run())
    first, second = seen["ids"]
    codes = [s["service_code"] for s in seen["services"]]
    assert "pothole" in codes
    assert len(codes) == len(set(codes))
    assert [s["service_code"] for s in seen["services_xml"]] == codes
    assert seen["definition"] == {"service_code": "pothole", "attributes": []}
    opened = seen["open"]
    assert (opened["status"], opened["service_code"], opened["service_name"]) == (
        "open",
        "pothole",
        "Pothole or damaged road",
    )
    assert opened["address_id"].startswith("310121-")
    assert opened["expected_datetime"]
    answers = json.dumps({name: value for name, value in seen.items() if name != "letters"})
    assert "li.wei" not in answers  # Open311 reads never show the contact
    assert "13800000000" not in answers
    assert seen["joined"]["agency_responsible"] == "urban"
    asked_first, asked_second = seen["asked"]
    assert asked_first["status"] == "open"
    assert "awaiting confirmation" in asked_second["status_notes"]  # left no contact: not asked
    [request] = [m for m in seen["outbox"] if m.get("push_kind") == "verification_request"]
    assert request["service_request_ids"] == [first]
    assert seen["not_pending"][0] == 409
    assert seen["other_client"] == (
        403,
        [{"code": 403, "description": "only the front end that posted a request may answer for it"}],
    )
    assert seen["confirmed"] == (
        200,
        [{"service_request_id": first, "verification_id": request["verification_id"]}],
    )
    assert {r["service_request_id"] for r in seen["closed"]} == {first, second}
    assert all(r["status_notes"].startswith("Closed") for r in seen["closed"])
    assert seen["closed_xml"]["status"] == "closed"
    assert {first, second} <= {r["service_request_id"] for r in seen["listed"]}
    assert seen["refusals"] == {
        "unknown_code": (400, "intake.unknown_code"),
        "bad_key": (403, "api_key is missing or not valid"),
        "unknown_request": 404,
        "json_body": (400, "POST a form: application/x-www-form-urlencoded or multipart/form-data"),
        "big_photo": 413,
        "native_intake": 404,
    }
    reasons = [letter.reason for letter in seen["letters"]]
    # the unknown code, the bad key, the JSON body, the photo, and the two answers refused (409, 403)
    assert sorted(reasons) == sorted(
        [
            "intake.unknown_code",
            "open311.forbidden",
            "open311.forbidden",
            "open311.bad_request",
            "intake.oversized",
            "open311.not_pending",
        ]
    )
    assert all(b"city-app-key" not in letter.original_value for letter in seen["letters"])


async def resolve(bus: Bus, grid: str) -> None:
    """Urban resolves the case in `grid`."""

    async def task() -> list[dict[str, Any]]:
        tasks = [json.loads(r.value or b"{}") for r in await bus.records("urban.outbox.v1")]
        return [t for t in tasks if t.get("grid") == grid and t.get("wo_type") == "ASSIGN"]

    [order] = await bus.until(task)
    await answer(bus, "urban", order, ["ack", "arrived", "complete"])


async def citizen_outbox(bus: Bus) -> list[dict[str, Any]]:
    """What the citizen service's own system (the hotline, the front ends) was sent."""
    return [json.loads(r.value or b"{}") for r in await bus.records("citizen.outbox.v1")]


def confirm(root: str, request_id: str, key: str) -> tuple[int, Any]:
    """The front end relays the citizen's answer (the gateway's one extension to GeoReport v2)."""
    form = urllib.parse.urlencode({"api_key": key, "result": "confirmed", "score": "5", "comment": "fixed"})
    sent = urllib.request.Request(f"{root}/requests/{request_id}/verification.json", data=form.encode())
    try:
        with urllib.request.urlopen(sent, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def refusals(root: str, where: tuple[float, float]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    try:
        poster(root).create_request(
            "no-such-service", lat=where[0], lng=where[1], api_key=KEY, dry_run=False, confirm="SEND"
        )
    except HttpError as exc:
        found["unknown_code"] = (exc.status, json.loads(exc.body)[0]["description"].split(":")[0])
    try:
        post(root, "pothole", where, key="not-a-key-of-this-gateway")
    except HttpError as exc:
        found["bad_key"] = (exc.status, json.loads(exc.body)[0]["description"])
    try:
        GeoReport(root).get_service_request("20260101-0000000000000000")
    except Exception as exc:  # requests' HTTPError from raise_for_status
        found["unknown_request"] = exc.response.status_code  # type: ignore[attr-defined]
    as_json = requests.post(
        f"{root}/requests.json", json={"service_code": "pothole", "api_key": KEY}, timeout=30
    )
    found["json_body"] = (as_json.status_code, as_json.json()[0]["description"])
    photo = {"media": ("photo.jpg", b"\xff" * 1_500_000, "image/jpeg")}
    big = requests.post(
        f"{root}/requests.json", data={"service_code": "pothole", "api_key": KEY}, files=photo, timeout=30
    )
    found["big_photo"] = big.status_code
    native = {"msg_type": "service_request", "service_request_id": "forged-1", "service_code": "pothole"}
    bypass = requests.post(root.replace("/open311/v2", "/v1/intake"), json=native, timeout=30)
    found["native_intake"] = bypass.status_code  # not on the gateway's port: it would skip the keys
    return found


async def letters(bus: Bus, at_least: int) -> list[Any]:
    found = [read_letter(r) for r in await bus.records("citizen.deadletters.v1")]
    return found if len(found) >= at_least else []


def test_a_drill_through_open311_gives_only_exercise_alerts(isolated: BusSettings) -> None:
    settings = with_keys(isolated)

    async def run() -> dict[str, Any]:
        async with Bus(settings, RULES) as bus:
            root = f"http://127.0.0.1:{bus.ports['citizen']}/open311/v2"
            await until(lambda: caught_up(root), "the gateway to catch up")
            port = free_port()  # after the bus's services have bound theirs
            async with serve(settings, port), aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
                drill_id = await asyncio.to_thread(
                    post, root, "unknown-object", district_point("310122"), key=DRILL_KEY
                )
                real_id = await asyncio.to_thread(post, root, "unknown-object", district_point("310123"))
                return {
                    "drill": await alerts_of(http, drill_id, "citizen"),
                    "real": await alerts_of(http, real_id, "citizen"),
                    "notice": await asyncio.to_thread(GeoReport(root).get_service_request, drill_id),
                    "listed": await asyncio.to_thread(GeoReport(root).get_service_requests),
                    "ids": (drill_id, real_id),
                }

    seen = asyncio.run(run())
    drill_id, real_id = seen["ids"]
    assert {str(a["cap_status"]) for a in seen["drill"]} == {"Exercise"}
    assert {str(a["cap_status"]) for a in seen["real"]} == {"Actual"}
    assert seen["notice"]["service_notice"] == "exercise: not a real request"
    listed = {r["service_request_id"] for r in seen["listed"]}
    assert real_id in listed
    assert drill_id not in listed  # drills are read by id only
