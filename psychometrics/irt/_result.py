"""What a calibration returns: :class:`CalibrationResult` and the calibration warnings.

Shared by both engines (:mod:`psychometrics.irt.calibration` and
:mod:`psychometrics.irt.girth_engine`); the public names are re-exported by
:mod:`psychometrics.irt.calibration` and :mod:`psychometrics.irt`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from psychometrics.irt.models import METRIC, ItemParameters


class ConvergenceWarning(UserWarning):
    """The calibration stopped before meeting its convergence criteria."""


class CalibrationWarning(UserWarning):
    """Items or persons were left out of a calibration, or standard errors are unavailable."""


@dataclass(frozen=True)
class CalibrationResult:
    """Outcome of :func:`~psychometrics.irt.calibration.calibrate`.

    Attributes
    ----------
    params
        Estimated (and anchor) item parameters with standard errors, logistic metric (D = 1).
    model
        The model name, or ``"mixed"`` when items use different models.
    engine
        ``"credkit"`` or ``"girth"``.
    loglik
        Marginal log-likelihood of the data at the estimates (quadrature approximation).
    log_posterior
        ``loglik`` plus the log prior densities (equal to ``loglik`` without priors).
    aic, bic
        ``-2 loglik + 2 k`` and ``-2 loglik + k log(n_persons)``.
    n_parameters
        ``k``: free item parameters plus free latent mean and standard deviation.
    iterations
        EM steps taken (each SQUAREM cycle counts its three EM steps).
    converged, message
        Whether the convergence criteria were met, and a sentence saying how or why not.
    latent_mean, latent_sd, latent_mean_se, latent_sd_se
        The ability distribution N(mean, sd^2); SEs are NaN when the value was fixed.
    se_method
        ``"louis"`` (observed information, Louis 1982), ``"xpd"`` (cross-product), ``"none"``,
        or the engine's own description.
    n_persons, n_items
        Persons and items that entered the likelihood.
    dropped_items, dropped_persons
        Left out, with the reason, as ``(id, reason)`` pairs.
    anchors
        Ids of the items whose parameters were fixed.
    quadrature
        ``(n_points, lower, upper)`` of the fixed quadrature grid.
    priors
        Description of the priors used, e.g. ``{"c": "beta(5, 17)"}``.
    seconds
        Wall-clock time of the estimation (EM and standard errors).
    metric
        The scale of the numbers.
    flagged_items
        Estimated items whose values are extreme (``|a| >``
        :data:`~psychometrics.irt.calibration.EXTREME_SLOPE`, or a threshold outside the
        quadrature range), as ``(id, reason)`` pairs; also warned.
    boundary_items
        Items with a parameter held on the boundary of its range, as ``(id, reason)`` pairs:
        without a prior on c, a 3PL lower asymptote whose estimate falls below
        :data:`~psychometrics.irt._engine.C_BOUNDARY` is held at 0 (not counted in
        ``n_parameters``; its SE is NaN, the item's other SEs are computed with it fixed).
    """

    params: ItemParameters
    model: str
    engine: str
    loglik: float
    log_posterior: float
    aic: float
    bic: float
    n_parameters: int
    iterations: int
    converged: bool
    message: str
    latent_mean: float
    latent_sd: float
    latent_mean_se: float
    latent_sd_se: float
    se_method: str
    n_persons: int
    n_items: int
    dropped_items: tuple[tuple[str, str], ...] = ()
    dropped_persons: tuple[tuple[str, str], ...] = ()
    anchors: tuple[str, ...] = ()
    quadrature: tuple[int, float, float] = (61, -6.0, 6.0)
    priors: Mapping[str, str] = field(default_factory=dict)
    seconds: float = math.nan
    metric: str = METRIC
    flagged_items: tuple[tuple[str, str], ...] = ()
    boundary_items: tuple[tuple[str, str], ...] = ()

    def summary(self) -> dict[str, Any]:
        """The headline numbers (no per-item table) as plain JSON-ready values."""
        return {
            "model": self.model,
            "engine": self.engine,
            "loglik": self.loglik,
            "log_posterior": self.log_posterior,
            "aic": self.aic,
            "bic": self.bic,
            "n_parameters": self.n_parameters,
            "iterations": self.iterations,
            "converged": self.converged,
            "message": self.message,
            "n_persons": self.n_persons,
            "n_items": self.n_items,
            "latent_mean": self.latent_mean,
            "latent_sd": self.latent_sd,
            "latent_mean_se": _none_if_nan(self.latent_mean_se),
            "latent_sd_se": _none_if_nan(self.latent_sd_se),
            "se_method": self.se_method,
            "metric": self.metric,
            "quadrature": {
                "points": self.quadrature[0],
                "lower": self.quadrature[1],
                "upper": self.quadrature[2],
            },
            "priors": dict(self.priors),
            "anchors": list(self.anchors),
            "dropped_items": [{"id": i, "reason": r} for i, r in self.dropped_items],
            "dropped_persons": [{"id": i, "reason": r} for i, r in self.dropped_persons],
            "seconds": self.seconds,
            "flagged_items": [{"id": i, "reason": r} for i, r in self.flagged_items],
            "boundary_items": [{"id": i, "reason": r} for i, r in self.boundary_items],
        }

    def to_dict(self) -> dict[str, Any]:
        """:meth:`summary` plus one record per item (``a, b or b1.., c`` and their SEs)."""
        out = self.summary()
        p = self.params
        items = []
        for j, item in enumerate(p.item_ids):
            k = int(p.n_categories[j]) - 1
            items.append(
                {
                    "item_id": item,
                    "model": p.model[j],
                    "a": _none_if_nan(p.a[j]),
                    "b": [_none_if_nan(x) for x in p.b[j, :k]],
                    "c": _none_if_nan(p.c[j]),
                    "se_a": _none_if_nan(p.se_a[j]),
                    "se_b": [_none_if_nan(x) for x in p.se_b[j, :k]],
                    "se_c": _none_if_nan(p.se_c[j]),
                    "anchor": item in self.anchors,
                }
            )
        out["items"] = items
        return out


def _none_if_nan(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x
