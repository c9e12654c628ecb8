"""QTI 3.0 export: content packages of items, and assessment-test packages of forms.

A package is a zip with ``imsmanifest.xml`` (IMS Content Packaging, QTI 3.0 profile), one
``qti-assessment-item`` per item under ``items/``, and usage data (item statistics and IRT
parameters) under ``usagedata/``:

* choice items (mcq, msq) get a ``qti-choice-interaction`` (options in bank order, no shuffling:
  positions are the item writer's), a ``qti-response-declaration`` with the correct response and
  the standard ``match_correct`` response-processing template;
* rubric items get a ``qti-extended-text-interaction`` with the score levels in a scorer rubric
  block, and ``SCORE`` with ``normal-maximum`` = max_score (human scored, no response processing);
* the item's outcome is learning-standard metadata of its manifest resource (IMS Curriculum
  Standards Metadata, ``curriculumStandardsMetadataSet``, with the outcome id as GUID);
* statistics are QTI 3 usage data (``imsqti_usagedata_v3p0``): one ``ordinaryStatistic`` per value,
  named ``irt-a``, ``irt-b``, ``irt-c``, ``irt-b1``.., ``p-value``, ``rpbis``; the ``context``
  attribute states the model, the metric (logistic, D = 1) and the calibration.

All XML is built with :mod:`xml.etree.ElementTree`, which escapes item text; Markdown is rendered
by :mod:`psychometrics.bank.markup`.

References
----------
1EdTech (2022). *Question and Test Interoperability (QTI) 3.0: Assessment, Section and Item
    Information Model*; *QTI 3.0 Results Reporting and Usage Data*; *Content Packaging v1.2
    QTI profile*. https://www.imsglobal.org/spec/qti/v3p0
"""

from __future__ import annotations

import io
import os
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from psychometrics import __version__
from psychometrics.bank.markup import clean_xml_text, markdown_to_xhtml
from psychometrics.bank.model import Bank, Item, ItemSet
from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_bytes

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
QTI_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
CP_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
CSM_NS = "http://www.imsglobal.org/xsd/imsccv1p3/imscsmd_v1p0"
USAGE_NS = "http://www.imsglobal.org/xsd/imsqti_usagedata_v3p0"
USAGE_XSD = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_usagedatav3p0_v1p0.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
USAGE_GLOSSARY = "urn:credkit:usagedata:v1"
PROVIDER_ID = "credkit"
ITEM_RESOURCE = "imsqti_item_xmlv3p0"
TEST_RESOURCE = "imsqti_test_xmlv3p0"
STIMULUS_RESOURCE = "imsqti_stimulus_xmlv3p0"
USAGE_RESOURCE = "qtiusagedata/xml"

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def qti_identifier(item_id: str) -> str:
    """A valid QTI identifier for a bank id (prefixed with ``I_`` when it starts with a digit)."""
    if _IDENT.match(item_id):
        return item_id
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", item_id)
    return f"I_{safe}"


# Elements are built with plain (prefixed) names and explicit xmlns attributes: the output is
# deterministic and does not depend on ElementTree's global prefix registry.


def _q(tag: str) -> str:
    return tag


def _sub(parent: ET.Element, tag: str, attrib: dict[str, str] | None = None, text=None):
    el = ET.SubElement(parent, _q(tag), attrib or {})
    if text is not None:
        el.text = clean_xml_text(str(text))
    return el


_MIXED = {"p", "pre", "code", "li", "th", "td", "strong", "em", "qti-simple-choice", "qti-prompt"}


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


def _tostring(root: ET.Element, namespace: str) -> bytes:
    root.attrib = {"xmlns": namespace, "xmlns:xsi": XSI_NS, **root.attrib}
    _indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _stimulus_href(set_id: str) -> str:
    return f"stimuli/{qti_identifier(set_id)}.xml"


def stimulus_xml(item_set: ItemSet, *, lang: str = "en") -> bytes:
    """The ``qti-assessment-stimulus`` document of an item set's shared text."""
    root = ET.Element(
        _q("qti-assessment-stimulus"),
        {
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": qti_identifier(item_set.id),
            "title": clean_xml_text(item_set.title or item_set.id),
            "{http://www.w3.org/XML/1998/namespace}lang": lang,
        },
    )
    body = _sub(root, "qti-stimulus-body")
    markdown_to_xhtml(item_set.stimulus or "", body)
    return _tostring(root, QTI_NS)


