"""The Open311 gateway's pure parts: a POSTed form -> the citizen's native message, API keys, the
standard's documents, and a request's status read from the correlator core's real output."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from incidentbus.agencies.citizen.adapter import CitizenAdapter
from incidentbus.agencies.pipeline import canonical_event
from incidentbus.correlator.domain.outputs import Output
from incidentbus.gateways.open311.documents import Open311Error, service_list, to_xml
from incidentbus.gateways.open311.requests import ApiKeys, Client, native_request
from incidentbus.gateways.open311.status import Request, RequestBook, pending_confirmation, view
from incidentbus.ops.readmodel import ReadModel
from incidentbus.v1 import case_events_pb2, common_pb2
from tests.unit.correlator.builders import GRID, MIN, T0
from tests.unit.correlator.conftest import Run

AT = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
CITY_APP = Client(client="city app")
FORM = {"service_code": "pothole", "lat": "31.23", "long": "121.47", "api_key": "k"}


def test_a_form_becomes_the_citizens_native_request() -> None:
    form = FORM | {"description": "  deep hole ", "email": "a@b.cn", "phone": "", "attribute[x]": "1"}
    native = native_request(form, CITY_APP, "SR-1", AT)
    assert native == {
        "msg_type": "service_request",
        "service_request_id": "SR-1",
        "requested_datetime": "2026-11-25T08:30:00+00:00",
        "client": "city app",
        "service_code": "pothole",
        "description": "deep hole",
        "email": "a@b.cn",
        "lat": 31.23,
        "long": 121.47,
    }


def test_an_exercise_clients_requests_are_drills() -> None:
    native = native_request(FORM, Client(client="training", event_status="exercise"), "SR-1", AT)
    assert native["event_status"] == "exercise"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"service_code": " "}, "service_code was not provided"),
        ({"long": ""}, "lat and long must be given together"),
        ({"lat": "", "long": "", "address_string": "12 Palm St"}, "address_string alone is not geocoded"),
        ({"lat": "north"}, "lat is not a number"),
        ({"long": "nan"}, "long is not a finite number"),
        ({"lat": "inf"}, "lat is not a finite number"),
        ({"email": "notanemail"}, "email is not an email address"),
        ({"email": "li wei@example.cn"}, "email is not an email address"),
    ],
)
def test_a_form_the_standard_refuses_is_a_400_that_says_why(changes: dict[str, str], says: str) -> None:
    with pytest.raises(Open311Error) as refused:
        native_request(FORM | changes, CITY_APP, "SR-1", AT)
    assert refused.value.status == 400
    assert says in refused.value.description
    assert refused.value.document() == [{"code": 400, "description": refused.value.description}]


def test_a_grid_code_as_address_id_is_a_location() -> None:
    form = {"service_code": "pothole", "address_id": GRID, "address_string": "12 Palm St"}
    native = native_request(form, CITY_APP, "SR-1", AT)
    assert (native["address_id"], native["address_string"]) == (GRID, "12 Palm St")


def test_api_keys_name_their_clients_and_refuse_the_rest() -> None:
    keys = ApiKeys.parse(
        json.dumps({"k" * 16: {"client": "app"}, "t" * 16: {"client": "drill", "event_status": "test"}}),
        production=True,
    )
    assert keys.client("k" * 16) == Client(client="app")
    assert keys.client("t" * 16).event_status == "test"
    for wrong in ("", "k" * 15, "x" * 16):
        with pytest.raises(Open311Error) as refused:
            keys.client(wrong)
        assert (refused.value.status, refused.value.reason) == (403, "open311.forbidden")


def test_without_keys_development_lets_everyone_in_and_production_refuses_to_start() -> None:
    assert ApiKeys.parse(None, production=False).client("anything") == Client(client="development")
    with pytest.raises(ValueError, match="required in production"):
        ApiKeys.parse(None, production=True)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        "{}",
        json.dumps({"k" * 16: {"client": ""}}),
        json.dumps({"k" * 16: {"client": "a", "event_status": "drill"}}),
        json.dumps({"k" * 16: {"client": "a", "extra": 1}}),
        json.dumps({"short": {"client": "a"}}),
    ],
)
def test_bad_keys_fail_at_start_without_echoing_them(text: str) -> None:
    with pytest.raises(ValueError, match="INCIDENTBUS_OPEN311_KEYS") as failed:
        ApiKeys.parse(text, production=False)
    assert "k" * 16 not in str(failed.value)


def test_the_service_list_is_the_operators_table_in_order() -> None:
    adapter = CitizenAdapter()
    services = service_list(adapter.services())
    assert [s["service_code"] for s in services] == list(adapter.codes.tables["services"])
    pothole = next(s for s in services if s["service_code"] == "pothole")
    assert pothole | {"keywords": ""} == {
        "service_code": "pothole",
        "service_name": "Pothole or damaged road",
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "Streets and traffic",
    }


def test_xml_has_one_element_per_field_and_stays_readable() -> None:
    text = to_xml("service_requests", [{"service_request_id": "SR-1", "status_notes": "a\x00b", "lat": None}])
    root = ET.fromstring(text)
    [request] = list(root)
    assert (root.tag, request.tag) == ("service_requests", "request")
    assert {child.tag: child.text for child in request} == {
        "service_request_id": "SR-1",
        "status_notes": "a\ufffdb",
        "lat": None,
    }


# -- a request as its case stands, from the correlator core's own output -----------------------


def fold(run: Run, model: ReadModel, outputs: list[Output]) -> None:
    for out in outputs:
        if out.kind == "case_event":
            assert isinstance(out.message, case_events_pb2.CaseEvent)
            model.apply_event(out.message)
        elif out.kind == "snapshot":
            assert isinstance(out.message, case_events_pb2.CaseSnapshot)
            model.apply_snapshot(out.message)


def request(ref: str, status: int = common_pb2.EVENT_STATUS_ACTUAL) -> Request:
    return Request(ref, "pothole", "deep hole", "12 Palm St", 31.23, 121.47, T0, "", status, "city app")


NAMES = {"pothole": "Pothole or damaged road"}


def test_a_request_reads_its_case_from_open_to_closed() -> None:
    run, model = Run(), ReadModel()
    first = request("SR-1")
    assert view(first, model, NAMES)["status_notes"] == "Received; being assessed."
    fold(run, model, run(run.feed.report("citizen", "urban.road_damage", T0, ref="SR-1", contactable=True)))
    fold(run, model, run(run.feed.report("citizen", "urban.road_damage", T0 + MIN, ref="SR-2")))
    case = run.only_case()
    [task] = case.active_tasks()
    shown = view(first, model, NAMES)
    assert (shown["status"], shown["agency_responsible"], shown["status_notes"]) == (
        "open",
        "urban",
        "Assigned to urban.",
    )
    assert shown["expected_datetime"] is not None
    assert shown["address_id"] == GRID
    assert "Joined a case already reported." in view(request("SR-2"), model, NAMES)["status_notes"]
    fold(
        run,
        model,
        run(run.feed.reply("urban", "complete", task.task_id, case.case_id, T0 + 9 * MIN, disposition=1)),
    )
    assert (
        view(first, model, NAMES)["status_notes"]
        == "urban reports it resolved; please confirm whether it is fixed."
    )
    assert view(request("SR-2"), model, NAMES)["status_notes"].startswith(
        "urban reports it resolved; awaiting"
    )
    pending = pending_confirmation(model, case.case_id, "SR-1")
    assert pending == run.only_case().verification_id
    fold(run, model, run(run.feed.verification(case.case_id, pending, T0 + 20 * MIN, by="citizen")))
    closed = view(first, model, NAMES)
    assert (closed["status"], closed["status_notes"], closed["expected_datetime"]) == (
        "closed",
        "Closed: the resolution was confirmed.",
        None,
    )
    assert pending_confirmation(model, case.case_id, "SR-1") == ""


def test_a_drill_request_says_so() -> None:
    shown: dict[str, Any] = view(request("SR-9", common_pb2.EVENT_STATUS_EXERCISE), ReadModel(), NAMES)
    assert shown["service_notice"] == "exercise: not a real request"


def test_the_book_keeps_what_intake_mapped_and_nothing_personal() -> None:
    native = native_request(FORM | {"phone": "13800000000", "first_name": "Li"}, CITY_APP, "SR-1", AT)
    received = int(AT.timestamp() * 1000) + 60_000
    event = canonical_event(CitizenAdapter(), json.dumps(native).encode(), received, 1_000_000)
    assert event.incident_reported.reporter.contactable
    book = RequestBook()
    book.fold(event)
    kept = book.requests["SR-1"]
    assert (kept.service_code, kept.client, kept.lat) == ("pothole", "city app", 31.23)
    assert "13800000000" not in repr(kept)


def test_an_end_date_near_year_one_is_a_400_not_an_overflow() -> None:
    from incidentbus.gateways.open311.requests import date_window

    with pytest.raises(Open311Error) as refused:
        date_window({"end_date": "0001-01-01T00:00:00+00:00"}, AT)
    assert refused.value.status == 400


@pytest.mark.parametrize("score", ["\u00b2", "6", "-1", "x", "\u0665"])
def test_a_score_is_an_ascii_digit_from_0_to_5(score: str) -> None:
    from incidentbus.gateways.open311.requests import score_of

    with pytest.raises(Open311Error) as refused:
        score_of(score)
    assert refused.value.status == 400
