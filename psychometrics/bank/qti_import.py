"""QTI import: QTI 3.0 and 2.x (2.0, 2.1, 2.2, APIP) content packages into item files.

Reads ``imsmanifest.xml`` (or, in a zip without one, every ``assessmentItem`` document), every
item resource, and, when present, QTI 3 usage data written by credkit (IRT parameters and
statistics) and credkit's own copy of each item file (``credkit/<ID>.yaml``, see
:mod:`psychometrics.bank.qti`). How one item is read is :mod:`psychometrics.bank.qti_read`.

The outcome of every item is one of three:

* **imported** as it is;
* **imported with changes**, each change named (a key derived from a response mapping, custom
  response processing not kept, text after the interaction moved into the stem, ...);
* **skipped**, with the reason (interactions credkit cannot hold, template items, an item that
  would not pass the bank's checks, ...). An item is never cut down to what fits.

A package made by credkit carries every field of its items: while the QTI item still says what
credkit's copy says, the copy is imported as it is (status, history, rationale, enemies,
expected time, ...), so export then import loses nothing. Otherwise the QTI content wins and
the other fields come from the copy, which is reported as a change.

The package is untrusted (see :mod:`psychometrics.bank.qti_package`). Package problems (unsafe or
malformed files, an id already in the bank, a missing outcome) stop the import; the item files
are written all-or-nothing. A bank folder that does not exist, or holds no items yet, gets the
``items/`` layout; media files go to the bank's ``media/`` folder under safe names.
"""

from __future__ import annotations

import datetime as _dt
import os
import posixpath
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psychometrics.bank.journal import bank_lock
from psychometrics.bank.model import STATUSES, Item
from psychometrics.bank.newitem import next_item_id
from psychometrics.bank.parse import ID_PATTERN, parse_item
from psychometrics.bank.qti_item import item_xml
from psychometrics.bank.qti_manifest import Entry, find, manifest_entries
from psychometrics.bank.qti_markup import MEDIA_DIR, xhtml_to_markdown
from psychometrics.bank.qti_media import MediaFiles, media_refs
from psychometrics.bank.qti_package import Package, resolve
from psychometrics.bank.qti_read import ReadItem, Skip, read_item
from psychometrics.bank.qti_usage import irt_from_usage, stats_from_usage
from psychometrics.bank.update import write_files_transactionally
from psychometrics.bank.yamlio import dump_item, parse_yaml
from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_bytes

