"""girth as a second calibration engine (``engine="girth"``).

girth (Morris, 2021) estimates by marginal maximum likelihood with its own numerical scheme, on
``[items x persons]`` arrays with ``-99999`` for missing cells. This module converts credkit's
responses to that layout, calls

=========  ======================================  =======================================
credkit    girth function                          conversion
=========  ======================================  =======================================
``1pl``    ``onepl_mml`` (common a, N(0, 1))       none
``rasch``  ``onepl_mml``                           a = 1, sd(theta) = a_girth, b = a_girth b
``2pl``    ``twopl_mml``                           none
``grm``    ``grm_mml``                             none
``gpcm``   ``pcm_mml`` (girth's PCM frees slopes)  none
=========  ======================================  =======================================

and returns a :class:`~psychometrics.irt.calibration.CalibrationResult`. girth reports neither
the log-likelihood nor convergence nor standard errors, so credkit evaluates them at girth's
estimates on the same quadrature grid: the marginal log-likelihood by one E-step, standard
errors by the observed information (Louis), and convergence by one credkit EM step from girth's
estimates (converged when no parameter moves by more than ``check_tol``). girth's Rasch model
fixes a = 1 *and* sd(theta) = 1, which is not credkit's Rasch model; the equivalent common-slope
fit is used and re-expressed. The 3PL and the PCM with unit slopes are not offered (girth's 3PL
fails under numpy >= 2.4), nor anchors or mixed models.

References
----------
Morris, R. (2021). girth: Item Response Theory. https://github.com/eribean/girth (v0.8).
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from psychometrics.irt import _engine, _se
from psychometrics.irt._estep import compress, estep
from psychometrics.irt._prepare import prepare
from psychometrics.irt._reporting import reported_parameters
from psychometrics.irt._result import CalibrationResult, CalibrationWarning, ConvergenceWarning
from psychometrics.responses import ResponseMatrix

GIRTH_MODELS = ("rasch", "1pl", "2pl", "grm", "gpcm")
GIRTH_MISSING = -99999


def calibrate_girth(
    rm: ResponseMatrix,
    *,
    model,
    poly_model=None,
    quadrature: int = 61,
    theta_range: tuple[float, float] = (-6.0, 6.0),
    max_iteration: int = 200,
    se: str = "louis",
    check_tol: float = 2e-2,
):
    """Calibrate with girth and convert to a :class:`CalibrationResult` (see module docs)."""
    import girth

    if not isinstance(model, str):
        raise ValueError("engine='girth' fits one model for all items; model must be a name")
    if poly_model is not None and poly_model != model:
        raise ValueError("engine='girth' fits one model for all items (no poly_model)")
    if model not in GIRTH_MODELS:
        raise ValueError(
            f"engine='girth' supports models {', '.join(GIRTH_MODELS)}, not {model!r} "
            "(use engine='credkit')"
        )
    start = time.perf_counter()
    prep = prepare(rm, model=model, poly_model=None, anchors=None)
    scores = prep.scores.astype(int)  # a file's scores may be int8: the code must not wrap
    data = np.where(scores < 0, GIRTH_MISSING, scores).T  # items x persons
    options = {
        "quadrature_n": int(quadrature),
        "quadrature_bounds": (float(theta_range[0]), float(theta_range[1])),
        "max_iteration": int(max_iteration),
    }
    if model in ("rasch", "1pl") and np.any(prep.scores < 0):
        raise ValueError(
            f"engine='girth': girth's {model} estimator cannot handle not-presented (blank) "
            "responses; use engine='credkit'"
        )
    try:
        a, b = _girth_fit(girth, model, data, options)
    except Exception as exc:  # girth is unmaintained: any failure is reported, not a traceback
        raise ValueError(
            f"engine='girth' failed on these data ({type(exc).__name__}: {exc}); "
            "use engine='credkit'"
        ) from None
    n_items = len(prep.item_ids)
    if a.shape != (n_items,) or b.ndim != 2 or b.shape[0] != n_items:
        raise ValueError(
            f"engine='girth' returned estimates of the wrong shape (a {a.shape}, b {b.shape} "
            f"for {n_items} items); use engine='credkit'"
        )
    width = np.arange(b.shape[1])[None, :] < (prep.n_categories[:, None] - 1)
    bad = ~np.isfinite(a) | np.any(width & ~np.isfinite(b), axis=1)
    if np.any(bad):
        names = ", ".join(prep.item_ids[j] for j in np.flatnonzero(bad)[:5])
        raise ValueError(
            f"engine='girth' returned non-finite estimates (item(s) {names}); use engine='credkit'"
        )
    seconds_girth = time.perf_counter() - start

    lat = _engine.Latent(est_sd=(model == "rasch"))
    if model == "rasch":
        lat.sd = float(a[0])
        b = b * a[:, None]
        a = np.ones_like(a)
    # credkit blocks holding girth's estimates (slope-intercept form)
    blocks = []
    n_cat = prep.n_categories
    for k in np.unique(n_cat):
        items = np.flatnonzero(n_cat == k)
        family = _engine.FAMILY_OF[model]
        par = np.zeros((items.size, int(k)))
        par[:, 0] = a[items]
        par[:, 1:] = -a[items, None] * b[items, : int(k) - 1]
        free = np.ones(int(k), dtype=bool)
        if model == "rasch":
            free[0] = False
        blocks.append(
            _engine.Block(
                model=model,
                family=family,
                n_categories=int(k),
                items=items,
                par=par,
                free_cols=free,
                shared_slope=(model == "1pl"),
                fixed=False,
            )
        )
    nodes = np.linspace(theta_range[0], theta_range[1], int(quadrature))
    pat = compress(prep.scores, n_cat, chunk_size=50_000)
    k_max = int(n_cat.max())
    logw = _engine.log_weights(nodes, lat.mean, lat.sd)
    loglik = estep(pat, _engine.all_log_probs(blocks, pat.n_items, k_max, nodes), logw).loglik

    # convergence check: one credkit EM step from girth's estimates
    before = _engine.pack(blocks, lat)
    probe_blocks = [_copy_block(blk) for blk in blocks]
    probe_lat = _engine.Latent(**lat.__dict__)
    settings = _engine.Settings(nodes=nodes, c_prior=None)
    _engine.em_map(pat, probe_blocks, probe_lat, settings, k_max)
    change = float(np.max(np.abs(_engine.pack(probe_blocks, probe_lat) - before), initial=0.0))
    converged = bool(np.isfinite(change) and change < check_tol)
    message = (
        f"girth {model} fit; girth reports no convergence status: one credkit EM step from its "
        f"estimates moves parameters by at most {change:.2e} "
        f"({'<' if converged else '>='} {check_tol:g})"
    )
    if not converged:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)

    cov = None
    if se != "none":
        cov = _se.covariance(_se.information(pat, blocks, lat, nodes, None, method=se))
        if cov is None:
            warnings.warn(
                "the information matrix at girth's estimates is not positive definite; "
                "standard errors are NaN",
                CalibrationWarning,
                stacklevel=3,
            )
    params, lat_se = reported_parameters(prep, blocks, lat, cov)
    n_free = sum(blk.n_free for blk in blocks) + lat.n_free
    n_persons = int(prep.scores.shape[0])
    return CalibrationResult(
        params=params,
        model=model,
        engine="girth",
        loglik=float(loglik),
        log_posterior=float(loglik),
        aic=float(-2 * loglik + 2 * n_free),
        bic=float(-2 * loglik + n_free * math.log(max(n_persons, 1))),
        n_parameters=int(n_free),
        iterations=0,
        converged=converged,
        message=message,
        latent_mean=0.0,
        latent_sd=float(lat.sd),
        latent_mean_se=math.nan,
        latent_sd_se=lat_se[1],
        se_method="none" if se == "none" else f"{se} (credkit, at girth's estimates)",
        n_persons=n_persons,
        n_items=len(prep.item_ids),
        dropped_items=prep.dropped_items,
        dropped_persons=prep.dropped_persons,
        anchors=(),
        quadrature=(int(quadrature), float(theta_range[0]), float(theta_range[1])),
        priors={},
        seconds=seconds_girth,
    )


def _girth_fit(girth, model: str, data: np.ndarray, options: dict):
    """girth's estimates ``(a, b)`` for ``data`` (items x persons)."""
    fit_options = {k: v for k, v in options.items() if k != "max_iteration"}
    if model in ("rasch", "1pl"):
        out = girth.onepl_mml(data, options=fit_options)
        a = np.full(data.shape[0], float(out["Discrimination"]))
        return a, np.asarray(out["Difficulty"], dtype=float)[:, None]
    if model == "2pl":
        out = girth.twopl_mml(data, options=options)
        a = np.asarray(out["Discrimination"], dtype=float)
        return a, np.asarray(out["Difficulty"], dtype=float).reshape(-1, 1)
    fit = girth.grm_mml if model == "grm" else girth.pcm_mml
    out = fit(data, options=options)
    return np.asarray(out["Discrimination"], dtype=float), np.asarray(
        out["Difficulty"], dtype=float
    )


def _copy_block(blk: _engine.Block) -> _engine.Block:
    return _engine.Block(**{**blk.__dict__, "par": blk.par.copy()})
