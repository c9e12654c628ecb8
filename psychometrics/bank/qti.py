"""QTI 3.0 export: content packages of items, and assessment-test packages of forms.

A package is a zip with ``imsmanifest.xml`` (IMS Content Packaging, QTI 3.0 profile), one
``qti-assessment-item`` per item under ``items/`` (see :mod:`psychometrics.bank.qti_item`), the
stimuli of item sets under ``stimuli/``, the bank's media files the items show under ``media/``,
and usage data (item statistics and IRT parameters) under ``usagedata/``:

* the item's outcome is learning-standard metadata of its manifest resource (QTI 3 Curriculum
  Standards Metadata, ``curriculumStandardsMetadataSet``, with the outcome id as GUID);
* statistics are QTI 3 usage data (``imsqti_usagedata_v3p0``): one ``ordinaryStatistic`` per value,
  named ``irt-a``, ``irt-b``, ``irt-c``, ``irt-b1``.., ``p-value``, ``rpbis``; the ``context``
  attribute states the model, the metric (logistic, D = 1) and the calibration;
* the item file itself travels as a file of the item's resource, ``credkit/<ID>.yaml``: credkit's
  extension, so that export then import keeps every field (lifecycle, history, rationale,
  enemies, ...). Other tools ignore it; credkit reads it back only while the QTI item still says
  what the file says.

All XML is built with :mod:`xml.etree.ElementTree`, which escapes item text; Markdown is rendered
by :mod:`psychometrics.bank.qti_markup`. Every document validates against 1EdTech's XSDs
(:mod:`psychometrics.bank.qti_schema`).

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
from psychometrics.bank.model import Bank, Item, ItemSet
from psychometrics.bank.qti_item import item_xml, stimulus_href, stimulus_xml
from psychometrics.bank.qti_markup import clean_xml_text
from psychometrics.bank.qti_xml import (
    CP_NS,
    CP_XSD,
    CSM_NS,
    QTI_NS,
    QTI_XSD,
    USAGE_NS,
    USAGE_XSD,
    qti_identifier,
    sub,
    tostring,
)
from psychometrics.bank.yamlio import dump_item
from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_bytes

__all__ = [
    "CP_NS",
    "CSM_NS",
    "QTI_NS",
    "USAGE_NS",
    "export_qti",
    "item_xml",
    "package_files",
    "qti_identifier",
    "stimulus_xml",
    "test_xml",
    "usage_data_xml",
    "write_test_package",
]

QMD_NS = "http://www.imsglobal.org/xsd/imsqti_metadata_v3p0"
USAGE_GLOSSARY = "urn:credkit:usagedata:v1"
PROVIDER_ID = "credkit"
ITEM_RESOURCE = "imsqti_item_xmlv3p0"
TEST_RESOURCE = "imsqti_test_xmlv3p0"
STIMULUS_RESOURCE = "imsqti_stimulus_xmlv3p0"
USAGE_RESOURCE = "qtiusagedata/xml"
EXTENSION_DIR = "credkit"
"""Folder of the package holding credkit's item files (its namespaced extension)."""
MAX_MEDIA_BYTES = 16 * 1024 * 1024
_MEDIA_REF = re.compile(r"(?:\]\(|data=\")(media/[^()\s\"]+)")


def _media_of(text: str | None) -> list[str]:
    return _MEDIA_REF.findall(text or "")


def extension_href(item: Item) -> str:
    """The package path of credkit's copy of the item file."""
    return f"{EXTENSION_DIR}/{qti_identifier(item.id)}.yaml"


# ----------------------------------------------------------------------------- manifest


def _csm(tag: str) -> str:
    return f"csm:{tag}"


