"""Retakes: candidates who sit the exam again, checked against the spec's retake policy.

A credential program administers its published forms in testing windows (the spec's
``administrations``); a candidate who fails may try again under the spec's ``retakes`` policy
(:class:`~psychometrics.program.spec.RetakePolicy`):

- ``max_attempts``: at most this many attempts in all;
- ``wait_days``: at least this many days between the windows of two consecutive attempts;
- ``max_overlap``: at most this share (0-1) of the items a retake form presents may have been
  presented to the candidate on *any* earlier attempt (taking the same form again is an overlap
  of 1.0).

Overlaps count every item a form *presents*, scored or pretest (:attr:`PublishedForm.presented_ids
<psychometrics.program.forms.PublishedForm.presented_ids>`): an item seen as an unscored pretest
item on an earlier attempt has been presented all the same, and a retake form's share is the
share of its presented items (scored and pretest) that the candidate has seen before.

:func:`attempts` lists every attempt across the administrations, :func:`check_retakes` lists every
violation of the policy, and :func:`assign_retakes` picks a published form for each candidate who
is about to sit again. Overlaps are computed on a boolean form-by-item matrix, once per distinct
set of forms taken before (a handful), not per candidate and item; the decisions are taken on
arrays (one entry per candidate), not candidate by candidate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from psychometrics.bank.model import Bank
from psychometrics.errors import InputError
from psychometrics.program.forms import PublishedForm, load_forms
from psychometrics.program.spec import RetakePolicy, Spec

__all__ = [
    "ASSIGNMENT_STATUSES",
    "RULES",
    "Assignment",
    "Attempt",
    "RetakeCheck",
    "Violation",
    "assign_retakes",
    "attempts",
    "check_retakes",
    "published_forms",
]

RULES = ("max_attempts", "wait_days", "max_overlap")
"""The rules of a retake policy, in the order violations of one attempt are listed."""

ASSIGNMENT_STATUSES = ("first-attempt", "assigned", "wait", "max-attempts", "no-form")
"""What :func:`assign_retakes` decides for a candidate:

``first-attempt``
    No earlier attempt: the first published form.
``assigned``
    A retake form that satisfies the policy.
``wait``
    Too early: ``earliest_date`` is the first day the candidate may sit again.
``max-attempts``
    The candidate has used every attempt ``max_attempts`` allows.
``no-form``
    Every published form overlaps too much with the items already seen (waiting does not help).
"""

_TOLERANCE = 1e-9  # shares are compared with this slack (0.5 of 6 items is 3 items, not 3.0000001)


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One candidate's sitting of one published form in one administration.

    Attributes
    ----------
    person_id
        The candidate (the responses file's first column).
    administration_id
        The administration's id in the spec.
    date
        The administration window's start (its end when it has no start); None when the
        administration has no window.
    form_id
        The published form taken.
    """

    person_id: str
    administration_id: str
    date: date | None
    form_id: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "administration": self.administration_id,
            "date": _iso(self.date),
            "form": self.form_id,
        }


@dataclass(frozen=True)
class Violation:
    """An attempt that breaks one rule of the retake policy.

    Attributes
    ----------
    person_id
        The candidate.
    attempt
        The attempt's number for this candidate (1 = first).
    rule
        One of :data:`RULES`.
    message
        What is wrong, in one sentence.
    administration_id, form_id, date
        The offending attempt.
    """

    person_id: str
    attempt: int
    rule: str
    message: str
    administration_id: str
    form_id: str
    date: date | None = None

    def __str__(self) -> str:
        when = "" if self.date is None else f", {self.date.isoformat()}"
        return (
            f"{self.person_id}: attempt {self.attempt} ({self.administration_id}{when}, "
            f"{self.form_id}): {self.rule}: {self.message}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "attempt": self.attempt,
            "rule": self.rule,
            "message": self.message,
            "administration": self.administration_id,
            "form": self.form_id,
            "date": _iso(self.date),
        }


