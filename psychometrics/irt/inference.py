"""Inference on calibrated item parameters: the full covariance, sandwich SEs and Wald tests.

* :class:`~psychometrics.irt._result.ParameterCovariance` — the covariance matrix of the
  estimates with ``(item_id, parameter)`` names, carried by every
  :class:`~psychometrics.irt.calibration.CalibrationResult` as ``result.covariance``.
* Sandwich (Huber-White) standard errors, ``calibrate(..., se="sandwich")``: robust to a
  misspecified model (a wrong item response function or a non-normal ability distribution).
  With ``I`` the observed information (Louis' formula, the "bread") and ``M`` the sum over
  persons of the outer products of their observed-data scores (the "meat", the pieces of the
  cross-product information), ``cov = I^-1 M I^-1`` estimates the covariance of the estimates
  around the pseudo-true values (the parameters of the model closest to the data-generating
  process in Kullback-Leibler divergence). Under a correctly specified model ``M`` and ``I``
  estimate the same matrix and the sandwich agrees with Louis' covariance.

  *Priors* (the Beta prior on the 3PL ``c``) enter the bread through their negative Hessian,
  as in Louis' SEs, and not the meat: they are fixed, not data. At a posterior mode the person
  scores no longer sum to zero (they sum to minus the prior's gradient ``g``), so the meat is
  centred, ``M = sum_i s_i s_i' - S S' / N`` with ``S = sum_i s_i``: the outer products of the
  scores of the penalised objective with the prior spread evenly over the ``N`` persons
  (``s_i + g / N``). Without a prior ``S = 0`` at the maximum and the centring changes nothing.
* :func:`wald_test` — Wald tests of linear constraints ``R beta = r`` on named parameters
  (equal slopes of two items, a slope equal to 1, equal locations, ...).

References
----------
Huber, P. J. (1967). The behavior of maximum likelihood estimates under nonstandard conditions.
    *Proceedings of the Fifth Berkeley Symposium on Mathematical Statistics and Probability*, 1,
    221-233.
White, H. (1982). Maximum likelihood estimation of misspecified models. *Econometrica*, 50(1),
    1-25.
Yuan, K.-H., Cheng, Y., & Patton, J. (2014). Information matrices and standard errors for MLEs
    of item parameters in IRT. *Psychometrika*, 79(2), 232-254.
Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
    *Journal of the Royal Statistical Society B*, 44(2), 226-233.
Wald, A. (1943). Tests of statistical hypotheses concerning several parameters when the number
    of observations is large. *Transactions of the American Mathematical Society*, 54, 426-482.
Chalmers, R. P. (2012). mirt: A multidimensional item response theory package for the R
    environment. *Journal of Statistical Software*, 48(6) (``vcov``, ``wald``, ``SE.type =
    "sandwich"``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2

from psychometrics.fileio import safe_csv_writer
from psychometrics.irt import _engine, _se
from psychometrics.irt._estep import Patterns, estep
from psychometrics.irt._result import (
    COVARIANCE_METRICS,
    LATENT,
    CalibrationResult,
    ParameterCovariance,
)

__all__ = ["ParameterCovariance", "WaldResult", "covariance_to_csv", "wald_test"]


# ----------------------------------------------------------------------------- covariance


def parameter_covariance(
    item_ids: Sequence[str], blocks, lat, cov_free: np.ndarray, *, method: str
) -> ParameterCovariance:
    """Name the engine's covariance of the free parameters and put it in the ``"irt"`` metric
    (internal: called by :func:`~psychometrics.irt.calibration.calibrate` on engine blocks).

    ``cov_free`` is in the engine's packing (:func:`psychometrics.irt._se.map_matrix`); the
    result lists every item's estimated parameters in item order (a shared 1PL slope once per
    item), then the free latent mean and SD.
    """
    t = _se.map_matrix(blocks, lat)
    offsets, n_exp = _se.expanded_layout(blocks)
    rows: list[tuple[int, int, int]] = []  # (item position, column, expanded index)
    est: dict[int, float] = {}
    labels: dict[tuple[int, int], str] = {}
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        n_par = blk.par.shape[1]
        dich = blk.family in ("dich2", "dich3")
        for jj, j in enumerate(blk.items):
            for p in np.flatnonzero(blk.free_cols):
                e = offsets[b] + jj * n_par + int(p)
                rows.append((int(j), int(p), e))
                est[e] = float(blk.par[jj, p])
                if p == 0:
                    labels[(int(j), 0)] = "a"
                elif dich:
                    labels[(int(j), int(p))] = "d" if p == 1 else "logit_c"
                elif p < blk.n_categories:
                    labels[(int(j), int(p))] = f"d{int(p)}"
                else:  # nominal scoring-function parameters, reported as estimated
                    labels[(int(j), int(p))] = f"ak{int(p) - blk.n_categories + 1}"
    rows.sort()
    idx = [e for _, _, e in rows]
    names = [(str(item_ids[j]), labels[(j, p)]) for j, p, _ in rows]
    values = [est[e] for e in idx]
    for k, (on, label, value) in enumerate(
        ((lat.est_mean, "mean", lat.mean), (lat.est_sd, "sd", lat.sd))
    ):
        if on:
            idx.append(n_exp - 2 + k)
            names.append((LATENT, label))
            values.append(float(value))
    sub = t[idx]  # rows of T for the listed expanded parameters
    matrix = sub @ cov_free @ sub.T
    si = ParameterCovariance(
        names=tuple(names),
        estimates=np.asarray(values),
        matrix=0.5 * (matrix + matrix.T),
        method=method,
        metric="slope-intercept",
    )
    return si.in_metric("irt")


def sandwich_covariance(
    pat: Patterns, blocks, lat, nodes: np.ndarray, c_prior
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Huber-White covariance ``I^-1 M I^-1`` of the free parameters (engine packing;
    internal: ``calibrate(..., se="sandwich")`` is the public way).

    Returns ``(cov, bread, meat)``; ``cov`` is None when the bread (Louis' observed
    information, with the prior's negative Hessian) is not positive definite. The meat is the
    centred sum over persons of the outer products of the observed-data scores (see the module
    docstring for how a prior enters).
    """
    bread = _se.information(pat, blocks, lat, nodes, c_prior, method="louis")
    cross = _se.information(pat, blocks, lat, nodes, None, method="xpd")
    total = _score_total(pat, blocks, lat, nodes)
    n = float(np.sum(pat.freq))
    meat = cross - np.outer(total, total) / max(n, 1.0)
    meat = 0.5 * (meat + meat.T)
    inv = _se.covariance(bread)
    if inv is None:
        return None, bread, meat
    cov = inv @ meat @ inv
    return 0.5 * (cov + cov.T), bread, meat


