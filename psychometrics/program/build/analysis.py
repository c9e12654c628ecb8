"""Stage 2 of the build: classical item analysis and DIF (Mantel-Haenszel, logistic regression
and IRT likelihood-ratio) on each published form taken, and statistics of common items pooled
over every candidate who saw them."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from psychometrics.bank import bank_keys
from psychometrics.ctt import ItemAnalysis, item_analysis
from psychometrics.dif import DIFResult, dif_analysis
from psychometrics.irt.irt_dif import IRTDIFResult, irt_dif, screen_items
from psychometrics.program.build.inputs import ProgramInputs
from psychometrics.program.build.unavailable import NotAvailable


@dataclass(frozen=True)
class FormBreakdown:
    """An item's classical statistics among the candidates of one form."""

    form_id: str
    n: int
    p: float
    rpbis: float


@dataclass(frozen=True)
class PooledItem:
    """Classical statistics of an item pooled over every form it is on.

    ``p`` is the mean item score over maximum of all candidates who saw the item (exact pooling);
    ``rpbis`` pools the forms' corrected point-biserials by Fisher's z with weights n - 3 (each
    correlates the item with the rest of its own form, so the raw scores cannot be pooled).
    ``by_form`` keeps the per-form values.
    """

    item_id: str
    n: int
    p: float
    rpbis: float
    by_form: tuple[FormBreakdown, ...]


@dataclass(frozen=True)
class ItemAnalyses:
    """Stage 2's output.

    Attributes
    ----------
    by_form
        Per published form taken: :class:`~psychometrics.ctt.ItemAnalysis` of its candidates.
    pooled
        Per item: :class:`PooledItem` over the forms it is on.
    dif
        Per form: :class:`~psychometrics.dif.DIFResult`.
    notes, unavailable
        Section key -> a sentence (partial results; missing results).
    irt_dif
        Per form: :class:`~psychometrics.irt.irt_dif.IRTDIFResult` (2PL, GRM for polytomous
        items; likelihood ratio, all other items as anchors), for the items at least
        ``IRT_DIF_MIN`` candidates of each group saw.
    """

    by_form: Mapping[str, ItemAnalysis]
    pooled: Mapping[str, PooledItem]
    dif: Mapping[str, DIFResult]
    notes: Mapping[str, str]
    unavailable: Mapping[str, str]
    irt_dif: Mapping[str, IRTDIFResult] = field(default_factory=dict)


IRT_DIF_MIN = 100  # persons per group before an item is tested (as Mantel-Haenszel's minimum)


def form_irt_dif(responses, groups, *, focal: str, reference: str) -> IRTDIFResult | None:
    """IRT DIF of one form's items between two groups, or None with fewer than 3 usable items
    (items with no variance in a group anchor nothing and are left out)."""
    labels = np.asarray(groups).astype(str)
    keep = (labels == focal) | (labels == reference)
    scores = np.asarray(responses.scores)[keep]
    usable, testable = screen_items(scores, labels[keep], min_persons=IRT_DIF_MIN)
    ids = [i for i, u in zip(responses.item_ids, usable, strict=True) if u]
    studied = [i for i, t in zip(responses.item_ids, testable, strict=True) if t]
    if len(ids) < 3 or not studied:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return irt_dif(
            scores[:, usable],
            labels[keep],
            item_ids=ids,
            poly_model="grm",
            reference=reference,
            items=studied,
            wald=False,
        )


def pool_items(by_form: Mapping[str, ItemAnalysis]) -> dict[str, PooledItem]:
    """Pool each item's statistics over the forms whose analyses hold it (see PooledItem)."""
    rows: dict[str, list[tuple[str, object]]] = {}
    for fid, res in by_form.items():
        for it in res.items:
            rows.setdefault(it.item_id, []).append((fid, it))
    out = {}
    for item_id, entries in rows.items():
        n = np.array([it.n for _, it in entries], dtype=float)
        p = np.array([it.p for _, it in entries], dtype=float)
        r = np.array([it.rpbis for _, it in entries], dtype=float)
        total = float(n.sum())
        p_pooled = float(np.sum(n * p) / total) if total > 0 else float("nan")
        ok = np.isfinite(r) & (n > 3)
        if ok.any():
            z = np.arctanh(np.clip(r[ok], -0.999999, 0.999999))
            w = n[ok] - 3
            r_pooled = float(np.tanh(np.sum(w * z) / np.sum(w)))
        else:
            r_pooled = float("nan")
        out[item_id] = PooledItem(
            item_id=item_id,
            n=int(total),
            p=p_pooled,
            rpbis=r_pooled,
            by_form=tuple(
                FormBreakdown(fid, int(it.n), float(it.p), float(it.rpbis)) for fid, it in entries
            ),
        )
    return out


def analyse_items(inputs: ProgramInputs) -> ItemAnalyses:
    """Stage 2: CTT and DIF per published form taken; pooled statistics of common items.

    Parameters
    ----------
    inputs
        Stage 1's checked inputs.

    Returns
    -------
    ItemAnalyses

    Raises
    ------
    NotAvailable
        When the build has no administration to analyse.
    """
    admin = inputs.administration
    if admin is None:
        raise NotAvailable(inputs.notes.get("administration") or "the spec names no administration")
    spec = admin.spec
    keys = bank_keys(inputs.bank)
    outcomes = {i.id: i.outcome for i in inputs.bank if i.outcome}
    omit = spec.omit_code or "*"
    by_form = {
        fid: item_analysis(admin.form_responses(fid), key=keys, outcomes=outcomes, omit_code=omit)
        for fid in admin.forms
    }
    notes: dict[str, str] = {}
    unavailable: dict[str, str] = {}
    dif: dict[str, DIFResult] = {}
    irt: dict[str, IRTDIFResult] = {}
    if not (spec.group and spec.focal and spec.reference):
        unavailable["fairness"] = "the spec names no group column with focal and reference"
    else:
        errors = []
        for fid in admin.forms:
            sub = admin.form_responses(fid)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    dif[fid] = dif_analysis(
                        sub, sub.groups[spec.group], focal=spec.focal, reference=spec.reference
                    )
            except ValueError as exc:
                errors.append(f"form {fid}: {exc}")
                continue
            try:
                res = form_irt_dif(
                    sub, sub.groups[spec.group], focal=spec.focal, reference=spec.reference
                )
            except ValueError as exc:
                errors.append(f"IRT DIF on form {fid}: {exc}")
            else:
                if res is not None:
                    irt[fid] = res
        if errors and not dif:
            unavailable["fairness"] = "; ".join(errors)
        elif errors:
            notes["fairness"] = "; ".join(errors)
    return ItemAnalyses(
        by_form=by_form,
        pooled=pool_items(by_form),
        dif=dif,
        notes=notes,
        unavailable=unavailable,
        irt_dif=irt,
    )
