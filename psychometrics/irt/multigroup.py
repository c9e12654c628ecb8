"""Multiple-group calibration: item parameters shared across groups, one ability distribution
per group, and items that may be freed per group (the model behind IRT-based DIF).

The reference group's ability is N(0, 1); every other group has its own mean and standard
deviation, estimated. Items are invariant (constrained equal across groups) unless listed in
``free_items``: such an item gets one set of parameters per group. Internally a freed item is
split into one column per group, each presented only to that group, so the shared estimation
engine (:mod:`psychometrics.irt._engine`: blocks, vectorized Fisher-scoring M-step) runs
unchanged; the E-step runs per group with the group's own quadrature weights and the expected
counts are pooled; SQUAREM accelerates EM. Standard errors come from the observed information,
the central-difference Jacobian of the exact score (Fisher's identity gives the score from one
E-step), with the full covariance of the estimates for Wald tests.

Anchors by group (``fixed``): an item's parameters can be fixed to known values (bank
parameters) in some groups only. In each such group the item gets its own column, held at the
given values; in the other groups it is estimated, shared by them (or per group if it is also in
``free_items``). With any fixed parameters the ability mean and SD of *every* group are
estimated: the fixed parameters, not N(0, 1), set the scale.

Identification rules, checked before fitting (a ValueError names the groups that break them):

* a group's scale is *set* by fixed parameters in it, or, when nothing is fixed anywhere, by the
  reference group's N(0, 1);
* two groups are *linked* when an item is estimated with one set of parameters shared by both
  (an invariant item, not freed or fixed in either);
* every group must be linked, directly or through other groups, to a group whose scale is set.
  Otherwise its mean and SD trade off against its own item parameters.

One fixed item (with a slope) sets both the location and the unit of a group's scale in
principle; in practice use several, spread over the ability range, as for any fixed-parameter
calibration (Kim, 2006).

References
----------
Bock, R. D., & Zimowski, M. F. (1997). Multiple group IRT. In W. J. van der Linden &
    R. K. Hambleton (Eds.), *Handbook of Modern Item Response Theory* (pp. 433-448). Springer.
Thissen, D., Steinberg, L., & Wainer, H. (1993). Detection of differential item functioning
    using the parameters of item response models. In P. W. Holland & H. Wainer (Eds.),
    *Differential Item Functioning* (pp. 67-113). Erlbaum.
Kim, S. (2006). A comparative study of IRT fixed parameter calibration methods. *Journal of
    Educational Measurement*, 43(4), 355-381.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from psychometrics.irt import _engine
from psychometrics.irt._estep import compress, estep
from psychometrics.irt._prepare import prepare
from psychometrics.irt._reporting import reported_parameters
from psychometrics.irt._result import CalibrationWarning, ConvergenceWarning
from psychometrics.irt._se import covariance
from psychometrics.irt.calibration import build_blocks
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.threads import blas_threads
from psychometrics.responses import NOT_PRESENTED, from_array

_SEP = "@@"


@dataclass(frozen=True)
class MultiGroupResult:
    """Outcome of :func:`calibrate_groups`.

    Attributes
    ----------
    groups
        Group labels, the reference group first.
    group_params
        Item parameters seen by each group (identical across groups for invariant items).
    free_items
        Items whose parameters were estimated separately per group.
    latent_means, latent_sds
        Ability distribution per group (the reference group's fixed at 0 and 1).
    loglik
        Marginal log-likelihood of all groups at the estimates.
    n_parameters
        Free item parameters plus the free latent means and SDs.
    n_persons
        Persons per group.
    iterations, converged, message
        How EM ended.
    latent_mean_ses, latent_sd_ses
        Standard errors of the group means and SDs (NaN where fixed).
    covariance
        Covariance of the free parameters (slope-intercept metric: per item ``a, d..., logit c``
        in :attr:`parameter_names` order, then the free group means and SDs), or None.
    parameter_names
        ``item:column`` per free item parameter (a freed item's columns are named
        ``item@@group``), then ``mean[group]`` / ``sd[group]``.
    estimates
        The free parameters in that order and metric.
    fixed
        ``(item, group)`` pairs whose parameters were fixed to given values.
    """

    groups: tuple[str, ...]
    group_params: dict[str, ItemParameters]
    free_items: tuple[str, ...]
    latent_means: tuple[float, ...]
    latent_sds: tuple[float, ...]
    loglik: float
    n_parameters: int
    n_persons: tuple[int, ...]
    iterations: int
    converged: bool
    message: str
    latent_mean_ses: tuple[float, ...] = ()
    latent_sd_ses: tuple[float, ...] = ()
    covariance: np.ndarray | None = None
    parameter_names: tuple[str, ...] = ()
    estimates: np.ndarray | None = None
    fixed: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict:
        return {
            "groups": list(self.groups),
            "free_items": list(self.free_items),
            "fixed": [list(f) for f in self.fixed],
            "latent_means": list(self.latent_means),
            "latent_sds": list(self.latent_sds),
            "loglik": self.loglik,
            "n_parameters": self.n_parameters,
            "n_persons": list(self.n_persons),
            "iterations": self.iterations,
            "converged": self.converged,
            "message": self.message,
        }


def calibrate_groups(
    scores: np.ndarray,
    groups: Sequence,
    *,
    item_ids: Sequence[str] | None = None,
    model: str = "2pl",
    poly_model: str | None = None,
    reference=None,
    free_items: Sequence[str] = (),
    fixed: Mapping[str, ItemParameters] | None = None,
    quadrature: int = 61,
    theta_range: tuple[float, float] = (-6.0, 6.0),
    max_iter: int = 2000,
    tol: float = 1e-5,
    c_prior: tuple[float, float] | None = (5.0, 17.0),
    se: bool = True,
    threads: int | None = None,
) -> MultiGroupResult:
    """Multiple-group MML calibration (EM) with invariant and group-specific items.

    Parameters
    ----------
    scores
        Persons x items integer scores, ``-1`` for not presented.
    groups
        One group label per person.
    item_ids
        Column names (default ``item1, item2, ...``).
    model
        The IRT model of every item (``rasch``, ``1pl``, ``2pl``, ``3pl``, ``grm``, ``gpcm``,
        ``pcm``), or of the dichotomous items when ``poly_model`` is given.
    poly_model
        The model of the items with more than two score categories in a mixed test
        (``grm``, ``gpcm``, ``pcm``), as in :func:`psychometrics.irt.calibrate`.
    reference
        The reference group (ability N(0, 1)); default the first label in sorted order.
    free_items
        Items estimated separately in each group (e.g. the studied item of a DIF test).
    fixed
        Per group, parameters of items fixed to known values in that group (anchors by group,
        e.g. bank parameters in the reference group only). Every group's ability mean and SD
        are then estimated; see the module docstring for the identification rules.
    quadrature, theta_range, max_iter, tol, c_prior, threads
        As in :func:`~psychometrics.irt.calibration.calibrate`.
    se
        Compute the observed information (central differences of the exact score, which the
        E-step gives by Fisher's identity: two E-steps per free parameter), the covariance of
        the estimates and standard errors.

    Returns
    -------
    MultiGroupResult

    Raises
    ------
    ValueError
        Fewer than two groups, a label count that does not match the persons, an unknown
        ``reference``, free or fixed item or group, or a model that is not identified.
    """
    x = np.asarray(scores)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
        raise TypeError("scores must be a 2-D integer array (persons x items, -1 = not presented)")
    labels = np.asarray([str(g) for g in groups])
    if labels.size != x.shape[0]:
        raise ValueError(f"groups must have one label per person ({x.shape[0]}), got {labels.size}")
    names = sorted(set(labels.tolist()))
    if len(names) < 2:
        raise ValueError("groups: a multiple-group calibration needs at least two groups")
    ref = names[0] if reference is None else str(reference)
    if ref not in names:
        raise ValueError(f"reference {reference!r} is not one of the groups {names}")
    names = [ref] + [g for g in names if g != ref]
    items = (
        tuple(item_ids)
        if item_ids is not None
        else tuple(f"item{j + 1}" for j in range(x.shape[1]))
    )
    if len(items) != x.shape[1]:
        raise ValueError("item_ids does not match the number of columns of scores")
    unknown = [i for i in free_items if i not in items]
    if unknown:
        raise ValueError(f"free_items: not an item: {', '.join(map(str, unknown))}")
    fixed_at = _check_fixed(fixed, names, items)
    layout = _layout(items, names, set(free_items), fixed_at)
    _check_identified(layout, names, ref, bool(fixed_at))
    keep = np.any(x != NOT_PRESENTED, axis=1)
    x, labels = x[keep], labels[keep]
    cols, col_ids = _expand(x, labels, items, layout)
    anchors = _fixed_params(fixed_at, layout)
    with blas_threads(threads):
        return _fit(
            cols, col_ids, labels, names, items, tuple(free_items), (model, poly_model),
            quadrature, theta_range, max_iter, tol, c_prior, se, layout, anchors,
        )  # fmt: skip


def _check_fixed(fixed, names, items) -> dict[tuple[str, str], ItemParameters]:
    """``(item, group) -> parameters of that item``, validated."""
    if not fixed:
        return {}
    if not isinstance(fixed, Mapping):
        raise TypeError("fixed must map group labels to ItemParameters")
    out = {}
    for group, params in fixed.items():
        if str(group) not in names:
            raise ValueError(f"fixed: {group!r} is not one of the groups {names}")
        if not isinstance(params, ItemParameters):
            raise TypeError(f"fixed[{group!r}] must be ItemParameters")
        unknown = [i for i in params.item_ids if i not in items]
        if unknown:
            raise ValueError(f"fixed[{group!r}]: not an item: {', '.join(unknown[:5])}")
        for item in params.item_ids:
            out[(item, str(group))] = params.subset([item])
    return out


def _layout(items, names, free, fixed_at) -> dict[str, list[tuple[str, tuple[str, ...], bool]]]:
    """Per item, its columns: ``(column id, groups it is presented to, fixed)``."""
    layout = {}
    for item in items:
        fixed_in = [g for g in names if (item, g) in fixed_at]
        rest = [g for g in names if g not in fixed_in]
        if not fixed_in and item not in free:
            layout[item] = [(item, tuple(names), False)]
            continue
        cols = [(f"{item}{_SEP}{g}", (g,), True) for g in fixed_in]
        if item in free:
            cols += [(f"{item}{_SEP}{g}", (g,), False) for g in rest]
        elif rest:
            cols.append((f"{item}{_SEP}{'+'.join(rest)}", tuple(rest), False))
        layout[item] = cols
    return layout


def _check_identified(layout, names, ref, any_fixed) -> None:
    """Every group linked, through shared estimated items, to a group whose scale is set."""
    parent = {g: g for g in names}

    def root(g):
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    set_by = {ref} if not any_fixed else set()
    for cols in layout.values():
        for _, groups, is_fixed in cols:
            if is_fixed:
                set_by.update(groups)
            elif len(groups) > 1:
                for g in groups[1:]:
                    parent[root(g)] = root(groups[0])
    anchored = {root(g) for g in set_by}
    loose = [g for g in names if root(g) not in anchored]
    if loose:
        how = (
            "fixed parameters in it or in a group it shares estimated items with"
            if any_fixed
            else "an item held invariant across it and the reference group"
        )
        raise ValueError(
            f"the model is not identified: the scale of group(s) {', '.join(loose)} is not set "
            f"(needs {how}); its mean and SD would trade off against its item parameters"
        )


def _expand(x, labels, items, layout):
    """One column per item and group set (presented to those groups only)."""
    cols, ids = [], []
    for j, item in enumerate(items):
        for col_id, groups, _ in layout[item]:
            if col_id == item:
                cols.append(x[:, j])
            else:
                cols.append(np.where(np.isin(labels, groups), x[:, j], NOT_PRESENTED))
            ids.append(col_id)
    return np.column_stack(cols), ids


def _fixed_params(fixed_at, layout) -> ItemParameters | None:
    """The fixed columns' parameters as one ItemParameters (column ids)."""
    rows = [
        (col_id, fixed_at[(item, groups[0])])
        for item, cols in layout.items()
        for col_id, groups, is_fixed in cols
        if is_fixed
    ]
    if not rows:
        return None
    width = max(p.b.shape[1] for _, p in rows)
    b = np.full((len(rows), width), np.nan)
    for k, (_, p) in enumerate(rows):
        b[k, : p.b.shape[1]] = p.b[0]
    return ItemParameters(
        item_ids=tuple(c for c, _ in rows),
        model=tuple(p.model[0] for _, p in rows),
        a=np.array([p.a[0] for _, p in rows]),
        b=b,
        c=np.array([p.c[0] for _, p in rows]),
    )


def _fit(
    cols, col_ids, labels, names, items, free, models, quadrature, rng, max_iter, tol, prior, se,
    layout, anchors,
):  # fmt: skip
    model, poly_model = models
    rm = from_array(cols, item_ids=col_ids)
    prep = prepare(rm, model=model, poly_model=poly_model, anchors=anchors)
    if prep.dropped_items:
        item, why = prep.dropped_items[0]
        raise ValueError(f"item {item.split(_SEP)[0]}: {why} (in a group of a freed item)")
    blocks, _ = build_blocks(prep, anchors, prior)
    nodes = np.linspace(rng[0], rng[1], int(quadrature))
    fixed_slope = model in _engine.FIXED_SLOPE
    all_free = anchors is not None
    lats = [
        _engine.Latent(est_mean=g > 0 or all_free, est_sd=g > 0 or fixed_slope or all_free)
        for g in range(len(names))
    ]
    pats = [compress(prep.scores[labels == g], prep.n_categories, chunk_size=50_000) for g in names]
    k_max = int(np.max(prep.n_categories))
    n_items = len(prep.item_ids)
    it, converged, change = 0, False, np.inf

    def em(phi):
        """One EM step from ``phi``: ``(image, loglik at phi)``, or ``(None, -inf)``."""
        nonlocal it
        _unpack(phi, blocks, lats)
        if not all(_engine.valid(blocks, lat) for lat in lats):
            return None, -np.inf
        logp = _engine.all_log_probs(blocks, n_items, k_max, nodes)
        counts, n_qs, ll = _estep_all(pats, logp, lats, nodes)
        it += 1
        for blk in blocks:
            _engine.mstep_block(blk, counts[blk.items, : blk.n_categories, :], nodes, prior)
        for lat, n_q in zip(lats, n_qs, strict=True):
            _mstep_latent(lat, n_q, nodes)
        if not all(_engine.valid(blocks, lat) for lat in lats) or not np.isfinite(ll):
            return None, -np.inf
        return _state(blocks, lats), ll

    def done(new, old, ll, ll_before):
        nonlocal change
        change = float(np.max(np.abs(new - old)))
        return change < tol and abs(ll - ll_before) < 1e-9 * max(1.0, abs(ll))

    # SQUAREM (scheme S3) with a monotonicity safeguard, as the single-group engine
    phi, prev_ll, step_max = _state(blocks, lats), -np.inf, 1.0
    while it < max_iter:
        phi1, ll0 = em(phi)
        if phi1 is None:
            break
        if done(phi1, phi, ll0, prev_ll):
            phi, converged = phi1, True
            break
        if it + 2 > max_iter:
            phi, prev_ll = phi1, ll0
            continue
        phi2, ll1 = em(phi1)
        if phi2 is None:
            phi = phi1
            break
        if done(phi2, phi1, ll1, ll0):
            phi, converged = phi2, True
            break
        r, v = phi1 - phi, phi2 - 2 * phi1 + phi
        vv = float(v @ v)
        alpha = -1.0 if vv <= 0 else float(np.clip(-np.sqrt(float(r @ r) / vv), -step_max, -1))
        phi3, ll_x = em(phi - 2 * alpha * r + alpha**2 * v)
        if phi3 is not None and ll_x >= ll1 - 1e-8 * abs(ll1):
            phi, prev_ll = phi3, ll_x
            step_max = step_max * 4 if alpha == -step_max else step_max
        else:
            phi, prev_ll = phi2, ll1
            step_max = max(1.0, step_max / 4) if alpha == -step_max else step_max
    _unpack(phi, blocks, lats)
    logp = _engine.all_log_probs(blocks, n_items, k_max, nodes)
    _, _, loglik = _estep_all(pats, logp, lats, nodes)
    message = (
        f"converged after {it} EM steps: max parameter change {change:.2e} < {tol:g}"
        if converged
        else f"did not converge in {it} EM steps: last max parameter change {change:.2e}, "
        f"tolerance {tol:g}"
    )
    if not converged:
        warnings.warn(message, ConvergenceWarning, stacklevel=3)
    cov = None
    if se:
        cov = _covariance(phi, blocks, lats, pats, nodes, prior, n_items, k_max)
        if cov is None:
            warnings.warn(
                "the information matrix is not positive definite; standard errors are NaN",
                CalibrationWarning,
                stacklevel=3,
            )
        _unpack(phi, blocks, lats)
    n_item_free = phi.size - 2 * len(lats)
    item_cov = None if cov is None else cov[:n_item_free, :n_item_free]
    params, _ = reported_parameters(prep, blocks, _engine.Latent(), item_cov)
    group_params = {}
    for g in names:
        ids = [next(c for c, groups, _ in layout[i] if g in groups) for i in items]
        group_params[g] = replace(params.subset(ids), item_ids=tuple(items))
    lat_free = np.array([e for lat in lats for e in (lat.est_mean, lat.est_sd)])
    lat_se = np.full(2 * len(lats), np.nan)
    if cov is not None:
        lat_se[lat_free] = np.sqrt(np.diag(cov)[n_item_free:])
    owner = _packed_owner(blocks, prep.item_ids)
    n_free = sum(b.n_free for b in blocks) + sum(lat.n_free for lat in lats)
    return MultiGroupResult(
        groups=tuple(names),
        group_params=group_params,
        free_items=free,
        latent_means=tuple(float(lat.mean) for lat in lats),
        latent_sds=tuple(float(lat.sd) for lat in lats),
        loglik=float(loglik),
        n_parameters=int(n_free),
        n_persons=tuple(int(np.sum(labels == g)) for g in names),
        iterations=it,
        converged=converged,
        message=message,
        latent_mean_ses=tuple(float(v) for v in lat_se[0::2]),
        latent_sd_ses=tuple(float(v) for v in lat_se[1::2]),
        covariance=cov,
        estimates=np.concatenate([phi[:n_item_free], phi[n_item_free:][lat_free]]),
        fixed=tuple((i, groups[0]) for i in items for _, groups, is_fixed in layout[i] if is_fixed),
        parameter_names=owner
        + tuple(
            f"{stat}[{g}]"
            for g, lat in zip(names, lats, strict=True)
            for stat, on in (("mean", lat.est_mean), ("sd", lat.est_sd))
            if on
        ),
    )


def _mstep_latent(lat, n_q: np.ndarray, nodes: np.ndarray) -> None:
    """Exact M-step of a group's mean and SD for the quadrature's renormalised normal weights.

    The weights ``w_q ~ exp(eta1 x_q + eta2 x_q^2)`` form an exponential family on the nodes, so
    the maximum matches *their* first two moments to the posterior's (Newton in ``eta``, from
    the plain moment estimates). Plain moment matching (the continuous normal's maximum) leaves a
    bias when a group's distribution reaches the ends of the grid: the EM fixed point is then not
    the maximum of the reported likelihood.
    """
    _engine.mstep_latent(lat, n_q, nodes)
    if not lat.est_sd or (not lat.est_mean and lat.mean != 0.0):
        return
    stat = np.stack([nodes, nodes**2], axis=1) if lat.est_mean else (nodes**2)[:, None]
    target = n_q @ stat / n_q.sum()
    var = lat.sd**2
    eta = np.array([lat.mean / var, -0.5 / var]) if lat.est_mean else np.array([-0.5 / var])
    for _ in range(30):
        z = stat @ eta
        w = np.exp(z - z.max())
        w /= w.sum()
        e = w @ stat
        r = target - e
        if np.max(np.abs(r)) < 1e-12 * (1.0 + np.max(np.abs(target))):
            break
        cov = (stat * w[:, None]).T @ stat - np.outer(e, e)
        try:
            step = np.linalg.solve(cov, r)
        except np.linalg.LinAlgError:
            return
        while eta[-1] + step[-1] >= 0:
            step = step / 2
        eta = eta + step
    var = -0.5 / eta[-1]
    lat.sd = float(np.sqrt(var))
    if lat.est_mean:
        lat.mean = float(eta[0] * var)


def _gradient(phi, blocks, lats, pats, nodes, prior, n_items, k_max) -> np.ndarray:
    """The exact score of the log-likelihood (plus log prior) at ``phi`` (Fisher's identity:
    the expected complete-data score under the posterior at ``phi``), free entries only."""
    _unpack(phi, blocks, lats)
    logp = _engine.all_log_probs(blocks, n_items, k_max, nodes)
    counts, n_qs, _ = _estep_all(pats, logp, lats, nodes)
    parts = []
    for blk in blocks:
        if blk.fixed:
            continue
        grad, _ = _engine.block_grad_info(
            blk, blk.par, counts[blk.items, : blk.n_categories, :], nodes, prior
        )
        if blk.shared_slope:
            parts.append([grad[:, 0].sum()])
            parts.append(grad[:, 1:][:, blk.free_cols[1:]].ravel())
        else:
            parts.append(grad[:, blk.free_cols].ravel())
    for lat, n_q in zip(lats, n_qs, strict=True):
        g = n_q @ _engine.latent_scores(nodes, lat.mean, lat.sd)
        parts.append(g[[lat.est_mean, lat.est_sd]] if lat.n_free else [])
    return np.concatenate([np.asarray(p, dtype=float) for p in parts])


def _covariance(phi, blocks, lats, pats, nodes, prior, n_items, k_max):
    """Inverse of the observed information (central differences of the exact score)."""
    lat_free = np.array([e for lat in lats for e in (lat.est_mean, lat.est_sd)])
    n_item_free = phi.size - 2 * len(lats)
    free_idx = np.concatenate([np.arange(n_item_free), n_item_free + np.flatnonzero(lat_free)])
    n = free_idx.size
    hess = np.empty((n, n))
    for k, idx in enumerate(free_idx):
        h = 1e-4 * (1.0 + abs(phi[idx]))
        up, dn = phi.copy(), phi.copy()
        up[idx] += h
        dn[idx] -= h
        hess[:, k] = (
            _gradient(up, blocks, lats, pats, nodes, prior, n_items, k_max)
            - _gradient(dn, blocks, lats, pats, nodes, prior, n_items, k_max)
        ) / (2 * h)
    return covariance(-0.5 * (hess + hess.T))


def _packed_owner(blocks, item_ids) -> tuple[str, ...]:
    """Names of the packed item parameters, ``item:column`` (slope-intercept metric)."""
    names = []
    for blk in blocks:
        if blk.fixed:
            continue
        cols = np.flatnonzero(blk.free_cols)
        if blk.shared_slope:
            names.append("shared slope")
            cols = cols[cols > 0]
        for j in blk.items:
            names.extend(f"{item_ids[j]}:{int(c)}" for c in cols)
    return tuple(names)


def _estep_all(pats, logp, lats, nodes):
    counts, n_qs, ll = None, [], 0.0
    for pat, lat in zip(pats, lats, strict=True):
        res = estep(pat, logp, _engine.log_weights(nodes, lat.mean, lat.sd), nodes)
        counts = res.counts if counts is None else counts + res.counts
        n_qs.append(res.n_q)
        ll += res.loglik
    return counts, n_qs, ll


def _state(blocks, lats) -> np.ndarray:
    """Free item parameters (the engine's packing) and every group's mean and SD."""
    lat_values = np.array([v for lat in lats for v in (lat.mean, lat.sd)])
    return np.concatenate([_engine.pack(blocks, _engine.Latent()), lat_values])


def _unpack(phi, blocks, lats) -> None:
    n_items = phi.size - 2 * len(lats)
    _engine.unpack(phi[:n_items], blocks, _engine.Latent())
    for k, lat in enumerate(lats):  # fixed values are never changed by the M-step
        lat.mean, lat.sd = float(phi[n_items + 2 * k]), float(phi[n_items + 2 * k + 1])
