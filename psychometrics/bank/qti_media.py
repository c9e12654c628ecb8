"""Media files of imported items: safe names in the bank's ``media/`` folder, never overwriting."""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from psychometrics.bank.qti_markup import MEDIA_DIR
from psychometrics.bank.qti_package import Package, resolve
from psychometrics.bank.qti_read import Skip
from psychometrics.errors import InputError

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class MediaFiles:
    """Media files the imported items show: package path -> safe name in ``BANK/media``."""

    def __init__(self, pkg: Package, media_dir: Path) -> None:
        self.pkg = pkg
        self.dir = media_dir
        self.names: dict[str, str] = {}
        self.data: dict[str, bytes] = {}

    def plan(self, member: str) -> str:
        if member in self.names:
            return f"{MEDIA_DIR}/{self.names[member]}"
        try:
            path = resolve("", member)
        except InputError:
            raise Skip(f"media file {member!r} is outside the package") from None
        if path not in self.pkg:
            raise Skip(f"media file {member!r} is missing from the package")
        data = self.pkg.read(path)
        base = _SAFE_NAME.sub("_", posixpath.basename(path)).lstrip("._") or "media"
        stem, dot, ext = base.rpartition(".")
        stem, ext = (stem, f".{ext}") if dot else (base, "")
        chosen = stem[:80] + ext
        taken = self._taken(chosen)
        if taken is not None and taken != data:
            chosen = f"{stem[:80]}-{hashlib.sha256(data).hexdigest()[:10]}{ext}"
        self.names[member] = chosen
        self.data[chosen] = data
        return f"{MEDIA_DIR}/{chosen}"

    def _taken(self, chosen: str) -> bytes | None:
        if chosen in self.data:
            return self.data[chosen]
        target = self.dir / chosen
        return target.read_bytes() if target.is_file() else None

    def new_files(self, used: set[str]) -> dict[Path, bytes]:
        out = {}
        for chosen, data in self.data.items():
            target = self.dir / chosen
            if chosen in used and not target.exists():
                out[target] = data
        return out


def media_refs(data: Any) -> set[str]:
    """Names of the bank media files the texts of an item (or set) mapping refer to."""
    if isinstance(data, str):
        return set(re.findall(r"media/([A-Za-z0-9._-]+)", data))
    if isinstance(data, Mapping):
        data = list(data.values())
    if isinstance(data, list):
        return set().union(*(media_refs(v) for v in data)) if data else set()
    return set()
