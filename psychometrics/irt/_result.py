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

import numpy as np

from psychometrics.irt.models import METRIC, ItemParameters, nominal_record

COVARIANCE_METRICS = ("irt", "slope-intercept")
LATENT = "latent"
"""The item id under which the latent mean and SD are named in a :class:`ParameterCovariance`."""


class ConvergenceWarning(UserWarning):
    """The calibration stopped before meeting its convergence criteria."""


class CalibrationWarning(UserWarning):
    """Items or persons were left out of a calibration, or standard errors are unavailable."""


@dataclass(frozen=True, eq=False)
class ParameterCovariance:
    """The estimated covariance matrix of a calibration's free parameters, with their names.

    Attributes
    ----------
    names
        ``(item_id, parameter)`` per row and column. Order: items in the order of
        :attr:`CalibrationResult.params` (anchor items, and parameters that are fixed, e.g. a
        Rasch slope or a 3PL c held at its boundary, are left out), within an item ``a``, the
        location(s), then ``c``; last ``("latent", "mean")`` and ``("latent", "sd")`` where
        they were estimated. Parameters in the ``"irt"`` metric are ``a``, ``b`` (``b1``,
        ``b2``, ... for polytomous items) and ``c``; in the ``"slope-intercept"`` metric (the
        one the engine estimates in, as mirt's ``vcov``) ``a``, ``d`` (``d1``, ...) and
        ``logit_c``, with ``d = -a b`` and ``logit_c = log(c / (1 - c))``. Nominal items add
        ``ak1``, ``ak2``, ... (their scoring-function parameters as estimated, the same in both
        metrics). The 1PL slope shared by all 1PL items appears once per item (those rows are
        identical).
    estimates
        The parameter values in the same order and metric.
    matrix
        The covariance matrix, ``len(names)`` square and symmetric.
    method
        How it was computed: ``"louis"`` (inverse observed information), ``"xpd"`` (inverse
        cross-product information) or ``"sandwich"`` (Huber-White, see
        :mod:`psychometrics.irt.inference`).
    metric
        ``"irt"`` or ``"slope-intercept"``; :meth:`in_metric` converts between them (delta
        method).
    """

    names: tuple[tuple[str, str], ...]
    estimates: np.ndarray
    matrix: np.ndarray
    method: str
    metric: str = "irt"

    def __post_init__(self) -> None:
        for name in ("estimates", "matrix"):
            arr = np.array(getattr(self, name), dtype=float)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def se(self) -> np.ndarray:
        """Standard errors: the square roots of the diagonal."""
        return np.sqrt(np.clip(np.diag(self.matrix), 0.0, None))

    def index(self, name: tuple[str, str] | str) -> int:
        """Position of a parameter given as ``(item_id, parameter)`` or ``"item_id:parameter"``
        (``"mean"``, ``"sd"`` for the latent distribution's).

        Raises
        ------
        KeyError
            When no parameter has that name.
        """
        if isinstance(name, tuple):
            key = name
        elif ":" in str(name):
            key = tuple(str(name).rsplit(":", 1))
        else:  # "mean" / "sd": the latent distribution's
            key = (LATENT, str(name))
        try:
            return self.names.index(key)  # type: ignore[arg-type]
        except ValueError:
            raise KeyError(name) from None

    def correlation(self) -> np.ndarray:
        """The correlation matrix of the estimates."""
        sd = self.se
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.matrix / np.outer(sd, sd)

    def in_metric(self, metric: str) -> ParameterCovariance:
        """The same covariance in ``"irt"`` (a, b, c) or ``"slope-intercept"`` (a, d, logit_c)
        parameters, by the delta method (exact back and forth: the Jacobians are inverses)."""
        if metric not in COVARIANCE_METRICS:
            raise ValueError(
                f"metric must be one of {', '.join(COVARIANCE_METRICS)}, got {metric!r}"
            )
        if metric == self.metric:
            return self
        to_si = metric == "slope-intercept"
        est = self.estimates
        new = est.copy()
        jac = np.eye(est.size)
        slope = {
            item: k for k, (item, par) in enumerate(self.names) if par == "a" and item != LATENT
        }
        names = []
        for k, (item, par) in enumerate(self.names):
            if item == LATENT or par == "a":
                names.append((item, par))
                continue
            if par.startswith(("b", "d")):  # d = -a b; b = -d / a
                a_pos = slope.get(item)
                a = est[a_pos] if a_pos is not None else 1.0
                if to_si:
                    new[k] = -a * est[k]
                    jac[k, k] = -a
                    if a_pos is not None:
                        jac[k, a_pos] = -est[k]
                else:
                    new[k] = -est[k] / a
                    jac[k, k] = -1.0 / a
                    if a_pos is not None:
                        jac[k, a_pos] = est[k] / a**2
                names.append((item, ("d" if to_si else "b") + par[1:]))
            elif par in ("c", "logit_c"):
                if to_si:
                    c = est[k]
                    new[k] = np.log(c / (1.0 - c))
                    jac[k, k] = 1.0 / (c * (1.0 - c))
                    names.append((item, "logit_c"))
                else:
                    c = 1.0 / (1.0 + np.exp(-est[k]))
                    new[k] = c
                    jac[k, k] = c * (1.0 - c)
                    names.append((item, "c"))
            else:  # a parameter of another family: passed through unchanged
                names.append((item, par))
        matrix = jac @ self.matrix @ jac.T
        return ParameterCovariance(
            names=tuple(names),
            estimates=new,
            matrix=0.5 * (matrix + matrix.T),
            method=self.method,
            metric=metric,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: method, metric, names (``[item_id, parameter]`` pairs), estimates,
        standard errors and the matrix as a list of rows."""
        return {
            "method": self.method,
            "metric": self.metric,
            "names": [list(n) for n in self.names],
            "estimates": [float(x) for x in self.estimates],
            "se": [float(x) for x in self.se],
            "matrix": [[float(x) for x in row] for row in self.matrix],
        }

    def to_rows(self) -> list[list[str]]:
        """A table for CSV: header ``item_id, parameter, estimate, se`` and one column per
        parameter (named ``item_id:parameter``), then one row per parameter."""
        header = ["item_id", "parameter", "estimate", "se"] + [f"{i}:{p}" for i, p in self.names]
        rows = [header]
        se = self.se
        for k, (item, par) in enumerate(self.names):
            rows.append(
                [item, par, repr(float(self.estimates[k])), repr(float(se[k]))]
                + [repr(float(x)) for x in self.matrix[k]]
            )
        return rows


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
        ``"louis"`` (observed information, Louis 1982), ``"xpd"`` (cross-product),
        ``"sandwich"`` (Huber-White, robust to misspecification; see
        :mod:`psychometrics.irt.inference`), ``"none"``, or the engine's own description.
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
    covariance
        The full covariance matrix of the estimated parameters with their names
        (:class:`ParameterCovariance`, ``"irt"`` metric: the square roots of its diagonal are
        the SEs in ``params`` and ``latent_*_se``), or None without standard errors. Use
        ``covariance.in_metric("slope-intercept")`` for mirt's parameterization and
        :func:`psychometrics.irt.inference.wald_test` for tests of linear constraints.
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
    covariance: ParameterCovariance | None = None

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
            if p.model[j] == "nominal":  # scoring functions, and Bock's slopes and intercepts
                items[-1].update(nominal_record(p, j))
        out["items"] = items
        return out


def _none_if_nan(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x
