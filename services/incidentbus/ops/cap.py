"""The bus's alerts as OASIS CAP 1.2 documents, and an Atom feed of them (RFC 4287, one entry per
alert, the CAP document as its content: the form alerting hubs and NWS-style consumers read).

From an `ops/alerts.py` Alert: `status` from the event's envelope (Actual, Exercise, Test: a drill
stays a drill), `msgType` Alert for a case's first alert, Update for its later ones and Cancel when
it is resolved or closed, each with `references` to the case's earlier alerts; one `info` with the
CAP category, event (the incident type), urgency, severity, certainty, and the case's grid as the
`area` (its polygon from the grid layer, its codes as geocodes). Pure: the caller passes the grid
polygons and the sender. Times are CAP's `YYYY-MM-DDThh:mm:ss±hh:mm`, UTC written `-00:00`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from incidentbus.ops.alerts import ENDING, Alert
from incidentbus.ops.text import xml_text

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MEDIA_TYPE = "application/cap+xml"
ET.register_namespace("", CAP_NS)
ET.register_namespace("atom", ATOM_NS)

# The bus's categories (common.proto Category) as CAP 1.2 categories (§3.2.2).
CATEGORY = {
    "PUBLIC_SAFETY": "Security",
    "TRAFFIC": "Transport",
    "MEDICAL": "Health",
    "PUBLIC_HEALTH": "Health",
    "HAZARD": "Safety",
    "URBAN_MANAGEMENT": "Infra",
    "COMMUNITY_AFFAIRS": "Other",
    "UNKNOWN_OBJECT": "Security",
    "UNKNOWN_SPECIES": "Env",
    "UNKNOWN_GAS": "CBRNE",
    "UNKNOWN_LIQUID": "CBRNE",
    "UNKNOWN_DISEASE": "Health",
    "UNKNOWN_SIGN": "Other",
}
SEVERITY = {"CRITICAL": "Extreme", "MAJOR": "Severe", "MODERATE": "Moderate", "MINOR": "Minor"}
RESPONSE_SEVERITY = {"I": "Extreme", "II": "Severe"}  # a declared level I/II response outranks the report
STATUS = {"ACTUAL": "Actual", "EXERCISE": "Exercise", "TEST": "Test"}
HEADLINE = {
    "fast_path": "fast path (six unknowns)",
    "escalated": "deadline missed, escalated",
    "level_changed": "response level changed",
    "resolved": "resolved",
    "closed": "closed",
    "merged": "another case merged into this one",
    "reopened": "reopened",
}
UNSAFE_ID = re.compile(r"[^A-Za-z0-9._:@-]")
Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class CapSource:
    """Who sends (CAP `sender`, e.g. the operator's domain), to whom (`scope`: Public, Restricted
    with a `restriction`, or Private), and where each grid is: `polygon(grid code)` gives its outer
    ring of each part as (latitude, longitude) pairs, first = last, or [] for a grid the layer
    lacks. The sender must never change once alerts are out: it is part of every identifier."""

    sender: str
    polygon: Callable[[str], list[Ring]]
    scope: str = "Restricted"
    restriction: str = "for the agencies on the incident bus"


def cap_time(ms: int) -> str:
    """CAP's dateTime: seconds, an explicit offset, UTC as -00:00 (CAP 1.2 §3.3.2)."""
    at = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{at.year:04d}-" + at.strftime("%m-%dT%H:%M:%S") + "-00:00"


def identifier(source: CapSource, event_id: str) -> str:
    """An alert's identifier: stable (from the case event's id), unique per sender, and made only of
    letters, digits and `._:@-` (CAP forbids spaces, commas, `<` and `&`; the rest keeps it safe
    in a URL path)."""
    return UNSAFE_ID.sub("_", f"{source.sender}.{event_id}")


def msg_type(alert: Alert) -> str:
    if alert.kind in ENDING:
        return "Cancel"
    return "Update" if alert.references else "Alert"


def urgency(alert: Alert) -> str:
    if alert.kind in ENDING:
        return "Past"
    immediate = alert.kind == "fast_path" or alert.detail.get("to_level") in RESPONSE_SEVERITY
    return "Immediate" if immediate else "Expected"


def severity(alert: Alert) -> str:
    response = alert.facts.get("response", "")
    return RESPONSE_SEVERITY.get(response) or SEVERITY.get(alert.facts.get("severity", ""), "Unknown")


def _sub(parent: ET.Element, tag: str, text: str, ns: str = CAP_NS) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    element.text = xml_text(text)
    return element


def _description(alert: Alert) -> str:
    detail = ", ".join(f"{k} {v}" for k, v in sorted(alert.detail.items()) if v)
    return f"case {alert.case_id}: {HEADLINE[alert.kind]}" + (f" ({detail})" if detail else "")


