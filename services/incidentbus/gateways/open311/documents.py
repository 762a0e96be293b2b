"""GeoReport v2 documents: the service list, a service definition, requests, POST answers and
errors, as JSON values and as the XML the standard spells out (root `services`, `service_requests`,
`errors`; one element per field). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree import ElementTree as ET

from incidentbus.agencies.citizen.adapter import Service
from incidentbus.ops.text import xml_text

Document = list[dict[str, Any]]


class Open311Error(Exception):
    """A request refused: the HTTP status and the standard's error `description`."""

    def __init__(
        self, status: int, description: str, reason: str = "open311.bad_request", *, lettered: bool = False
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.reason = reason  # the dead letter's reason
        self.lettered = lettered  # intake dead-lettered it already (with the native message)

    def document(self) -> Document:
        return [{"code": self.status, "description": self.description}]


def service_list(services: Iterable[Service]) -> Document:
    """`GET /services`: every request type, with its group and keywords; no extra attributes
    (`metadata` false), answered on the bus in real time (`type` realtime)."""
    return [
        {
            "service_code": s.code,
            "service_name": s.name,
            "description": s.description,
            "metadata": False,
            "type": "realtime",
            "keywords": ",".join(s.keywords),
            "group": s.group,
        }
        for s in services
    ]


def service_definition(service: Service) -> dict[str, Any]:
    """`GET /services/{code}`: the definition of a service without extra attributes."""
    return {"service_code": service.code, "attributes": []}


XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
XML_ROOTS = {"services": "service", "service_requests": "request", "errors": "error"}


def to_xml(root: str, items: Iterable[Mapping[str, Any]]) -> bytes:
    """A document as GeoReport XML: `root` of one child per item (`service`, `request`,
    `error`), one element per field; None and empty lists are empty elements, booleans
    `true`/`false`."""
    top = ET.Element(root)
    for item in items:
        _fill(ET.SubElement(top, XML_ROOTS[root]), item)
    return XML_DECLARATION + bytes(ET.tostring(top, encoding="utf-8", xml_declaration=False))


def definition_xml(definition: Mapping[str, Any]) -> bytes:
    top = ET.Element("service_definition")
    ET.SubElement(top, "service_code").text = xml_text(str(definition["service_code"]))
    ET.SubElement(top, "attributes")
    return XML_DECLARATION + bytes(ET.tostring(top, encoding="utf-8", xml_declaration=False))


def _fill(element: ET.Element, item: Mapping[str, Any]) -> None:
    for name, value in item.items():
        child = ET.SubElement(element, name)
        if isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None and value != []:
            child.text = xml_text(str(value))