def item_xml(item: Item, *, lang: str = "en", stimulus: ItemSet | None = None) -> bytes:
    """The ``qti-assessment-item`` document of one item (UTF-8 bytes).

    With ``stimulus`` (the item's set), the item refers to the set's shared text through a
    ``qti-assessment-stimulus-ref`` to ``stimuli/<SET>.xml``.
    """
    ident = qti_identifier(item.id)
    root = ET.Element(
        _q("qti-assessment-item"),
        {
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": ident,
            "title": clean_xml_text(item.id),
            "label": clean_xml_text(item.id),
            "adaptive": "false",
            "time-dependent": "false",
            "{http://www.w3.org/XML/1998/namespace}lang": lang,
            "tool-name": "credkit",
            "tool-version": __version__,
        },
    )
    if item.type == "rubric":
        _rubric_item(root, item)
    else:
        _choice_item(root, item)
    if stimulus is not None:
        ref = ET.Element(
            "qti-assessment-stimulus-ref",
            {
                "identifier": qti_identifier(stimulus.id),
                "href": f"../{_stimulus_href(stimulus.id)}",
                "title": clean_xml_text(stimulus.title or stimulus.id),
            },
        )
        body_at = [k for k, el in enumerate(root) if el.tag == "qti-item-body"][0]
        root.insert(body_at, ref)
    return _tostring(root, QTI_NS)


def _choice_item(root: ET.Element, item: Item) -> None:
    multiple = item.type == "msq"
    decl = _sub(
        root,
        "qti-response-declaration",
        {
            "identifier": "RESPONSE",
            "cardinality": "multiple" if multiple else "single",
            "base-type": "identifier",
        },
    )
    correct = _sub(decl, "qti-correct-response")
    for letter in item.key:
        _sub(correct, "qti-value", text=letter)
    _score_declarations(root, max_score=1)
    body = _sub(root, "qti-item-body")
    stem = _sub(body, "div", {"class": "stem"})
    markdown_to_xhtml(item.stem, stem, ns="")
    interaction = _sub(
        body,
        "qti-choice-interaction",
        {
            "response-identifier": "RESPONSE",
            "shuffle": "false",
            "max-choices": str(len(item.options)) if multiple else "1",
            "min-choices": "0",
        },
    )
    for letter, text in item.options.items():
        choice = _sub(interaction, "qti-simple-choice", {"identifier": letter, "fixed": "true"})
        _inline_block(choice, text)
    _sub(root, "qti-response-processing", {"template": MATCH_CORRECT})


def _inline_block(parent: ET.Element, text: str) -> None:
    """Option text: inline markup only when it is one paragraph, else blocks."""
    holder = ET.Element("x")
    markdown_to_xhtml(text, holder, ns="")
    if len(holder) == 1 and holder[0].tag == _q("p"):
        p = holder[0]
        parent.text = p.text
        for child in list(p):
            parent.append(child)
    else:
        for child in list(holder):
            parent.append(child)


def _score_declarations(root: ET.Element, *, max_score: int) -> None:
    score = _sub(
        root,
        "qti-outcome-declaration",
        {
            "identifier": "SCORE",
            "cardinality": "single",
            "base-type": "float",
            "normal-maximum": str(max_score),
        },
    )
    default = _sub(score, "qti-default-value")
    _sub(default, "qti-value", text="0")
    maxscore = _sub(
        root,
        "qti-outcome-declaration",
        {"identifier": "MAXSCORE", "cardinality": "single", "base-type": "float"},
    )
    _sub(_sub(maxscore, "qti-default-value"), "qti-value", text=str(max_score))


def _rubric_item(root: ET.Element, item: Item) -> None:
    _sub(
        root,
        "qti-response-declaration",
        {"identifier": "RESPONSE", "cardinality": "single", "base-type": "string"},
    )
    _score_declarations(root, max_score=item.max_score or 1)
    body = _sub(root, "qti-item-body")
    stem = _sub(body, "div", {"class": "stem"})
    markdown_to_xhtml(item.stem, stem, ns="")
    rubric = _sub(body, "qti-rubric-block", {"view": "scorer", "use": "scoring"})
    content = _sub(rubric, "qti-content-body")
    levels = _sub(content, "ul", {"class": "score-levels"})
    for score, text in sorted(item.score_levels.items()):
        li = _sub(levels, "li", {"data-score": str(score)})
        li.text = clean_xml_text(f"{score}: {text}")
    _sub(body, "qti-extended-text-interaction", {"response-identifier": "RESPONSE"})