def _area(info: ET.Element, alert: Alert, source: CapSource) -> None:
    facts = alert.facts
    grid = facts.get("grid", "")
    area = ET.SubElement(info, f"{{{CAP_NS}}}area")
    _sub(area, "areaDesc", f"grid {grid}, district {facts.get('district', '')}" if grid else "unknown place")
    for ring in source.polygon(grid) if grid else []:
        if len(ring) >= 4:  # CAP: at least four pairs, the first and the last the same
            _sub(area, "polygon", " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in ring))
    for name in ("grid", "community", "street", "district"):
        if facts.get(name):
            geocode = ET.SubElement(area, f"{{{CAP_NS}}}geocode")
            _sub(geocode, "valueName", name)
            _sub(geocode, "value", facts[name])


def alert_element(alert: Alert, source: CapSource) -> ET.Element:
    """The CAP `alert` element (children in the order the CAP 1.2 schema requires)."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", identifier(source, alert.event_id))
    _sub(root, "sender", source.sender)
    _sub(root, "sent", cap_time(alert.at_ms))
    _sub(root, "status", STATUS.get(alert.status, "Actual"))
    _sub(root, "msgType", msg_type(alert))
    _sub(root, "scope", source.scope)
    if source.scope == "Restricted":
        _sub(root, "restriction", source.restriction)
    if alert.references:
        refs = (f"{source.sender},{identifier(source, e)},{cap_time(at)}" for e, at in alert.references)
        _sub(root, "references", " ".join(refs))
    merged = alert.detail.get("merged_case", "")
    _sub(root, "incidents", f"{alert.case_id} {merged}" if merged else alert.case_id)
    info = ET.SubElement(root, f"{{{CAP_NS}}}info")
    _sub(info, "language", "en-US")
    _sub(info, "category", CATEGORY.get(alert.facts.get("category", ""), "Other"))
    _sub(info, "event", alert.facts.get("incident_type") or alert.facts.get("category") or "incident")
    _sub(info, "urgency", urgency(alert))
    _sub(info, "severity", severity(alert))
    _sub(info, "certainty", "Observed")
    _sub(info, "senderName", "incidentbus")
    _sub(info, "headline", f"{alert.case_id}: {HEADLINE[alert.kind]}")
    _sub(info, "description", _description(alert))
    for name, value in (("caseId", alert.case_id), ("alertKind", alert.kind)):
        parameter = ET.SubElement(info, f"{{{CAP_NS}}}parameter")
        _sub(parameter, "valueName", name)
        _sub(parameter, "value", value)
    _area(info, alert, source)
    return root


def _bytes(root: ET.Element) -> bytes:
    text: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return text


def document(alert: Alert, source: CapSource) -> bytes:
    """One CAP 1.2 document, UTF-8 with an XML declaration."""
    return _bytes(alert_element(alert, source))


def feed(alerts: Iterable[Alert], source: CapSource, self_url: str, link: Callable[[str], str]) -> bytes:
    """An Atom feed of the alerts, newest first; `link(identifier)` is each document's address.
    The feed's `updated` is its newest alert's time (a fixed date when empty), so it is a pure
    function of the alerts."""
    newest_first = sorted(alerts, key=lambda a: a.seq, reverse=True)
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(root, "id", f"urn:incidentbus:cap:{identifier(source, 'feed')}", ATOM_NS)  # not the Host header
    _sub(root, "title", f"incidentbus alerts ({source.sender})", ATOM_NS)
    updated = cap_time(newest_first[0].at_ms) if newest_first else "1970-01-01T00:00:00-00:00"
    _sub(root, "updated", updated.replace("-00:00", "Z"), ATOM_NS)
    author = ET.SubElement(root, f"{{{ATOM_NS}}}author")
    _sub(author, "name", source.sender, ATOM_NS)
    ET.SubElement(root, f"{{{ATOM_NS}}}link", rel="self", href=self_url)
    for alert in newest_first:
        ident = identifier(source, alert.event_id)
        entry = ET.SubElement(root, f"{{{ATOM_NS}}}entry")
        _sub(entry, "id", f"urn:cap:{ident}", ATOM_NS)
        _sub(entry, "title", f"{msg_type(alert)}: {alert.case_id}: {HEADLINE[alert.kind]}", ATOM_NS)
        _sub(entry, "updated", cap_time(alert.at_ms).replace("-00:00", "Z"), ATOM_NS)
        ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", type=CAP_MEDIA_TYPE, href=link(ident))
        content = ET.SubElement(entry, f"{{{ATOM_NS}}}content", type=CAP_MEDIA_TYPE)
        content.append(alert_element(alert, source))
    return _bytes(root)