def _manifest_root(identifier: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(
        "manifest",
        {
            "identifier": identifier,
            "xmlns:csm": CSM_NS,
            "xmlns:qmd": QMD_NS,
            "xsi:schemaLocation": f"{CP_NS} {CP_XSD}",
        },
    )
    meta = ET.SubElement(root, "metadata")
    ET.SubElement(meta, "schema").text = "QTI Package"
    ET.SubElement(meta, "schemaversion").text = "3.0.0"
    ET.SubElement(root, "organizations")
    resources = ET.SubElement(root, "resources")
    return root, resources


def _item_resource(
    resources: ET.Element,
    item: Item,
    href: str,
    *,
    region: str,
    outcome_titles: dict[str, str],
    item_file: bool,
) -> str:
    ident = qti_identifier(item.id)
    res = ET.SubElement(
        resources, "resource", {"identifier": ident, "type": ITEM_RESOURCE, "href": href}
    )
    meta = ET.SubElement(res, "metadata")
    _qti_metadata(meta, item)
    if item.outcome:
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
    ET.SubElement(res, "file", {"href": href})
    if item_file:
        ET.SubElement(res, "file", {"href": extension_href(item)})
    return ident


def _qti_metadata(meta: ET.Element, item: Item) -> None:
    """QTI 3 item metadata: the interaction, feedback and scoring mode, the tool."""
    qmd = ET.SubElement(meta, "qmd:qtiMetadata")
    rubric = item.type == "rubric"
    feedback = item.data.get("feedback")
    values = [
        ("itemTemplate", "false"),
        ("timeDependent", "false"),
        ("composite", "false"),
        ("interactionType", "extendedTextInteraction" if rubric else "choiceInteraction"),
        ("feedbackType", "nonadaptive" if isinstance(feedback, list) and feedback else "none"),
        ("solutionAvailable", "false" if rubric else "true"),
        ("scoringMode", "human" if rubric else "responseprocessing"),
        ("toolName", "credkit"),
        ("toolVersion", __version__),
    ]
    for name, value in values:
        ET.SubElement(qmd, f"qmd:{name}").text = value


def _bank_root(path: Path | None) -> Path | None:
    """The bank folder of an item or set file (``BANK/items/X.yaml`` -> ``BANK``)."""
    if path is None:
        return None
    folder = path.parent
    return folder.parent if folder.name in ("items", "sets") else folder


def _texts_of(item: Item) -> list[str]:
    texts = [item.stem, *item.options.values(), *item.score_levels.values()]
    feedback = item.data.get("feedback")
    if isinstance(feedback, list):
        texts += [f.get("text") for f in feedback if isinstance(f, Mapping)]
    return [t for t in texts if isinstance(t, str)]


def _add_media(
    files: dict[str, bytes], res: ET.Element, texts: list[str], root: Path | None, where
) -> None:
    """Copy the bank media files the texts show into the package and list them in ``res``."""
    for ref in sorted({r for t in texts for r in _media_of(t)}):
        if ref not in files:
            source = None if root is None else root / ref
            if source is None or not source.is_file():
                raise InputError(f"media file {ref!r} not found in the bank", file=where)
            if source.stat().st_size > MAX_MEDIA_BYTES:
                raise InputError(f"{ref} is larger than {MAX_MEDIA_BYTES} bytes", file=where)
            files[ref] = source.read_bytes()
        if not any(f.get("href") == ref for f in res.iter("file")):
            ET.SubElement(res, "file", {"href": ref})


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
    return tostring(root, USAGE_NS)


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
    item_files: bool = True,
) -> dict[str, bytes]:
    """The files of a QTI 3.0 package (name -> bytes), manifest first.

    ``item_files=False`` leaves credkit's copies of the item files out (the package then carries
    only what QTI says: no lifecycle, history, reviewers or notes, e.g. for a delivery vendor).
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
            "resource",
            {
                "identifier": f"TEST-{qti_identifier(test_id)}",
                "type": TEST_RESOURCE,
                "href": test_href,
            },
        )
        ET.SubElement(res, "file", {"href": test_href})
        for item in items:
            ET.SubElement(res, "dependency", {"identifierref": qti_identifier(item.id)})
        files[test_href] = test_xml(items, test_id=test_id, title=title, sections=sections)
    for item in items:
        href = _item_href(item)
        stimulus = sets.get(item.set) if item.set is not None else None
        if stimulus is not None and stimulus.stimulus is None:
            stimulus = None
        _item_resource(
            resources,
            item,
            href,
            region=region,
            outcome_titles=outcome_titles or {},
            item_file=item_files,
        )
        res = resources[-1]
        files[href] = item_xml(item, stimulus=stimulus)
        if item_files:
            files[extension_href(item)] = dump_item(item.data).encode("utf-8")
        _add_media(files, res, _texts_of(item), _bank_root(item.path), item.path)
        if stimulus is not None:
            ET.SubElement(res, "dependency", {"identifierref": qti_identifier(stimulus.id)})
            s_href = stimulus_href(stimulus.id)
            if s_href not in files:
                files[s_href] = stimulus_xml(stimulus)
                s_res = ET.SubElement(
                    resources,
                    "resource",
                    {
                        "identifier": qti_identifier(stimulus.id),
                        "type": STIMULUS_RESOURCE,
                        "href": s_href,
                    },
                )
                ET.SubElement(s_res, "file", {"href": s_href})
                texts = [stimulus.stimulus or ""]
                _add_media(files, s_res, texts, _bank_root(stimulus.path), stimulus.path)
    if usage_data and any(i.irt is not None or i.stats is not None for i in items):
        href = "usagedata/usagedata.xml"
        res = ET.SubElement(
            resources,
            "resource",
            {"identifier": "USAGE_DATA", "type": USAGE_RESOURCE, "href": href},
        )
        ET.SubElement(res, "file", {"href": href})
        files[href] = usage_data_xml(items)
    files["imsmanifest.xml"] = tostring(root, CP_NS)
    return files


def export_qti(
    bank: Bank,
    out_path: str | os.PathLike[str],
    *,
    items: Sequence[Item] | None = None,
    region: str = "",
    outcome_titles: dict[str, str] | None = None,
    item_files: bool = True,
) -> Path:
    """Write the bank (or ``items``) as a QTI 3.0 content package zip, atomically.

    ``item_files`` includes credkit's copies of the item files (see :func:`package_files`).

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
        item_files=item_files,
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
        "qti-assessment-test",
        {
            "xsi:schemaLocation": f"{QTI_NS} {QTI_XSD}",
            "identifier": qti_identifier(test_id),
            "title": clean_xml_text(title),
            "tool-name": "credkit",
            "tool-version": __version__,
        },
    )
    sub(
        root,
        "qti-outcome-declaration",
        {"identifier": "SCORE", "cardinality": "single", "base-type": "float"},
    )
    part = sub(
        root,
        "qti-test-part",
        {"identifier": "PART-1", "navigation-mode": "linear", "submission-mode": "simultaneous"},
    )
    groups = list(sections) if sections else [("Items", list(items))]
    for s, (name, members) in enumerate(groups, start=1):
        section = sub(
            part,
            "qti-assessment-section",
            {"identifier": f"SECTION-{s}", "title": clean_xml_text(name), "visible": "true"},
        )
        for item in members:
            sub(
                section,
                "qti-assessment-item-ref",
                {"identifier": qti_identifier(item.id), "href": f"../{_item_href(item)}"},
            )
    proc = sub(root, "qti-outcome-processing")
    setv = sub(proc, "qti-set-outcome-value", {"identifier": "SCORE"})
    total = sub(setv, "qti-sum")
    sub(total, "qti-test-variables", {"variable-identifier": "SCORE"})
    return tostring(root, QTI_NS)


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
    item_files: bool = True,
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
    item_files
        Include credkit's copies of the item files (lifecycle, history, reviewers, notes); leave
        them out for a package that goes to a delivery vendor.

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
        item_files=item_files,
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
