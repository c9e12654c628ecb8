"""Item response models: parameters and response functions in the logistic metric (D = 1).

Every model credkit knows is evaluated here, for any mixture of models across items:

========  =====================================================================================
model     category probabilities at ability theta
========  =====================================================================================
rasch     P(X=1) = 1 / (1 + exp(-(theta - b)))                 (a = 1, latent variance free)
1pl       P(X=1) = 1 / (1 + exp(-a (theta - b)))               (one a shared by all items)
2pl       P(X=1) = 1 / (1 + exp(-a (theta - b)))
3pl       P(X=1) = c + (1 - c) / (1 + exp(-a (theta - b)))
grm       P(X>=k) = 1 / (1 + exp(-a (theta - b_k))), k = 1..K-1, b_1 < ... < b_{K-1}
gpcm      P(X=k) proportional to exp(sum_{v<=k} a (theta - b_v)), k = 0..K-1 (empty sum = 0)
pcm       gpcm with a = 1
nominal   P(X=k) proportional to exp(a (ak_k theta - b_k)), k = 0..K-1, ak_0 = b_0 = 0
========  =====================================================================================

The nominal response model (Bock 1972) is stored in mirt's parameterisation:
``P(X = k)`` proportional to ``exp(a ak_k theta + d_k)`` with scoring functions ``ak``
(:attr:`ItemParameters.ak`; ``ak_0 = 0`` and ``ak_{K-1} = K - 1`` when estimated) and
intercepts ``d_k = -a b_k`` (``d_0 = 0``), so ``b_k = -d_k / a`` as for every other model.
Bock's original slopes and intercepts are ``a_k = a ak_k`` and ``c_k = d_k`` (first category
zero), or the same centred to sum to zero (mirt's ``IRTpars = TRUE``);
:func:`nominal_parameters` gives all three and :func:`nominal_from_bock` converts back. With
``K = 2`` the model is the 2PL; with ``ak_k = k`` it is the GPCM, its ``b_k`` the cumulative
sums of the GPCM step locations. ``b_k`` of a nominal item is not a location on the theta scale
(it is ``-d_k / a``): linking transforms ``d_k`` by ``d_k - a ak_k B / A``, not ``A b + B``.

Parameters live in :class:`ItemParameters`, a frozen container with one row per item. Thresholds
``b`` are stored as an ``(n_items, max_categories - 1)`` array padded with NaN; a dichotomous item
uses column 0 only.

References
----------
Birnbaum, A. (1968). Some latent trait models and their use in inferring an examinee's ability.
    In Lord & Novick, *Statistical Theories of Mental Test Scores*. Addison-Wesley.
Samejima, F. (1969). Estimation of latent ability using a response pattern of graded scores.
    *Psychometrika Monograph Supplement*, 17.
Muraki, E. (1992). A generalized partial credit model. *Applied Psychological Measurement*, 16(2).
Bock, R. D. (1972). Estimating item parameters and latent ability when responses are scored in
    two or more nominal categories. *Psychometrika*, 37(1), 29-51.
Thissen, D., Cai, L., & Bock, R. D. (2010). The nominal categories item response model. In M. L.
    Nering & R. Ostini (Eds.), *Handbook of Polytomous Item Response Theory Models*. Routledge.
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and equipercentile observed-
    score "equatings". *Applied Psychological Measurement*, 8(4), 453-461.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

DICHOTOMOUS_MODELS = ("rasch", "1pl", "2pl", "3pl")
POLYTOMOUS_MODELS = ("grm", "gpcm", "pcm", "nominal")
MODELS = DICHOTOMOUS_MODELS + POLYTOMOUS_MODELS
METRIC = "logistic, D = 1"


@dataclass(frozen=True)
class ItemParameters:
    """Calibrated (or bank) parameters of a set of items, one row per item.

    Attributes
    ----------
    item_ids
        Item identifiers, in column order.
    model
        Model name per item (one of :data:`MODELS`).
    a
        Discrimination (slope), shape ``(n_items,)``; 1 for Rasch and PCM items.
    b
        Difficulty / thresholds, shape ``(n_items, max_categories - 1)``, NaN-padded. Column 0 is
        ``b`` of a dichotomous item; columns ``0..K-2`` are ``b_1..b_{K-1}`` of a K-category item.
    c
        Lower asymptote, shape ``(n_items,)``; 0 for every model but 3PL.
    se_a, se_b, se_c
        Standard errors of the same shapes; NaN where a parameter was fixed or not estimated.
    metric
        The scale the numbers are on (always stated in outputs).
    ak, se_ak
        Scoring functions ``ak_0 .. ak_{K-1}`` of nominal items and their standard errors, shape
        ``(n_items, max_categories)``, NaN for every other model (and for the two fixed by the
        identification, ``ak_0 = 0`` and ``ak_{K-1} = K - 1``, in ``se_ak``).
    options
        Per item, the option letter of each category in code order (``("A", "C", "D", "B")``)
        when the categories are options of a multiple-choice item, else ``()``; lets option
        letters be matched to a nominal item's categories when scoring.
    """

    item_ids: tuple[str, ...]
    model: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    se_a: np.ndarray | None = None
    se_b: np.ndarray | None = None
    se_c: np.ndarray | None = None
    metric: str = METRIC
    ak: np.ndarray | None = None
    se_ak: np.ndarray | None = None
    options: tuple[tuple[str, ...], ...] | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.item_ids)
        a = np.asarray(self.a, dtype=float).reshape(-1)
        b = np.asarray(self.b, dtype=float)
        if b.ndim == 1:
            b = b[:, None]
        c = np.asarray(self.c, dtype=float).reshape(-1)
        if len(self.model) != n or a.shape != (n,) or c.shape != (n,) or b.shape[0] != n:
            raise ValueError("item_ids, model, a, b and c must describe the same number of items")
        unknown = sorted(set(self.model) - set(MODELS))
        if unknown:
            raise ValueError(f"model: unknown model(s) {unknown}; known: {', '.join(MODELS)}")
        if len(set(self.item_ids)) != n:
            raise ValueError("item_ids: duplicate item ids")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)
        object.__setattr__(self, "c", c)
        object.__setattr__(self, "item_ids", tuple(self.item_ids))
        object.__setattr__(self, "model", tuple(self.model))
        for name, like in (("se_a", a), ("se_b", b), ("se_c", c)):
            value = getattr(self, name)
            if value is None:
                value = np.full(like.shape, np.nan)
            else:
                value = np.asarray(value, dtype=float).reshape(like.shape)
            object.__setattr__(self, name, value)
        self._set_scoring_functions()
        labels = tuple(tuple(str(o) for o in x) for x in (self.options or ((),) * n))
        if len(labels) != n:
            raise ValueError("options must have one entry per item")
        object.__setattr__(self, "options", labels)
        object.__setattr__(self, "_index", {item: j for j, item in enumerate(self.item_ids)})

    def _set_scoring_functions(self) -> None:
        """``ak``/``se_ak`` as ``(n_items, max_categories)`` arrays, NaN outside nominal items."""
        n, width = len(self.item_ids), self.b.shape[1] + 1
        nominal = np.asarray(self.model) == "nominal"
        ncat = np.sum(~np.isnan(self.b), axis=1) + 1
        inside = (np.arange(width)[None, :] < ncat[:, None]) & nominal[:, None]
        for name in ("ak", "se_ak"):
            value = getattr(self, name)
            out = np.full((n, width), np.nan)
            if value is not None:
                value = np.asarray(value, dtype=float)
                if value.ndim != 2 or value.shape[0] != n:
                    raise ValueError(f"{name} must have shape (n_items, max_categories)")
                cols = min(width, value.shape[1])
                out[:, :cols] = value[:, :cols]
            out = np.where(inside, out, np.nan)
            object.__setattr__(self, name, out)
        bad = nominal & ~np.all(np.isfinite(self.ak) | ~inside, axis=1)
        if bad.any():
            item = self.item_ids[int(np.flatnonzero(bad)[0])]
            raise ValueError(
                f"ak: nominal item {item!r} needs finite scoring functions ak_0 .. ak_(K-1)"
            )

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_categories(self) -> np.ndarray:
        """Number of score categories per item (2 for dichotomous items)."""
        return np.sum(~np.isnan(self.b), axis=1) + 1

    @property
    def max_scores(self) -> np.ndarray:
        return self.n_categories - 1

    @property
    def is_dichotomous(self) -> np.ndarray:
        return np.isin(np.asarray(self.model), DICHOTOMOUS_MODELS)

    def index(self, item_id: str) -> int:
        """Position of ``item_id``; KeyError if absent."""
        return self._index[item_id]

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._index

    def subset(self, item_ids: Sequence[str]) -> ItemParameters:
        """The parameters of ``item_ids`` only, in that order (thresholds re-padded)."""
        missing = [i for i in item_ids if i not in self._index]
        if missing:
            raise KeyError(f"items not in the parameters: {', '.join(missing)}")
        rows = [self._index[i] for i in item_ids]
        width = max(1, int(np.max(np.sum(~np.isnan(self.b[rows]), axis=1), initial=1)))
        return ItemParameters(
            item_ids=tuple(item_ids),
            model=tuple(self.model[r] for r in rows),
            a=self.a[rows],
            b=self.b[rows, :width],
            c=self.c[rows],
            se_a=self.se_a[rows],
            se_b=self.se_b[rows, :width],
            se_c=self.se_c[rows],
            metric=self.metric,
            ak=self.ak[rows, : width + 1],
            se_ak=self.se_ak[rows, : width + 1],
            options=tuple(self.options[r] for r in rows),
        )

    def with_values(self, **changes) -> ItemParameters:
        """A copy with some fields replaced (``a=..., b=...``)."""
        return replace(self, **changes)

    @classmethod
    def concatenate(cls, parts: Sequence[ItemParameters]) -> ItemParameters:
        """Stack several parameter sets (disjoint item ids) into one."""
        width = max(p.b.shape[1] for p in parts)

        def pad(x, cols=width):
            return np.pad(x, ((0, 0), (0, cols - x.shape[1])), constant_values=np.nan)

        return cls(
            item_ids=tuple(i for p in parts for i in p.item_ids),
            model=tuple(m for p in parts for m in p.model),
            a=np.concatenate([p.a for p in parts]),
            b=np.vstack([pad(p.b) for p in parts]),
            c=np.concatenate([p.c for p in parts]),
            se_a=np.concatenate([p.se_a for p in parts]),
            se_b=np.vstack([pad(p.se_b) for p in parts]),
            se_c=np.concatenate([p.se_c for p in parts]),
            metric=parts[0].metric,
            ak=np.vstack([pad(p.ak, width + 1) for p in parts]),
            se_ak=np.vstack([pad(p.se_ak, width + 1) for p in parts]),
            options=tuple(o for p in parts for o in p.options),
        )


def _as_theta(theta) -> np.ndarray:
    return np.atleast_1d(np.asarray(theta, dtype=float))


def _log_sigmoid(x: np.ndarray) -> np.ndarray:
    # log(1 / (1 + exp(-x))) without overflow
    return -np.logaddexp(0.0, -x)


def log_category_probabilities(params: ItemParameters, theta) -> np.ndarray:
    """Log probability of each score category.

    Parameters
    ----------
    params
        The items.
    theta
        Abilities, shape ``(n_theta,)``.

    Returns
    -------
    ndarray, shape ``(n_theta, n_items, max_categories)``
        ``log P(X_j = k | theta)``; ``-inf`` in padding columns beyond an item's categories.
    """
    theta = _as_theta(theta)
    n_theta, n_items = theta.size, params.n_items
    width = params.b.shape[1] + 1
    out = np.full((n_theta, n_items, width), -np.inf)
    models = np.asarray(params.model)

    dich = np.flatnonzero(np.isin(models, DICHOTOMOUS_MODELS))
    if dich.size:
        z = params.a[dich] * (theta[:, None] - params.b[dich, 0])
        c = params.c[dich]
        log_p_star = _log_sigmoid(z)
        log_q_star = _log_sigmoid(-z)
        with np.errstate(divide="ignore"):
            # P = c + (1-c) P*,  Q = (1-c) Q*
            out[:, dich, 1] = np.logaddexp(np.log(c), np.log1p(-c) + log_p_star)
            out[:, dich, 0] = np.log1p(-c) + log_q_star

    grm = np.flatnonzero(models == "grm")
    if grm.size:
        out[:, grm, :] = _grm_log_probs(params.a[grm], params.b[grm], theta, width)

    pc = np.flatnonzero(np.isin(models, ("gpcm", "pcm")))
    if pc.size:
        out[:, pc, :] = _gpcm_log_probs(params.a[pc], params.b[pc], theta, width)

    nom = np.flatnonzero(models == "nominal")
    if nom.size:
        out[:, nom, :] = _nominal_log_probs(
            params.a[nom], params.b[nom], params.ak[nom], theta, width
        )
    return out


def _nominal_log_probs(a, b, ak, theta, width):
    ncat = np.sum(~np.isnan(b), axis=1) + 1
    valid = np.arange(width)[None, :] < ncat[:, None]
    b_full = np.concatenate([np.zeros((a.size, 1)), np.nan_to_num(b)], axis=1)
    numer = a[None, :, None] * (
        np.nan_to_num(ak)[None, :, :] * theta[:, None, None] - b_full[None, :, :]
    )
    numer = np.where(valid[None], numer, -np.inf)
    return numer - np.logaddexp.reduce(numer, axis=2, keepdims=True)


def _grm_log_probs(a, b, theta, width):
    n_theta, n_items = theta.size, a.size
    # cumulative P(X >= k) for k = 0..K (P(X>=0) = 1, P(X>=K) = 0); NaN thresholds -> 0
    z = a[None, :, None] * (theta[:, None, None] - b[None, :, :])
    star = np.ones((n_theta, n_items, width + 1))
    star[:, :, 1:width] = np.where(np.isnan(z), 0.0, 1.0 / (1.0 + np.exp(-np.nan_to_num(z))))
    star[:, :, width] = 0.0
    probs = star[:, :, :-1] - star[:, :, 1:]
    ncat = np.sum(~np.isnan(b), axis=1) + 1
    valid = np.arange(width)[None, :] < ncat[:, None]
    with np.errstate(divide="ignore"):
        logp = np.log(np.clip(probs, 1e-300, None))
    return np.where(valid[None], logp, -np.inf)


def _gpcm_log_probs(a, b, theta, width):
    ncat = np.sum(~np.isnan(b), axis=1) + 1
    steps = a[None, :, None] * (theta[:, None, None] - np.nan_to_num(b)[None, :, :])
    numer = np.zeros((theta.size, a.size, width))
    numer[:, :, 1:] = np.cumsum(steps, axis=2)
    valid = np.arange(width)[None, :] < ncat[:, None]
    numer = np.where(valid[None], numer, -np.inf)
    log_norm = np.logaddexp.reduce(numer, axis=2, keepdims=True)
    return numer - log_norm


def category_probabilities(params: ItemParameters, theta) -> np.ndarray:
    """``P(X_j = k | theta)``, shape ``(n_theta, n_items, max_categories)``, zero-padded."""
    return np.exp(log_category_probabilities(params, theta))


def expected_scores(params: ItemParameters, theta) -> np.ndarray:
    """Expected item score ``E[X_j | theta]``, shape ``(n_theta, n_items)``."""
    probs = category_probabilities(params, theta)
    return probs @ np.arange(probs.shape[2], dtype=float)


def test_characteristic_curve(params: ItemParameters, theta) -> np.ndarray:
    """Expected summed score at each theta (the TCC), shape ``(n_theta,)``."""
    return expected_scores(params, theta).sum(axis=1)


test_characteristic_curve.__test__ = False  # not a pytest test despite the name


def item_information(params: ItemParameters, theta) -> np.ndarray:
    """Fisher information of each item, shape ``(n_theta, n_items)``.

    Computed as ``sum_k (dP_k/dtheta)^2 / P_k`` from analytic derivatives, which gives
    ``a^2 (P - c)^2 Q / ((1 - c)^2 P)`` for the 3PL, Samejima's formula for the GRM,
    ``a^2 Var(X | theta)`` for the GPCM and ``a^2 Var(ak_X | theta)`` for the nominal model.

    References
    ----------
    Baker, F. B., & Kim, S.-H. (2004). *Item Response Theory: Parameter Estimation Techniques*
        (2nd ed.), ch. 3 and 9. Marcel Dekker.
    """
    theta = _as_theta(theta)
    probs = category_probabilities(params, theta)
    deriv = category_probability_derivatives(params, theta, probs=probs)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 1e-300, deriv**2 / probs, 0.0)
    return terms.sum(axis=2)


def test_information(params: ItemParameters, theta) -> np.ndarray:
    """Test information function (sum of item information), shape ``(n_theta,)``."""
    return item_information(params, theta).sum(axis=1)


test_information.__test__ = False


def category_probability_derivatives(
    params: ItemParameters, theta, *, probs: np.ndarray | None = None
) -> np.ndarray:
    """``dP(X_j = k | theta) / dtheta``, shape ``(n_theta, n_items, max_categories)``."""
    theta = _as_theta(theta)
    if probs is None:
        probs = category_probabilities(params, theta)
    out = np.zeros_like(probs)
    models = np.asarray(params.model)

    dich = np.flatnonzero(np.isin(models, DICHOTOMOUS_MODELS))
    if dich.size:
        a, c = params.a[dich], params.c[dich]
        z = a * (theta[:, None] - params.b[dich, 0])
        p_star = 1.0 / (1.0 + np.exp(-z))
        d1 = (1.0 - c) * a * p_star * (1.0 - p_star)
        out[:, dich, 1] = d1
        out[:, dich, 0] = -d1

    grm = np.flatnonzero(models == "grm")
    if grm.size:
        a, b = params.a[grm], params.b[grm]
        width = probs.shape[2]
        z = a[None, :, None] * (theta[:, None, None] - b[None, :, :])
        star = np.where(np.isnan(z), 0.0, 1.0 / (1.0 + np.exp(-np.nan_to_num(z))))
        dstar = np.zeros((theta.size, grm.size, width + 1))
        dstar[:, :, 1:width] = a[None, :, None] * star * (1.0 - star)
        out[:, grm, :] = dstar[:, :, :-1] - dstar[:, :, 1:]

    pc = np.flatnonzero(np.isin(models, ("gpcm", "pcm")))
    if pc.size:
        p = probs[:, pc, :]
        k = np.arange(p.shape[2], dtype=float)
        mean = (p * k).sum(axis=2, keepdims=True)
        out[:, pc, :] = params.a[pc][None, :, None] * p * (k - mean)

    nom = np.flatnonzero(models == "nominal")
    if nom.size:
        p = probs[:, nom, :]
        ak = np.nan_to_num(params.ak[nom])[None, :, :]
        mean = (p * ak).sum(axis=2, keepdims=True)
        out[:, nom, :] = params.a[nom][None, :, None] * p * (ak - mean)
    return out


def summed_score_likelihood(params: ItemParameters, theta) -> np.ndarray:
    """Likelihood of each summed score at each theta, by the Lord-Wingersky recursion.

    Returns
    -------
    ndarray, shape ``(n_theta, max_total + 1)``
        ``P(S = s | theta)`` where ``S`` is the sum of the item scores of ``params``.

    References
    ----------
    Lord, F. M., & Wingersky, M. S. (1984). *Applied Psychological Measurement*, 8(4), 453-461.
    Thissen, D., Pommerich, M., Billeaud, K., & Williams, V. S. L. (1995). Item response theory
        for scores on tests including polytomous items with ordered responses. *Applied
        Psychological Measurement*, 19(1), 39-49.
    """
    theta = _as_theta(theta)
    probs = category_probabilities(params, theta)
    ncat = params.n_categories
    total = int(np.sum(ncat - 1))
    dist = np.zeros((theta.size, total + 1))
    dist[:, 0] = 1.0
    top = 0
    for j in range(params.n_items):  # loop over items (not examinees): the recursion is sequential
        k_max = int(ncat[j]) - 1
        new = np.zeros_like(dist)
        for k in range(k_max + 1):
            new[:, k : top + k + 1] += dist[:, : top + 1] * probs[:, j, k : k + 1]
        dist = new
        top += k_max
    return dist


@dataclass(frozen=True)
class NominalParameters:
    """Nominal items in three parameterisations; arrays of shape ``(n_items, max_categories)``,
    NaN beyond an item's categories.

    Attributes
    ----------
    item_ids
        The nominal items, in the order of the parameters they came from.
    a, ak, d
        mirt's form: ``P(X = k)`` proportional to ``exp(a ak_k theta + d_k)``; ``a`` has shape
        ``(n_items,)``, ``d_k = -a b_k`` and ``d_0 = 0``.
    slopes, intercepts
        Bock's form with the first category as reference: ``a_k = a ak_k`` and ``c_k = d_k``
        (``P(X = k)`` proportional to ``exp(a_k theta + c_k)``).
    slopes_centered, intercepts_centered
        Bock's form identified by ``sum_k a_k = sum_k c_k = 0`` (mirt's ``IRTpars = TRUE``).
    """

    item_ids: tuple[str, ...]
    a: np.ndarray
    ak: np.ndarray
    d: np.ndarray
    slopes: np.ndarray
    intercepts: np.ndarray
    slopes_centered: np.ndarray
    intercepts_centered: np.ndarray
    se_d: np.ndarray | None = None
    se_slopes: np.ndarray | None = None
    se_slopes_centered: np.ndarray | None = None
    se_intercepts_centered: np.ndarray | None = None


def nominal_parameters(params: ItemParameters, *, covariance=None) -> NominalParameters:
    """The nominal items of ``params`` in mirt's and Bock's parameterisations.

    With ``covariance`` (a calibration's :attr:`CalibrationResult.covariance`) the ``se_*``
    fields hold delta-method standard errors of ``d``, Bock's slopes and the centred forms
    (``se_intercepts`` is ``se_d``); NaN for values fixed by the identification or for
    parameters the covariance does not list (anchors). Without it they are None.

    References
    ----------
    Bock, R. D. (1972). *Psychometrika*, 37(1), 29-51.
    Thissen, D., Cai, L., & Bock, R. D. (2010). The nominal categories item response model.
        In *Handbook of Polytomous Item Response Theory Models*. Routledge.
    """
    if not isinstance(params, ItemParameters):
        raise TypeError("params must be ItemParameters")
    rows = np.flatnonzero(np.asarray(params.model) == "nominal")
    width = params.b.shape[1] + 1
    a = params.a[rows]
    ak = params.ak[rows]
    b_full = np.concatenate([np.zeros((rows.size, 1)), params.b[rows]], axis=1)[:, :width]
    d = -a[:, None] * b_full + 0.0  # + 0.0: no -0.0 for d_0
    slopes = a[:, None] * ak
    with np.errstate(invalid="ignore"):
        slopes_c = slopes - np.nanmean(slopes, axis=1, keepdims=True) if rows.size else slopes
        inter_c = d - np.nanmean(d, axis=1, keepdims=True) if rows.size else d
    ses = {} if covariance is None else _nominal_ses(params, rows, covariance)
    return NominalParameters(
        item_ids=tuple(params.item_ids[r] for r in rows),
        a=a,
        ak=ak,
        d=d,
        slopes=slopes,
        intercepts=d.copy(),
        slopes_centered=slopes_c,
        intercepts_centered=inter_c,
        **ses,
    )


def _nominal_ses(params: ItemParameters, rows: np.ndarray, covariance) -> dict:
    """Delta-method SEs of d, Bock's slopes and the centred forms, per nominal item."""
    cov = covariance.in_metric("slope-intercept")
    width = params.b.shape[1] + 1
    out = {name: np.full((rows.size, width), np.nan) for name in _SE_FIELDS}
    position = {name: i for i, name in enumerate(cov.names)}
    for i, r in enumerate(rows):
        item, k = params.item_ids[r], int(params.n_categories[r])
        a, ak = float(params.a[r]), params.ak[r, :k]
        labels = ["a"] + [f"d{m}" for m in range(1, k)] + [f"ak{m}" for m in range(1, k - 1)]
        idx = [position.get((item, lab)) for lab in labels]
        sigma = np.zeros((len(labels), len(labels)))
        known = np.array([x is not None for x in idx])
        pos = [x for x in idx if x is not None]
        sigma[np.ix_(known, known)] = cov.matrix[np.ix_(pos, pos)]
        jac_s = np.zeros((k, len(labels)))  # slopes a ak_m, m = 0..K-1, by (a, d, ak)
        jac_s[:, 0] = ak
        jac_s[np.arange(1, k - 1), k + np.arange(k - 2)] = a
        jac_d = np.zeros((k, len(labels)))
        jac_d[np.arange(1, k), np.arange(1, k)] = 1.0
        centre = np.eye(k) - 1.0 / k
        for name, jac in (
            ("se_slopes", jac_s),
            ("se_d", jac_d),
            ("se_slopes_centered", centre @ jac_s),
            ("se_intercepts_centered", centre @ jac_d),
        ):
            rel = jac[:, ~known]
            var = np.einsum("mp,pq,mq->m", jac, sigma, jac)
            bad = (var <= 1e-300) | np.any(rel != 0, axis=1)
            out[name][i, :k] = np.where(bad, np.nan, np.sqrt(np.where(bad, 1.0, var)))
    return out


_SE_FIELDS = ("se_d", "se_slopes", "se_slopes_centered", "se_intercepts_centered")


def nominal_from_bock(item_ids: Sequence[str], slopes, intercepts) -> ItemParameters:
    """Nominal items from Bock's slopes ``a_k`` and intercepts ``c_k`` (any identification).

    The parameters are re-identified relative to category 0 and put in mirt's form
    (``ak_0 = 0``, ``ak_{K-1} = K - 1``): ``a = (a_{K-1} - a_0) / (K - 1)``,
    ``ak_k = (a_k - a_0) / a`` and ``b_k = -(c_k - c_0) / a``.

    Parameters
    ----------
    item_ids
        One id per row.
    slopes, intercepts
        Arrays ``(n_items, max_categories)``; NaN beyond an item's categories.

    Raises
    ------
    ValueError
        If the shapes differ, an item has fewer than two categories or gaps, or the last
        category's slope does not exceed the first's (``a <= 0``: code the keyed option last).
    """
    slopes = np.atleast_2d(np.asarray(slopes, dtype=float))
    intercepts = np.atleast_2d(np.asarray(intercepts, dtype=float))
    ids = tuple(item_ids)
    if slopes.shape != intercepts.shape or slopes.shape[0] != len(ids):
        raise ValueError("slopes and intercepts must both have shape (len(item_ids), categories)")
    present = np.isfinite(slopes) & np.isfinite(intercepts)
    ncat = present.sum(axis=1)
    width = slopes.shape[1]
    if np.any(ncat < 2) or np.any(present != (np.arange(width)[None, :] < ncat[:, None])):
        raise ValueError("slopes/intercepts: each item needs 2 or more categories without gaps")
    rows = np.arange(len(ids))
    rel_s = slopes - slopes[:, :1]
    rel_c = intercepts - intercepts[:, :1]
    a = rel_s[rows, ncat - 1] / (ncat - 1)
    if np.any(~(a > 0)):
        item = ids[int(np.flatnonzero(~(a > 0))[0])]
        raise ValueError(
            f"slopes: item {item!r}: the last category's slope must exceed the first's "
            "(code the keyed option last)"
        )
    ak = rel_s / a[:, None]
    b = -rel_c[:, 1:] / a[:, None]
    return ItemParameters(
        item_ids=ids,
        model=("nominal",) * len(ids),
        a=a,
        b=np.where(present[:, 1:], b, np.nan),
        c=np.zeros(len(ids)),
        ak=np.where(present, ak, np.nan),
    )


def nominal_record(params: ItemParameters, j: int) -> dict:
    """JSON-ready extra fields of nominal item ``j``: mirt's ``ak``, ``se_ak`` and ``d``, and
    Bock's slopes and intercepts centred to sum to zero (None for missing values)."""
    if params.model[j] != "nominal":
        raise ValueError(f"item {params.item_ids[j]!r} is not a nominal item")
    k = int(params.n_categories[j])
    forms = nominal_parameters(params.subset([params.item_ids[j]]))

    def plain(values):
        return [None if not np.isfinite(v) else float(v) for v in values[:k]]

    return {
        "ak": plain(params.ak[j]),
        "se_ak": plain(params.se_ak[j]),
        "d": plain(forms.d[0]),
        "bock": {
            "slopes": plain(forms.slopes_centered[0]),
            "intercepts": plain(forms.intercepts_centered[0]),
            "identification": "sum to zero",
        },
    }
