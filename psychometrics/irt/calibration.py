"""IRT calibration by marginal maximum likelihood (Bock-Aitkin EM): the public entry point.

:func:`calibrate` estimates item parameters for the Rasch, 1PL, 2PL, 3PL, graded response,
generalized partial credit and partial credit models, or any mixture of them across items, and
returns a frozen :class:`CalibrationResult`. The estimation engine (``engine="credkit"``) is
shared by every model:

* quadrature: fixed equally spaced nodes (default 61 on [-6, 6]) with normal weights;
* E-step: response-pattern compression and matrix products, persons processed in chunks
  (for 5,000 patterns or more the products first run in float32, then float64 EM steps take
  the estimates to convergence; the reported log-likelihood and SEs are float64);
* M-step: Fisher scoring for all items of a model at once, in slope-intercept form;
* acceleration: SQUAREM with a monotonicity safeguard;
* convergence: largest parameter change of an EM step below ``tol`` *and* relative change of the
  log-likelihood below ``ll_tol``;
* standard errors: observed information by Louis' formula (default), or cross-product;
  reported-metric SEs (``b = -d / a``, ``c = logistic(g)``) by the delta method.

Identification: ability ~ N(0, 1) unless some items have a fixed slope (Rasch, PCM: the latent
standard deviation is estimated) or anchors are given (fixed-parameter calibration: the latent
mean and standard deviation are estimated and the free items land on the anchors' scale).

The 3PL lower asymptote has a Beta(5, 17) prior by default (mode 0.2, mean 0.23, the weight of 20
pseudo-observations, in the spirit of BILOG-MG's default); ``c_prior=None`` removes it. With a
prior, :attr:`CalibrationResult.loglik` is still the marginal log-likelihood of the data at the
(posterior-mode) estimate and :attr:`CalibrationResult.log_posterior` adds the log prior.

References
----------
Bock, R. D., & Aitkin, M. (1981). *Psychometrika*, 46(4), 443-459.
Baker, F. B., & Kim, S.-H. (2004). *Item Response Theory: Parameter Estimation Techniques*
    (2nd ed.). Marcel Dekker.
Mislevy, R. J., & Bock, R. D. (1990). *BILOG 3*. Scientific Software (priors on c).
Kim, S. (2006). A comparative study of IRT fixed parameter calibration methods. *Journal of
    Educational Measurement*, 43(4), 355-381.
Louis, T. A. (1982). *JRSS B*, 44(2), 226-233.
Varadhan, R., & Roland, C. (2008). *Scandinavian Journal of Statistics*, 35(2), 335-353.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy.special import expit, logit
from scipy.stats import beta as beta_dist

from psychometrics.irt import _engine, _se, _start, inference
from psychometrics.irt._estep import compress, estep

# shared with the girth engine; re-exported here, where they have always been importable
from psychometrics.irt._prepare import MAX_ANCHOR_SLOPE as MAX_ANCHOR_SLOPE
from psychometrics.irt._prepare import MAX_THETA as MAX_THETA
from psychometrics.irt._prepare import Prepared as Prepared
from psychometrics.irt._prepare import prepare as prepare
from psychometrics.irt._reporting import reported_parameters as _report
from psychometrics.irt._result import CalibrationResult as CalibrationResult
from psychometrics.irt._result import CalibrationWarning as CalibrationWarning
from psychometrics.irt._result import ConvergenceWarning as ConvergenceWarning
from psychometrics.irt._se import covariance as _invert
from psychometrics.irt.girth_engine import calibrate_girth
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.threads import blas_threads, resolve_threads
from psychometrics.responses import NOT_PRESENTED, ResponseMatrix, from_array

ENGINES = ("credkit", "girth")
SE_METHODS = ("louis", "xpd", "sandwich", "none")
DEFAULT_C_PRIOR = (5.0, 17.0)
START_SAMPLE = 50_000
MAX_SCORE = 1000
"""Largest integer score accepted in an array of responses."""
MAX_QUADRATURE = 2001
"""Most quadrature nodes (memory and time grow linearly; 61 is plenty for D = 1)."""
EXTREME_SLOPE = 10.0
"""A free slope beyond this (logistic metric) is flagged: real items stay well below it."""
LOUIS_BUDGET = 5e11
"""Louis' SEs cost ~ patterns x columns^2 x nodes flops; beyond this the cross-product is used."""


