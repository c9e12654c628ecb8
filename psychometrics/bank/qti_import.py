"""QTI import: choice items of QTI 3.0 and QTI 2.1/2.2 content packages into item files.

Reads ``imsmanifest.xml``, every item resource (``imsqti_item_xmlv3p0``, ``imsqti_item_xmlv2p1``,
``imsqti_item_xmlv2p2``, as credkit and TAO export them) and, when present, QTI 3 usage data
written by credkit (IRT parameters and statistics). A choice interaction with single cardinality
becomes an ``mcq`` item, multiple cardinality an ``msq`` item; other interactions are skipped and
reported. Choice identifiers that are single capital letters are kept; others (TAO's ``choice_1``)
become A, B, C... in document order, with the key mapped along.

The package is untrusted: it is read in memory (never extracted), member names that are absolute,
contain ``..`` or backslashes are rejected, and size caps apply per member, in total and to the
compression ratio (zip bombs). XML with a DOCTYPE (entity definitions) is refused. Every new item
is checked like a bank file: items credkit cannot hold (media, MathML, fewer than 3 options, ...)
are skipped and reported; package problems (unsafe or malformed files, an id already in the bank,
a missing outcome) stop the import. The files are written all-or-nothing.
"""

from __future__ import annotations

import datetime as _dt
import os
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psychometrics.bank.markup import inline_to_markdown, xhtml_to_markdown
from psychometrics.bank.newitem import next_item_id
from psychometrics.bank.parse import ID_PATTERN, parse_item
from psychometrics.bank.store import items_dir
from psychometrics.bank.update import write_files_transactionally
from psychometrics.bank.yamlio import dump_item, parse_yaml
from psychometrics.errors import InputError

