"""DIF on compact data (issue 17): the screening reads the int8 score matrix one item at a time
and fits the logistic models to (block, matching score, group, score) cells with their counts.
Every statistic is checked against a person-level computation written out in the test: dense
float matrices, per-stratum loops, and likelihoods maximised by scipy's BFGS over persons."""

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, special, stats

from psychometrics import dif
from psychometrics.responses import from_array, read_responses


def _simulate(seed, n=3000, m=8, *, poly_last=False):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    group = np.where(rng.random(n) < 0.4, "F", "R").astype(object)
    group[rng.random(n) < 0.05] = "X"  # in neither group: left out
    b = np.linspace(-1.5, 1.5, m)
    shift = np.zeros(m)
    shift[1], shift[4] = 0.7, -0.5
    eta = theta[:, None] - b - (group == "F")[:, None] * shift
    x = (rng.random((n, m)) < special.expit(eta)).astype(float)
    if poly_last:
        x[:, -1] += rng.random(n) < special.expit(theta)
    x[rng.random((n, m)) < 0.08] = np.nan
    blocks = np.where(rng.random(n) < 0.5, "f1", "f2")
    return x, group.astype(str), blocks


def _binary_loglik(design, y):
    """Maximised person-level log-likelihood of a logistic regression, by BFGS."""

    def negll(beta):
        eta = design @ beta
        return -np.sum(y * eta - np.logaddexp(0.0, eta)), -(design.T @ (y - special.expit(eta)))

    res = optimize.minimize(
        negll, np.zeros(design.shape[1]), jac=True, method="BFGS", options={"gtol": 1e-10}
    )
    return -res.fun


def _ordinal_loglik(design, y):
    """Maximised person-level log-likelihood of a proportional-odds model (K = 3), by BFGS."""

    def negll(theta):
        tau1, tau2 = theta[0], theta[0] - math.exp(theta[1])
        eta = design @ theta[2:]
        p_ge1, p_ge2 = special.expit(tau1 + eta), special.expit(tau2 + eta)
        prob = np.choose(y, [1 - p_ge1, p_ge1 - p_ge2, p_ge2])
        return -np.sum(np.log(prob))

    res = optimize.minimize(
        negll, np.r_[0.0, 0.0, np.zeros(design.shape[1])], method="BFGS", options={"gtol": 1e-9}
    )
    return -res.fun


def _person_level(x, group, j, *, blocks=None):
    """The persons of item j, their score, focal flag, total matching score and block."""
    keep = (group == "F") | (group == "R")
    x, group = x[keep], group[keep]
    seen = ~np.isnan(x[:, j])
    s = np.nansum(x, axis=1)[seen]
    blk = None if blocks is None else np.unique(blocks[keep][seen], return_inverse=True)[1]
    return x[seen, j], group[seen] == "F", s, blk


def _lr_chi2(y, f, s, blk, fit):
    if blk is None:
        z = (s - s.mean()) / s.std()
        intercepts = np.ones((y.size, 1))
    else:
        z = np.empty_like(s)
        for b in np.unique(blk):
            z[blk == b] = (s[blk == b] - s[blk == b].mean()) / s[blk == b].std()
        intercepts = np.column_stack([blk == b for b in np.unique(blk)]).astype(float)
    gf = f.astype(float)
    if fit is _ordinal_loglik:
        intercepts = intercepts[:, 1:]
    lls = [
        fit(np.column_stack([intercepts, *cols]), y) for cols in ((z,), (z, gf), (z, gf, z * gf))
    ]
    return 2 * (lls[1] - lls[0]), 2 * (lls[2] - lls[1]), 2 * (lls[2] - lls[0]), lls


