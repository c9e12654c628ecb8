"""Item text between Markdown (the bank) and XHTML (QTI), both ways.

Item text is untrusted. Rendering never passes text through as markup: every character becomes
element text or attribute text of :mod:`xml.etree.ElementTree`, which escapes ``<``, ``>``, ``&``
and quotes. Raw HTML in a stem is shown as text, not interpreted, with three exceptions that QTI
items need and Markdown cannot spell, kept as markup when they parse as XML:

* MathML (``<math xmlns="http://www.w3.org/1998/Math/MathML">...</math>``);
* ruby annotations (``<ruby>漢<rt>kan</rt></ruby>``), sub- and superscripts;
* ``<object data="media/..." type="...">fallback</object>`` for a media file of the bank.

Attributes that run code or leave the bank (``on*``, ``href``, ``src`` outside ``media/``) are
dropped. Images are Markdown images whose path is in the bank's ``media/`` folder
(``![alt](media/figure-1.png)``); in a package they refer to ``../media/...`` from the item.

Supported block syntax (inverted by :func:`xhtml_to_markdown`, so that export then import gives
the same text): paragraphs separated by blank lines, line breaks inside a paragraph (``<br/>``),
fenced code blocks (``<pre><code>``), bullet lists (``- item``), pipe tables (``| a | b |`` with
a ``|---|---|`` separator row; alignment colons become the QTI 3 shared-vocabulary classes
``qti-align-left/center/right``); inline ``code``, ``**strong**`` and ``*emphasis*``.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MEDIA_DIR = "media"
_INLINE = re.compile(
    r"`(?P<code>[^`\n]+)`"
    r"|!\[(?P<alt>[^\]\n]*)\]\((?P<src>media/[^()\s]+)\)"
    r"|(?P<raw><(?P<tag>math|ruby|sub|sup|object)\b[^<>]*>.*?</(?P=tag)>)"
    r"|\*\*(?P<strong>(?=\S)[^*\n]+?(?<=\S))\*\*"
    r"|\*(?P<em>(?=[^\s*])[^*\n]+?(?<=[^\s*]))\*",
    re.DOTALL,
)
_RAW_TAGS = {"math", "ruby", "sub", "sup", "object"}
_RUBY_PARTS = {"rb", "rt", "rp", "rtc"}
_TABLE_SEP = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")
_ALIGN = {(True, False): "left", (False, True): "right", (True, True): "center"}
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BLOCKS = {"p", "div", "pre", "ul", "ol", "table", "blockquote", "h1", "h2", "h3", "h4"}
_BLOCKS |= {"h5", "h6", "hr", "figure", "section", "article", "aside", "dl"}

Rewrite = Callable[[str], str]
"""Maps a media path as written to the path to write (``media/x.png`` <-> ``../media/x.png``)."""


def clean_xml_text(text: str) -> str:
    """Drop characters that XML 1.0 cannot carry at all (control characters)."""
    return _XML_BAD.sub("\ufffd", text)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _append_text(parent: ET.Element, text: str) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _safe_media(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and parts[0] == MEDIA_DIR and parts[1] not in ("", ".", "..")


def _strip_ns(el: ET.Element) -> ET.Element:
    """A copy of ``el`` with plain tag names and only harmless attributes."""
    out = ET.Element(_local(el.tag))
    for name, value in el.attrib.items():
        local = _local(name)
        if local.startswith("on") or local in ("href", "src", "style") or name.startswith("{"):
            continue
        out.set(local, value)
    out.text, out.tail = el.text, el.tail
    for child in el:
        out.append(_strip_ns(child))
    return out


def _raw_element(markup: str, media: Rewrite) -> ET.Element | None:
    """The element of a kept-markup segment, or ``None`` when it is not safe, well-formed XML."""
    try:
        el = ET.fromstring(markup)
    except ET.ParseError:
        return None
    name = _local(el.tag)
    if name == "math":
        if not el.tag.startswith(f"{{{MATHML_NS}}}"):
            return None
        out = _strip_ns(el)
        out.set("xmlns", MATHML_NS)
    elif name == "ruby":
        if el.tag != "ruby" or any(c.tag not in _RUBY_PARTS for c in el):
            return None
        out = _strip_ns(el)
    elif name in ("sub", "sup"):
        if len(el):
            return None
        out = _strip_ns(el)
    elif name == "object":
        data = el.get("data", "")
        if el.tag != "object" or not _safe_media(data) or any(c.tag != "param" for c in el):
            return None
        out = _strip_ns(el)
        out.set("data", media(data))
    else:  # pragma: no cover - the pattern admits no other tag
        return None
    out.tail = None
    return out


def _inline(parent: ET.Element, text: str, ns: str = "", media: Rewrite = str) -> None:
    lines = text.split("\n")
    # kept markup may span lines: join them back before matching
    for i, line in enumerate(_logical_lines(lines)):
        if i:
            ET.SubElement(parent, f"{ns}br")
        pos = 0
        for m in _INLINE.finditer(line):
            if m.group("raw") is not None:
                el = _raw_element(m.group("raw"), media)
                if el is None:
                    continue  # shown as text
                _append_text(parent, line[pos : m.start()])
                parent.append(el)
            else:
                _append_text(parent, line[pos : m.start()])
                if m.group("code") is not None:
                    ET.SubElement(parent, f"{ns}code").text = m.group("code")
                elif m.group("src") is not None:
                    src = m.group("src")
                    if not _safe_media(src):
                        _append_text(parent, m.group(0))
                    else:
                        ET.SubElement(
                            parent, f"{ns}img", {"src": media(src), "alt": m.group("alt")}
                        )
                elif m.group("strong") is not None:
                    ET.SubElement(parent, f"{ns}strong").text = m.group("strong")
                else:
                    ET.SubElement(parent, f"{ns}em").text = m.group("em")
            pos = m.end()
        _append_text(parent, line[pos:])


def _logical_lines(lines: list[str]) -> list[str]:
    """Lines, with a kept-markup segment that spans several lines joined into one."""
    out: list[str] = []
    buf: list[str] = []
    for line in lines:
        buf.append(line)
        joined = "\n".join(buf)
        opened = re.findall(r"<(math|ruby|object)\b", joined)
        closed = re.findall(r"</(math|ruby|object)>", joined)
        if len(opened) <= len(closed) or len(buf) > 200:
            out.append(joined)
            buf = []
    if buf:
        out.extend(buf)
    return out


def markdown_to_xhtml(text: str, parent: ET.Element, *, ns: str = "", media: Rewrite = str) -> None:
    """Append the block elements of ``text`` (Markdown subset) to ``parent``.

    ``media`` rewrites the bank's media paths (``media/x.png``) for where the XHTML goes.
    """
    text = clean_xml_text(text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")
    lines = text.split("\n")
    i = 0
    para: list[str] = []

    def flush() -> None:
        if para:
            _inline(ET.SubElement(parent, f"{ns}p"), "\n".join(para), ns, media)
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
            _table(parent, rows, sep, ns, media)
            continue
        if line.startswith("- "):
            flush()
            ul = ET.SubElement(parent, f"{ns}ul")
            while i < len(lines) and lines[i].startswith("- "):
                _inline(ET.SubElement(ul, f"{ns}li"), lines[i][2:], ns, media)
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


def _table(parent: ET.Element, rows: list[str], sep: str, ns: str, media: Rewrite) -> None:
    aligns = []
    for spec in _cells(sep):
        aligns.append(_ALIGN.get((spec.startswith(":"), spec.endswith(":"))))
    table = ET.SubElement(parent, f"{ns}table")
    # QTI requires a tbody with at least one row: a header-only table keeps its header row there
    section = "tbody" if len(rows) == 1 else "thead"
    head = ET.SubElement(ET.SubElement(table, f"{ns}{section}"), f"{ns}tr")
    for k, cell in enumerate(_cells(rows[0])):
        th = ET.SubElement(head, f"{ns}th")
        if k < len(aligns) and aligns[k]:
            th.set("class", f"qti-align-{aligns[k]}")
        _inline(th, cell, ns, media)
    if len(rows) == 1:
        return
    body = ET.SubElement(table, f"{ns}tbody")
    for row in rows[1:]:
        tr = ET.SubElement(body, f"{ns}tr")
        for k, cell in enumerate(_cells(row)):
            td = ET.SubElement(tr, f"{ns}td")
            if k < len(aligns) and aligns[k]:
                td.set("class", f"qti-align-{aligns[k]}")
            _inline(td, cell, ns, media)


# ----------------------------------------------------------------------------- XHTML -> Markdown


def _kept_markup(el: ET.Element, media: Rewrite) -> str:
    """Serialized kept markup (MathML, ruby, sub/sup, object) in the bank's spelling."""
    out = _strip_ns(el)
    out.tail = None
    if _local(el.tag) == "math":
        out.set("xmlns", MATHML_NS)
    if _local(el.tag) == "object" and el.get("data"):
        out.set("data", media(el.get("data", "")))
    text = ET.tostring(out, encoding="unicode", short_empty_elements=True)
    return text


def _table_md(table: ET.Element, media: Rewrite) -> str:
    rows = [el for el in table.iter() if _local(el.tag) == "tr"]
    if not rows:
        return ""
    cells_of = [[c for c in row if _local(c.tag) in ("th", "td")] for row in rows]
    texts = [[" ".join(inline_to_markdown(c, media).split()) for c in cells] for cells in cells_of]
    if not any(t for row in texts for t in row) and not any(
        _local(el.tag) in ("img", "object", "math") for el in table.iter()
    ):
        return ""  # an empty layout table shows nothing
    lines = []
    for r, (cells, row_texts) in enumerate(zip(cells_of, texts, strict=True)):
        lines.append("| " + " | ".join(t.replace("|", "\\|") for t in row_texts) + " |")
        if r == 0:
            specs = []
            marks = {"qti-align-left": ":---", "qti-align-right": "---:"}
            marks["qti-align-center"] = ":---:"
            for c in cells:
                classes = (c.get("class") or "").split()
                specs.append(next((marks[k] for k in classes if k in marks), "---"))
            lines.append("|" + "|".join(specs) + "|")
    return "\n".join(lines)


def inline_to_markdown(el: ET.Element, media: Rewrite = str) -> str:
    """Markdown of the inline content of ``el`` (its text, children and their tails).

    A line break is ``<br/>``; newlines of the XML source are spaces, as in HTML.
    """
    out = [_spaces(el.text)]
    for child in el:
        name = _local(child.tag)
        if name in _RAW_TAGS:
            out.append(_kept_markup(child, media))
        elif name == "img":
            src = media(child.get("src", ""))
            out.append(f"![{child.get('alt', '')}]({src})")
        else:
            inner = inline_to_markdown(child, media)
            if name == "br":
                out.append("\n")
            elif name == "code":
                out.append(f"`{inner}`")
            elif name in ("strong", "b"):
                out.append(f"**{inner}**" if inner.strip() else inner)
            elif name in ("em", "i"):
                out.append(f"*{inner}*" if inner.strip() else inner)
            else:
                out.append(inner)
        out.append(_spaces(child.tail))
    return "".join(out)


def inline_text(el: ET.Element, media: Rewrite = str) -> str:
    """:func:`inline_to_markdown` with the spaces of each line collapsed, and stripped."""
    lines = inline_to_markdown(el, media).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines).strip()


def _spaces(text: str | None) -> str:
    return (text or "").replace("\r", " ").replace("\n", " ").replace("\t", " ")


def _has_blocks(el: ET.Element) -> bool:
    return any(_local(c.tag) in _BLOCKS for c in el)


def _inline_run(nodes: list[tuple[str, ET.Element | None]], media: Rewrite) -> str:
    """Markdown of a run of inline content: ``(text, None)`` or ``("", element)`` entries."""
    holder = ET.Element("span")
    for text, el in nodes:
        if el is None:
            _append_text(holder, text)
        else:
            clone = copy.copy(el)
            clone.tail = None
            holder.append(clone)
    lines = inline_to_markdown(holder, media).split("\n")
    return "\n".join(" ".join(line.split()) for line in lines).strip()


def xhtml_to_markdown(
    elements: list[ET.Element], *, leading_text: str = "", media: Rewrite = str
) -> str:
    """Markdown text of a sequence of (X)HTML nodes (inverse of the renderer).

    Consecutive inline content (``leading_text``, inline elements and the text between them)
    forms one paragraph; block elements are blocks.
    """
    blocks: list[str] = []
    run: list[tuple[str, ET.Element | None]] = [(leading_text, None)]

    def flush() -> None:
        text = _inline_run(run, media)
        if text:
            blocks.append(text)
        run.clear()

    for el in elements:
        name = _local(el.tag)
        if name not in _BLOCKS:
            run.append(("", el))
            run.append((el.tail or "", None))
            continue
        flush()
        if name == "pre":
            code = el.find("./*")
            lang = ""
            if code is not None and (code.get("class") or "").startswith("language-"):
                lang = code.get("class", "")[len("language-") :]
            body = "".join(el.itertext())
            blocks.append(f"```{lang}\n{body}\n```")
        elif name == "table":
            text = _table_md(el, media)
            if text:
                blocks.append(text)
        elif name in ("ul", "ol"):
            items = [li for li in el if _local(li.tag) == "li"]
            lines = [" ".join(inline_to_markdown(li, media).split()) for li in items]
            blocks.append("\n".join(f"- {line}" for line in lines))
        elif _has_blocks(el):
            inner = xhtml_to_markdown(list(el), leading_text=el.text or "", media=media)
            if inner:
                blocks.append(inner)
        elif name != "hr":
            lines = inline_to_markdown(el, media).split("\n")
            text = "\n".join(" ".join(line.split()) for line in lines).strip()
            if text:
                blocks.append(text)
        run.append((el.tail or "", None))
    flush()
    return "\n\n".join(blocks)
