"""GeoReport v2 bodies as XML or JSON.

JSON is the programmatic mapping of the XML (the spec's "Spark convention"): a list in JSON is
a wrapper element in XML holding one child per entry, named as below. XML is schemaless, with
no namespace and an XML declaration saying UTF-8.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET  # we build XML here, never parse it

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The XML element of each entry of a list, by the list's element.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            element.append(_element(key, child))
    elif isinstance(value, list | tuple):
        item_tag = ITEM_TAGS.get(tag, "item")
        for child in value:
            element.append(_element(item_tag, child))
    else:
        element.text = _text(value)
    return element


def to_xml(root: str, value: Any) -> bytes:
    element = _element(root, value)
    ET.indent(element)
    body = ET.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="utf-8"?>\n{body}'.encode()


def render(fmt: str, root: str, value: Any, *, status: int = 200) -> HttpResponse:
    """The body in the asked format: `root` names the XML root element (JSON has none)."""
    if fmt == "xml":
        content = to_xml(root, value)
    else:
        content = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, errors: list[tuple[int | str, str]], *, status: int) -> HttpResponse:
    """The spec's error body: a list of {code, description}."""
    body = [{"code": code, "description": description} for code, description in errors]
    return render(fmt if fmt in FORMATS else "xml", "errors", body, status=status)
