"""QTI 3.0 ``qti-assessment-item`` and ``qti-assessment-stimulus`` documents of bank items.

* choice items (mcq, msq) get a ``qti-choice-interaction`` with the options in bank order
  (``shuffle`` and ``fixed`` as the item says; by default the writer's order), a response
  declaration with the correct response (and the ``qti-mapping`` of a partial-credit item), and
  the standard ``match_correct`` (``map_response``) response-processing template;
* rubric items get a ``qti-extended-text-interaction`` with the score levels in a scorer rubric
  block, and ``SCORE`` with ``normal-maximum`` = max_score (human scored);
* feedback goes where QTI puts it: ``qti-feedback-inline`` in its option, ``qti-feedback-block``
  after the interaction, ``qti-modal-feedback`` after response processing; feedback on the
  options is switched on by setting ``FEEDBACK`` to the response.

References
----------
1EdTech (2022). *Question and Test Interoperability (QTI) 3.0: Assessment, Section and Item
    Information Model*, response processing templates. https://www.imsglobal.org/spec/qti/v3p0
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from psychometrics import __version__
from psychometrics.bank.model import Item, ItemSet
from psychometrics.bank.qti_fields import Feedback, ItemExtras, item_extras
from psychometrics.bank.qti_markup import clean_xml_text, markdown_to_xhtml
from psychometrics.bank.qti_xml import (
    MAP_RESPONSE,
    MATCH_CORRECT,
    QTI_NS,
    QTI_XSD,
    XML_LANG,
    number_text,
    qti_identifier,
    sub,
    tostring,
)


def package_media(path: str) -> str:
    """Where a bank media path (``media/x.png``) is seen from an item or stimulus document."""
    return f"../{path}"


def stimulus_href(set_id: str) -> str:
    return f"stimuli/{qti_identifier(set_id)}.xml"


def stimulus_xml(item_set: ItemSet, *, lang: str = "en") -> bytes:
    """The ``qti-assessment-stimulus`` document of an item set's shared text."""
    root = ET.Element(
        "qti-assessment-stimulus",
        {
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": qti_identifier(item_set.id),
            "title": clean_xml_text(item_set.title or item_set.id),
            XML_LANG: lang,
        },
    )
    body = sub(root, "qti-stimulus-body")
    markdown_to_xhtml(item_set.stimulus or "", body, media=package_media)
    return tostring(root, QTI_NS)


def item_xml(item: Item, *, lang: str = "en", stimulus: ItemSet | None = None) -> bytes:
    """The ``qti-assessment-item`` document of one item (UTF-8 bytes).

    With ``stimulus`` (the item's set), the item refers to the set's shared text through a
    ``qti-assessment-stimulus-ref`` to ``stimuli/<SET>.xml``.

    Raises
    ------
    InputError
        When the item's shuffle, scoring or feedback fields are malformed.
    """
    extras = item_extras(item)
    root = ET.Element(
        "qti-assessment-item",
        {
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": qti_identifier(item.id),
            "title": clean_xml_text(item.id),
            "label": clean_xml_text(item.id),
            "adaptive": "false",
            "time-dependent": "false",
            XML_LANG: lang,
            "tool-name": "credkit",
            "tool-version": __version__,
        },
    )
    if item.type == "rubric":
        _rubric_item(root, item, extras)
    else:
        _choice_item(root, item, extras)
    for fb in extras.feedback:
        if fb.kind == "modal":
            el = sub(root, "qti-modal-feedback", _feedback_attrs(fb))
            _content(sub(el, "qti-content-body"), fb.text)
    if stimulus is not None:
        ref = ET.Element(
            "qti-assessment-stimulus-ref",
            {
                "identifier": qti_identifier(stimulus.id),
                "href": f"../{stimulus_href(stimulus.id)}",
                "title": clean_xml_text(stimulus.title or stimulus.id),
            },
        )
        body_at = [k for k, el in enumerate(root) if el.tag == "qti-item-body"][0]
        root.insert(body_at, ref)
    return tostring(root, QTI_NS)


