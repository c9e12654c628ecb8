"""Shared pieces of credkit's QTI 3.0 documents: namespaces, identifiers, element helpers.

Elements are built with plain names and explicit ``xmlns`` attributes, so the output is
deterministic and does not depend on ElementTree's global prefix registry.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from psychometrics.bank.qti_markup import clean_xml_text

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
CSM_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscsmd_v1p1"
USAGE_NS = "http://www.imsglobal.org/xsd/imsqti_usagedata_v3p0"
USAGE_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_usagedatav3p0_v1p0.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RP_TEMPLATES = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/"
MATCH_CORRECT = f"{RP_TEMPLATES}match_correct.xml"
MAP_RESPONSE = f"{RP_TEMPLATES}map_response.xml"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# never indent inside text: whitespace there is content
_MIXED = {"p", "pre", "code", "li", "th", "td", "strong", "em", "qti-simple-choice", "qti-prompt"}
_MIXED |= {"math", "ruby", "object", "sub", "sup", "qti-feedback-inline", "h1", "h2", "h3"}


def qti_identifier(item_id: str) -> str:
    """A valid QTI identifier for a bank id (prefixed with ``I_`` when it starts with a digit)."""
    if _IDENT.match(item_id):
        return item_id
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", item_id)
    return f"I_{safe}"


def sub(parent: ET.Element, tag: str, attrib: dict[str, str] | None = None, text=None):
    """Append element ``tag`` to ``parent`` (text cleaned of characters XML cannot carry)."""
    el = ET.SubElement(parent, tag, attrib or {})
    if text is not None:
        el.text = clean_xml_text(str(text))
    return el


def _indent(elem: ET.Element, level: int = 0) -> None:
    """Pretty-print structure only: never touch whitespace inside mixed (text) content."""
    if not len(elem) or elem.tag in _MIXED or (elem.text and elem.text.strip()):
        return
    if any(child.tail and child.tail.strip() for child in elem):
        return
    pad = "\n" + "  " * (level + 1)
    elem.text = pad
    for child in elem:
        _indent(child, level + 1)
        child.tail = pad
    elem[-1].tail = "\n" + "  " * level


def tostring(root: ET.Element, namespace: str) -> bytes:
    """The document of ``root`` in ``namespace``, indented, UTF-8 with an XML declaration."""
    root.attrib = {"xmlns": namespace, "xmlns:xsi": XSI_NS, **root.attrib}
    _indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def number_text(value: float) -> str:
    """A number as QTI writes it: integers without a decimal point."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)
