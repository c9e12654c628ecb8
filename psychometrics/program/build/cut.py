"""Stage 4 of the build: the cut score by the spec's method on the published forms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from psychometrics.errors import CredkitError, InputError
from psychometrics.irt.models import ItemParameters
from psychometrics.program.build.inputs import ProgramInputs
from psychometrics.program.build.unavailable import NotAvailable
from psychometrics.standard_setting import AngoffResult, angoff, set_cut_score


@dataclass(frozen=True)
class CutStage:
    """Stage 4's output.

    Attributes
    ----------
    cut
        :class:`~psychometrics.standard_setting.CutScoreResult`: the theta cut, each form's raw
        cut (the theta cut through the form's TCC) and the reporting-scale cut.
    round_details
        Angoff: every round's result on the rated form (rater cuts for the report).
    """

    cut: Any
    round_details: Mapping[int, Any]


def form_parameters(inputs: ProgramInputs, params: ItemParameters) -> dict[str, ItemParameters]:
    """Form id -> the parameters of its items in delivery order."""
    return {fid: params.subset(items) for fid, items in inputs.form_items.items()}


def rated_form_scores(inputs: ProgramInputs, form_id: str) -> np.ndarray | None:
    """Summed scores of the candidates who took ``form_id`` (None without responses)."""
    admin = inputs.administration
    if admin is None or form_id not in admin.forms:
        return None
    return admin.form_responses(form_id).sum_scores().astype(float)


def set_cut(inputs: ProgramInputs, params: ItemParameters) -> CutStage:
    """Stage 4: run the spec's standard-setting method and carry the cut to every form.

    Parameters
    ----------
    inputs
        Stage 1's checked inputs (the forms, the ratings and the rated form).
    params
        Stage 3's item parameters.

    Returns
    -------
    CutStage

    Raises
    ------
    NotAvailable
        When the spec has no cut score or a compromise method has no scores to use.
    InputError
        When the method's inputs are inconsistent (naming the spec's cut_score block).
    """
    cs = inputs.spec.cut_score
    if cs is None:
        raise NotAvailable("the spec has no cut_score block")
    forms = form_parameters(inputs, params)
    scale = None
    if cs.scale is not None:
        scale = {
            "slope": cs.scale.slope,
            "intercept": cs.scale.intercept,
            "round": cs.scale.round,
            "min": cs.scale.min,
            "max": cs.scale.max,
        }
    if cs.method is None:
        cut = set_cut_score(None, forms=forms, theta=cs.theta, scale=scale)
        return CutStage(cut, {})
    if inputs.proposal and "standard_setting" in inputs.notes:
        raise NotAvailable(inputs.notes["standard_setting"])
    ref = inputs.rated_form
    kwargs: dict[str, Any] = {"round": cs.round, "scale": scale, "reference_form": ref}
    if inputs.ratings is not None:
        kwargs["ratings"] = inputs.ratings
    elif cs.ratings is not None:
        kwargs["ratings"] = cs.ratings
    if cs.method == "bookmark" and cs.rp is not None:
        kwargs["rp"] = cs.rp
    if cs.method in ("hofstee", "beuk"):
        bounds = {
            k: getattr(cs, k)
            for k in ("min_cut", "max_cut", "min_fail", "max_fail")
            if getattr(cs, k) is not None
        }
        if cs.method == "hofstee" and cs.ratings is None:
            kwargs["hofstee_bounds"] = bounds
        if cs.method == "beuk" and cs.ratings is None:
            kwargs["beuk_judgments"] = {**bounds, "expected_pass_rate": cs.expected_pass_rate}
        kwargs["units"] = "percent"
        scores = rated_form_scores(inputs, ref)
        if scores is None:
            raise NotAvailable(f"{cs.method} needs the observed scores on form {ref}")
        kwargs["scores"] = scores
    try:
        cut = set_cut_score(cs.method, forms=forms, **kwargs)
    except ValueError as exc:
        raise InputError(str(exc), file=inputs.spec_path, field="cut_score") from None
    rounds: dict[int, Any] = {}
    if isinstance(cut.detail, AngoffResult) and inputs.ratings is not None:
        rated = forms[cut.reference_form]
        for r in sorted(cut.detail.round_cuts):
            try:
                rounds[r] = angoff(inputs.ratings, rated, round=r, yes_no=None)
            except (ValueError, CredkitError):
                continue
    return CutStage(cut, rounds)