@dataclass(frozen=True)
class RetakeCheck:
    """The result of :func:`check_retakes`.

    Attributes
    ----------
    violations
        Every violation, ordered by candidate, attempt number, then rule (as in :data:`RULES`).
    policy
        The policy checked.
    n_candidates, n_attempts, n_retakers
        Candidates, attempts, and candidates with more than one attempt.
    """

    violations: tuple[Violation, ...]
    policy: RetakePolicy
    n_candidates: int
    n_attempts: int
    n_retakers: int

    @property
    def ok(self) -> bool:
        """True when no attempt breaks the policy."""
        return not self.violations

    def summary(self) -> str:
        """One line: the counts and the outcome."""
        counts = (
            f"{self.n_candidates} candidate(s), {self.n_attempts} attempt(s), "
            f"{self.n_retakers} retaker(s)"
        )
        if self.ok:
            return f"ok: no retake violations ({counts})"
        people = len({v.person_id for v in self.violations})
        return f"{len(self.violations)} retake violation(s) by {people} candidate(s) ({counts})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "policy": _policy_dict(self.policy),
            "n_candidates": self.n_candidates,
            "n_attempts": self.n_attempts,
            "n_retakers": self.n_retakers,
            "violations": [v.to_dict() for v in self.violations],
        }


@dataclass(frozen=True)
class Assignment:
    """The form a candidate is to take next, or why there is none.

    Attributes
    ----------
    person_id
        The candidate.
    status
        One of :data:`ASSIGNMENT_STATUSES`.
    form_id
        The form to take (``first-attempt`` and ``assigned``), else None.
    overlap
        Share of the items ``form_id`` presents (scored and pretest) that the candidate has
        already been presented on earlier attempts (as scored or pretest items); for ``no-form``
        the smallest share any published form achieves; None for ``wait`` and ``max-attempts``.
    attempt
        The number the next attempt would have (earlier attempts + 1).
    earliest_date
        The first day the candidate may sit again (last attempt + ``wait_days``); None when
        there is no waiting period or no earlier attempt with a date.
    reason
        One sentence explaining the decision.
    """

    person_id: str
    status: str
    form_id: str | None
    overlap: float | None
    attempt: int
    earliest_date: date | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "status": self.status,
            "form": self.form_id,
            "overlap": self.overlap,
            "attempt": self.attempt,
            "earliest_date": _iso(self.earliest_date),
            "reason": self.reason,
        }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _policy_dict(policy: RetakePolicy) -> dict[str, Any]:
    return {
        "max_attempts": policy.max_attempts,
        "wait_days": policy.wait_days,
        "max_overlap": policy.max_overlap,
    }


# --------------------------------------------------------------------------------------------
# Forms as a boolean matrix
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FormTable:
    """Forms (rows, in the mapping's order) by items (columns): True where the form presents the
    item, scored or pretest (:attr:`PublishedForm.presented_ids`)."""

    ids: tuple[str, ...]
    items: np.ndarray
    published: np.ndarray
    index: Mapping[str, int] = field(repr=False)

    @classmethod
    def of(cls, forms: Mapping[str, PublishedForm]) -> _FormTable:
        ids = tuple(forms)
        columns: dict[str, int] = {}
        for form in forms.values():
            for item_id in form.presented_ids:
                columns.setdefault(item_id, len(columns))
        items = np.zeros((len(ids), len(columns)), dtype=bool)
        for row, form in enumerate(forms.values()):
            items[row, [columns[i] for i in form.presented_ids]] = True
        published = np.array([f.is_published for f in forms.values()], dtype=bool)
        return cls(ids, items, published, {fid: k for k, fid in enumerate(ids)})

    @property
    def lengths(self) -> np.ndarray:
        """Items each form presents (scored and pretest)."""
        return self.items.sum(axis=1)

    def rows(self, found: Sequence[Attempt]) -> np.ndarray:
        """Row of each attempt's form; an unknown form is an error naming the first such attempt.

        The form ids are looked up once each (``np.unique``), not once per attempt.
        """
        taken = np.asarray([a.form_id for a in found], dtype=str)
        distinct, inverse = np.unique(taken, return_inverse=True)
        known = np.array([self.index.get(f, -1) for f in distinct.tolist()], dtype=np.intp)
        row = known[inverse.reshape(-1)]
        unknown = np.flatnonzero(row < 0)
        if unknown.size:
            bad = found[int(unknown[0])]
            names = ", ".join(self.ids) or "none"
            raise InputError(
                f"candidate {bad.person_id} took form '{bad.form_id}' in {bad.administration_id}, "
                f"which is not among the forms given (known: {names})",
                field="form",
            )
        return row

    def shared(self, taken: np.ndarray) -> np.ndarray:
        """Items of each form already presented, per row of ``taken``.

        ``taken`` is boolean ``(n, n_forms)``: the forms each candidate sat before. Returns the
        integer ``(n, n_forms)`` count of every form's presented items that are presented on any
        of those forms. The union is formed once per distinct set of earlier forms.
        """
        n_forms = len(self.ids)
        if taken.shape[0] == 0:
            return np.zeros((0, n_forms), dtype=np.int64)
        history, inverse = _distinct_rows(taken)
        members = self.items.astype(np.int64)
        seen = (history.astype(np.int64) @ members) > 0  # (n_histories, n_items)
        per_history = seen.astype(np.int64) @ members.T  # (n_histories, n_forms)
        return per_history[np.asarray(inverse).reshape(-1)]


