"""A minimal, safe Markdown <-> XHTML mapping for item text in QTI.

Item text is untrusted. Rendering never passes text through as markup: every character becomes
element text or attribute text of :mod:`xml.etree.ElementTree`, which escapes ``<``, ``>``, ``&``
and quotes. Raw HTML in a stem is shown as text, not interpreted.

Supported (and inverted by :func:`xhtml_to_markdown`, so that export then import gives the same
text): paragraphs separated by blank lines, line breaks inside a paragraph (``<br/>``), fenced code
blocks (``<pre><code>``), bullet lists (``- item``), pipe tables (``| a | b |`` with a
``|---|---|`` separator row; alignment colons become the QTI 3 shared-vocabulary classes
``qti-align-left/center/right``), inline ``code``, ``**strong**`` and
``*emphasis*``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|\*\*(?P<strong>(?=\S)[^*\n]+?(?<=\S))\*\*"
    r"|\*(?P<em>(?=[^\s*])[^*\n]+?(?<=[^\s*]))\*"
)
_TABLE_SEP = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
_ALIGN = {(True, False): "left", (False, True): "right", (True, True): "center"}
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_xml_text(text: str) -> str:
    """Drop characters that XML 1.0 cannot carry at all (control characters)."""
    return _XML_BAD.sub("\ufffd", text)


def _append_text(parent: ET.Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _inline(parent: ET.Element, text: str, ns: str = "") -> None:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i:
            ET.SubElement(parent, f"{ns}br")
        pos = 0
        for m in _INLINE.finditer(line):
            _append_text(parent, line[pos : m.start()])
            if m.group("code") is not None:
                ET.SubElement(parent, f"{ns}code").text = m.group("code")
            elif m.group("strong") is not None:
                ET.SubElement(parent, f"{ns}strong").text = m.group("strong")
            else:
                ET.SubElement(parent, f"{ns}em").text = m.group("em")
            pos = m.end()
        _append_text(parent, line[pos:])


def markdown_to_xhtml(text: str, parent: ET.Element, *, ns: str = "") -> None:
    """Append the block elements of ``text`` (Markdown subset) to ``parent``."""
    text = clean_xml_text(text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    lines = text.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            _inline(ET.SubElement(parent, f"{ns}p"), "\n".join(para), ns)
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            lang = line[3:].strip()
            body = []
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            pre = ET.SubElement(parent, f"{ns}pre")
            code = ET.SubElement(pre, f"{ns}code")
            if lang:
                code.set("class", f"language-{lang}")
            code.text = "\n".join(body)
            i += 1
            continue
        if line.startswith("|") and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush()
            rows = [line]
            sep = lines[i + 1]
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            _table(parent, rows, sep, ns)
            continue
        if line.startswith("- "):
            flush()
            ul = ET.SubElement(parent, f"{ns}ul")
            while i < len(lines) and lines[i].startswith("- "):
                _inline(ET.SubElement(ul, f"{ns}li"), lines[i][2:], ns)
                i += 1
            continue
        if not line.strip():
            flush()
        else:
            para.append(line)
        i += 1
    flush()


def _cells(row: str) -> list[str]:
    body = row.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") else body
    return [c.strip() for c in body.split("|")]


def _table(parent: ET.Element, rows: list[str], sep: str, ns: str) -> None:
    aligns = []
    for spec in _cells(sep):
        aligns.append(_ALIGN.get((spec.startswith(":"), spec.endswith(":"))))
    table = ET.SubElement(parent, f"{ns}table")
    head = ET.SubElement(ET.SubElement(table, f"{ns}thead"), f"{ns}tr")
    for k, cell in enumerate(_cells(rows[0])):
        th = ET.SubElement(head, f"{ns}th")
        if k < len(aligns) and aligns[k]:
            th.set("class", f"qti-align-{aligns[k]}")
        _inline(th, cell, ns)
    body = ET.SubElement(table, f"{ns}tbody")
    for row in rows[1:]:
        tr = ET.SubElement(body, f"{ns}tr")
        for k, cell in enumerate(_cells(row)):
            td = ET.SubElement(tr, f"{ns}td")
            if k < len(aligns) and aligns[k]:
                td.set("class", f"qti-align-{aligns[k]}")
            _inline(td, cell, ns)


def _table_md(table: ET.Element) -> str:
    rows = [el for el in table.iter() if _local(el.tag) == "tr"]
    if not rows:
        return ""
    lines = []
    for r, row in enumerate(rows):
        cells = [c for c in row if _local(c.tag) in ("th", "td")]
        lines.append("| " + " | ".join(inline_to_markdown(c).strip() for c in cells) + " |")
        if r == 0:
            specs = []
            marks = {"qti-align-left": ":---", "qti-align-right": "---:"}
            marks["qti-align-center"] = ":---:"
            for c in cells:
                classes = (c.get("class") or "").split()
                specs.append(next((marks[k] for k in classes if k in marks), "---"))
            lines.append("|" + "|".join(specs) + "|")
    return "\n".join(lines)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def inline_to_markdown(el: ET.Element) -> str:
    out = [el.text or ""]
    for child in el:
        name = _local(child.tag)
        inner = inline_to_markdown(child)
        if name == "br":
            out.append("\n")
        elif name == "code":
            out.append(f"`{inner}`")
        elif name in ("strong", "b"):
            out.append(f"**{inner}**")
        elif name in ("em", "i"):
            out.append(f"*{inner}*")
        else:
            out.append(inner)
        out.append(child.tail or "")
    return "".join(out)


def xhtml_to_markdown(elements: list[ET.Element], *, leading_text: str = "") -> str:
    """Markdown text of a sequence of (X)HTML block elements (inverse of the renderer)."""
    blocks: list[str] = []
    if leading_text.strip():
        blocks.append(" ".join(leading_text.split()))
    for el in elements:
        name = _local(el.tag)
        if name == "pre":
            code = el.find("./*")
            lang = ""
            if code is not None and (code.get("class") or "").startswith("language-"):
                lang = code.get("class", "")[len("language-") :]
            body = "".join(el.itertext())
            blocks.append(f"```{lang}\n{body}\n```")
        elif name == "table":
            blocks.append(_table_md(el))
        elif name in ("ul", "ol"):
            blocks.append("\n".join(f"- {inline_to_markdown(li).strip()}" for li in el))
        elif name in ("p", "div", "span", "prompt", "qti-prompt", "blockquote", "h1", "h2", "h3"):
            children_blocks = [
                c for c in el if _local(c.tag) in ("p", "div", "pre", "ul", "ol", "table")
            ]
            if children_blocks and name in ("div", "prompt", "qti-prompt", "blockquote"):
                inner = xhtml_to_markdown(list(el), leading_text=el.text or "")
                if inner:
                    blocks.append(inner)
            else:
                text = inline_to_markdown(el).strip()
                if text:
                    blocks.append(text)
        else:
            text = inline_to_markdown(el).strip()
            if text:
                blocks.append(text)
        if el.tail and el.tail.strip():
            blocks.append(" ".join(el.tail.split()))
    return "\n\n".join(blocks)
