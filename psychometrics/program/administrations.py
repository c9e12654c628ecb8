"""Administrations: responses collected on published forms, checked against those forms.

An administration (a testing window) is a responses file in which every candidate names the
published form they took (a ``form`` column): a wide file (one row per candidate, one column per
item) or a long one (``person_id,item_id,response,form``, one row per response).
:func:`read_administration` scores it against the bank's keys and checks it before anything is
estimated:

- every form id in the file is a published form;
- every item of a form taken has a column; a column of an item on no form taken must be blank
  (an export may carry the columns of forms nobody took in this window; they are dropped);
- each candidate was presented exactly the items of their form (scored and seeded pretest
  items): no response to an item of another form, no blank on an item of their own form (an
  omitted answer is the omit code).

A violation is one :class:`~psychometrics.errors.InputError` naming the file, line and item.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from psychometrics.bank.model import Bank
from psychometrics.bank.store import bank_keys
from psychometrics.errors import InputError
from psychometrics.fileio import check_user_file
from psychometrics.program.forms import PublishedForm
from psychometrics.program.spec import AdministrationSpec
from psychometrics.responses import (
    MAX_FILE_BYTES,
    NOT_PRESENTED,
    ResponseMatrix,
    read_responses,
)

__all__ = ["FORM_COLUMNS", "Administration", "read_administration", "responses_header"]

FORM_COLUMNS = ("form", "form_id")
"""Columns looked for, in this order, when an administration names no ``form_column``."""


@dataclass(frozen=True)
class Administration:
    """One administration, read and checked.

    Attributes
    ----------
    spec
        Its entry in the credential spec.
    responses
        The scored responses (every item column of the file).
    form_column
        The column naming each candidate's form.
    form_of
        The published form id each candidate took, shape ``(n_persons,)``.
    forms
        The published forms taken, by id, in the order of the spec's forms folder.
    """

    spec: AdministrationSpec
    responses: ResponseMatrix
    form_column: str
    form_of: np.ndarray
    forms: Mapping[str, PublishedForm]

    @property
    def id(self) -> str:
        return self.spec.id

    def takers(self, form_id: str) -> np.ndarray:
        """Boolean mask of the candidates who took ``form_id``."""
        return self.form_of == form_id

    def form_responses(self, form_id: str, *, pretest: bool = False) -> ResponseMatrix:
        """The responses of ``form_id``'s candidates to its scored items in delivery order
        (with ``pretest``, to every item presented)."""
        form = self.forms[form_id]
        items = form.presented_ids if pretest else form.item_ids
        return self.responses.select_persons(self.takers(form_id)).select_items(items)

    def scored_responses(self) -> ResponseMatrix:
        """Every candidate's responses to the scored items of the form they took.

        Columns are the scored items of all forms taken; a cell is *not presented* where the item
        is not a scored item of that candidate's form (another form's item, or an item seeded
        unscored on their form though scored on another), so a theta estimate uses exactly the
        items that count on the form taken.
        """
        items = list(dict.fromkeys(i for f in self.forms.values() for i in f.item_ids))
        sub = self.responses.select_items(items)
        column = {item_id: j for j, item_id in enumerate(items)}
        counts = np.zeros(sub.scores.shape, dtype=bool)
        for fid, form in self.forms.items():
            counts[np.ix_(self.takers(fid), [column[i] for i in form.item_ids])] = True
        return replace(
            sub,
            scores=np.where(counts, sub.scores, NOT_PRESENTED).astype(sub.scores.dtype),
            omitted=sub.omitted & counts,
        )

    def counts(self) -> dict[str, int]:
        """Candidates per form taken."""
        return {fid: int(self.takers(fid).sum()) for fid in self.forms}


def responses_header(path: str | Path) -> list[str]:
    """The header row of a responses CSV (stripped), read without loading the file."""
    path = Path(path)
    if path.exists():  # a device or FIFO is refused: reading it would never end
        check_user_file(path, max_bytes=MAX_FILE_BYTES)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline(1 << 20)
    except FileNotFoundError:
        raise InputError("responses file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read responses: {exc.strerror}", file=path) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    return [h.strip() for h in next(csv.reader(io.StringIO(first)), [])]


def _form_column(admin: AdministrationSpec, header: list[str], field: str) -> str:
    path = admin.responses
    if admin.form_column is not None:
        if admin.form_column not in header[1:]:
            raise InputError(
                f"form column '{admin.form_column}' is not in the responses header",
                file=path,
                line=1,
                field=f"{field}.form_column",
            )
        return admin.form_column
    found = next((c for c in FORM_COLUMNS if c in header[1:]), None)
    if found is None:
        raise InputError(
            "no form column: each candidate's row must name the published form taken "
            f"(a column '{FORM_COLUMNS[0]}', or set {field}.form_column)",
            file=path,
            line=1,
        )
    return found


def read_administration(
    admin: AdministrationSpec,
    *,
    forms: Mapping[str, PublishedForm],
    bank: Bank,
    field: str = "administration",
) -> Administration:
    """Read an administration's responses and check them against the published forms.

    Parameters
    ----------
    admin
        The administration's spec entry.
    forms
        The published forms, by id.
    bank
        The item bank (its keys score the responses).
    field
        How messages name the spec entry (e.g. ``administrations[1]``).

    Returns
    -------
    Administration

    Raises
    ------
    InputError
        One line naming the file, line and item for the first violation (see the module
        docstring), with the count of others of the same kind.
    """
    path = Path(admin.responses)
    header = responses_header(path)
    long = {"person_id", "item_id", "response"} <= {h.lower() for h in header}
    omit = admin.omit_code if admin.omit_code is not None else "*"
    keys = bank_keys(bank)
    if long:
        if "form" not in {h.lower() for h in header}:
            raise InputError(
                "long responses need a 'form' column naming the published form taken",
                file=path,
                line=1,
            )
        form_column = "form"
        groups = [admin.group] if admin.group else []
        responses = read_responses(path, group=groups, key=keys, omit_code=omit, long=True)
        form_of = np.asarray(responses.forms).astype(str)
    else:
        form_column = _form_column(admin, header, field)
        if admin.group and admin.group not in header:
            raise InputError(
                f"group column '{admin.group}' is not in the responses header",
                file=path,
                line=1,
                field=f"{field}.group",
            )
        groups = list(dict.fromkeys(g for g in (admin.group, form_column) if g))
        responses = read_responses(path, group=groups, key=keys, omit_code=omit)
        form_of = np.asarray(responses.groups[form_column]).astype(str)

    def line(row: int) -> int | None:  # wide files: data row r is on line r + 2
        return None if long else row + 2

    taken = list(dict.fromkeys(form_of.tolist()))
    unknown = [f for f in taken if f not in forms]
    if unknown:
        row = int(np.flatnonzero(form_of == unknown[0])[0])
        published = ", ".join(forms) or "none"
        n_rows = int(np.isin(form_of, unknown).sum())
        raise InputError(
            f"candidate {responses.person_ids[row]} took form '{unknown[0]}', which is not a "
            f"published form (published: {published}; {n_rows} row(s) name unpublished forms)",
            file=path,
            line=line(row),
            field=form_column,
        )
    taken_forms = {fid: forms[fid] for fid in forms if fid in taken}
    columns = {item_id: j for j, item_id in enumerate(responses.item_ids)}
    for fid, form in taken_forms.items():
        missing = [i for i in form.presented_ids if i not in columns]
        if missing:
            raise InputError(
                f"{fid} item {missing[0]} (position {form.presented_ids.index(missing[0]) + 1}) "
                f"has {'no response' if long else 'no column'} in the responses "
                f"({len(missing)} item(s) of {fid} missing)",
                file=path,
                line=None if long else 1,
                field=missing[0],
            )
    on_taken = {i for f in taken_forms.values() for i in f.presented_ids}
    extra = [i for i in responses.item_ids if i not in on_taken]
    answered = [i for i in extra if responses.presented[:, columns[i]].any()]
    if answered:
        item_id = answered[0]
        row = int(np.flatnonzero(responses.presented[:, columns[item_id]])[0])
        raise InputError(
            f"candidate {responses.person_ids[row]} has a response to {item_id}, which is on "
            f"none of the forms taken ({', '.join(taken_forms)}); {len(answered)} such item(s)",
            file=path,
            line=line(row),
            field=item_id,
        )
    if extra:  # blank columns of forms nobody took in this window
        responses = responses.select_items([i for i in responses.item_ids if i in on_taken])
        columns = {item_id: j for j, item_id in enumerate(responses.item_ids)}
    expected = np.zeros((responses.n_persons, responses.n_items), dtype=bool)
    for fid, form in taken_forms.items():
        cols = [columns[i] for i in form.presented_ids]
        expected[np.ix_(form_of == fid, cols)] = True
    wrong = responses.presented != expected
    if wrong.any():
        rows, cols = np.nonzero(wrong)
        r, c = int(rows[0]), int(cols[0])
        item_id, fid = responses.item_ids[c], str(form_of[r])
        person = responses.person_ids[r]
        if expected[r, c]:
            what = (
                f"candidate {person} took {fid} but item {item_id} of {fid} is blank (not "
                f"presented); an unanswered item is coded '{omit}'"
            )
        else:
            what = (
                f"candidate {person} took {fid} but has a response to {item_id}, which is not "
                f"on {fid}"
            )
        n_people = int(np.unique(rows).size)
        raise InputError(
            f"{what} ({int(wrong.sum())} such cell(s) in {n_people} row(s))",
            file=path,
            line=line(r),
            field=item_id,
        )
    return Administration(
        spec=admin,
        responses=responses,
        form_column=form_column,
        form_of=form_of,
        forms=taken_forms,
    )