def _content(parent: ET.Element, text: str) -> None:
    markdown_to_xhtml(text, parent, media=package_media)


def _feedback_attrs(fb: Feedback) -> dict[str, str]:
    attrs = {
        "outcome-identifier": fb.outcome,
        "identifier": fb.identifier or "SHOW",
        "show-hide": "show" if fb.show else "hide",
    }
    if fb.kind == "template":
        attrs = {
            "template-identifier": fb.outcome,
            "identifier": fb.identifier or "SHOW",
            "show-hide": attrs["show-hide"],
        }
    if fb.title and fb.kind == "modal":
        attrs["title"] = clean_xml_text(fb.title)
    return attrs


def _declarations(root: ET.Element, item: Item, extras: ItemExtras, *, max_score: float) -> None:
    _score_declarations(root, max_score=max_score)
    outcomes: dict[str, str] = {}
    templates: set[str] = set()
    for fb in extras.feedback:
        if fb.kind == "template":
            templates.add(fb.outcome)
        elif fb.outcome not in ("SCORE", "MAXSCORE"):
            many = fb.option is not None and item.type == "msq"
            if outcomes.get(fb.outcome) != "multiple":
                outcomes[fb.outcome] = "multiple" if many else "single"
    for name, cardinality in outcomes.items():
        attrs = {"identifier": name, "cardinality": cardinality, "base-type": "identifier"}
        sub(root, "qti-outcome-declaration", attrs)
    for name in sorted(templates):
        attrs = {"identifier": name, "cardinality": "single", "base-type": "identifier"}
        sub(root, "qti-template-declaration", attrs)


def _choice_item(root: ET.Element, item: Item, extras: ItemExtras) -> None:
    multiple = item.type == "msq"
    decl = sub(
        root,
        "qti-response-declaration",
        {
            "identifier": "RESPONSE",
            "cardinality": "multiple" if multiple else "single",
            "base-type": "identifier",
        },
    )
    if item.key:
        correct = sub(decl, "qti-correct-response")
        for letter in item.key:
            sub(correct, "qti-value", text=letter)
    scoring = extras.scoring
    if scoring is not None:
        attrs = {"default-value": number_text(scoring.default)}
        if scoring.lower_bound is not None:
            attrs["lower-bound"] = number_text(scoring.lower_bound)
        if scoring.upper_bound is not None:
            attrs["upper-bound"] = number_text(scoring.upper_bound)
        mapping = sub(decl, "qti-mapping", attrs)
        for letter, points in scoring.points.items():
            sub(mapping, "qti-map-entry", {"map-key": letter, "mapped-value": number_text(points)})
    max_score = 1.0 if scoring is None else scoring.maximum(multiple=multiple)
    _declarations(root, item, extras, max_score=max_score)
    body = sub(root, "qti-item-body")
    _content(sub(body, "div", {"class": "stem"}), item.stem)
    interaction = sub(
        body,
        "qti-choice-interaction",
        {
            "response-identifier": "RESPONSE",
            "shuffle": "true" if extras.shuffle else "false",
            "max-choices": str(len(item.options)) if multiple else "1",
            "min-choices": "0",
        },
    )
    inline = {fb.option: fb for fb in extras.feedback if fb.option is not None}
    for letter, text in item.options.items():
        attrs = {"identifier": letter}
        if not extras.shuffle or letter in extras.fixed:
            attrs["fixed"] = "true"
        choice = sub(interaction, "qti-simple-choice", attrs)
        _inline_block(choice, text)
        if letter in inline:
            fb = inline[letter]
            el = sub(choice, "qti-feedback-inline", _feedback_attrs(fb))
            _inline_block(el, fb.text)
    _body_feedback(body, extras)
    _choice_processing(root, item, extras)