# ----------------------------------------------------------------------------- manifest


def _cp(tag: str) -> str:
    return tag


def _csm(tag: str) -> str:
    return f"csm:{tag}"


def _manifest_root(identifier: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(
        _cp("manifest"),
        {
            "identifier": identifier,
            "xmlns:csm": CSM_NS,
            "xsi:schemaLocation": f"{CP_NS} {CP_XSD}",
        },
    )
    meta = ET.SubElement(root, _cp("metadata"))
    ET.SubElement(meta, _cp("schema")).text = "QTI Package"
    ET.SubElement(meta, _cp("schemaversion")).text = "3.0.0"
    ET.SubElement(root, _cp("organizations"))
    resources = ET.SubElement(root, _cp("resources"))
    return root, resources


def _item_resource(
    resources: ET.Element, item: Item, href: str, *, region: str, outcome_titles: dict[str, str]
) -> str:
    ident = qti_identifier(item.id)
    res = ET.SubElement(
        resources, _cp("resource"), {"identifier": ident, "type": ITEM_RESOURCE, "href": href}
    )
    if item.outcome:
        meta = ET.SubElement(res, _cp("metadata"))
        cset = ET.SubElement(
            meta,
            _csm("curriculumStandardsMetadataSet"),
            {"resourceLabel": clean_xml_text(item.id), "resourcePartId": ident},
        )
        cmeta = ET.SubElement(
            cset, _csm("curriculumStandardsMetadata"), {"providerId": PROVIDER_ID}
        )
        guids = ET.SubElement(cmeta, _csm("setOfGUIDs"), {"region": clean_xml_text(region)})
        lg = ET.SubElement(guids, _csm("labelledGUID"))
        title = outcome_titles.get(item.outcome, "")
        label = f"{item.outcome} {title}".strip()
        ET.SubElement(lg, _csm("label")).text = clean_xml_text(label)
        ET.SubElement(lg, _csm("GUID")).text = clean_xml_text(item.outcome)
    ET.SubElement(res, _cp("file"), {"href": href})
    return ident


def usage_data_xml(items: Iterable[Item]) -> bytes:
    """QTI 3 usage data: IRT parameters and classical statistics of the items."""
    root = ET.Element(
        "usageData",
        {"glossary": USAGE_GLOSSARY, "xsi:schemaLocation": f"{USAGE_NS} {USAGE_XSD}"},
    )

    def stat(item: Item, name: str, value: float, *, context: str, n, se=None, date=None) -> None:
        attrib = {"name": name, "glossary": USAGE_GLOSSARY, "context": context}
        if n is not None:
            attrib["caseCount"] = str(int(n))
        if se is not None:
            attrib["stdError"] = repr(float(se))
        if date:
            attrib["lastUpdated"] = str(date)[:10]
        el = ET.SubElement(root, "ordinaryStatistic", attrib)
        ET.SubElement(el, "targetObject", {"identifier": qti_identifier(item.id)})
        ET.SubElement(el, "value").text = repr(float(value))

    for item in items:
        if item.irt is not None:
            irt = item.irt
            context = f"credkit; model={irt.model}; metric=logistic D=1"
            if irt.calibration:
                context += f"; calibration={clean_xml_text(irt.calibration)}"
            stat(item, "irt-a", irt.a, context=context, n=irt.n, se=irt.se.get("a"), date=irt.date)
            if len(irt.b) == 1 and item.type != "rubric":
                stat(
                    item,
                    "irt-b",
                    irt.b[0],
                    context=context,
                    n=irt.n,
                    se=irt.se.get("b"),
                    date=irt.date,
                )
            else:
                for k, b in enumerate(irt.b, start=1):
                    name = f"b{k}"
                    stat(
                        item,
                        f"irt-{name}",
                        b,
                        context=context,
                        n=irt.n,
                        se=irt.se.get(name),
                        date=irt.date,
                    )
            if irt.model == "3pl":
                stat(
                    item,
                    "irt-c",
                    irt.c,
                    context=context,
                    n=irt.n,
                    se=irt.se.get("c"),
                    date=irt.date,
                )
        if item.stats is not None:
            if item.stats.p is not None:
                stat(item, "p-value", item.stats.p, context="credkit; classical", n=item.stats.n)
            if item.stats.rpbis is not None:
                stat(item, "rpbis", item.stats.rpbis, context="credkit; classical", n=item.stats.n)
    return _tostring(root, USAGE_NS)


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _item_href(item: Item) -> str:
    return f"items/{qti_identifier(item.id)}.xml"


def _check_unique(items: Sequence[Item]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        ident = qti_identifier(item.id)
        if ident in seen:
            raise InputError(
                f"items '{seen[ident]}' and '{item.id}' map to the same QTI identifier",
                file=item.path,
                field="id",
            )
        seen[ident] = item.id


def package_files(
    items: Sequence[Item],
    *,
    identifier: str,
    region: str = "",
    outcome_titles: dict[str, str] | None = None,
    usage_data: bool = True,
    test: tuple[str, str, Sequence[tuple[str, Sequence[Item]]] | None] | None = None,
    sets: Mapping[str, ItemSet] | None = None,
) -> dict[str, bytes]:
    """The files of a QTI 3.0 package (name -> bytes), manifest first.

    ``test = (test_id, title, sections)`` adds a ``qti-assessment-test`` over the items; ``sets``
    (id -> :class:`ItemSet`) adds the shared text of the items' sets as stimuli.
    """
    sets = sets or {}
    _check_unique(items)
    root, resources = _manifest_root(identifier)
    files: dict[str, bytes] = {"imsmanifest.xml": b""}
    if test is not None:
        test_id, title, sections = test
        test_href = f"tests/{qti_identifier(test_id)}.xml"
        res = ET.SubElement(
            resources,
            _cp("resource"),
            {
                "identifier": f"TEST-{qti_identifier(test_id)}",
                "type": TEST_RESOURCE,
                "href": test_href,
            },
        )
        ET.SubElement(res, _cp("file"), {"href": test_href})
        for item in items:
            ET.SubElement(res, _cp("dependency"), {"identifierref": qti_identifier(item.id)})
        files[test_href] = test_xml(items, test_id=test_id, title=title, sections=sections)
    for item in items:
        href = _item_href(item)
        stimulus = sets.get(item.set) if item.set is not None else None
        if stimulus is not None and stimulus.stimulus is None:
            stimulus = None
        _item_resource(resources, item, href, region=region, outcome_titles=outcome_titles or {})
        files[href] = item_xml(item, stimulus=stimulus)
        if stimulus is not None:
            res = resources[-1]
            ET.SubElement(res, _cp("dependency"), {"identifierref": qti_identifier(stimulus.id)})
            s_href = _stimulus_href(stimulus.id)
            if s_href not in files:
                files[s_href] = stimulus_xml(stimulus)
                s_res = ET.SubElement(
                    resources,
                    _cp("resource"),
                    {
                        "identifier": qti_identifier(stimulus.id),
                        "type": STIMULUS_RESOURCE,
                        "href": s_href,
                    },
                )
                ET.SubElement(s_res, _cp("file"), {"href": s_href})
    if usage_data and any(i.irt is not None or i.stats is not None for i in items):
        href = "usagedata/usagedata.xml"
        res = ET.SubElement(
            resources,
            _cp("resource"),
            {"identifier": "USAGE_DATA", "type": USAGE_RESOURCE, "href": href},
        )
        ET.SubElement(res, _cp("file"), {"href": href})
        files[href] = usage_data_xml(items)
    files["imsmanifest.xml"] = _tostring(root, CP_NS)
    return files


def export_qti(
    bank: Bank,
    out_path: str | os.PathLike[str],
    *,
    items: Sequence[Item] | None = None,
    region: str = "",
    outcome_titles: dict[str, str] | None = None,
) -> Path:
    """Write the bank (or ``items``) as a QTI 3.0 content package zip, atomically.

    ``region`` names the outcome framework in the curriculum metadata (e.g. the credential id);
    ``outcome_titles`` adds the outcome titles to the labels.
    """
    chosen = list(bank.items if items is None else items)
    files = package_files(
        chosen,
        identifier=f"credkit-{qti_identifier(Path(bank.root).name or 'bank')}",
        region=region,
        outcome_titles=outcome_titles,
        sets=bank.sets,
    )
    out = Path(out_path)
    atomic_write_bytes(out, _zip_bytes(files))
    return out


def test_xml(
    items: Sequence[Item],
    *,
    test_id: str,
    title: str,
    sections: Sequence[tuple[str, Sequence[Item]]] | None = None,
) -> bytes:
    """A ``qti-assessment-test``: one linear test part, sections of item refs, summed SCORE."""
    root = ET.Element(
        _q("qti-assessment-test"),
        {
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": qti_identifier(test_id),
            "title": clean_xml_text(title),
            "tool-name": "credkit",
            "tool-version": __version__,
        },
    )
    _sub(
        root,
        "qti-outcome-declaration",
        {"identifier": "SCORE", "cardinality": "single", "base-type": "float"},
    )
    part = _sub(
        root,
        "qti-test-part",
        {"identifier": "PART-1", "navigation-mode": "linear", "submission-mode": "simultaneous"},
    )
    groups = list(sections) if sections else [("Items", list(items))]
    for s, (name, members) in enumerate(groups, start=1):
        section = _sub(
            part,
            "qti-assessment-section",
            {"identifier": f"SECTION-{s}", "title": clean_xml_text(name), "visible": "true"},
        )
        for item in members:
            _sub(
                section,
                "qti-assessment-item-ref",
                {"identifier": qti_identifier(item.id), "href": f"../{_item_href(item)}"},
            )
    proc = _sub(root, "qti-outcome-processing")
    setv = _sub(proc, "qti-set-outcome-value", {"identifier": "SCORE"})
    total = _sub(setv, "qti-sum")
    _sub(total, "qti-test-variables", {"variable-identifier": "SCORE"})
    return _tostring(root, QTI_NS)


def write_test_package(
    items: Sequence[Item],
    *,
    test_id: str,
    title: str,
    out_path: str | os.PathLike[str],
    sections: Sequence[tuple[str, Sequence[Item]]] | None = None,
    region: str = "",
    outcome_titles: dict[str, str] | None = None,
    usage_data: bool = True,
    sets: Mapping[str, ItemSet] | None = None,
) -> Path:
    """Write a QTI 3.0 assessment-test package (one form) as a zip, atomically.

    Parameters
    ----------
    items
        The form's items in delivery order (bank :class:`Item` objects).
    test_id, title
        Identifier and title of the ``qti-assessment-test``.
    out_path
        The zip to write.
    sections
        Optional ``(title, items)`` groups (e.g. one per outcome); default one section.
    region, outcome_titles
        Curriculum metadata of the outcomes (see :func:`export_qti`).
    usage_data
        Include the items' IRT parameters and statistics as QTI usage data.
    sets
        Item sets whose shared text (stimulus) goes with their items; by default the set files
        of the bank the items were loaded from.

    Returns
    -------
    Path
        ``out_path``.
    """
    if not items:
        raise ValueError("items: a test needs at least one item")
    all_items = list(items)
    if sections:
        listed = [i.id for _, members in sections for i in members]
        if sorted(listed) != sorted(i.id for i in all_items):
            raise ValueError("sections must hold exactly the items")
    files = package_files(
        all_items,
        identifier=f"credkit-test-{qti_identifier(test_id)}",
        region=region,
        outcome_titles=outcome_titles,
        usage_data=usage_data,
        test=(test_id, title, sections),
        sets=sets if sets is not None else _sets_of(all_items),
    )
    out = Path(out_path)
    atomic_write_bytes(out, _zip_bytes(files))
    return out


def _sets_of(items: Sequence[Item]) -> dict[str, ItemSet]:
    """The set files of the bank(s) the items were read from (for their stimuli)."""
    from psychometrics.bank.store import read_sets

    wanted = {item.set for item in items if item.set is not None}
    found: dict[str, ItemSet] = {}
    roots = {item.path.parent.parent for item in items if item.path is not None and item.set}
    for root in sorted(roots):
        sets, _ = read_sets(root)
        found.update({k: v for k, v in sets.items() if k in wanted})
    return found