def _score_total(pat: Patterns, blocks, lat, nodes: np.ndarray) -> np.ndarray:
    """The sum over persons of the observed-data scores (free parameters, engine packing),
    from the E-step's expected counts (Fisher's identity)."""
    k_max = int(np.max(pat.n_categories))
    logp = _engine.all_log_probs(blocks, pat.n_items, k_max, nodes)
    res = estep(pat, logp, _engine.log_weights(nodes, lat.mean, lat.sd))
    offsets, n_exp = _se.expanded_layout(blocks)
    s = np.zeros(n_exp)
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        counts = res.counts[blk.items, : blk.n_categories, :]
        grad, _ = _engine.block_grad_info(blk, blk.par, counts, nodes, None)
        s[offsets[b] : offsets[b] + grad.size] = grad.ravel()
    s[-2:] = res.n_q @ _engine.latent_scores(nodes, lat.mean, lat.sd)
    return _se.map_matrix(blocks, lat).T @ s


def covariance_to_csv(cov: ParameterCovariance) -> str:
    """CSV text of :meth:`ParameterCovariance.to_rows`: ``item_id, parameter, estimate, se``
    and one column per parameter (``item_id:parameter``), one row per parameter; cells that a
    spreadsheet would run as formulas are quoted (:func:`psychometrics.fileio.csv_safe_cell`)."""
    buf = io.StringIO()
    safe_csv_writer(buf).writerows(cov.to_rows())
    return buf.getvalue()


