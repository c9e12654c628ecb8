"""The item resources of a QTI package: its manifest, or its item documents when it has none."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from typing import Any

from psychometrics.bank.qti_package import Package, resolve
from psychometrics.bank.qti_read import name
from psychometrics.bank.qti_usage import read_usage
from psychometrics.errors import InputError

ITEM_TYPE = re.compile(r"^imsqti_(?:apip)?item_xmlv(\d)p(\d)")
USAGE_TYPES = ("qtiusagedata/xml", "imsqti_usagedata_xmlv3p0")


def find(el: ET.Element, *names: str) -> ET.Element | None:
    for child in el.iter():
        if _local(child.tag) in names:
            return child
    return None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _resource_outcome(resource: ET.Element) -> str | None:
    meta = find(resource, "metadata")
    guid = None if meta is None else find(meta, "GUID")
    if guid is not None and guid.text and guid.text.strip():
        return guid.text.strip()
    return None


@dataclass
class Entry:
    """One item resource of the package."""

    identifier: str
    href: str
    fmt: str
    outcome: str | None = None
    extension: str | None = None


def manifest_entries(pkg: Package) -> tuple[list[Entry], dict[str, dict[str, Any]]]:
    """Item resources and usage data listed by the manifest (or found without one)."""
    if "imsmanifest.xml" not in pkg:
        return _loose_items(pkg), {}
    manifest = pkg.xml("imsmanifest.xml")
    resources = find(manifest, "resources")
    if resources is None:
        raise InputError("imsmanifest.xml has no <resources>", file=pkg.where("imsmanifest.xml"))
    entries: list[Entry] = []
    usage: dict[str, dict[str, Any]] = {}
    kinds: Counter[str] = Counter()
    where = pkg.where("imsmanifest.xml")
    for res in resources:
        if _local(res.tag) != "resource":
            continue
        rtype = res.get("type", "")
        kinds[rtype] += 1
        files = [f.get("href", "") for f in res if _local(f.tag) == "file"]
        href = res.get("href") or (files[0] if files else None)
        if href is None:
            continue
        try:
            href = resolve("", href)
        except InputError as exc:
            raise InputError(exc.message, file=where) from None
        if rtype in USAGE_TYPES:
            usage.update(read_usage(pkg, href))
            continue
        match = ITEM_TYPE.match(rtype)
        if match is None:
            continue
        fmt = f"qti{match.group(1)}.{match.group(2)}"
        if "apip" in rtype:
            fmt = f"apip-{fmt}"
        ext = next((f for f in files if f.startswith("credkit/") and f.endswith(".yaml")), None)
        if ext is not None and not ext.startswith("../"):
            ext = posixpath.normpath(ext)
        entries.append(Entry(res.get("identifier", href), href, fmt, _resource_outcome(res), ext))
    if not entries:
        listed = ", ".join(f"{k or '(no type)'} x{n}" for k, n in sorted(kinds.items()))
        hint = ""
        if any(k.startswith("imsqti_xmlv1p2") or "qtiv1p2" in k for k in kinds):
            hint = "; QTI 1.2 (e.g. Common Cartridge quizzes) is not read"
        raise InputError(
            f"the package lists no QTI item resources (it lists: {listed or 'nothing'}){hint}",
            file=where,
        )
    return entries, usage


def _loose_items(pkg: Package) -> list[Entry]:
    """Items of a zip without a manifest: every XML document whose root is an assessmentItem."""
    entries = []
    for member in sorted(pkg.names):
        if not member.endswith(".xml"):
            continue
        root = pkg.xml(member)
        if name(root) == "assessmentItem":
            ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
            version = re.search(r"v(\d)p(\d)", ns)
            fmt = f"qti{version.group(1)}.{version.group(2)}" if version else "qti"
            entries.append(Entry(root.get("identifier") or member, member, fmt))
    if not entries:
        raise InputError(
            "the package has no file 'imsmanifest.xml' and no QTI items", file=pkg.path
        )
    return entries
