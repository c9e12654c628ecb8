"""Stage 3 of the build: IRT parameters (the bank's, or an anchored calibration), EAP thetas,
model fit and dimensionality on each published form taken."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from psychometrics.bank import bank_parameters
from psychometrics.errors import CredkitError
from psychometrics.irt.dimensionality import dimensionality
from psychometrics.irt.fit import item_fit_plot_data, m2, q3, sx2
from psychometrics.irt.models import ItemParameters
from psychometrics.program.build.inputs import ProgramInputs

BANK_SOURCE = "the bank's IRT parameters (logistic metric, D = 1)"


@dataclass(frozen=True)
class FormFit:
    """Model fit on one administered form (the parts of it the report shows).

    Attributes
    ----------
    sx2, m2, q3
        :class:`psychometrics.irt.fit.SX2Result`, :class:`~psychometrics.irt.fit.M2Result`
        (None for forms with polytomous items: M2 is for dichotomous models) and
        :class:`~psychometrics.irt.fit.Q3Result`.
    notes
        What was not computed and why.
    """

    sx2: Any
    m2: Any
    q3: Any
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class IRTResults:
    """Stage 3's output.

    Attributes
    ----------
    params, source
        Parameters of every calibrated bank item (or of the calibration), and where they came
        from.
    calibration
        The :class:`~psychometrics.irt.calibration.CalibrationResult` when the spec asked for one.
    theta
        EAP estimates of every candidate on the items presented (None without responses).
    fit, fit_plots, dimensionality
        Per administered form (dimensionality: the first form that could be analysed).
    notes, unavailable
        Section key -> a sentence.
    """

    params: ItemParameters
    source: str
    calibration: Any
    theta: Any
    fit: Mapping[str, FormFit]
    fit_plots: Mapping[str, Any]
    dimensionality: Mapping[str, Any]
    notes: Mapping[str, str]
    unavailable: Mapping[str, str]


def _concat(first: ItemParameters, second: ItemParameters) -> ItemParameters:
    """One ItemParameters with the rows of ``first`` then ``second`` (thresholds NaN-padded)."""
    width = max(first.b.shape[1], second.b.shape[1])

    def pad(b):
        out = np.full((b.shape[0], width), np.nan)
        out[:, : b.shape[1]] = b
        return out

    return ItemParameters(
        item_ids=tuple(first.item_ids) + tuple(second.item_ids),
        model=tuple(first.model) + tuple(second.model),
        a=np.concatenate([first.a, second.a]),
        b=np.concatenate([pad(first.b), pad(second.b)]),
        c=np.concatenate([first.c, second.c]),
        se_a=np.concatenate([first.se_a, second.se_a]),
        se_b=np.concatenate([pad(first.se_b), pad(second.se_b)]),
        se_c=np.concatenate([first.se_c, second.se_c]),
        metric=first.metric,
    )


def _calibrate_anchored(inputs: ProgramInputs) -> tuple[ItemParameters, Any, str]:
    """Calibrate the administered items with the bank's operational items held fixed.

    The operational items keep their bank values (anchors); every other administered item and
    the latent mean and SD are estimated, so the new estimates land on the bank scale. Items that
    were not administered keep their bank parameters.
    """
    from psychometrics.irt import calibrate

    bank, responses = inputs.bank, inputs.administration.responses
    administered = set(responses.item_ids)
    anchor_ids = [
        i.id
        for i in bank
        if i.irt is not None and i.status == "operational" and i.id in administered
    ]
    models = {}
    for item_id in responses.item_ids:
        item = bank.get(item_id)
        if item is not None and item.irt is not None:
            models[item_id] = item.irt.model
        else:
            models[item_id] = "grm" if item is not None and item.type == "rubric" else "3pl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = calibrate(
            responses, model=models, anchors=bank_parameters(bank, item_ids=anchor_ids)
        )
    estimated = len(result.params.item_ids) - len(anchor_ids)
    note = (
        f"{len(anchor_ids)} anchors, {estimated} item(s) estimated; candidates' latent mean "
        f"{result.latent_mean:.3f}, SD {result.latent_sd:.3f} on the bank scale; log-likelihood "
        f"{result.loglik:.1f} after {result.iterations} EM cycles"
        + ("." if result.converged else f", NOT converged: {result.message}.")
    )
    others = [i.id for i in bank if i.irt is not None and i.id not in administered]
    return _concat(result.params, bank_parameters(bank, item_ids=others)), result, note


def _fit_forms(inputs: ProgramInputs, params: ItemParameters, notes: dict, unavailable: dict):
    admin = inputs.administration
    fit, plots, dims = {}, {}, {}
    for fid in admin.forms:
        sub = admin.form_responses(fid)
        p = params.subset(sub.item_ids)
        if sub.n_items < 3:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                form_notes = []
                try:
                    global_fit = m2(sub, p)
                except ValueError as exc:
                    global_fit = None
                    form_notes.append(f"M2 not computed on form {fid}: {exc}.")
                fit[fid] = FormFit(sx2(sub, p), global_fit, q3(sub, p), tuple(form_notes))
                plots[fid] = item_fit_plot_data(sub, p)
        except (ValueError, CredkitError) as exc:
            notes["fit"] = f"fit not computed for {fid}: {exc}"
        # the eigenvalues of one form are the dimensionality evidence shown (the first form)
        if not dims:
            try:
                dims[fid] = dimensionality(sub)
            except (ValueError, TypeError, CredkitError) as exc:
                notes.setdefault("dimensionality", f"{fid}: {exc}")
    if not fit:
        unavailable["fit"] = notes.get("fit", "no administered form could be fitted")
    if not dims:
        unavailable["dimensionality"] = notes.get(
            "dimensionality", "no administered form could be analysed"
        )
    return fit, plots, dims


def estimate(inputs: ProgramInputs, *, log: Callable[[str], None]) -> IRTResults:
    """Stage 3: parameters, EAP thetas, fit and dimensionality per administered form.

    Parameters
    ----------
    inputs
        Stage 1's checked inputs.
    log
        Where a failed calibration's note goes.

    Returns
    -------
    IRTResults
        A failed calibration falls back to the bank's parameters, with a note saying why.
    """
    from psychometrics.irt.scoring import score_persons

    bank = inputs.bank
    params = bank_parameters(bank, item_ids=[i.id for i in bank if i.irt is not None])
    source, calibration = BANK_SOURCE, None
    notes: dict[str, str] = {}
    unavailable: dict[str, str] = {}
    admin = inputs.administration
    if admin is not None and admin.spec.parameters == "calibrate":
        try:
            params, calibration, notes["parameters"] = _calibrate_anchored(inputs)
            source = (
                "calibrated on these responses with the bank's operational items as fixed "
                "anchors (logistic metric, D = 1)"
            )
        except (ValueError, CredkitError) as exc:
            notes["parameters"] = f"calibration failed ({exc}); the bank's parameters used"
            log(f"      {notes['parameters']}")
    theta = fit = plots = dims = None
    if admin is not None:
        scored = admin.scored_responses()
        theta = score_persons(scored, params.subset(scored.item_ids))
        fit, plots, dims = _fit_forms(inputs, params, notes, unavailable)
    return IRTResults(
        params=params,
        source=source,
        calibration=calibration,
        theta=theta,
        fit=fit or {},
        fit_plots=plots or {},
        dimensionality=dims or {},
        notes=notes,
        unavailable=unavailable,
    )
