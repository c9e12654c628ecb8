"""Reading an administration's results and the candidates' identities for issuance.

Results CSV (the build's per-candidate ``results.csv``, or any CSV with these columns):

=====================  =========  ============================================================
column                 required   meaning
=====================  =========  ============================================================
candidate_id           yes        the candidate
administration_id      yes        the administration (testing window)
scale_score            yes        the score on the reporting scale
passed                 yes        ``true``/``false`` (also 1/0, yes/no)
completed_on           no         ISO date the candidate took the test (``validFrom``)
attempt, form_id,      no         read when present (attempt must be a whole number)
raw_score, ...
=====================  =========  ============================================================

Candidates CSV: ``candidate_id`` and at least one of ``email`` and ``did``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import date

from psychometrics.errors import InputError
from psychometrics.fileio import csv_rows, read_user_text

__all__ = ["Candidate", "ResultRow", "read_candidates", "read_results"]

RESULT_COLUMNS = ("candidate_id", "administration_id", "scale_score", "passed")
_TRUE = {"true", "1", "yes", "y", "pass", "passed"}
_FALSE = {"false", "0", "no", "n", "fail", "failed"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DID = re.compile(r"^did:[a-z0-9]+:[A-Za-z0-9._:%-]+(#.*)?$")
_ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class ResultRow:
    """One candidate's result in one administration."""

    candidate_id: str
    administration_id: str
    scale_score: float
    passed: bool
    completed_on: date | None
    attempt: int | None
    line: int


@dataclass(frozen=True)
class Candidate:
    """A candidate's identity for the recipient: an email (hashed) and/or a DID."""

    candidate_id: str
    email: str = ""
    did: str = ""


def _header(rows: list[list[str]], path: str | os.PathLike[str], needed: tuple[str, ...]):
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError("empty file: expected a header row", file=path, line=1)
    header = [cell.strip() for cell in rows[0]]
    missing = [c for c in needed if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (found: {', '.join(header)})",
            file=path,
            line=1,
        )
    dupes = sorted({c for c in header if header.count(c) > 1 and c})
    if dupes:
        raise InputError(f"duplicate column(s) {', '.join(dupes)}", file=path, line=1)
    return {name: i for i, name in enumerate(header)}


def read_results(path: str | os.PathLike[str]) -> list[ResultRow]:
    """Parse a results CSV (see the module docstring); one error naming file, line and column."""
    rows = csv_rows(read_user_text(path), path)
    col = _header(rows, path, RESULT_COLUMNS)
    out: list[ResultRow] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(rows[0]):
            raise InputError(
                f"{len(row)} cells where the header has {len(rows[0])}", file=path, line=line
            )

        def cell(name: str, row: list[str] = row) -> str:
            return row[col[name]].strip() if name in col else ""

        cand, admin = cell("candidate_id"), cell("administration_id")
        for name, value in (("candidate_id", cand), ("administration_id", admin)):
            if not value:
                raise InputError("empty", file=path, line=line, field=name)
        try:
            score = float(cell("scale_score"))
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            raise InputError(
                f"expected a number, got {cell('scale_score')!r}",
                file=path,
                line=line,
                field="scale_score",
            )
        flag = cell("passed").lower()
        if flag not in _TRUE | _FALSE:
            raise InputError(
                f"expected true or false, got {cell('passed')!r}",
                file=path,
                line=line,
                field="passed",
            )
        completed = None
        if cell("completed_on"):
            text = cell("completed_on")
            try:
                if not _ISO_DAY.match(text):
                    raise ValueError
                completed = date.fromisoformat(text)
            except ValueError:
                raise InputError(
                    f"expected a date YYYY-MM-DD, got {text!r}",
                    file=path,
                    line=line,
                    field="completed_on",
                ) from None
        attempt = None
        if cell("attempt"):
            if not cell("attempt").isdigit():
                raise InputError(
                    f"expected a whole number, got {cell('attempt')!r}",
                    file=path,
                    line=line,
                    field="attempt",
                )
            attempt = int(cell("attempt"))
        key = (cand, admin)
        if key in seen:
            raise InputError(
                f"candidate {cand} appears twice in administration {admin} "
                f"(first on line {seen[key]})",
                file=path,
                line=line,
                field="candidate_id",
            )
        seen[key] = line
        out.append(ResultRow(cand, admin, score, flag in _TRUE, completed, attempt, line))
    return out


def read_candidates(path: str | os.PathLike[str]) -> dict[str, Candidate]:
    """Parse a candidates CSV: ``candidate_id`` and ``email`` and/or ``did`` columns."""
    rows = csv_rows(read_user_text(path), path)
    col = _header(rows, path, ("candidate_id",))
    if "email" not in col and "did" not in col:
        raise InputError("needs an 'email' or a 'did' column", file=path, line=1)
    out: dict[str, Candidate] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(rows[0]):
            raise InputError(
                f"{len(row)} cells where the header has {len(rows[0])}", file=path, line=line
            )
        cand = row[col["candidate_id"]].strip()
        email = row[col["email"]].strip() if "email" in col else ""
        did = row[col["did"]].strip() if "did" in col else ""
        if not cand:
            raise InputError("empty", file=path, line=line, field="candidate_id")
        if cand in out:
            raise InputError(f"candidate {cand} is listed twice", file=path, line=line)
        if email and not _EMAIL.match(email):
            raise InputError(
                f"not an email address: {email!r}", file=path, line=line, field="email"
            )
        if did and not _DID.match(did):
            raise InputError(f"not a DID: {did!r}", file=path, line=line, field="did")
        if not email and not did:
            raise InputError(
                "give an email or a DID for the recipient", file=path, line=line, field="email"
            )
        out[cand] = Candidate(cand, email, did)
    return out