# ----------------------------------------------------------------------------- Wald tests


@dataclass(frozen=True, eq=False)
class WaldResult:
    """Outcome of :func:`wald_test`.

    Attributes
    ----------
    statistic
        ``W = (R beta - r)' (R V R')^-1 (R beta - r)``.
    df
        Degrees of freedom: the number of constraints (rows of ``R``).
    p_value
        Upper tail of the chi-square distribution with ``df`` degrees of freedom at ``W``.
    matrix
        The constraint matrix ``R`` (constraints x parameters, columns in :attr:`names` order).
    rhs
        ``r``.
    names
        The ``(item_id, parameter)`` of each column of ``R``: the parameters the constraints
        use, in the order of the covariance.
    estimates
        ``R beta - r``: how far the estimates are from satisfying each constraint.
    se
        The standard error of each entry of :attr:`estimates` (``sqrt(diag(R V R'))``).
    constraints
        Each constraint written out, e.g. ``"1*item1:a - 1*item2:a = 0"``.
    metric, method
        The metric of the parameters (``"irt"`` or ``"slope-intercept"``) and how the
        covariance was computed.
    """

    statistic: float
    df: int
    p_value: float
    matrix: np.ndarray
    rhs: np.ndarray
    names: tuple[tuple[str, str], ...]
    estimates: np.ndarray
    se: np.ndarray
    constraints: tuple[str, ...]
    metric: str
    method: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values."""
        return {
            "statistic": self.statistic,
            "df": self.df,
            "p_value": self.p_value,
            "constraints": list(self.constraints),
            "names": [list(n) for n in self.names],
            "matrix": [[float(x) for x in row] for row in self.matrix],
            "rhs": [float(x) for x in self.rhs],
            "estimates": [float(x) for x in self.estimates],
            "se": [float(x) for x in self.se],
            "metric": self.metric,
            "method": self.method,
        }


Constraint = str | tuple[Mapping[Any, float], float]


def wald_test(
    result: CalibrationResult | ParameterCovariance,
    constraints: Constraint | Sequence[Constraint],
    *,
    metric: str = "irt",
) -> WaldResult:
    """Wald test of linear constraints ``R beta = r`` on calibrated parameters.

    Parameters
    ----------
    result
        A :class:`~psychometrics.irt.calibration.CalibrationResult` with standard errors, or its
        :attr:`~psychometrics.irt.calibration.CalibrationResult.covariance`.
    constraints
        One constraint or a sequence of them, each either

        * a string equation of named parameters, e.g. ``"item1:a = item2:a"``,
          ``"item3:a = 1"``, ``"item1:b - item2:b = 0.5"``, ``"2*item1:a = item2:a + item3:a"``
          (terms separated by `` + `` / `` - `` with spaces around the sign, each a number, a
          name, or ``number*name``), or
        * a pair ``(coefficients, rhs)`` with ``coefficients`` a mapping from names to numbers,
          e.g. ``({"item1:a": 1, "item2:a": -1}, 0.0)``.

        Names are ``item_id:parameter`` or ``(item_id, parameter)``; parameters are ``a``,
        ``b`` (``b1``, ``b2``, ...), ``c`` in the ``"irt"`` metric and ``a``, ``d`` (``d1``,
        ...), ``logit_c`` in the ``"slope-intercept"`` metric; the latent mean and SD are
        ``latent:mean`` and ``latent:sd`` (when estimated).
    metric
        ``"irt"`` (default) or ``"slope-intercept"``: the parameters the constraints are
        linear in (a constraint on locations differs between them; slopes are the same).

    Returns
    -------
    WaldResult

    Raises
    ------
    ValueError
        For unknown parameter names (all named), a malformed constraint, constraints that
        are linearly dependent or that involve no estimated variability (e.g. two 1PL slopes,
        equal by the model), or a result without standard errors.
    TypeError
        When ``result`` is neither a calibration result nor a covariance.

    Notes
    -----
    Asymptotically equivalent to the likelihood-ratio test of the constrained model against
    the free one (chi-square with as many degrees of freedom as constraints), but needs only
    the free fit. With ``se="sandwich"`` the test is robust to misspecification (White 1982).
    Nonlinear hypotheses are not linear in every metric: ``b1 = b2`` is a linear constraint in
    the ``"irt"`` metric, not in the slope-intercept one.

    References
    ----------
    Wald, A. (1943). *Transactions of the American Mathematical Society*, 54, 426-482.
    White, H. (1982). *Econometrica*, 50(1), 1-25.
    """
    if isinstance(result, CalibrationResult):
        cov = result.covariance
        if cov is None:
            raise ValueError(
                "result has no covariance matrix: calibrate with se='louis', 'xpd' or "
                "'sandwich' (engine='credkit'), and check that its SEs are not NaN"
            )
    elif isinstance(result, ParameterCovariance):
        cov = result
    else:
        raise TypeError(
            f"result must be a CalibrationResult or a ParameterCovariance, got "
            f"{type(result).__name__}"
        )
    if metric not in COVARIANCE_METRICS:
        raise ValueError(f"metric must be one of {', '.join(COVARIANCE_METRICS)}, got {metric!r}")
    cov = cov.in_metric(metric)
    if isinstance(constraints, str) or (
        isinstance(constraints, tuple)
        and len(constraints) == 2
        and isinstance(constraints[0], Mapping)
    ):
        constraints = [constraints]  # type: ignore[list-item]
    if not isinstance(constraints, Sequence) or not constraints:
        raise ValueError("constraints must be one constraint or a non-empty sequence of them")
    lookup = {n: k for k, n in enumerate(cov.names)}
    parsed, unknown = [], []
    for k, con in enumerate(constraints):
        coefs, rhs = _parse(con, k)
        row: dict[int, float] = {}
        for name, value in coefs:
            key = _key(name)
            if key not in lookup:
                unknown.append(f"{key[0]}:{key[1]}" if key[0] else key[1])
                continue
            row[lookup[key]] = row.get(lookup[key], 0.0) + value
        parsed.append((row, rhs))
    if unknown:
        known = sorted({p for _, p in cov.names})
        raise ValueError(
            f"constraints: unknown parameter(s) {', '.join(dict.fromkeys(unknown))} "
            f"({metric} metric; names are item_id:parameter with parameter one of "
            f"{', '.join(known)}, latent:mean, latent:sd, for estimated parameters only)"
        )
    used = sorted({i for row, _ in parsed for i, v in row.items() if v != 0.0})
    if not used:
        raise ValueError("constraints: every coefficient is zero")
    pos = {i: c for c, i in enumerate(used)}
    r_mat = np.zeros((len(parsed), len(used)))
    rhs = np.zeros(len(parsed))
    for k, (row, value) in enumerate(parsed):
        for i, v in row.items():
            if v != 0.0:
                r_mat[k, pos[i]] = v
        rhs[k] = value
        if not np.any(r_mat[k]):
            raise ValueError(f"constraints[{k}]: every coefficient is zero")
    if np.linalg.matrix_rank(r_mat) < r_mat.shape[0]:
        raise ValueError("constraints are linearly dependent: drop the redundant ones")
    beta = cov.estimates[used]
    v = cov.matrix[np.ix_(used, used)]
    diff = r_mat @ beta - rhs
    middle = r_mat @ v @ r_mat.T
    middle = 0.5 * (middle + middle.T)
    eig = np.linalg.eigvalsh(middle)
    if not np.all(np.isfinite(eig)) or eig.min() <= 1e-12 * max(1.0, float(np.abs(eig).max())):
        raise ValueError(
            "constraints: R V R' is singular (a constraint involves no estimated variability, "
            "e.g. the 1PL slope shared by all 1PL items, or the covariance is degenerate)"
        )
    stat = float(diff @ np.linalg.solve(middle, diff))
    names = tuple(cov.names[i] for i in used)
    return WaldResult(
        statistic=stat,
        df=int(r_mat.shape[0]),
        p_value=float(chi2.sf(stat, r_mat.shape[0])),
        matrix=r_mat,
        rhs=rhs,
        names=names,
        estimates=diff,
        se=np.sqrt(np.diag(middle)),
        constraints=tuple(_describe(r_mat[k], rhs[k], names) for k in range(len(parsed))),
        metric=metric,
        method=cov.method,
    )


_SPLIT = re.compile(r"\s+([+-])\s+")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _key(name) -> tuple[str, str]:
    if isinstance(name, tuple) and len(name) == 2:
        return (str(name[0]), str(name[1]))
    text = str(name).strip()
    if ":" not in text:
        return (LATENT, text) if text in ("mean", "sd") else ("", text)
    item, par = text.rsplit(":", 1)
    return (item.strip(), par.strip())


def _parse(con, k: int) -> tuple[list[tuple[Any, float]], float]:
    """``(coefficient per name, rhs)`` of one constraint."""
    if isinstance(con, tuple) and len(con) == 2 and isinstance(con[0], Mapping):
        coefs, rhs = con
        try:
            rhs = float(rhs)
            pairs = [(name, float(v)) for name, v in coefs.items()]
        except (TypeError, ValueError):
            raise ValueError(
                f"constraints[{k}]: coefficients and right-hand side must be numbers"
            ) from None
        if not np.isfinite(rhs) or not all(np.isfinite(v) for _, v in pairs):
            raise ValueError(f"constraints[{k}]: coefficients and right-hand side must be finite")
        return pairs, rhs
    if not isinstance(con, str):
        raise ValueError(
            f"constraints[{k}] must be a string equation or a (coefficients, rhs) pair, got "
            f"{type(con).__name__}"
        )
    sides = con.split("=")
    if len(sides) != 2 or not sides[0].strip() or not sides[1].strip():
        raise ValueError(
            f"constraints[{k}] {con!r} must be one equation 'left = right', "
            "e.g. 'item1:a = item2:a'"
        )
    pairs: list[tuple[Any, float]] = []
    const = 0.0
    for side, sign in ((sides[0], 1.0), (sides[1], -1.0)):
        for term, term_sign in _terms(side):
            coef, name = _term(term, con, k)
            if name is None:
                const += sign * term_sign * coef
            else:
                pairs.append((name, sign * term_sign * coef))
    return pairs, 0.0 - const


def _terms(side: str):
    parts = _SPLIT.split(" " + side.strip() + " ")
    first = parts[0].strip()
    sign = 1.0
    if first.startswith("-") and not _NUMBER.match(first):
        sign, first = -1.0, first[1:].strip()
    out = [(first, sign)] if first else []
    for op, term in zip(parts[1::2], parts[2::2], strict=True):
        out.append((term.strip(), 1.0 if op == "+" else -1.0))
    return out


def _term(term: str, con: str, k: int) -> tuple[float, str | None]:
    if _NUMBER.match(term):
        return float(term), None
    if "*" in term:
        head, name = term.split("*", 1)
        if _NUMBER.match(head.strip()) and name.strip():
            return float(head), name.strip()
        raise ValueError(f"constraints[{k}] {con!r}: cannot read the term {term!r}")
    if not term:
        raise ValueError(f"constraints[{k}] {con!r}: an empty term")
    return 1.0, term


def _describe(row: np.ndarray, rhs: float, names) -> str:
    parts = []
    for v, (item, par) in zip(row, names, strict=True):
        if v == 0.0:
            continue
        sign = "-" if v < 0 else "+"
        parts.append(f"{sign} {abs(v):g}*{item}:{par}")
    text = " ".join(parts)
    text = text[2:] if text.startswith("+ ") else "-" + text[2:]
    return f"{text} = {rhs:g}"
