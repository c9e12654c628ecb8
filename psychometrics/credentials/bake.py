"""Baking a credential into an SVG badge image and extracting it again (Open Badges 3.0 5.3).

A credential with an embedded proof goes into ``<openbadges:credential>`` as a CDATA section; a
VC-JWT goes into the element's ``verify`` attribute. The ``openbadges`` namespace is
``https://purl.imsglobal.org/ob/v3p0``. The rest of the image is left byte for byte as it was.

References
----------
.. [1] 1EdTech, "Open Badges Specification v3.0", section 5.3.2 Baking (SVG),
   https://www.imsglobal.org/spec/ob/v3p0/
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any

__all__ = ["NAMESPACE", "bake_svg", "default_badge_svg", "extract_svg", "is_svg"]

NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.DOTALL)


def is_svg(text: str) -> bool:
    """Whether ``text`` looks like an SVG document."""
    head = text.lstrip()[:2048]
    return head.startswith("<") and "<svg" in head


def default_badge_svg(title: str, subtitle: str = "") -> str:
    """A plain round badge with the credential's title (when the spec names no image)."""
    words = title.split()
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) > 16 and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    y0 = 120 - 12 * (len(lines) - 1)
    text = "".join(
        f'<text x="120" y="{y0 + 24 * i}" text-anchor="middle" font-family="sans-serif" '
        f'font-size="18" fill="#ffffff">{html.escape(t)}</text>'
        for i, t in enumerate(lines)
    )
    sub = (
        f'<text x="120" y="{y0 + 24 * len(lines) + 6}" text-anchor="middle" '
        f'font-family="sans-serif" font-size="12" fill="#dbe7f3">{html.escape(subtitle)}</text>'
        if subtitle
        else ""
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="240" viewBox="0 0 240 240">'
        f"<title>{html.escape(title)}</title>"
        '<circle cx="120" cy="120" r="112" fill="#1f4e79" stroke="#c9a227" stroke-width="10"/>'
        f"{text}{sub}</svg>\n"
    )


def bake_svg(svg: str, credential: dict[str, Any] | str) -> str:
    """``svg`` with ``credential`` (a JSON credential or a VC-JWT) baked in.

    An SVG that already carries a credential is refused (ValueError): bake the original image.
    """
    match = _SVG_OPEN.search(svg)
    if match is None:
        raise ValueError("not an SVG image (no <svg> element)")
    if "openbadges:credential" in svg or f"{{{NAMESPACE}}}credential" in svg:
        raise ValueError("the image already carries a credential")
    tag = match.group(0)
    if "xmlns:openbadges" not in tag:
        tag = tag[:-1].rstrip("/") + f' xmlns:openbadges="{NAMESPACE}">'
        if match.group(0).endswith("/>"):
            raise ValueError("the <svg> element is empty")
    if isinstance(credential, str):
        element = f'<openbadges:credential verify="{html.escape(credential.strip(), quote=True)}"/>'
    else:
        payload = json.dumps(credential, ensure_ascii=False, indent=2)
        if "]]>" in payload:
            payload = payload.replace("]]>", "]]\\u003e")
        element = f"<openbadges:credential><![CDATA[{payload}]]></openbadges:credential>"
    return svg[: match.start()] + tag + element + svg[match.end() :]


def extract_svg(svg: str) -> str:
    """The credential baked into an SVG: the VC-JWT or the JSON text.

    Raises
    ------
    ValueError
        When the image is not well-formed XML or carries no credential.
    """
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise ValueError(f"the SVG is not well-formed XML: {exc}") from None
    element = root.find(f".//{{{NAMESPACE}}}credential")
    if element is None:
        raise ValueError("the SVG carries no <openbadges:credential>")
    token = element.get("verify")
    if token:
        return token
    text = (element.text or "").strip()
    if not text:
        raise ValueError("<openbadges:credential> is empty")
    return text
