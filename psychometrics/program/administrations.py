"""Administrations: responses collected on published forms, checked against those forms.

An administration (a testing window) is a responses file in which every candidate's row names the
published form they took (a ``form`` column). :func:`read_administration` scores it against the
bank's keys and checks it before anything is estimated:

- every form id in the file is a published form;
- every item of a form taken has a column, and every item column belongs to a form taken;
- each candidate was presented exactly the items of their form (scored and seeded pretest
  items): no response to an item of another form, no blank on an item of their own form (an
  omitted answer is the omit code).

A violation is one :class:`~psychometrics.errors.InputError` naming the file, line and item.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from psychometrics.bank.model import Bank
from psychometrics.bank.store import bank_keys
from psychometrics.errors import InputError
from psychometrics.program.forms import PublishedForm
from psychometrics.program.spec import AdministrationSpec
from psychometrics.responses import ResponseMatrix, read_responses

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

    def counts(self) -> dict[str, int]:
        """Candidates per form taken."""
        return {fid: int(self.takers(fid).sum()) for fid in self.forms}


def responses_header(path: str | Path) -> list[str]:
    """The header row of a responses CSV (stripped), read without loading the file."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
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
    form_column = _form_column(admin, header, field)
    if admin.group and admin.group not in header:
        raise InputError(
            f"group column '{admin.group}' is not in the responses header",
            file=path,
            line=1,
            field=f"{field}.group",
        )
    groups = [g for g in (admin.group, form_column) if g]
    groups = list(dict.fromkeys(groups))
    omit = admin.omit_code if admin.omit_code is not None else "*"
    responses = read_responses(path, group=groups, key=bank_keys(bank), omit_code=omit)
    form_of = np.asarray(responses.groups[form_column]).astype(str)

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
            line=row + 2,
            field=form_column,
        )
    taken_forms = {fid: forms[fid] for fid in forms if fid in taken}
    columns = {item_id: j for j, item_id in enumerate(responses.item_ids)}
    for fid, form in taken_forms.items():
        missing = [i for i in form.presented_ids if i not in columns]
        if missing:
            raise InputError(
                f"{fid} item {missing[0]} (position {form.presented_ids.index(missing[0]) + 1}) "
                "has "
                f"no column in the responses ({len(missing)} item(s) of {fid} missing)",
                file=path,
                line=1,
                field=missing[0],
            )
    on_taken = {i for f in taken_forms.values() for i in f.presented_ids}
    extra = [i for i in responses.item_ids if i not in on_taken]
    if extra:
        raise InputError(
            f"column '{extra[0]}' is on none of the forms taken ({', '.join(taken_forms)}); "
            f"{len(extra)} such column(s)",
            file=path,
            line=1,
            field=extra[0],
        )
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
            line=r + 2,
            field=item_id,
        )
    return Administration(
        spec=admin,
        responses=responses,
        form_column=form_column,
        form_of=form_of,
        forms=taken_forms,
    )