def calibrate(
    responses: ResponseMatrix | np.ndarray,
    *,
    model: str | Mapping[str, str] = "2pl",
    poly_model: str | None = None,
    anchors: ItemParameters | None = None,
    item_ids: Sequence[str] | None = None,
    quadrature: int = 61,
    theta_range: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 2000,
    tol: float = 1e-5,
    ll_tol: float = 1e-9,
    c_prior: tuple[float, float] | None = DEFAULT_C_PRIOR,
    latent: tuple[float, float] = (0.0, 1.0),
    se: str = "louis",
    accelerate: bool = True,
    engine: str = "credkit",
    chunk_size: int = 50_000,
    progress: Callable[[str], None] | None = None,
    progress_interval: float = 2.0,
    threads: int | None = None,
) -> CalibrationResult:
    """Calibrate items by marginal maximum likelihood (EM over fixed quadrature).

    Parameters
    ----------
    responses
        A :class:`~psychometrics.responses.ResponseMatrix`, or a 2-D array persons x items of
        integer scores with ``-1`` or NaN for "not presented" (left out of the likelihood).
    model
        One of ``rasch, 1pl, 2pl, 3pl, grm, gpcm, pcm`` for every item, or a mapping item id ->
        model (mixed calibration, e.g. 3PL multiple-choice items with GRM rubric items).
    poly_model
        With a dichotomous ``model``, the model for items with more than two categories
        (``grm``, ``gpcm`` or ``pcm``). Without it such items are an error.
    anchors
        Parameters to hold fixed (fixed-parameter calibration). Anchor items found in the
        responses keep these values; the other items are estimated together with the latent mean
        and standard deviation, so that they land on the anchors' scale. Anchors not in the
        responses are ignored.
    item_ids
        Item ids for an array ``responses`` (default ``item1, item2, ...``).
    quadrature, theta_range
        Number (5 to :data:`MAX_QUADRATURE`) and range (within +-:data:`MAX_THETA`) of the
        equally spaced quadrature nodes.
    max_iter
        Maximum number of EM steps.
    tol
        Convergence: largest absolute change of any free parameter in an EM step
        (slope-intercept metric, latent mean and sd).
    ll_tol
        Convergence: change of the log-likelihood between cycles relative to ``|loglik|``.
    c_prior
        ``(alpha, beta)`` of the Beta prior on the 3PL lower asymptote, or None for none.
    latent
        ``(mean, sd)`` of the normal ability distribution: fixed values where they are not
        estimated (default N(0, 1)), starting values where they are (anchors, Rasch/PCM sd).
    se
        ``"louis"`` (observed information), ``"xpd"`` (cross-product), ``"sandwich"``
        (Huber-White ``I^-1 M I^-1`` with Louis' information as the bread and the persons'
        score cross-products as the meat: robust to a misspecified model, see
        :mod:`psychometrics.irt.inference`) or ``"none"``. Louis' method (and the sandwich)
        costs a number of flops estimated by ``_se.louis_cost`` (per pattern, about the squared
        number of parameters; 1.4e5 for 100 2PL items); above :data:`LOUIS_BUDGET` (about a
        minute of single-threaded work, e.g. a million persons on 100 3PL items) the
        cross-product is used, with a warning. The
        full covariance matrix is in :attr:`CalibrationResult.covariance`.
    accelerate
        Use SQUAREM acceleration.
    engine
        ``"credkit"`` (this engine) or ``"girth"`` (girth's estimators, for Rasch, 2PL, GRM and
        PCM only; see :mod:`psychometrics.irt.girth_engine`).
    chunk_size
        Number of response patterns per E-step chunk (bounds memory).
    progress
        Called with a one-line message now and then during long runs.
    progress_interval
        Seconds of wall-clock time at least between two ``progress`` messages (default 2);
        0 sends one after every EM step. Whether a message is sent depends on the machine's
        speed, never the result.
    threads
        BLAS threads for the matrix products (see :mod:`psychometrics.irt.threads`); None for
        the environment variable ``CREDKIT_THREADS`` or else 1, the fastest setting measured on
        a machine shared with other processes. The estimates do not depend on it.

    Returns
    -------
    CalibrationResult

    Raises
    ------
    ValueError, TypeError
        For invalid arguments or data that the model cannot describe (e.g. an unobserved middle
        score category of a polytomous item).

    Warns
    -----
    ConvergenceWarning
        When EM stops at ``max_iter`` (also recorded in the result).
    CalibrationWarning
        When items without variance or persons without responses are left out, or when the
        information matrix is not positive definite (SEs NaN).
    """
    rm = _as_response_matrix(responses, item_ids)
    _check_options(quadrature, theta_range, max_iter, tol, ll_tol, c_prior, se, engine, chunk_size)
    if not _pair(latent) or not latent[1] > 0:
        raise ValueError(f"latent must be (mean, sd) with sd > 0, got {latent!r}")
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable or None, got {type(progress).__name__}")
    if not (_is_number(progress_interval) and progress_interval >= 0):
        raise ValueError(
            f"progress_interval must be a number of seconds >= 0, got {progress_interval!r}"
        )
    if anchors is not None and not isinstance(anchors, ItemParameters):
        raise TypeError("anchors must be ItemParameters (see psychometrics.irt.read_params)")
    n_threads = resolve_threads(threads)
    with blas_threads(n_threads):
        if engine == "girth":
            if anchors is not None:
                raise ValueError("engine='girth' does not support anchors; use engine='credkit'")
            if tuple(latent) != (0.0, 1.0):
                raise ValueError(
                    "engine='girth' fixes the ability distribution at N(0, 1) (latent)"
                )
            if se == "sandwich":
                raise ValueError("se='sandwich' needs engine='credkit'")
            return calibrate_girth(
                rm,
                model=model,
                poly_model=poly_model,
                quadrature=quadrature,
                theta_range=theta_range,
                max_iteration=min(int(max_iter), 500),
                se=se,
            )
        start = time.perf_counter()
        prep = prepare(rm, model=model, poly_model=poly_model, anchors=anchors)
        pat = compress(prep.scores, prep.n_categories, chunk_size=chunk_size)
        blocks, lat, settings = em_setup(
            prep,
            anchors=anchors,
            c_prior=c_prior,
            latent=latent,
            theta_range=theta_range,
            quadrature=quadrature,
            max_iter=max_iter,
            tol=tol,
            ll_tol=ll_tol,
            accelerate=accelerate,
            progress=progress,
            progress_interval=progress_interval,
        )
        nodes = settings.nodes
        outcome = _engine.run_em(pat, blocks, lat, settings)
        if not outcome.converged:
            warnings.warn(outcome.message, ConvergenceWarning, stacklevel=2)
        boundary = tuple(
            (prep.item_ids[j], "c reached its lower bound 0 and is held there (not estimated)")
            for j in sorted(outcome.held)
        )
        if boundary:
            shown = ", ".join(i for i, _ in boundary[:10]) + (", ..." if len(boundary) > 10 else "")
            warnings.warn(
                f"{len(boundary)} 3PL item(s) with c on its boundary: c is held at 0 and not "
                f"estimated (no SE for it); the other parameters keep their SEs: {shown}",
                CalibrationWarning,
                stacklevel=2,
            )
        k_max = int(np.max(pat.n_categories))
        logp = _engine.all_log_probs(blocks, pat.n_items, k_max, nodes)
        loglik = estep(pat, logp, _engine.log_weights(nodes, lat.mean, lat.sd)).loglik
        n_free = sum(b.n_free for b in blocks) + lat.n_free

        cov = None
        se_method = se
        if se in ("louis", "sandwich") and _se.louis_cost(pat, blocks, nodes) > LOUIS_BUDGET:
            se_method = f"xpd ({se} would cost too much for this many response patterns)"
            se = "xpd"
            warnings.warn(
                f"{pat.n_patterns} response patterns: standard errors by the cross-product (xpd) "
                "instead of Louis' observed information; pass se='none' to skip them",
                CalibrationWarning,
                stacklevel=2,
            )
        if se != "none" and n_free:
            if progress is not None and outcome.seconds >= settings.progress_every:
                progress("computing standard errors")
            if se == "sandwich":
                cov = inference.sandwich_covariance(pat, blocks, lat, nodes, c_prior)[0]
            else:
                cov = _invert(_se.information(pat, blocks, lat, nodes, c_prior, method=se))
            if cov is None:
                warnings.warn(
                    "the information matrix is not positive definite; standard errors are NaN "
                    "(the model may be poorly identified by these data)",
                    CalibrationWarning,
                    stacklevel=2,
                )
        params, lat_se = _report(prep, blocks, lat, cov)
        flagged = warn_extreme(params, prep.anchor_ids, theta_range, stacklevel=3)
        return build_result(
            prep,
            blocks,
            lat,
            params,
            lat_se,
            loglik=float(loglik),
            n_free=int(n_free),
            n_persons=int(prep.scores.shape[0]),
            outcome=outcome,
            c_prior=c_prior,
            se_method=se_method,
            quadrature=(int(quadrature), float(theta_range[0]), float(theta_range[1])),
            seconds=time.perf_counter() - start,
            flagged=flagged,
            boundary=boundary,
            covariance=None
            if cov is None
            else inference.parameter_covariance(prep.item_ids, blocks, lat, cov, method=se),
        )


