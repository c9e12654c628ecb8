"""The issuer's badge folder: achievement, status list, ledger and issued credentials.

::

    <folder>/achievement.json      the Achievement (public)
    <folder>/status-list.json      the signed BitstringStatusListCredential (status-list.jwt for
                                   an RSA issuer)
    <folder>/ledger.csv            credential_id, candidate_id, administration_id, status_index,
                                   issued_at, file  (private: it links candidates to credentials)
    <folder>/credentials/<candidate>_<administration>.json / .jwt / .svg

Every file is replaced atomically; the ledger and the status list are written last, so an
interrupted issuance leaves the previous state readable and a rerun completes it.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psychometrics.credentials import dataintegrity, statuslist, vcjwt
from psychometrics.credentials.contexts import VC_V2
from psychometrics.credentials.keys import IssuerKey
from psychometrics.errors import InputError
from psychometrics.fileio import (
    atomic_write_text,
    csv_plain_cell,
    csv_rows,
    read_user_text,
    safe_csv_writer,
)

__all__ = ["LEDGER_COLUMNS", "BadgeStore", "LedgerEntry", "utc_stamp"]

LEDGER_COLUMNS = (
    "credential_id",
    "candidate_id",
    "administration_id",
    "status_index",
    "issued_at",
    "file",
)
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def utc_stamp(when: datetime | None = None) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds)."""
    moment = (when or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class LedgerEntry:
    credential_id: str
    candidate_id: str
    administration_id: str
    status_index: int
    issued_at: str
    file: str


class BadgeStore:
    """One issuer's badge folder for one credential (see the module docstring)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    # paths -----------------------------------------------------------------------------------
    @property
    def achievement_path(self) -> Path:
        return self.folder / "achievement.json"

    @property
    def ledger_path(self) -> Path:
        return self.folder / "ledger.csv"

    def status_list_path(self, algorithm: str) -> Path:
        return self.folder / ("status-list.json" if algorithm == "Ed25519" else "status-list.jwt")

    def existing_status_list(self) -> Path | None:
        for name in ("status-list.json", "status-list.jwt"):
            if (self.folder / name).is_file():
                return self.folder / name
        return None

    def credential_stem(self, candidate_id: str, administration_id: str) -> Path:
        name = f"{_SAFE.sub('-', candidate_id)}_{_SAFE.sub('-', administration_id)}"
        return self.folder / "credentials" / name

    # ledger ----------------------------------------------------------------------------------
    def read_ledger(self) -> list[LedgerEntry]:
        if not self.ledger_path.is_file():
            return []
        path = self.ledger_path
        rows = csv_rows(read_user_text(path), path)
        if not rows or tuple(c.strip() for c in rows[0]) != LEDGER_COLUMNS:
            raise InputError(f"expected the columns {','.join(LEDGER_COLUMNS)}", file=path, line=1)
        out = []
        for line, row in enumerate(rows[1:], start=2):
            if not any(row):
                continue
            if len(row) != len(LEDGER_COLUMNS) or not row[3].isdigit():
                raise InputError("malformed ledger row", file=path, line=line)
            cells = [csv_plain_cell(c) for c in row]
            out.append(LedgerEntry(cells[0], cells[1], cells[2], int(cells[3]), cells[4], cells[5]))
        return out

    def write_ledger(self, entries: list[LedgerEntry]) -> None:
        buffer = io.StringIO()
        writer = safe_csv_writer(buffer)
        writer.writerow(LEDGER_COLUMNS)
        for e in entries:
            writer.writerow(
                [
                    e.credential_id,
                    e.candidate_id,
                    e.administration_id,
                    e.status_index,
                    e.issued_at,
                    e.file,
                ]
            )
        self.write_text(self.ledger_path, buffer.getvalue())

    # status list -----------------------------------------------------------------------------
    def status_list_url(self, base_url: str, credential_id: str) -> str:
        return f"{base_url.rstrip('/')}/status/{credential_id}.json"

    def read_status_bits(self) -> bytes | None:
        """The current bitstring (None when there is no list yet); the proof is not checked
        here (the issuer's own file)."""
        path = self.existing_status_list()
        if path is None:
            return None
        doc = read_status_list_document(path)
        try:
            return statuslist.decode_list(doc["credentialSubject"]["encodedList"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"not a status list credential: {exc}", file=path) from None

    def read_status_list_id(self) -> str | None:
        path = self.existing_status_list()
        return None if path is None else read_status_list_document(path).get("id")

    def write_status_list(self, list_id: str, bits: bytes, key: IssuerKey) -> Path:
        """Sign and write the status list credential (DI for Ed25519, VC-JWT for RSA)."""
        doc: dict[str, Any] = {
            "@context": [VC_V2],
            "id": list_id,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": key.issuer_id,
            "validFrom": utc_stamp(),
            "credentialSubject": statuslist.status_list_subject(list_id, bits),
        }
        path = self.status_list_path(key.algorithm)
        if key.algorithm == "Ed25519":
            text = json.dumps(dataintegrity.sign(doc, key), indent=2) + "\n"
        else:
            text = vcjwt.sign_jwt(doc, key) + "\n"
        self.write_text(path, text)
        return path

    # files -----------------------------------------------------------------------------------
    def write_json(self, path: Path, payload: Any) -> None:
        self.write_text(path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")

    def write_text(self, path: Path, text: str) -> None:
        """Replace ``path`` atomically; an OS error becomes an InputError naming it."""
        try:
            atomic_write_text(path, text)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror or exc}", file=path) from None


def read_status_list_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A status list credential file: JSON (embedded proof) or a VC-JWT (payload, unverified)."""
    text = read_user_text(path).strip()
    if vcjwt.looks_like_jwt(text):
        try:
            return vcjwt.jwt_payload_unverified(text)
        except ValueError as exc:
            raise InputError(str(exc), file=path) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", file=path, line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise InputError("not a status list credential (a JSON object)", file=path)
    return doc
