"""Baking a credential into a badge image and extracting it again (Open Badges 3.0 5.3).

SVG: a credential with an embedded proof goes into ``<openbadges:credential>`` as a CDATA
section; a VC-JWT goes into the element's ``verify`` attribute. The ``openbadges`` namespace is
``https://purl.imsglobal.org/ob/v3p0``. PNG: an ``iTXt`` chunk with the keyword
``openbadgecredential`` (uncompressed) holds the JSON or the JWT, before ``IEND``. The rest of
the image is left byte for byte as it was.

References
----------
.. [1] 1EdTech, "Open Badges Specification v3.0", section 5.3.2 Baking (SVG),
   https://www.imsglobal.org/spec/ob/v3p0/
"""

from __future__ import annotations

import html
import json
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from typing import Any

__all__ = [
    "NAMESPACE",
    "PNG_KEYWORD",
    "bake_png",
    "bake_svg",
    "default_badge_png",
    "default_badge_svg",
    "extract_png",
    "extract_svg",
    "is_png",
    "is_svg",
]

PNG_KEYWORD = b"openbadgecredential"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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


def is_png(data: bytes) -> bool:
    """Whether ``data`` starts with the PNG signature."""
    return data[:8] == _PNG_SIGNATURE


def _chunks(data: bytes) -> list[tuple[bytes, bytes, int]]:
    """(type, body, start offset) of every chunk; ValueError on a truncated or corrupt file."""
    if not is_png(data):
        raise ValueError("not a PNG image")
    out, at = [], 8
    while at < len(data):
        if at + 8 > len(data):
            raise ValueError("the PNG is truncated")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > len(data):
            raise ValueError("the PNG is truncated")
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : end])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"the PNG's {kind.decode('latin-1')} chunk fails its CRC")
        out.append((kind, body, at))
        at = end
        if kind == b"IEND":
            break
    if not out or out[-1][0] != b"IEND":
        raise ValueError("the PNG has no IEND chunk")
    return out


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def bake_png(png: bytes, credential: dict[str, Any] | str) -> bytes:
    """``png`` with ``credential`` (a JSON credential or a VC-JWT) in an ``iTXt`` chunk.

    An image that already carries a credential is refused (ValueError).
    """
    chunks = _chunks(png)
    if any(k == b"iTXt" and b.split(b"\x00", 1)[0] == PNG_KEYWORD for k, b, _ in chunks):
        raise ValueError("the image already carries a credential")
    text = credential.strip() if isinstance(credential, str) else json.dumps(credential)
    # keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translation NUL
    body = PNG_KEYWORD + b"\x00\x00\x00\x00\x00" + text.encode("utf-8")
    iend = chunks[-1][2]
    return png[:iend] + _chunk(b"iTXt", body) + png[iend:]


def extract_png(png: bytes) -> str:
    """The credential baked into a PNG (the JSON text or the VC-JWT).

    Raises
    ------
    ValueError
        When the image is not a readable PNG or carries no credential.
    """
    for kind, body, _ in _chunks(png):
        if kind != b"iTXt":
            continue
        keyword, _, rest = body.partition(b"\x00")
        if keyword != PNG_KEYWORD:
            continue
        if len(rest) < 2:
            raise ValueError("the openbadgecredential chunk is truncated")
        compressed = rest[0]
        rest = rest[2:]
        _language, _, rest = rest.partition(b"\x00")
        _translated, _, text = rest.partition(b"\x00")
        if compressed:
            try:
                text = zlib.decompress(text)
            except zlib.error as exc:
                raise ValueError(f"the openbadgecredential chunk is not zlib: {exc}") from None
        return text.decode("utf-8", errors="strict").strip()
    raise ValueError("the PNG carries no openbadgecredential chunk")


def default_badge_png(size: int = 64) -> bytes:
    """A plain round badge as an RGB PNG (when no image is given)."""
    rows = []
    centre = (size - 1) / 2
    for y in range(size):
        row = bytearray(b"\x00")  # filter type 0
        for x in range(size):
            r = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            if r <= centre - 3:
                row += bytes((0x1F, 0x4E, 0x79))
            elif r <= centre:
                row += bytes((0xC9, 0xA2, 0x27))
            else:
                row += bytes((0xFF, 0xFF, 0xFF))
        rows.append(bytes(row))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )
