"""Read one QTI 3.0 or 2.x assessment item into the fields of a bank item.

An item credkit can hold has one choice interaction (``mcq``, or ``msq`` with multiple
cardinality) or one extended-text interaction with score levels (``rubric``). Anything else
(other or several interactions, template items, adaptive items, ordered responses, audio or
video) raises :class:`Skip` with the reason: an item is never cut down to what fits.

What is kept, and where:

* the stem is the item body without its interactions and conditional content; text after the
  interaction is appended (a change that is reported);
* inline, block, modal and template feedback become ``feedback`` entries, never stem text;
* ``shuffle`` and fixed choices, a response mapping (partial credit, ``scoring``), and a key
  derived from the mapping when the item has no correct response;
* images and objects are copied into the bank's ``media/`` folder; MathML, ruby, sub- and
  superscripts stay markup (see :mod:`psychometrics.bank.qti_markup`).

QTI 3 (kebab-case, ``qti-`` prefix) and QTI 2.x (camelCase) names are read alike.
"""

from __future__ import annotations

import copy
import posixpath
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psychometrics.bank.parse import ID_PATTERN
from psychometrics.bank.qti_markup import inline_text, xhtml_to_markdown

FEEDBACK_TAGS = {
    "feedbackInline": "inline",
    "feedbackBlock": "block",
    "templateInline": "template",
    "templateBlock": "template",
}
_SCORING_TEMPLATES = ("match_correct", "map_response", "cc2_match", "cc2_map_response")
_MEDIA_TAGS = {"img", "object"}
_NOT_KEPT = {
    "catalogInfo": "accessibility catalog (qti-catalog-info)",
    "apipAccessibility": "APIP accessibility information",
    "accessibilityInfo": "APIP accessibility information",
    "stylesheet": "stylesheet",
    "companionMaterialsInfo": "companion materials (calculator, rule, ...)",
}
_REFUSED_MEDIA = {"audio", "video", "iframe", "embed", "svg", "picture", "canvas", "source"}


class Skip(Exception):
    """The item cannot be imported as it is; the message says why."""


@dataclass
class ReadItem:
    """The bank fields of one package item, and what importing changed."""

    fields: dict[str, Any]
    changes: list[str] = field(default_factory=list)
    media: dict[str, str] = field(default_factory=dict)
    stimulus: tuple[str, str, str] | None = None
    identifier: str = ""
    title: str = ""
    tool: str = ""


def name(el: ET.Element) -> str:
    """QTI 2 spelling of an element name: ``qti-simple-choice`` -> ``simpleChoice``."""
    local = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
    if local.startswith("qti-"):
        head, *rest = local[4:].split("-")
        return head + "".join(part.capitalize() for part in rest)
    return local


def attr(el: ET.Element, camel: str, default: str | None = None) -> str | None:
    """An attribute by its QTI 2 name, or its QTI 3 kebab-case spelling."""
    if camel in el.attrib:
        return el.attrib[camel]
    kebab = re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), camel)
    return el.attrib.get(kebab, default)


def _is_interaction(el: ET.Element) -> bool:
    n = name(el)
    return n.endswith("Interaction") and n != "interaction"


def _interactions(body: ET.Element) -> list[ET.Element]:
    """The interactions of the body, outermost only (a PCI's markup is not searched)."""
    found: list[ET.Element] = []

    def walk(el: ET.Element) -> None:
        for child in el:
            if _is_interaction(child):
                found.append(child)
            else:
                walk(child)

    walk(body)
    return found


def _parent_map(root: ET.Element) -> dict[ET.Element, ET.Element]:
    return {child: parent for parent in root.iter() for child in parent}