# ----------------------------------------------------------------------------- validation


def _as_response_matrix(responses, item_ids) -> ResponseMatrix:
    if isinstance(responses, ResponseMatrix):
        return responses
    if isinstance(responses, np.ndarray) and np.issubdtype(responses.dtype, np.integer):
        if responses.ndim != 2:
            raise ValueError(
                f"responses must be 2-D (persons x items), got shape {responses.shape}"
            )
        if responses.size and (responses.min() < NOT_PRESENTED or responses.max() > MAX_SCORE):
            raise ValueError(
                f"responses: scores must be integers 0..{MAX_SCORE}, or -1 (not presented)"
            )
        n, m = responses.shape
        items = tuple(item_ids) if item_ids is not None else tuple(f"item{j + 1}" for j in range(m))
        if len(items) != m:
            raise ValueError("item_ids does not match the number of columns of responses")
        scores = responses.astype(np.int16, copy=False)
        return ResponseMatrix(
            person_ids=tuple(str(i + 1) for i in range(n)),
            item_ids=items,
            scores=scores,
            omitted=np.zeros((n, m), dtype=bool),
        )
    if isinstance(responses, np.ndarray | list | tuple):
        try:
            arr = np.asarray(responses, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(
                "responses: scores must be numbers (integers, NaN or -1 for not presented)"
            ) from None
        if arr.ndim != 2:
            raise ValueError(f"responses must be 2-D (persons x items), got shape {arr.shape}")
        present = arr[~np.isnan(arr)]
        if present.size and (np.any(np.isinf(present)) or present.max() > MAX_SCORE):
            raise ValueError(
                f"responses: scores must be integers 0..{MAX_SCORE}, or NaN/-1 (not presented)"
            )
        return from_array(arr, item_ids=item_ids)
    raise TypeError(
        f"responses must be a ResponseMatrix or a 2-D array, got {type(responses).__name__}"
    )


def _is_number(x) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def _pair(x) -> bool:
    """A pair of finite numbers."""
    return (
        isinstance(x, Sequence | np.ndarray)
        and not isinstance(x, str)
        and len(x) == 2
        and all(_is_number(v) and math.isfinite(v) for v in x)
    )


def _check_options(quadrature, theta_range, max_iter, tol, ll_tol, c_prior, se, engine, chunk):
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if se not in SE_METHODS:
        raise ValueError(f"se must be one of {', '.join(SE_METHODS)}, got {se!r}")
    if (
        not isinstance(quadrature, int | np.integer)
        or isinstance(quadrature, bool)
        or not 5 <= quadrature <= MAX_QUADRATURE
    ):
        raise ValueError(
            f"quadrature must be an integer between 5 and {MAX_QUADRATURE}, got {quadrature!r}"
        )
    if (
        not _pair(theta_range)
        or not theta_range[0] < theta_range[1]
        or max(abs(theta_range[0]), abs(theta_range[1])) > MAX_THETA
    ):
        raise ValueError(
            f"theta_range must be (lower, upper) with -{MAX_THETA:g} <= lower < upper <= "
            f"{MAX_THETA:g}; got {theta_range!r}"
        )
    if not isinstance(max_iter, int | np.integer) or isinstance(max_iter, bool) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    for name, value in (("tol", tol), ("ll_tol", ll_tol)):
        if not (_is_number(value) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    if c_prior is not None and (not _pair(c_prior) or min(c_prior) < 1):
        raise ValueError(f"c_prior must be (alpha, beta) with both >= 1, got {c_prior!r}")
    if not isinstance(chunk, int | np.integer) or chunk < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk!r}")


# ----------------------------------------------------------------------------- blocks


def em_setup(
    prep: Prepared,
    *,
    anchors,
    c_prior,
    latent,
    theta_range,
    quadrature,
    max_iter,
    tol,
    ll_tol,
    accelerate,
    progress,
    progress_interval,
):
    """Start values, latent distribution and EM settings of a calibration (every engine path)."""
    blocks, lat = build_blocks(prep, anchors, c_prior)
    lat.mean, lat.sd = float(latent[0]), float(latent[1])
    settings = _engine.Settings(
        nodes=np.linspace(theta_range[0], theta_range[1], int(quadrature)),
        max_iter=int(max_iter),
        tol=float(tol),
        ll_tol=float(ll_tol),
        accelerate=bool(accelerate),
        c_prior=c_prior,
        progress=progress,
        progress_every=float(progress_interval),
        hold_boundary=c_prior is None,
    )
    return blocks, lat, settings


def build_blocks(prep: Prepared, anchors: ItemParameters | None, c_prior):
    """Group items into engine blocks with starting values (or fixed anchor values)."""
    scores = prep.scores
    if scores.shape[0] > START_SAMPLE:  # starting values need no more than a large sample
        scores = scores[:: -(-scores.shape[0] // START_SAMPLE)]
    r, cum = _start.classical_starts(scores, prep.n_categories)
    a0 = _start.slope_from_r(r)
    groups: dict[tuple[str, int, bool], list[int]] = {}
    for j, (m, k, anc) in enumerate(
        zip(prep.models, prep.n_categories, prep.is_anchor, strict=True)
    ):
        groups.setdefault((m, int(k), bool(anc)), []).append(j)
    blocks = []
    if c_prior is None:
        c0 = 0.2
    elif c_prior[0] > 1:  # the prior's mode
        c0 = (c_prior[0] - 1) / (sum(c_prior) - 2)
    else:  # no interior mode (alpha <= 1): the prior's mean
        c0 = c_prior[0] / sum(c_prior)
    for (m, k, anc), items in groups.items():
        items = np.asarray(items)
        family = _engine.FAMILY_OF[m]
        n_par = _families_n_params(family, k)
        par = np.zeros((items.size, n_par))
        if anc:
            sub = anchors.subset([prep.item_ids[j] for j in items])
            par[:, 0] = sub.a
            par[:, 1 : 1 + (k - 1)] = -sub.a[:, None] * sub.b[:, : k - 1]
            if family == "nominal":  # the free scoring functions ak_1..ak_{K-2} come last
                par[:, k:] = sub.ak[:, 1 : k - 1]
            if family == "dich3":
                with np.errstate(divide="ignore"):
                    par[:, 2] = logit(sub.c)
        else:
            a_start = np.ones(items.size) if m in _engine.FIXED_SLOPE else a0[items]
            if m == "1pl":
                a_start = np.full(items.size, float(np.mean(a0[items])))
            par[:, 0] = a_start
            for i, j in enumerate(items):
                if family == "gpcm":
                    par[i, 1:] = _start.gpcm_steps(scores[:, j], k, a_start[i])
                elif family == "dich3":
                    p = cum[j][0]
                    p_star = np.clip((p - c0) / (1 - c0), 0.05, 0.95)
                    par[i, 1] = _start.intercepts(np.array([p_star]), a_start[i])[0]
                    par[i, 2] = logit(c0)
                elif family != "nominal":
                    par[i, 1:k] = _start.intercepts(cum[j], a_start[i])
            if family == "nominal":
                par[:] = _start.nominal_starts(scores, prep.n_categories, prep.models, items)
        free = np.ones(n_par, dtype=bool)
        if m in _engine.FIXED_SLOPE:
            free[0] = False
        blocks.append(
            _engine.Block(
                model=m,
                family=family,
                n_categories=k,
                items=items,
                par=par,
                free_cols=free,
                shared_slope=(m == "1pl" and not anc),
                fixed=anc,
            )
        )
    free_models = {b.model for b in blocks if not b.fixed}
    has_anchor = bool(prep.is_anchor.any())
    lat = _engine.Latent(
        est_mean=has_anchor,
        est_sd=has_anchor or bool(free_models & set(_engine.FIXED_SLOPE)),
    )
    return blocks, lat


def _families_n_params(family: str, k: int) -> int:
    from psychometrics.irt._families import n_params

    return n_params(family, k)


# ----------------------------------------------------------------------------- reporting


def warn_extreme(params: ItemParameters, anchor_ids, theta_range, *, stacklevel: int):
    """:func:`_flag_extreme`'s items, with one CalibrationWarning naming the first five."""
    flagged = _flag_extreme(params, anchor_ids, theta_range)
    if flagged:
        shown = "; ".join(f"{i}: {r}" for i, r in flagged[:5])
        more = f" (and {len(flagged) - 5} more)" if len(flagged) > 5 else ""
        warnings.warn(
            f"{len(flagged)} item(s) with extreme estimates, which these data do not pin down "
            f"(too few persons, or a perfect pattern): {shown}{more}",
            CalibrationWarning,
            stacklevel=stacklevel,
        )
    return flagged


def _flag_extreme(params: ItemParameters, anchor_ids, theta_range) -> tuple[tuple[str, str], ...]:
    """Estimated items with a slope beyond :data:`EXTREME_SLOPE` or a threshold outside the
    quadrature range: values the likelihood barely constrains (a diverging EM, a tiny sample)."""
    lo, hi = theta_range
    fixed = set(anchor_ids)
    out = []
    for j, item in enumerate(params.item_ids):
        if item in fixed:
            continue
        a = float(params.a[j])
        b = params.b[j, : int(params.n_categories[j]) - 1]
        name = "b"
        if params.model[j] == "nominal":  # b_k = -d_k / a is no location: use the key's slope
            b, name = b * a / (b.size), "-d_k / (a (K-1))"
        if not np.isfinite(a) or abs(a) > EXTREME_SLOPE:
            out.append((item, f"a = {a:.4g}"))
        elif not np.all(np.isfinite(b)) or np.any((b < lo) | (b > hi)):
            worst = b[np.argmax(np.where(np.isfinite(b), np.abs(b), np.inf))]
            out.append((item, f"{name} = {worst:.4g} outside [{lo:g}, {hi:g}]"))
    return tuple(out)


def build_result(
    prep,
    blocks,
    lat,
    params: ItemParameters,
    lat_se,
    *,
    loglik: float,
    n_free: int,
    n_persons: int,
    outcome,
    c_prior,
    se_method: str,
    quadrature: tuple[int, float, float],
    seconds: float,
    flagged,
    boundary,
    covariance: inference.ParameterCovariance | None = None,
) -> CalibrationResult:
    """The :class:`CalibrationResult` of a finished EM run (in memory or partitioned): the
    log-posterior with the c prior, AIC and BIC, and the calibration's record."""
    log_prior = 0.0
    priors: dict[str, str] = {}
    if c_prior is not None and any(b.family == "dich3" and not b.fixed for b in blocks):
        priors["c"] = f"beta({c_prior[0]:g}, {c_prior[1]:g})"
        for b in blocks:
            if b.family == "dich3" and not b.fixed:
                log_prior += float(np.sum(beta_dist.logpdf(expit(b.par[:, 2]), *c_prior)))
    free_models = sorted({b.model for b in blocks if not b.fixed}) or sorted(set(params.model))
    return CalibrationResult(
        params=params,
        model=free_models[0] if len(free_models) == 1 else "mixed",
        engine="credkit",
        loglik=loglik,
        log_posterior=float(loglik + log_prior),
        aic=float(-2.0 * loglik + 2.0 * n_free),
        bic=float(-2.0 * loglik + n_free * math.log(max(n_persons, 1))),
        n_parameters=n_free,
        iterations=outcome.iterations,
        converged=outcome.converged,
        message=outcome.message,
        latent_mean=float(lat.mean),
        latent_sd=float(lat.sd),
        latent_mean_se=lat_se[0],
        latent_sd_se=lat_se[1],
        se_method=se_method,
        n_persons=n_persons,
        n_items=len(prep.item_ids),
        dropped_items=prep.dropped_items,
        dropped_persons=prep.dropped_persons,
        anchors=prep.anchor_ids,
        quadrature=quadrature,
        priors=priors,
        seconds=seconds,
        flagged_items=flagged,
        boundary_items=boundary,
        covariance=covariance,
    )