def _distinct_rows(taken: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(taken, axis=0, return_inverse=True)`` for a boolean matrix, faster.

    Up to 64 columns, each row is packed into one 64-bit integer and those are made unique (a
    plain integer sort rather than a sort of byte strings). Only ``history[inverse] == taken``
    matters to the caller, not the order of the distinct rows.
    """
    n_columns = taken.shape[1]
    if n_columns > 64:
        history, inverse = np.unique(taken, axis=0, return_inverse=True)
        return history, np.asarray(inverse).reshape(-1)
    packed = np.zeros((taken.shape[0], 8), dtype=np.uint8)
    packed[:, : (n_columns + 7) // 8] = np.packbits(taken, axis=1)
    _, first, inverse = np.unique(
        packed.view(np.uint64).reshape(-1), return_index=True, return_inverse=True
    )
    return taken[first], inverse.reshape(-1)


def _days(values: Sequence[date | None]) -> np.ndarray:
    """Dates as ``datetime64[D]`` (None -> NaT)."""
    nat = np.iinfo(np.int64).min  # NaT's integer value
    ordinals = [nat if d is None else d.toordinal() - _EPOCH for d in values]
    return np.array(ordinals, dtype=np.int64).view("datetime64[D]")


_EPOCH = date(1970, 1, 1).toordinal()  # day 0 of datetime64[D]


def _need_dates(found: Sequence[Attempt], days: np.ndarray) -> None:
    undated = np.flatnonzero(np.isnat(days))
    if undated.size:
        first = found[int(undated[0])]
        raise InputError(
            f"the attempt of {first.person_id} in {first.administration_id} has no date; the "
            "wait_days rule needs every administration's window",
            field="administrations",
        )


# --------------------------------------------------------------------------------------------
# Attempts from the spec
# --------------------------------------------------------------------------------------------


def published_forms(spec: Spec) -> dict[str, PublishedForm]:
    """The published forms of the spec's forms folder, in file-name order (proposals left out).

    Raises
    ------
    InputError
        On a malformed form file or a form of another credential.
    """
    forms = load_forms(spec.forms.folder, credential_id=spec.credential.id)
    return {fid: form for fid, form in forms.items() if form.is_published}


def _admin_field(spec: Spec, k: int) -> tuple[str, tuple[str | int, ...]]:
    """How messages name administration ``k`` and its key path in the spec's line table."""
    name = spec.administration_field(spec.administrations[k])
    return name, ("administration",) if name == "administration" else ("administrations", k)


def attempts(
    spec: Spec,
    *,
    bank: Bank | None = None,
    forms: Mapping[str, PublishedForm] | None = None,
) -> tuple[Attempt, ...]:
    """Every attempt across the spec's administrations, ordered by candidate then date.

    Each administration's responses are read and checked against the published forms with
    :func:`~psychometrics.program.administrations.read_administration`. An attempt's date is its
    administration window's start, else its end. Administrations are put in chronological order
    by that date (ties, and administrations without a window, keep their order in the spec: an
    undated administration counts as held with the dated one listed before it).

    Parameters
    ----------
    spec
        The loaded credential spec.
    bank
        The item bank (default: loaded from ``spec.bank``).
    forms
        The forms (default: :func:`published_forms` of the spec); only published ones count.

    Returns
    -------
    tuple of Attempt
        Sorted by person id, then chronologically; empty when the spec has no administrations.

    Raises
    ------
    InputError
        When an administration has no window while the policy has ``wait_days`` (naming the
        spec field ``administrations[k].window``), or on any problem with an administration's
        responses (naming the file and line).
    """
    from psychometrics.bank import load_bank
    from psychometrics.program.administrations import read_administration

    policy = spec.retakes
    admins = spec.administrations
    when: list[date | None] = [a.start or a.end for a in admins]
    if policy is not None and policy.wait_days is not None:
        for k, day in enumerate(when):
            if day is None:
                name, key = _admin_field(spec, k)
                raise InputError(
                    f"administration '{admins[k].id}' has no window: the retake policy's "
                    "wait_days needs the date of every administration (window: {start: "
                    "YYYY-MM-DD, end: YYYY-MM-DD})",
                    file=spec.path,
                    line=spec.line(*key),
                    field=f"{name}.window",
                )
    if not admins:
        return ()
    bank = load_bank(spec.bank) if bank is None else bank
    forms = published_forms(spec) if forms is None else forms
    forms = {fid: form for fid, form in forms.items() if form.is_published}

    held, previous = [], date.min
    for day in when:
        previous = day or previous
        held.append(previous)
    chronological = sorted(range(len(admins)), key=lambda k: (held[k], k))

    persons: list[str] = []
    taken: list[str] = []
    where: list[int] = []
    for k in chronological:
        name, _ = _admin_field(spec, k)
        admin = read_administration(admins[k], forms=forms, bank=bank, field=name)
        persons.extend(admin.responses.person_ids)
        taken.extend(admin.form_of.tolist())
        where.extend([k] * admin.responses.n_persons)
    order = np.argsort(np.asarray(persons, dtype=str), kind="stable")
    return tuple(
        Attempt(persons[i], admins[where[i]].id, when[where[i]], taken[i]) for i in order.tolist()
    )


# --------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------


def check_retakes(
    attempts: Sequence[Attempt],
    *,
    policy: RetakePolicy | None,
    forms: Mapping[str, PublishedForm],
) -> RetakeCheck:
    """Every attempt that breaks the retake policy.

    Parameters
    ----------
    attempts
        The attempts, each candidate's in chronological order (as :func:`attempts` returns
        them; candidates may come in any order).
    policy
        The retake policy (None = no limits: nothing can be violated).
    forms
        Every form taken, by id (the items it presents, scored and pretest, give the overlaps).

    Returns
    -------
    RetakeCheck
        One :class:`Violation` per attempt and rule broken:

        ``max_attempts``
            every attempt numbered above ``max_attempts``;
        ``wait_days``
            an attempt fewer than ``wait_days`` days after the candidate's previous one;
        ``max_overlap``
            a retake on which more than ``max_overlap`` of the items the form presents (scored
            and pretest) had already been presented on any earlier attempt, as scored or pretest
            items (the same form again is an overlap of 1.0).

    Raises
    ------
    InputError
        When an attempt's form is not in ``forms``, or ``wait_days`` is set and an attempt has
        no date.
    """
    policy = policy or RetakePolicy()
    table = _FormTable.of(forms)
    n = len(attempts)
    order = np.argsort(np.asarray([a.person_id for a in attempts], dtype=str), kind="stable")
    found = [attempts[i] for i in order.tolist()]
    person = np.asarray([a.person_id for a in found], dtype=str)
    form = table.rows(found)

    rows = np.arange(n)
    first = np.ones(n, dtype=bool)
    first[1:] = person[1:] != person[:-1]
    start = np.maximum.accumulate(np.where(first, rows, 0)) if n else rows
    number = rows - start + 1

    # forms each attempt's candidate sat before it: an exclusive running count per candidate
    sat = np.zeros((n, len(table.ids)), dtype=np.int64)
    sat[rows, form] = 1
    before = np.cumsum(sat, axis=0) - sat
    before = (before - before[start]) > 0
    shared = table.shared(before)[rows, form]
    length = table.lengths[form]
    share = shared / np.maximum(length, 1)

    hits: list[tuple[int, int, str]] = []  # (row, rule rank, message)
    if policy.max_attempts is not None:
        for r in np.flatnonzero(number > policy.max_attempts).tolist():
            hits.append((r, 0, f"attempt {number[r]} is over max_attempts ({policy.max_attempts})"))
    if policy.wait_days is not None and n:
        days = _days([a.date for a in found])
        _need_dates(found, days)
        gap = np.zeros(n, dtype=np.int64)
        gap[1:] = (days[1:] - days[:-1]).astype(np.int64)
        for r in np.flatnonzero(~first & (gap < policy.wait_days)).tolist():
            prev = found[r - 1]
            earliest = prev.date + timedelta(days=policy.wait_days)
            hits.append(
                (
                    r,
                    1,
                    f"taken {gap[r]} day(s) after the previous attempt ({prev.administration_id},"
                    f" {_iso(prev.date)}); wait_days is {policy.wait_days} (earliest "
                    f"{earliest.isoformat()})",
                )
            )
    if policy.max_overlap is not None:
        too_much = ~first & (share > policy.max_overlap + _TOLERANCE)
        for r in np.flatnonzero(too_much).tolist():
            again = " (the same form again)" if before[r, form[r]] else ""
            hits.append(
                (
                    r,
                    2,
                    f"{shared[r]} of {length[r]} items of {found[r].form_id} ({share[r]:.2f}) "
                    f"were presented on earlier attempts{again}; max_overlap is "
                    f"{policy.max_overlap:g}",
                )
            )
    hits.sort(key=lambda h: (h[0], h[1]))
    violations = tuple(
        Violation(
            person_id=found[r].person_id,
            attempt=int(number[r]),
            rule=RULES[rank],
            message=message,
            administration_id=found[r].administration_id,
            form_id=found[r].form_id,
            date=found[r].date,
        )
        for r, rank, message in hits
    )
    return RetakeCheck(
        violations=violations,
        policy=policy,
        n_candidates=int(first.sum()),
        n_attempts=n,
        n_retakers=int((number == 2).sum()),
    )


# --------------------------------------------------------------------------------------------
# Assigning
# --------------------------------------------------------------------------------------------


def assign_retakes(
    person_ids: Sequence[str],
    *,
    attempts: Sequence[Attempt],
    policy: RetakePolicy | None,
    forms: Mapping[str, PublishedForm],
    on: date,
) -> tuple[Assignment, ...]:
    """Pick the form each candidate is to take on ``on``, following the retake policy.

    A candidate without an earlier attempt gets the first published form (``first-attempt``).
    For a retaker, the decision is, in this order:

    1. ``max-attempts`` when the earlier attempts already reach ``max_attempts``;
    2. ``no-form`` when every published form has more than ``max_overlap`` of its items among
       those presented on earlier attempts (``overlap`` is then the smallest share achievable;
       waiting would not help);
    3. ``wait`` when ``on`` is before the last attempt's date + ``wait_days`` (``earliest_date``
       says when);
    4. ``assigned``: among the published forms within ``max_overlap``, the one with the
       smallest overlap. Ties go to the form listed first in ``forms`` (for
       :func:`published_forms`, the forms folder's file-name order), so the choice is
       deterministic.

    Parameters
    ----------
    person_ids
        The candidates to place, each once.
    attempts
        Every earlier attempt (as :func:`attempts` returns them); those of other candidates are
        ignored.
    policy
        The retake policy (None = no limits).
    forms
        The forms by id, in preference order for ties; only published forms are assigned, but
        every form in ``attempts`` must be here.
    on
        The day the candidates are to sit.

    Returns
    -------
    tuple of Assignment
        One per candidate, in the order of ``person_ids``.

    Raises
    ------
    InputError
        When ``forms`` has no published form, a candidate is listed twice, an attempt's form is
        not in ``forms``, or ``wait_days`` is set and an earlier attempt has no date.
    """
    policy = policy or RetakePolicy()
    table = _FormTable.of(forms)
    if not table.published.any():
        raise InputError("there is no published form to assign", field="forms")
    people = np.asarray(person_ids, dtype=str)
    n = len(people)
    if n == 0:
        return ()
    distinct, first_at, where = np.unique(people, return_index=True, return_inverse=True)
    where = where.reshape(-1)
    repeated = np.flatnonzero(first_at[where] != np.arange(n))
    if repeated.size:
        k = int(repeated[0])
        raise InputError(
            f"candidate '{person_ids[k]}' is listed twice (positions {first_at[where[k]] + 1} "
            f"and {k + 1})",
            field="person_id",
        )

    # the earlier attempts of these candidates, and whose they are (position in person_ids)
    holders = np.asarray([a.person_id for a in attempts], dtype=str)
    at = np.minimum(np.searchsorted(distinct, holders), n - 1)
    mine_at = np.flatnonzero(distinct[at] == holders)
    mine = [attempts[i] for i in mine_at.tolist()]
    who = first_at[at[mine_at]]
    form = table.rows(mine)
    taken = np.zeros((n, len(table.ids)), dtype=bool)
    taken[who, form] = True
    n_before = np.bincount(who, minlength=n)

    lengths = table.lengths
    shared = table.shared(taken)
    share = shared / np.maximum(lengths, 1)
    limit = np.inf if policy.max_overlap is None else policy.max_overlap + _TOLERANCE
    on_published = np.where(table.published, share, np.inf)
    least = np.argmin(on_published, axis=1)  # first minimum: ties go to the earlier form
    eligible = np.where(on_published <= limit, on_published, np.inf)
    best = np.argmin(eligible, axis=1)
    any_eligible = np.isfinite(eligible).any(axis=1)

    # last attempt's date and the first day of the next one (NaT without attempts or wait_days)
    last = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    if policy.wait_days is not None and mine:
        days = _days([a.date for a in mine])
        _need_dates(mine, days)
        latest = last.view(np.int64).copy()  # NaT is the smallest int64: any day is above it
        np.maximum.at(latest, who, days.view(np.int64))
        last = latest.view("datetime64[D]")
    earliest = last + np.timedelta64(policy.wait_days or 0, "D")

    maxed = np.zeros(n, dtype=bool)
    if policy.max_attempts is not None:
        maxed = n_before >= policy.max_attempts
    status = np.select(
        [n_before == 0, maxed, ~any_eligible, np.datetime64(on, "D") < earliest],
        ["first-attempt", "max-attempts", "no-form", "wait"],
        default="assigned",
    )
    first_form = int(np.flatnonzero(table.published)[0])
    chosen = np.select(
        [status == "first-attempt", status == "assigned"], [first_form, best], default=-1
    )
    # the form whose overlap is reported: the one given, or for no-form the least overlapping;
    # -1 (wait, max-attempts) has no overlap, and its reasons use none of the shown_* values
    shown = np.where(status == "no-form", least, chosen)
    rows = np.arange(n)
    overlap = np.where(shown >= 0, share[rows, shown], np.nan)
    shown_shared = shared[rows, shown]
    shown_length = lengths[shown]

    out = []
    for k, (pid, state, form_k, shown_k, day, next_day) in enumerate(
        zip(
            person_ids,
            status.tolist(),
            chosen.tolist(),
            shown.tolist(),
            last.tolist(),
            earliest.tolist(),
            strict=True,
        )
    ):
        reason = _REASONS[state].format(
            n_before=int(n_before[k]),
            policy=policy,
            last=day,  # dates print as YYYY-MM-DD; only the wait reason shows them
            earliest=next_day,
            form=table.ids[shown_k] if shown_k >= 0 else None,
            shared=int(shown_shared[k]),
            length=int(shown_length[k]),
            share=float(overlap[k]),
        )
        out.append(
            Assignment(
                pid,
                state,
                table.ids[form_k] if form_k >= 0 else None,
                float(overlap[k]) if shown_k >= 0 else None,
                int(n_before[k]) + 1,
                next_day,
                reason,
            )
        )
    return tuple(out)


_REASONS = {
    "first-attempt": "no earlier attempt: the first published form",
    "max-attempts": "{n_before} attempt(s) made; max_attempts is {policy.max_attempts}",
    "no-form": (
        "every published form overlaps too much: the least is {form} with {shared} of {length} "
        "items ({share:.2f}) presented on earlier attempts; max_overlap is "
        "{policy.max_overlap:g}"
    ),
    "wait": (
        "too early: the last attempt was on {last} and wait_days is {policy.wait_days}; "
        "earliest {earliest}"
    ),
    "assigned": (
        "least overlap: {shared} of {length} items ({share:.2f}) presented on earlier attempts"
    ),
}
"""The reason of each status (``str.format`` templates filled in by :func:`assign_retakes`)."""