def _number(text: str | None, what: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise Skip(f"{what} is not a number: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise Skip(f"{what} is not a finite number")
    return value


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


MediaPlan = Callable[[str], str]
"""Maps a media ``src`` written in the item to its path in the bank (``media/...``)."""


def read_item(root: ET.Element, *, href: str, media: MediaPlan) -> ReadItem:
    """The bank fields of the item document ``root`` (package path ``href``).

    Raises
    ------
    Skip
        With the reason the item cannot be imported.
    """
    if name(root) != "assessmentItem":
        raise Skip(f"not an assessment item (<{name(root)}>)")
    out = ReadItem(fields={}, identifier=root.get("identifier") or "")
    out.tool = attr(root, "toolName") or ""
    out.title = root.get("title") or ""
    if (attr(root, "adaptive") or "false").strip() == "true":
        raise Skip("adaptive item (its response processing runs over several attempts)")
    decls = {name(el) for el in root}
    if "templateProcessing" in decls:
        raise Skip("template item (templateProcessing gives each candidate other values)")
    for tag, what in _NOT_KEPT.items():
        if any(name(el) == tag for el in root.iter()):
            out.changes.append(f"{what} not kept")
    body = next((el for el in root if name(el) == "itemBody"), None)
    if body is None:
        raise Skip("no item body")
    interactions = _interactions(body)
    kinds = [name(el) for el in interactions]
    if not interactions:
        raise Skip("no interaction (nothing to answer)")
    if len(interactions) != 1 or kinds[0] not in ("choiceInteraction", "extendedTextInteraction"):
        counts = Counter(kinds)
        listed = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in counts.items())
        raise Skip(
            f"interactions: {listed} (credkit items have one choice or one extended-text "
            "interaction)"
        )
    refused = sorted({name(el) for el in body.iter()} & _REFUSED_MEDIA)
    if refused:
        raise Skip(f"holds {', '.join(refused)} (credkit keeps images, MathML and objects)")
    base = posixpath.dirname(href)

    def bank_path(src: str) -> str:
        return media(posixpath.join(base, src) if src else src)

    body = copy.deepcopy(body)
    interaction = _interactions(body)[0]
    feedback = _take_feedback(root, body, interaction, bank_path)
    if feedback:
        out.fields["feedback"] = feedback
    rationale = _take_rubrics(body, interaction, out, bank_path)
    if kinds[0] == "choiceInteraction":
        _choice(root, body, interaction, out, bank_path)
    else:
        _extended(root, body, interaction, out, bank_path)
    if rationale:
        out.fields["rationale"] = rationale
    label = root.get("label") or ""
    out.fields["id"] = label if ID_PATTERN.match(label) else out.identifier
    ref = next((el for el in root if name(el) == "assessmentStimulusRef"), None)
    if ref is not None:
        out.stimulus = (ref.get("identifier", ""), ref.get("href", ""), ref.get("title", ""))
    return out


def _markdown(elements: list[ET.Element], bank_path: MediaPlan, leading: str = "") -> str:
    return xhtml_to_markdown(elements, leading_text=leading, media=bank_path)


def _take_feedback(
    root: ET.Element, body: ET.Element, interaction: ET.Element, bank_path: MediaPlan
) -> list[dict[str, Any]]:
    """Remove conditional content from ``body`` (a copy) and return it as feedback entries."""
    entries: list[dict[str, Any]] = []
    parents = _parent_map(body)
    choices = {c: c.get("identifier") for c in interaction if name(c) == "simpleChoice"}
    for el in list(body.iter()):
        kind = FEEDBACK_TAGS.get(name(el))
        if kind is None or el not in parents:
            continue
        entry: dict[str, Any] = {"kind": kind}
        holder = parents[el]
        while holder is not None and holder not in choices:
            holder = parents.get(holder)
        if holder is not None:
            entry["option"] = choices[holder]
        outcome = attr(el, "templateIdentifier") if kind == "template" else None
        entry["outcome"] = outcome or attr(el, "outcomeIdentifier") or ""
        entry["identifier"] = el.get("identifier") or ""
        if (attr(el, "showHide") or "show") == "hide":
            entry["show"] = False
        content = [c for c in el if name(c) == "contentBody"] or [el]
        box = content[0]
        if name(el).endswith("Inline"):
            entry["text"] = inline_text(box, bank_path)
        else:
            entry["text"] = _markdown(list(box), bank_path, box.text or "")
        _remove(parents, el)
        for child in list(el.iter()):
            parents.pop(child, None)
        entries.append(entry)
    for el in root:
        if name(el) == "modalFeedback":
            content = [c for c in el if name(c) == "contentBody"] or [el]
            entry = {
                "kind": "modal",
                "outcome": attr(el, "outcomeIdentifier") or "",
                "identifier": el.get("identifier") or "",
            }
            if (attr(el, "showHide") or "show") == "hide":
                entry["show"] = False
            if el.get("title"):
                entry["title"] = el.get("title")
            entry["text"] = _markdown(list(content[0]), bank_path, content[0].text or "")
            entries.append(entry)
    return entries


def _remove(parents: dict[ET.Element, ET.Element], el: ET.Element) -> None:
    """Remove ``el`` from its parent, keeping its tail text in place."""
    parent = parents[el]
    kids = list(parent)
    at = kids.index(el)
    if el.tail:
        if at:
            kids[at - 1].tail = (kids[at - 1].tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _take_rubrics(
    body: ET.Element, interaction: ET.Element, out: ReadItem, bank_path: MediaPlan
) -> str | None:
    """Rubric blocks: a candidate's stays in the stem, others are removed (scorer -> rationale)."""
    parents = _parent_map(body)
    notes = []
    for el in list(body.iter()):
        if name(el) != "rubricBlock" or el not in parents:
            continue
        view = (el.get("view") or "candidate").split()
        if "candidate" in view:
            continue
        content = [c for c in el if name(c) == "contentBody"] or [el]
        text = _markdown(list(content[0]), bank_path, content[0].text or "")
        if attr(el, "use") == "scoring" and name(interaction) == "extendedTextInteraction":
            out.fields["_levels"] = content[0]
        elif text:
            notes.append(text)
            out.changes.append(f"rubric block for {'/'.join(view)} kept as the rationale")
        _remove(parents, el)
    return "\n\n".join(notes) + "\n" if notes else None


def _stem(body: ET.Element, interaction: ET.Element, out: ReadItem, bank_path: MediaPlan) -> str:
    """The stem: the body with the interaction replaced by its prompt."""
    parents = _parent_map(body)
    prompt = [c for c in interaction if name(c) == "prompt"]
    after = _text_after(body, interaction, parents)
    holder = parents[interaction]
    at = list(holder).index(interaction)
    holder.remove(interaction)
    for k, p in enumerate(prompt):
        block = ET.Element("div")
        block.text = p.text
        block.extend(list(p))
        block.tail = interaction.tail if k == len(prompt) - 1 else None
        holder.insert(at + k, block)
    if not prompt and interaction.tail:
        kids = list(holder)
        if at:
            kids[at - 1].tail = (kids[at - 1].tail or "") + interaction.tail
        else:
            holder.text = (holder.text or "") + interaction.tail
    if after:
        out.changes.append("text after the interaction is part of the stem")
    stem = _markdown(list(body), bank_path, body.text or "")
    if not stem.strip():
        raise Skip("empty stem")
    return stem + "\n"  # stems are literal blocks (``stem: |``), which end with a newline


def _text_after(
    body: ET.Element, interaction: ET.Element, parents: dict[ET.Element, ET.Element]
) -> bool:
    """Whether visible content follows the interaction in document order."""
    el = interaction
    while el is not body:
        parent = parents[el]
        if (el.tail or "").strip():
            return True
        kids = list(parent)
        for later in kids[kids.index(el) + 1 :]:
            if "".join(later.itertext()).strip() or any(
                name(x) in _MEDIA_TAGS | {"math"} for x in later.iter()
            ):
                return True
        el = parent
    return False


def _declaration(root: ET.Element, response_id: str | None) -> ET.Element:
    for el in root:
        if name(el) == "responseDeclaration" and el.get("identifier") == response_id:
            return el
    raise Skip(f"no response declaration for {response_id!r}")


def _processing(root: ET.Element) -> str:
    """``match``, ``map`` or ``custom`` (the kind of response processing), ``none`` if absent."""
    rp = next((el for el in root if name(el) == "responseProcessing"), None)
    if rp is None:
        return "none"
    template = (attr(rp, "template") or "").lower()
    if template:
        stem = posixpath.basename(template).rsplit(".", 1)[0]
        if stem in ("match_correct", "cc2_match", "cc2_match_basic"):
            return "match"
        if stem in ("map_response", "cc2_map_response", "map_response_point"):
            return "map"
        return "custom"
    return _plain_rules(rp)


_PLAIN_RULES = {"responseProcessing", "responseCondition", "responseIf", "responseElse", "match"}
_PLAIN_RULES |= {"variable", "correct", "setOutcomeValue", "baseValue", "mapResponse", "isNull"}


def _plain_rules(rp: ET.Element) -> str:
    """``match``/``map`` when written-out rules do what the template does (and at most set
    FEEDBACK to the response, as credkit writes it), else ``custom``."""
    names = {name(el) for el in rp.iter()}
    if not names <= _PLAIN_RULES:
        return "custom"
    for el in rp.iter():
        if name(el) != "setOutcomeValue":
            continue
        target = el.get("identifier")
        if target == "FEEDBACK":
            value = list(el)
            if len(value) != 1 or name(value[0]) != "variable":
                return "custom"
        elif target != "SCORE":
            return "custom"
    if "mapResponse" in names:
        return "map"
    return "match" if {"match", "correct"} <= names else "custom"


def _choice(
    root: ET.Element,
    body: ET.Element,
    interaction: ET.Element,
    out: ReadItem,
    bank_path: MediaPlan,
) -> None:
    decl = _declaration(root, attr(interaction, "responseIdentifier"))
    cardinality = decl.get("cardinality", "single")
    if cardinality not in ("single", "multiple"):
        raise Skip(f"{cardinality} response (credkit choice items are single or multiple)")
    choices = [c for c in interaction if name(c) == "simpleChoice"]
    if not choices:
        raise Skip("the choice interaction has no choices")
    if len(choices) > 26:
        raise Skip("more than 26 choices")
    idents = [c.get("identifier", "") for c in choices]
    keep = all(re.fullmatch(r"[A-Z]", i) for i in idents) and len(set(idents)) == len(idents)
    letters = idents if keep else [chr(ord("A") + k) for k in range(len(choices))]
    mapping = dict(zip(idents, letters, strict=True))
    correct = next((c for c in decl if name(c) == "correctResponse"), None)
    values = [] if correct is None else [(v.text or "").strip() for v in correct]
    if [v for v in values if v not in mapping]:
        raise Skip(f"correct response {values!r} does not name the choices")
    processing = _processing(root)
    scoring = _mapping(decl, mapping, processing, out)
    multiple = cardinality == "multiple"
    if values:
        key = [mapping[v] for v in values]
    elif scoring is not None:
        key = _key_from_mapping(scoring, multiple)
        out.changes.append("key derived from the response mapping")
    else:
        raise Skip("no correct response and no response mapping (the item is not scored)")
    if not multiple and len(key) != 1:
        raise Skip("single response with several correct values")
    if processing == "custom":
        out.changes.append("custom response processing not kept (scored by key or mapping)")
    out.fields["type"] = "msq" if multiple else "mcq"
    out.fields["stem"] = _stem(body, interaction, out, bank_path)
    options = {}
    for ident, choice in zip(idents, choices, strict=True):
        options[mapping[ident]] = _choice_text(choice, bank_path)
    out.fields["options"] = options
    out.fields["key"] = key if multiple else key[0]
    shuffle = (attr(interaction, "shuffle") or "false").strip() == "true"
    if shuffle:
        out.fields["shuffle"] = True
        fixed = [
            mapping[i] for i, c in zip(idents, choices, strict=True) if c.get("fixed") == "true"
        ]
        if fixed:
            out.fields["fixed"] = fixed
    if scoring is not None:
        out.fields["scoring"] = scoring
    for entry in out.fields.get("feedback", []):
        if entry.get("option") in mapping:
            entry["option"] = mapping[entry["option"]]
        if entry["kind"] != "template" and entry["identifier"] in mapping:
            entry["identifier"] = mapping[entry["identifier"]]  # FEEDBACK = RESPONSE


def _choice_text(choice: ET.Element, bank_path: MediaPlan) -> str:
    if any(name(c) in ("p", "div", "pre", "ul", "ol", "table") for c in choice):
        return _markdown(list(choice), bank_path, choice.text or "")
    return inline_text(choice, bank_path)


def _mapping(
    decl: ET.Element, letters: dict[str, str], processing: str, out: ReadItem
) -> dict[str, Any] | None:
    mapping = next((c for c in decl if name(c) == "mapping"), None)
    if mapping is None:
        return None
    if processing == "match":
        out.changes.append("response mapping not used by the item's scoring (match_correct)")
        return None
    points: dict[str, float | int] = {}
    for entry in mapping:
        if name(entry) != "mapEntry":
            continue
        key = attr(entry, "mapKey") or ""
        if key not in letters:
            raise Skip(f"response mapping names {key!r}, not a choice")
        points[letters[key]] = _plain(_number(attr(entry, "mappedValue"), "mapped value"))
    result: dict[str, Any] = {"map": points}
    result["default"] = _plain(_number(attr(mapping, "defaultValue", "0"), "default value"))
    for camel, key in (("lowerBound", "lower_bound"), ("upperBound", "upper_bound")):
        value = attr(mapping, camel)
        if value is not None:
            result[key] = _plain(_number(value, camel))
    return result


def _key_from_mapping(scoring: dict[str, Any], multiple: bool) -> list[str]:
    points = scoring["map"]
    if multiple:
        key = [k for k, v in points.items() if v > 0]
    else:
        best = max(points.values(), default=0)
        key = [k for k, v in points.items() if v == best and v > 0]
        if len(key) > 1:
            raise Skip("the response mapping gives top points to several choices")
    if not key:
        raise Skip("the response mapping gives no choice any points")
    return key


def _extended(
    root: ET.Element,
    body: ET.Element,
    interaction: ET.Element,
    out: ReadItem,
    bank_path: MediaPlan,
) -> None:
    levels_el = out.fields.pop("_levels", None)
    levels: dict[int, str] = {}
    if levels_el is not None:
        for li in levels_el.iter():
            if name(li) != "li":
                continue
            text = inline_text(li, bank_path)
            m = re.match(r"^(\d+)\s*:\s*(.*)$", text, re.DOTALL)
            if m is None:
                raise Skip("a score level of the scoring rubric does not start with 'N:'")
            levels[int(m.group(1))] = m.group(2)
    if not levels:
        raise Skip("extended-text item without score levels (a rubric item needs them)")
    score = next(
        (el for el in root if name(el) == "outcomeDeclaration" and el.get("identifier") == "SCORE"),
        None,
    )
    maximum = None if score is None else attr(score, "normalMaximum")
    out.fields["type"] = "rubric"
    out.fields["stem"] = _stem(body, interaction, out, bank_path)
    out.fields["max_score"] = int(_number(maximum, "normal-maximum")) if maximum else max(levels)
    out.fields["score_levels"] = levels
