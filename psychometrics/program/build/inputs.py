"""Stage 1 of the build: the spec, the bank, the published forms, the administration and the
standard-setting ratings, checked against each other before anything is estimated.

Everything here is cheap (no estimation, no solver unless the spec asks for a proposal build), so
a responses file, a ratings file or a form that disagrees with the others stops the build within
seconds with one line naming the file, line and item.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psychometrics.bank import Bank, LintReport, lint_bank, load_bank
from psychometrics.errors import CredkitError, InputError
from psychometrics.program.administrations import Administration, read_administration
from psychometrics.program.forms import (
    FingerprintFinding,
    PublishedForm,
    fingerprint_findings,
    load_forms,
)
from psychometrics.program.spec import Spec, parse_spec, sort_problems
from psychometrics.standard_setting import Ratings, read_ratings

RATED_METHODS = {"angoff": "angoff", "yes-no-angoff": "yes-no", "bookmark": "bookmark"}
"""Cut-score methods whose ratings name items of the rated form (method -> ratings kind)."""


@dataclass(frozen=True)
class ProgramInputs:
    """What stage 1 read and checked; the input of every later stage.

    Attributes
    ----------
    spec_path, spec, bank, lint
        The spec file, the loaded spec and bank, and the bank's lint report.
    forms
        The forms the report covers, by id: the published forms, or in a proposal build the
        proposed ones (see ``proposal``).
    proposal
        True when the forms are proposals (from the forms folder, or assembled for this report)
        that were never administered.
    assembly
        The assembly result of a proposal build (None otherwise).
    fingerprints
        Items of the published forms whose content or parameters changed since publication.
    administration
        The administration reported on (responses checked against the forms), or None.
    ratings, rated_form
        The panel's ratings (Angoff family and bookmark) and the published form they rate.
    files
        ``(role, path)`` of every input, for the manifest.
    notes
        Section key -> a sentence for the report.
    """

    spec_path: Path
    spec: Spec
    bank: Bank
    lint: LintReport
    forms: Mapping[str, PublishedForm]
    proposal: bool
    assembly: Any
    fingerprints: tuple[FingerprintFinding, ...]
    administration: Administration | None
    ratings: Ratings | None
    rated_form: str | None
    files: tuple[tuple[str, Path], ...]
    notes: Mapping[str, str]

    @property
    def form_items(self) -> dict[str, tuple[str, ...]]:
        """Form id -> item ids in delivery order."""
        return {fid: f.item_ids for fid, f in self.forms.items()}


def _first_error(problems, log: Callable[[str], None]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    for p in errors:
        log(f"      {p}")
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(first.message + more, file=first.file, line=first.line)


def _check_bank(spec: Spec, log: Callable[[str], None]) -> tuple[Bank, LintReport]:
    bank_dir = spec.bank
    if not Path(bank_dir).is_dir():
        raise InputError(f"bank folder '{bank_dir}' not found", file=spec.path, field="bank")
    lint = lint_bank(bank_dir, outcomes=spec.outcome_ids)
    if lint.errors:
        for f in lint.errors[:50]:
            log(f"      {f.format()}")
        if len(lint.errors) > 50:
            log(f"      ... and {len(lint.errors) - 50} more")
        raise CredkitError(
            f"the bank has {len(lint.errors)} lint error(s) (run 'credkit bank lint')",
            file=bank_dir,
        )
    bank = load_bank(bank_dir)
    if len(bank) == 0:
        raise InputError("the bank has no items", file=bank_dir)
    return bank, lint


def _check_form_items(forms: Mapping[str, PublishedForm], spec: Spec, bank: Bank) -> None:
    for form in forms.values():
        for it in form.items:
            if it.item_id not in bank:
                raise InputError(
                    f"{form.form_id}: item {it.item_id} (position {it.position}) is not in the "
                    f"bank {spec.bank}",
                    file=form.path,
                    line=form.lines.get(it.position),
                    field="items",
                )
            if it.scored and bank[it.item_id].irt is None:
                raise InputError(
                    f"{form.form_id}: item {it.item_id} (position {it.position}) has no IRT "
                    "parameters in the bank",
                    file=form.path,
                    line=form.lines.get(it.position),
                    field="items",
                )


def _proposed_forms(spec: Spec, bank: Bank, log: Callable[[str], None]):
    from psychometrics.program.proposal import assemble_spec, bank_problems, proposed_forms

    _first_error(bank_problems(spec, bank=bank), log)
    cut = spec.cut_score.theta if spec.cut_score is not None else None
    assembly = assemble_spec(spec, bank=bank, time_limit=30.0, cut_theta=cut)
    forms = proposed_forms(assembly, spec=spec, bank=bank)
    log(
        f"      PROPOSAL build: {len(forms)} form(s) assembled now (solver {assembly.status}, "
        f"gap {assembly.gap:.2%}); they were never administered"
    )
    return {f.form_id: f for f in forms}, assembly


def _check_ratings(ratings: Ratings, form: PublishedForm, *, kind: str, round_: int | None):
    """Every rated item is on the rated form; Angoff raters rated every item of it."""
    on_form = set(form.item_ids)
    named = [k for k, i in enumerate(ratings.item_id) if i and i not in on_form]
    if named:
        k = named[0]
        others = sorted({ratings.item_id[j] for j in named})
        raise InputError(
            f"item '{ratings.item_id[k]}' is not on {form.form_id}, the rated form "
            f"({len(named)} rating row(s) name {len(others)} item(s) of no rated form: "
            f"{', '.join(others[:5])}{', ...' if len(others) > 5 else ''})",
            file=ratings.source,
            line=int(ratings.line[k]) or None,
            field="item_id",
        )
    if kind == "bookmark":
        return
    final = ratings.select_round(round_)
    raters = tuple(dict.fromkeys(final.rater))
    rated = {(r, i) for r, i in zip(final.rater, final.item_id, strict=True)}
    missing = [(r, i) for r in raters for i in form.item_ids if (r, i) not in rated]
    if missing:
        r, i = missing[0]
        shown = "the last round" if round_ is None else f"round {round_}"
        first_row = final.rater.index(r)  # point at the rater's ratings of that round
        raise InputError(
            f"rater '{r}' has no rating for item '{i}' of {form.form_id} in {shown} "
            f"({len(missing)} missing rating(s) in all)",
            file=ratings.source,
            line=int(final.line[first_row]) or None,
            field="item_id",
        )


def _ratings(spec: Spec, forms: Mapping[str, PublishedForm]):
    cs = spec.cut_score
    if cs is None or not forms:
        return None, None
    rated_form = cs.form
    if rated_form is not None and rated_form not in forms:
        raise InputError(
            f"'{rated_form}' is not a published form ({', '.join(forms) or 'none'})",
            file=spec.path,
            line=spec.line("cut_score", "form"),
            field="cut_score.form",
        )
    rated_form = rated_form or next(iter(forms))
    if cs.method not in RATED_METHODS or cs.ratings is None:
        return None, rated_form
    kind = RATED_METHODS[cs.method]
    ratings = read_ratings(cs.ratings, kind=kind)
    _check_ratings(ratings, forms[rated_form], kind=kind, round_=cs.round)
    return ratings, rated_form


def check_inputs(
    spec_path: Path,
    *,
    administration: str | None = None,
    log: Callable[[str], None],
) -> ProgramInputs:
    """Stage 1: read the spec, bank, forms, administration and ratings and check them.

    Parameters
    ----------
    spec_path
        The credential spec.
    administration
        The administration to report on (default: the spec's last one).
    log
        Where progress lines and the lint/fingerprint lines go.

    Returns
    -------
    ProgramInputs

    Raises
    ------
    InputError
        On the first disagreement, naming the file, line and item.
    """
    spec, problems = parse_spec(spec_path)
    _first_error(sort_problems(problems), log)
    if spec is None:  # pragma: no cover - parse_spec returns a spec whenever there is no error
        raise InputError("the spec could not be read", file=spec_path)
    files: list[tuple[str, Path]] = [("spec", spec_path)]
    notes: dict[str, str] = {}
    bank, lint = _check_bank(spec, log)
    files += [("item", i.path) for i in bank if i.path is not None]
    sets_dir = Path(bank.root) / "sets"
    if sets_dir.is_dir():  # shared passages: part of the items' content
        files += [("item set", p) for p in sorted(sets_dir.glob("*.yaml")) if p.is_file()]

    on_disk = load_forms(spec.forms.folder, credential_id=spec.credential.id)
    forms = {fid: f for fid, f in on_disk.items() if f.is_published}
    assembly, proposal = None, False
    if not forms:
        if not spec.forms.proposal:
            raise InputError(
                f"no published forms in {spec.forms.folder}: propose them with 'credkit "
                f"assemble {spec_path}', review, then 'credkit forms publish {spec_path}' (or set "
                "forms.proposal: true for a report on proposed forms)",
                file=spec.path,
                line=spec.lines.get(("forms",)),
                field="forms",
            )
        proposal = True
        forms = dict(on_disk)  # the proposals under review, else new ones assembled now
        if forms:
            log(f"      PROPOSAL build: the proposed forms {', '.join(forms)}; never administered")
        else:
            forms, assembly = _proposed_forms(spec, bank, log)
    _check_form_items(forms, spec, bank)
    if not proposal:
        files += [("published form", f.path) for f in forms.values() if f.path is not None]
        log(
            "      published forms: "
            + ", ".join(
                f"{f.form_id} ({len(f.item_ids)} items"
                + (f" + {len(f.pretest_ids)} pretest" if f.pretest_ids else "")
                + f", {f.published.isoformat()})"
                for f in forms.values()
            )
        )
    findings = tuple(fingerprint_findings(forms.values(), bank)) if not proposal else ()
    for finding in findings:
        log(f"      FINDING: {finding}")

    admin = None
    admin_spec = spec.get_administration(administration)
    if admin_spec is not None and proposal:
        notes["administration"] = (
            f"administration {admin_spec.id} not analysed: the forms of this proposal build were "
            "never administered"
        )
    elif admin_spec is not None:
        field = spec.administration_field(admin_spec)
        admin = read_administration(admin_spec, forms=forms, bank=bank, field=field)
        files.append(("responses", Path(admin_spec.responses)))
        counts = ", ".join(f"{fid}: {n}" for fid, n in admin.counts().items())
        log(
            f"      administration {admin.id}: {admin.responses.n_persons} candidates "
            f"({counts}), every response on its published form"
        )
    if proposal and spec.cut_score is not None and spec.cut_score.method in RATED_METHODS:
        # the panel rated a published form; proposed forms of the same id are other tests
        ratings, rated_form = None, None
        notes["standard_setting"] = (
            f"the panel's {spec.cut_score.method} ratings refer to a published form, and this "
            "proposal build has none: set cut_score.theta for a report on proposed forms"
        )
    else:
        ratings, rated_form = _ratings(spec, forms)
    if spec.cut_score is not None and spec.cut_score.ratings is not None:
        files.append(("ratings", Path(spec.cut_score.ratings)))
    if ratings is not None:
        n_raters = len(set(ratings.rater))
        log(f"      ratings: {n_raters} raters on {rated_form}, every rated item on the form")
    return ProgramInputs(
        spec_path=spec_path,
        spec=spec,
        bank=bank,
        lint=lint,
        forms=forms,
        proposal=proposal,
        assembly=assembly,
        fingerprints=findings,
        administration=admin,
        ratings=ratings,
        rated_form=rated_form,
        files=tuple(files),
        notes=notes,
    )