@pytest.mark.parametrize("use_blocks", [False, True])
def test_logistic_dif_equals_person_level_maximum_likelihood(use_blocks):
    x, group, blocks = _simulate(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = dif.dif_analysis(
            from_array(x), group, focal="F", reference="R", blocks=blocks if use_blocks else None
        )
    for j in (0, 1, 4):
        y, f, s, blk = _person_level(x, group, j, blocks=blocks if use_blocks else None)
        chi_u, chi_n, chi_c, lls = _lr_chi2(y, f, s, blk, _binary_loglik)
        got = res.items[j]
        # BFGS stops within ~1e-9 of the maximum; the chi-squares are differences of maxima
        assert got.lr_chi2_uniform == pytest.approx(chi_u, abs=1e-6)
        assert got.lr_chi2_nonuniform == pytest.approx(chi_n, abs=1e-6)
        assert got.lr_chi2 == pytest.approx(chi_c, abs=1e-6)
        assert got.lr_p == pytest.approx(stats.chi2.sf(chi_c, 2), abs=1e-7)
        n = y.size
        ll0 = n * (y.mean() * math.log(y.mean()) + (1 - y.mean()) * math.log(1 - y.mean()))
        r2 = [(1 - math.exp(2 * (ll0 - ll) / n)) / (1 - math.exp(2 * ll0 / n)) for ll in lls]
        assert got.lr_r2_delta == pytest.approx(r2[2] - r2[0], abs=1e-9)
    assert res.items[1].lr_chi2_uniform > 20  # the planted DIF is found


def test_ordinal_logistic_dif_equals_person_level_maximum_likelihood():
    x, group, _ = _simulate(4, poly_last=True)
    res = dif.dif_analysis(from_array(x), group, focal="F", reference="R")
    j = x.shape[1] - 1
    y, f, s, _ = _person_level(x, group, j)
    chi_u, chi_n, chi_c, _ = _lr_chi2(y.astype(int), f, s, None, _ordinal_loglik)
    got = res.items[j]
    assert got.polytomous
    assert got.lr_chi2_uniform == pytest.approx(chi_u, abs=1e-5)
    assert got.lr_chi2_nonuniform == pytest.approx(chi_n, abs=1e-5)
    assert got.lr_chi2 == pytest.approx(chi_c, abs=1e-5)


@pytest.mark.parametrize("matching", ["total", "rest"])
def test_mantel_haenszel_equals_per_stratum_loops(matching):
    x, group, blocks = _simulate(5)
    res = dif.dif_analysis(
        from_array(x), group, focal="F", reference="R", blocks=blocks, matching=matching
    )
    for j in range(x.shape[1]):
        y, f, s, blk = _person_level(x, group, j, blocks=blocks)
        if matching == "rest":
            s = s - y
        num = den = 0.0
        for b in np.unique(blk):
            for k in np.unique(s[blk == b]):
                cell = (blk == b) & (s == k)
                a_ = np.sum(cell & ~f & (y == 1))
                b_ = np.sum(cell & ~f & (y == 0))
                c_ = np.sum(cell & f & (y == 1))
                d_ = np.sum(cell & f & (y == 0))
                t = a_ + b_ + c_ + d_
                num += a_ * d_ / t
                den += b_ * c_ / t
        assert res.items[j].mh_alpha == pytest.approx(num / den, rel=1e-12)
        assert res.items[j].n_focal == int(f.sum()) and res.items[j].n_reference == int((~f).sum())


def test_compact_file_scores_give_the_same_result_as_a_float_array(tmp_path):
    """The int8 matrix of a file and the float array of the same data: identical results."""
    x, group, _ = _simulate(6, n=1500, poly_last=True)
    rows = [
        ",".join([f"p{i}", group[i], *("" if np.isnan(v) else str(int(v)) for v in r)])
        for i, r in enumerate(x)
    ]
    header = ",".join(["id", "g", *(f"I{j}" for j in range(x.shape[1]))])
    path = tmp_path / "r.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    rm = read_responses(path, group=["g"])
    assert rm.scores.dtype == np.int8
    from_file = dif.dif_analysis(rm, rm.groups["g"], focal="F", reference="R", purify=True)
    from_floats = dif.dif_analysis(
        x, group, focal="F", reference="R", purify=True, item_ids=list(rm.item_ids)
    )
    assert from_file.to_dict() == from_floats.to_dict()