_CONTENT_FIELDS = (
    "type",
    "stem",
    "options",
    "key",
    "shuffle",
    "fixed",
    "scoring",
    "max_score",
    "score_levels",
    "feedback",
)


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_qti` wrote.

    Attributes
    ----------
    item_ids
        Ids of the new items (in package order).
    files
        The item (and set) files written.
    skipped
        ``(identifier, reason)`` of package items that were not imported.
    changes
        ``(item id, change)`` of imported items that differ from the package in some way.
    media
        The media files copied into the bank.
    """

    item_ids: tuple[str, ...]
    files: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    changes: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    media: tuple[str, ...] = field(default_factory=tuple)

    @property
    def changed_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item_id for item_id, _ in self.changes))

    def summary(self) -> str:
        """``N items imported (M with changes), K skipped``."""
        n, m = len(self.item_ids), len(self.changed_ids)
        return f"{n} items imported ({m} with changes), {len(self.skipped)} skipped"

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_ids": list(self.item_ids),
            "files": list(self.files),
            "imported": len(self.item_ids) - len(self.changed_ids),
            "imported_with_changes": len(self.changed_ids),
            "changes": [list(c) for c in self.changes],
            "skipped": [list(s) for s in self.skipped],
            "media": list(self.media),
        }


def _bank_layout(bank_dir: Path) -> tuple[Path, bool]:
    """The items folder of the bank, and whether it has to be created."""
    if bank_dir.exists() and not bank_dir.is_dir():
        raise InputError("not a directory (give the bank directory)", file=bank_dir)
    sub = bank_dir / "items"
    if sub.is_dir():
        return sub, False
    flat = bank_dir.is_dir() and any(
        p.suffix in (".yaml", ".yml") and not p.name.startswith(".") for p in bank_dir.iterdir()
    )
    return (bank_dir, False) if flat else (sub, True)


def _extension(pkg: Package, entry: Entry) -> tuple[dict[str, Any], Item, str] | None:
    """credkit's copy of the item file, parsed, or ``None`` (absent or not a valid item)."""
    if entry.extension is None or entry.extension not in pkg:
        return None
    try:
        text = pkg.read(entry.extension).decode("utf-8")
        data, lines = parse_yaml(text, file=pkg.where(entry.extension))
    except (InputError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return None
    item, findings = parse_item(data, lines, path=Path(f"{data['id']}.yaml"))
    if item is None or any(f.is_error for f in findings):
        return None
    return data, item, text


def _from_extension(
    pkg: Package, entry: Entry, read: ReadItem, media: MediaFiles
) -> tuple[dict[str, Any] | None, str | None]:
    """The item mapping credkit's copy gives, and its checked text while the QTI item still
    says the same (else the QTI content over the copy's other fields, and no text)."""
    found = _extension(pkg, entry)
    if found is None:
        return None, None
    data, item, text = found
    try:
        again = read_item(ET.fromstring(item_xml(item)), href=entry.href, media=media.plan)
    except (Skip, InputError, ET.ParseError):
        return None, None
    same = all(again.fields.get(k) == read.fields.get(k) for k in _CONTENT_FIELDS)
    renamed = any(media.names.get(f"media/{r}", r) != r for r in media_refs(data))
    if same and not renamed:
        return dict(data), text
    merged = {k: v for k, v in data.items() if k not in _CONTENT_FIELDS}
    merged.update({k: v for k, v in read.fields.items() if k in _CONTENT_FIELDS})
    read.changes.append("the QTI item differs from credkit's copy: its content was taken")
    return merged, None


def _stimulus(
    pkg: Package,
    item_href: str,
    ref: tuple[str, str, str],
    sets_dir: Path,
    new_sets: dict[str, dict[str, Any]],
    media: MediaFiles,
) -> str | None:
    """The set id of a stimulus reference; a new set file is planned when the bank lacks it."""
    ident, href, title = ref
    if not ID_PATTERN.match(ident):
        return None
    if (sets_dir / f"{ident}.yaml").exists() or ident in new_sets:
        return ident
    path = resolve(posixpath.dirname(item_href), href)
    root = pkg.xml(path)
    body = find(root, "qti-stimulus-body", "stimulusBody")
    base = posixpath.dirname(path)

    def plan(src: str) -> str:
        return media.plan(posixpath.join(base, src))

    text = None
    if body is not None:
        text = xhtml_to_markdown(list(body), leading_text=body.text or "", media=plan) + "\n"
    new_sets[ident] = {
        "id": ident,
        "title": title or root.get("title") or ident,
        "outcomes": [],
        "items": [],
        "stimulus": text,
    }
    return ident


def _foreign_fields(
    read: ReadItem, entry: Entry, *, status: str, day: _dt.date, author: str | None, package
) -> dict[str, Any]:
    fields = read.fields
    data: dict[str, Any] = {"id": fields["id"], "version": 1, "status": status}
    data.update({k: fields[k] for k in ("type", "stem") if k in fields})
    for k in ("options", "key", "shuffle", "fixed", "scoring", "max_score", "score_levels"):
        if k in fields:
            data[k] = fields[k]
    for k in ("rationale", "feedback"):
        if k in fields:
            data[k] = fields[k]
    if author:
        data["author"] = author
    data["created"] = day
    data["updated"] = day
    data["source"] = {
        "format": entry.fmt,
        "identifier": read.identifier,
        "title": read.title,
        "package": Path(package).name,
    }
    return data


def import_qti(
    package: str | os.PathLike[str],
    bank_dir: str | os.PathLike[str],
    *,
    outcome: str | None = None,
    status: str | None = None,
    renumber: bool = False,
    author: str | None = None,
    today: _dt.date | None = None,
) -> ImportResult:
    """Import the items of a QTI 3.0 or 2.x package as new item files.

    Parameters
    ----------
    package
        The zip file.
    bank_dir
        The bank to add the items to; a folder that does not exist becomes a new bank.
    outcome
        Outcome id for items whose manifest entry names none.
    status
        Status of the new items. Default: the status credkit's copy of the item records, else
        ``draft`` (imported items get reviewed first).
    renumber
        Give every item the bank's next free id instead of the package identifier.
    author
        Written into ``author`` of items that are not credkit's.
    today
        The date written into ``created``/``updated`` of items that are not credkit's.

    Returns
    -------
    ImportResult
        The new items, the changes made to them, and the items skipped with the reason.

    Raises
    ------
    InputError
        For an unsafe or malformed package, an id that already exists in the bank (use
        ``renumber``), or an item without outcome. Nothing is written then.
    """
    if status is not None and status not in STATUSES:
        raise InputError(
            f"unknown status {status!r}; one of: {', '.join(STATUSES)}", field="status"
        )
    options = dict(outcome=outcome, status=status, renumber=renumber, author=author, today=today)
    if Path(bank_dir).is_dir():  # hold the bank's lock from choosing ids to writing the files
        with bank_lock(bank_dir):
            return _import(package, bank_dir, **options)
    return _import(package, bank_dir, **options)


def _import(
    package: str | os.PathLike[str],
    bank_dir: str | os.PathLike[str],
    *,
    outcome: str | None,
    status: str | None,
    renumber: bool,
    author: str | None,
    today: _dt.date | None,
) -> ImportResult:
    pkg = Package(Path(package))
    root_dir = Path(bank_dir)
    folder, create = _bank_layout(root_dir)
    entries, usage = manifest_entries(pkg)
    day = today or _dt.date.today()
    sets_dir = root_dir / "sets"
    media = MediaFiles(pkg, root_dir / MEDIA_DIR)
    new_sets: dict[str, dict[str, Any]] = {}
    existing = (
        {p.stem for p in folder.iterdir() if p.suffix in (".yaml", ".yml")}
        if folder.is_dir()
        else set()
    )
    planned: list[tuple[dict[str, Any], str, list[str]]] = []
    skipped: list[tuple[str, str]] = []
    renames: dict[str, str] = {}
    next_id: str | None = None
    for entry in entries:
        try:
            read = read_item(pkg.xml(entry.href), href=entry.href, media=media.plan)
        except Skip as exc:
            skipped.append((entry.identifier, str(exc)))
            continue
        where = pkg.where(entry.href)
        data, checked = _from_extension(pkg, entry, read, media)
        credkit = data is not None
        if data is None:
            data = _foreign_fields(
                read, entry, status=status or "draft", day=day, author=author, package=package
            )
        elif status is not None and status != data.get("status"):
            data["status"] = status
            checked = None
        item_outcome = entry.outcome or data.get("outcome") or outcome
        if item_outcome is None:
            raise InputError("no outcome in the manifest; give one with --outcome", file=where)
        if data.get("outcome") != item_outcome:
            data["outcome"] = item_outcome  # the file's field order is canonical (dump_item)
            checked = None
        old_id = str(data["id"])
        if renumber or not ID_PATTERN.match(old_id):
            if next_id is None:
                next_id = (
                    next_item_id(root_dir, outcome=item_outcome)
                    if folder.is_dir()
                    else _first_id(item_outcome)
                )
            data["id"] = next_id
            prefix, number = next_id.rsplit("-", 1)
            next_id = f"{prefix}-{int(number) + 1:0{len(number)}d}"
        renames[old_id] = data["id"]
        if data["id"] in existing or data["id"] in {d["id"] for d, _, _ in planned}:
            raise InputError(
                f"item '{data['id']}' is already in the bank (use --renumber to give new ids)",
                file=where,
                field="id",
            )
        if read.stimulus is not None:
            try:
                set_id = _stimulus(pkg, entry.href, read.stimulus, sets_dir, new_sets, media)
            except Skip as exc:
                skipped.append((entry.identifier, f"its stimulus: {exc}"))
                continue
            if set_id is not None and not data.get("set"):
                data["set"] = set_id
        stats = usage.get(read.identifier, {})
        if not credkit:
            irt = irt_from_usage(stats)
            if irt is not None:
                data["irt"] = irt
            classical = stats_from_usage(stats)
            if classical:
                data["stats"] = classical
        if checked is not None and data["id"] == old_id:
            planned.append((data, checked, read.changes))  # credkit's file, checked as it is
            continue
        path = folder / f"{data['id']}.yaml"
        text = dump_item(data)
        parsed, lines = parse_yaml(text, file=path)
        errors = [f for f in parse_item(parsed, lines, path=path)[1] if f.is_error]
        if errors:  # an item credkit cannot hold as is: report it, import the others
            first = errors[0]
            skipped.append(
                (entry.identifier, f"invalid as a bank item: {first.field}: {first.message}")
            )
            if data["id"] != old_id:
                next_id = data["id"]  # give the id to the next item
            continue
        planned.append((data, text, read.changes))
    texts: dict[Path, str] = {}
    changes: list[tuple[str, str]] = []
    used_media: set[str] = set()
    enemies_of = {
        d["id"]: {renames.get(e, e) for e in d["enemies"]}
        for d, _, _ in planned
        if isinstance(d.get("enemies"), list)
    }
    for data, text, item_changes in planned:
        enemies = data.get("enemies")
        if isinstance(enemies, list):
            # enemies are mutual and in the bank: keep the pairs that come in together
            renamed = [renames.get(e, e) for e in enemies]
            kept = [e for e in renamed if data["id"] in enemies_of.get(e, ())]
            for e in renamed:
                if e not in kept:
                    item_changes.append(f"enemy '{e}' left out (not an enemy in this package)")
            if kept != enemies:
                data["enemies"] = kept
                text = dump_item(data)
        texts[folder / f"{data['id']}.yaml"] = text
        used_media |= media_refs(data)
        changes.extend((data["id"], c) for c in dict.fromkeys(item_changes))
        set_id = data.get("set")
        if set_id in new_sets:
            new_sets[set_id]["items"].append(data["id"])
            if data["outcome"] not in new_sets[set_id]["outcomes"]:
                new_sets[set_id]["outcomes"].append(data["outcome"])
    ids = [data["id"] for data, _, _ in planned]
    new_sets = {k: v for k, v in new_sets.items() if v["items"]}  # sets of skipped items only
    for set_id, set_data in new_sets.items():
        used_media |= media_refs(set_data)
        texts[sets_dir / f"{set_id}.yaml"] = dump_item(set_data)
    media_files = media.new_files(used_media)
    _write(root_dir, folder, create, texts, media_files, sets_dir if new_sets else None)
    return ImportResult(
        tuple(ids),
        tuple(str(p) for p in texts),
        tuple(skipped),
        tuple(changes),
        tuple(str(p) for p in media_files),
    )


def _first_id(outcome: str) -> str:
    letters = re.match(r"[A-Za-z]+", outcome)
    return f"{letters.group(0).upper() if letters else 'ITEM'}-0001"


def _write(
    root_dir: Path,
    folder: Path,
    create: bool,
    texts: dict[Path, str],
    media_files: dict[Path, bytes],
    sets_dir: Path | None,
) -> None:
    """Write media, then the item and set files all-or-nothing; undo the media on failure."""
    if not texts:
        return
    made: list[Path] = []
    for needed, path in ((create, folder), (bool(media_files), root_dir / MEDIA_DIR)):
        if needed and not path.is_dir():
            missing = [p for p in (root_dir, path) if not p.exists()]
            path.mkdir(parents=True, exist_ok=True)
            made.extend(missing)
    if sets_dir is not None and not sets_dir.is_dir():
        sets_dir.mkdir()
        made.append(sets_dir)
    written: list[Path] = []
    try:
        for target, data in media_files.items():
            atomic_write_bytes(target, data)
            written.append(target)
        write_files_transactionally(texts, root=root_dir)
    except BaseException:
        for target in written:
            target.unlink(missing_ok=True)
        for path in sorted(made, key=lambda p: len(p.parts), reverse=True):
            try:
                path.rmdir()
            except OSError:
                pass
        raise