def _body_feedback(body: ET.Element, extras: ItemExtras) -> None:
    for fb in extras.feedback:
        if fb.kind in ("block", "template"):
            tag = "qti-feedback-block" if fb.kind == "block" else "qti-template-block"
            _content(sub(sub(body, tag, _feedback_attrs(fb)), "qti-content-body"), fb.text)
        elif fb.kind == "inline" and fb.option is None:
            p = sub(body, "p")
            _inline_block(sub(p, "qti-feedback-inline", _feedback_attrs(fb)), fb.text)


def _choice_processing(root: ET.Element, item: Item, extras: ItemExtras) -> None:
    template = MATCH_CORRECT if extras.scoring is None else MAP_RESPONSE
    on_response = [
        fb for fb in extras.feedback if fb.outcome == "FEEDBACK" and fb.kind != "template"
    ]
    if not on_response or not all(fb.identifier in item.options for fb in on_response):
        sub(root, "qti-response-processing", {"template": template})
        return
    # the templates set no FEEDBACK: the same rules, written out, then FEEDBACK = RESPONSE
    proc = sub(root, "qti-response-processing")
    if extras.scoring is not None:
        setv = sub(proc, "qti-set-outcome-value", {"identifier": "SCORE"})
        sub(setv, "qti-map-response", {"identifier": "RESPONSE"})
    else:
        cond = sub(proc, "qti-response-condition")
        if_ = sub(cond, "qti-response-if")
        match = sub(if_, "qti-match")
        sub(match, "qti-variable", {"identifier": "RESPONSE"})
        sub(match, "qti-correct", {"identifier": "RESPONSE"})
        one = sub(if_, "qti-set-outcome-value", {"identifier": "SCORE"})
        sub(one, "qti-base-value", {"base-type": "float"}, text="1")
        zero = sub(sub(cond, "qti-response-else"), "qti-set-outcome-value", {"identifier": "SCORE"})
        sub(zero, "qti-base-value", {"base-type": "float"}, text="0")
    setv = sub(proc, "qti-set-outcome-value", {"identifier": "FEEDBACK"})
    sub(setv, "qti-variable", {"identifier": "RESPONSE"})


def _inline_block(parent: ET.Element, text: str) -> None:
    """Option text: inline markup only when it is one paragraph, else blocks."""
    holder = ET.Element("x")
    markdown_to_xhtml(text, holder, media=package_media)
    if len(holder) == 1 and holder[0].tag == "p":
        p = holder[0]
        parent.text = p.text
        for child in list(p):
            parent.append(child)
    else:
        for child in list(holder):
            parent.append(child)


def _score_declarations(root: ET.Element, *, max_score: float) -> None:
    score = sub(
        root,
        "qti-outcome-declaration",
        {
            "identifier": "SCORE",
            "cardinality": "single",
            "base-type": "float",
            "normal-maximum": number_text(max_score),
        },
    )
    sub(sub(score, "qti-default-value"), "qti-value", text="0")
    maxscore = sub(
        root,
        "qti-outcome-declaration",
        {"identifier": "MAXSCORE", "cardinality": "single", "base-type": "float"},
    )
    sub(sub(maxscore, "qti-default-value"), "qti-value", text=number_text(max_score))


def _rubric_item(root: ET.Element, item: Item, extras: ItemExtras) -> None:
    sub(
        root,
        "qti-response-declaration",
        {"identifier": "RESPONSE", "cardinality": "single", "base-type": "string"},
    )
    _declarations(root, item, extras, max_score=item.max_score or 1)
    body = sub(root, "qti-item-body")
    _content(sub(body, "div", {"class": "stem"}), item.stem)
    rubric = sub(body, "qti-rubric-block", {"view": "scorer", "use": "scoring"})
    levels = sub(sub(rubric, "qti-content-body"), "ul", {"class": "score-levels"})
    for score, text in sorted(item.score_levels.items()):
        sub(levels, "li", text=f"{score}: {text}")
    sub(body, "qti-extended-text-interaction", {"response-identifier": "RESPONSE"})
    _body_feedback(body, extras)