MAX_PACKAGE_BYTES = 256 * 1024 * 1024
MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
ITEM_TYPES = {
    "imsqti_item_xmlv3p0": "qti3.0",
    "imsqti_item_xmlv2p2": "qti2.2",
    "imsqti_item_xmlv2p1": "qti2.1",
}
USAGE_TYPES = ("qtiusagedata/xml", "imsqti_usagedata_xmlv3p0")


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_qti` wrote.

    Attributes
    ----------
    item_ids
        Ids of the new items (in package order).
    files
        Their item files.
    skipped
        ``(identifier, reason)`` of package items that were not imported.
    """

    item_ids: tuple[str, ...]
    files: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_ids": list(self.item_ids),
            "files": list(self.files),
            "skipped": [list(s) for s in self.skipped],
        }


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _find(el: ET.Element, *names: str) -> ET.Element | None:
    for child in el.iter():
        if _local(child.tag) in names:
            return child
    return None


def _children(el: ET.Element, *names: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) in names]


class _Package:
    """Safe in-memory access to the members of a zip package."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            size = path.stat().st_size
        except OSError:
            raise InputError("package not found", file=path) from None
        if size > MAX_PACKAGE_BYTES:
            raise InputError(f"package is larger than {MAX_PACKAGE_BYTES} bytes", file=path)
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InputError(f"not a zip package: {exc}", file=path) from None
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"more than {MAX_MEMBERS} files in the package", file=path)
        total = 0
        self.names: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if (
                name.startswith(("/", "\\"))
                or "\\" in name
                or "\x00" in name
                or re.match(r"^[A-Za-z]:", name)
                or ".." in name.split("/")
            ):
                raise InputError(f"unsafe path in the package: {name!r}", file=path)
            if info.file_size > MAX_MEMBER_BYTES:
                raise InputError(f"{name} is larger than {MAX_MEMBER_BYTES} bytes", file=path)
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise InputError(f"{name}: suspicious compression ratio (zip bomb?)", file=path)
            total += info.file_size
            self.names[name] = info
        if total > MAX_TOTAL_BYTES:
            raise InputError(f"package expands to more than {MAX_TOTAL_BYTES} bytes", file=path)

    def read(self, name: str) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise InputError(f"the package has no file {name!r}", file=self.path)
        with self.zip.open(info) as handle:
            data = handle.read(MAX_MEMBER_BYTES + 1)
        if len(data) > MAX_MEMBER_BYTES:
            raise InputError(f"{name} is larger than {MAX_MEMBER_BYTES} bytes", file=self.path)
        return data

    def xml(self, name: str) -> ET.Element:
        data = self.read(name)
        head = data[:4096].lower()
        if b"<!doctype" in head or b"<!entity" in data.lower():
            raise InputError(
                "XML with a DOCTYPE or entity definitions is not accepted",
                file=f"{self.path}!{name}",
            )
        try:
            return ET.fromstring(data)
        except ET.ParseError as exc:
            line = exc.position[0] if exc.position else None
            raise InputError(
                f"malformed XML: {exc}", file=f"{self.path}!{name}", line=line
            ) from None


def _resolve(base: str, href: str) -> str:
    joined = posixpath.normpath(posixpath.join(base, href))
    if joined.startswith("../") or joined.startswith("/") or joined == "..":
        raise InputError(f"href outside the package: {href!r}")
    return joined


def _resource_outcome(resource: ET.Element) -> str | None:
    meta = _find(resource, "metadata")
    if meta is None:
        return None
    guid = _find(meta, "GUID")
    if guid is not None and guid.text and guid.text.strip():
        return guid.text.strip()
    return None


def _stem_elements(container: ET.Element, interaction: ET.Element) -> list[ET.Element]:
    out: list[ET.Element] = []
    for child in container:
        if child is interaction:
            continue
        if any(node is interaction for node in child.iter()):
            out.extend(_stem_elements(child, interaction))
        elif _local(child.tag) not in ("rubricBlock", "qti-rubric-block", "modalFeedback"):
            out.append(child)
    return out


def _choice_text(choice: ET.Element) -> str:
    parts = [c for c in choice if _local(c.tag) not in ("feedbackInline", "qti-feedback-inline")]
    if any(_local(c.tag) in ("p", "div", "pre", "ul", "ol", "table") for c in parts):
        return xhtml_to_markdown(parts, leading_text=choice.text or "")
    return inline_to_markdown(choice).strip()


def _parse_item_xml(root: ET.Element, fmt: str) -> dict[str, Any]:
    """The credkit fields of one QTI item document; raises ValueError with a reason to skip."""
    name = _local(root.tag)
    if name not in ("assessmentItem", "qti-assessment-item"):
        raise ValueError(f"not an assessment item (<{name}>)")
    body = _find(root, "itemBody", "qti-item-body")
    interaction = _find(root, "choiceInteraction", "qti-choice-interaction")
    if body is None or interaction is None:
        raise ValueError("no choice interaction (only choice items are imported)")
    media = {"img", "object", "math", "audio", "video", "picture", "svg"}
    found = sorted({_local(el.tag) for el in body.iter()} & media)
    if found:
        raise ValueError(f"holds {', '.join(found)} (only text items are imported)")
    response_id = interaction.get("responseIdentifier") or interaction.get("response-identifier")
    decl = None
    for el in root:
        if _local(el.tag) in ("responseDeclaration", "qti-response-declaration") and (
            el.get("identifier") == response_id
        ):
            decl = el
    if decl is None:
        raise ValueError(f"no response declaration for {response_id!r}")
    cardinality = decl.get("cardinality", "single")
    correct = _find(decl, "correctResponse", "qti-correct-response")
    values = [] if correct is None else [(v.text or "").strip() for v in correct]
    choices = _children(interaction, "simpleChoice", "qti-simple-choice")
    if not choices:
        raise ValueError("the choice interaction has no choices")
    if len(choices) > 26:
        raise ValueError("more than 26 choices")
    idents = [c.get("identifier", "") for c in choices]
    keep = all(re.fullmatch(r"[A-Z]", i) for i in idents) and len(set(idents)) == len(idents)
    letters = idents if keep else [chr(ord("A") + k) for k in range(len(choices))]
    mapping = dict(zip(idents, letters, strict=True))
    unknown = [v for v in values if v not in mapping]
    if unknown or not values:
        raise ValueError(f"correct response {values!r} does not name the choices")
    stem_parts = _stem_elements(body, interaction)
    prompt = _children(interaction, "prompt", "qti-prompt")
    stem = xhtml_to_markdown(stem_parts + prompt)
    if not stem.strip():
        raise ValueError("empty stem")
    stem += "\n"  # stems are literal blocks (``stem: |``), which end with a newline
    options = {mapping[i]: _choice_text(c) for i, c in zip(idents, choices, strict=True)}
    multiple = cardinality == "multiple"
    key: Any = [mapping[v] for v in values] if multiple else mapping[values[0]]
    label = root.get("label") or ""
    ident = root.get("identifier") or ""
    item_id = label if ID_PATTERN.match(label) else ident
    stimulus = _find(root, "qti-assessment-stimulus-ref", "assessmentStimulusRef")
    return {
        "stimulus": None
        if stimulus is None
        else (stimulus.get("identifier", ""), stimulus.get("href", ""), stimulus.get("title", "")),
        "id": item_id,
        "type": "msq" if multiple else "mcq",
        "stem": stem,
        "options": options,
        "key": key,
        "source": {"format": fmt, "identifier": ident, "title": root.get("title") or ""},
    }


def _usage(pkg: _Package, href: str) -> dict[str, dict[str, Any]]:
    """Per QTI identifier: {name: (value, attrs)} from a credkit usage-data document."""
    root = pkg.xml(href)
    out: dict[str, dict[str, Any]] = {}
    for stat in root:
        if _local(stat.tag) != "ordinaryStatistic":
            continue
        target = _find(stat, "targetObject")
        value = _find(stat, "value")
        if target is None or value is None:
            continue
        try:
            number = float((value.text or "").strip())
        except ValueError:
            continue
        out.setdefault(target.get("identifier", ""), {})[stat.get("name", "")] = (
            number,
            dict(stat.attrib),
        )
    return out


def _irt_from_usage(stats: Mapping[str, Any], item_type: str) -> dict[str, Any] | None:
    if "irt-a" not in stats:
        return None
    _, attrs = stats["irt-a"]
    context = attrs.get("context", "")
    model = re.search(r"model=([a-z0-9]+)", context)
    if model is None:
        return None
    block: dict[str, Any] = {"model": model.group(1), "a": stats["irt-a"][0]}
    se: dict[str, float] = {}
    names = (
        ["b"]
        if "irt-b" in stats
        else sorted(
            (n[4:] for n in stats if re.fullmatch(r"irt-b\d+", n)), key=lambda s: int(s[1:])
        )
    )
    for name in ["a", *names, "c"]:
        entry = stats.get(f"irt-{name}")
        if entry is None:
            continue
        block[name] = entry[0]
        if "stdError" in entry[1]:
            try:
                se[name] = float(entry[1]["stdError"])
            except ValueError:
                pass
    if se:
        block["se"] = se
    calibration = re.search(r"calibration=([^;]+)", context)
    if calibration:
        block["calibration"] = calibration.group(1).strip()
    if "caseCount" in attrs and attrs["caseCount"].isdigit():
        block["n"] = int(attrs["caseCount"])
    if attrs.get("lastUpdated"):
        try:
            block["date"] = _dt.date.fromisoformat(attrs["lastUpdated"][:10])
        except ValueError:
            pass
    return block


def _import_stimulus(
    pkg: _Package,
    item_href: str,
    ref: tuple[str, str, str],
    sets_dir: Path | None,
    new_sets: dict[str, dict[str, Any]],
) -> str | None:
    """The set id of a stimulus reference; a new set file is planned when the bank lacks it."""
    ident, href, title = ref
    if not ID_PATTERN.match(ident):
        return None
    if sets_dir is None or (sets_dir / f"{ident}.yaml").exists() or ident in new_sets:
        return ident
    root = pkg.xml(_resolve(posixpath.dirname(item_href), href))
    body = _find(root, "qti-stimulus-body", "stimulusBody")
    text = xhtml_to_markdown(list(body)) + "\n" if body is not None else None
    new_sets[ident] = {
        "id": ident,
        "title": title or root.get("title") or ident,
        "outcomes": [],
        "items": [],
        "stimulus": text,
    }
    return ident


def import_qti(
    package: str | os.PathLike[str],
    bank_dir: str | os.PathLike[str],
    *,
    outcome: str | None = None,
    status: str = "draft",
    renumber: bool = False,
    author: str | None = None,
    today: _dt.date | None = None,
) -> ImportResult:
    """Import the choice items of a QTI 3.0 or 2.1/2.2 package as new item files.

    Parameters
    ----------
    package
        The zip file.
    bank_dir
        The bank to add the items to.
    outcome
        Outcome id for items whose manifest entry names none.
    status
        Status of the new items (``draft`` by default: imported items get reviewed first).
    renumber
        Give every item the bank's next free id instead of the package identifier.
    author
        Written into ``author`` when given.

    Raises
    ------
    InputError
        For an unsafe or malformed package, an id that already exists in the bank (use
        ``renumber``), an item without outcome, or any item that would not pass the bank's
        checks. Nothing is written then.
    """
    pkg = _Package(Path(package))
    folder = items_dir(bank_dir)
    manifest = pkg.xml("imsmanifest.xml")
    resources = _find(manifest, "resources")
    if resources is None:
        raise InputError("imsmanifest.xml has no <resources>", file=f"{package}!imsmanifest.xml")
    usage: dict[str, dict[str, Any]] = {}
    item_resources = []
    for res in _children(resources, "resource"):
        rtype = res.get("type", "")
        href = res.get("href")
        if href is None:
            files = _children(res, "file")
            href = files[0].get("href") if files else None
        if href is None:
            continue
        if rtype in USAGE_TYPES:
            usage.update(_usage(pkg, _resolve("", href)))
        elif rtype in ITEM_TYPES:
            item_resources.append((res, ITEM_TYPES[rtype], _resolve("", href)))
    day = today or _dt.date.today()
    sets_dir = Path(bank_dir) / "sets" if folder != Path(bank_dir) else None
    new_sets: dict[str, dict[str, Any]] = {}
    existing = {p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml")}
    texts: dict[Path, str] = {}
    ids: list[str] = []
    skipped: list[tuple[str, str]] = []
    next_id = None
    for res, fmt, href in item_resources:
        root = pkg.xml(href)
        try:
            fields = _parse_item_xml(root, fmt)
        except ValueError as exc:
            skipped.append((res.get("identifier", href), str(exc)))
            continue
        qti_ident = fields["source"]["identifier"]
        item_outcome = _resource_outcome(res) or outcome
        where = f"{package}!{href}"
        if item_outcome is None:
            raise InputError("no outcome in the manifest; give one with --outcome", file=where)
        renumbered = renumber or not ID_PATTERN.match(fields["id"])
        if renumbered:
            if next_id is None:
                next_id = next_item_id(bank_dir, outcome=item_outcome)
            fields["id"] = next_id
            prefix, number = next_id.rsplit("-", 1)
            next_id = f"{prefix}-{int(number) + 1:0{len(number)}d}"
        item_id = fields["id"]
        if item_id in existing or item_id in ids:
            raise InputError(
                f"item '{item_id}' is already in the bank (use --renumber to give new ids)",
                file=where,
                field="id",
            )
        data: dict[str, Any] = {
            "id": item_id,
            "version": 1,
            "status": status,
            "outcome": item_outcome,
            "type": fields["type"],
            "stem": fields["stem"],
            "options": fields["options"],
            "key": fields["key"],
        }
        if fields["stimulus"] is not None:
            set_id = _import_stimulus(pkg, href, fields["stimulus"], sets_dir, new_sets)
            if set_id is not None:
                data["set"] = set_id
                if set_id in new_sets:
                    new_sets[set_id]["items"].append(item_id)
                    if item_outcome not in new_sets[set_id]["outcomes"]:
                        new_sets[set_id]["outcomes"].append(item_outcome)
        if author:
            data["author"] = author
        data["created"] = day
        data["updated"] = day
        data["source"] = {**fields["source"], "package": Path(package).name}
        stats = usage.get(qti_ident, {})
        irt = _irt_from_usage(stats, fields["type"])
        if irt is not None:
            data["irt"] = irt
        classical = {
            k: stats[name][0] for k, name in (("p", "p-value"), ("rpbis", "rpbis")) if name in stats
        }
        if classical:
            n = next(
                (stats[name][1].get("caseCount") for name in ("p-value", "rpbis") if name in stats),
                None,
            )
            if n and n.isdigit():
                classical["n"] = int(n)
            data["stats"] = classical
        path = folder / f"{item_id}.yaml"
        text = dump_item(data)
        parsed, lines = parse_yaml(text, file=path)
        _, findings = parse_item(parsed, lines, path=path)
        errors = [f for f in findings if f.is_error]
        if errors:  # an item credkit cannot hold as is: report it, import the others
            first = errors[0]
            skipped.append(
                (qti_ident or href, f"invalid as a bank item: {first.field}: {first.message}")
            )
            if renumbered:
                next_id = item_id  # give the id to the next item
            if fields["stimulus"] is not None and item_id in new_sets.get(data.get("set"), {}).get(
                "items", []
            ):
                new_sets[data["set"]]["items"].remove(item_id)
            continue
        texts[path] = text
        ids.append(item_id)
    if not item_resources:
        raise InputError(
            "the package lists no QTI item resources", file=f"{package}!imsmanifest.xml"
        )
    new_sets = {k: v for k, v in new_sets.items() if v["items"]}  # sets of skipped items only
    for set_id, set_data in new_sets.items():
        texts[sets_dir / f"{set_id}.yaml"] = dump_item(set_data)  # type: ignore[operator]
    if new_sets:
        sets_dir.mkdir(exist_ok=True)  # type: ignore[union-attr]
    write_files_transactionally(texts)
    return ImportResult(tuple(ids), tuple(str(p) for p in texts), tuple(skipped))
