"""Engine estimates (slope-intercept form) to reported item parameters with delta-method SEs.

Shared by both engines (:mod:`psychometrics.irt.calibration` and
:mod:`psychometrics.irt.girth_engine`).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import expit

from psychometrics.irt import _families as _fam
from psychometrics.irt import _se
from psychometrics.irt._prepare import Prepared
from psychometrics.irt.models import ItemParameters


def reported_parameters(prep: Prepared, blocks, lat, cov):
    """ItemParameters in the reporting metric with delta-method SEs, and the latent SEs."""
    n_items = len(prep.item_ids)
    width = max(1, int(np.max(prep.n_categories)) - 1)
    a = np.zeros(n_items)
    b = np.full((n_items, width), np.nan)
    c = np.zeros(n_items)
    se_a = np.full(n_items, np.nan)
    se_b = np.full((n_items, width), np.nan)
    se_c = np.full(n_items, np.nan)
    ak = np.full((n_items, width + 1), np.nan)  # nominal scoring functions
    se_ak = np.full((n_items, width + 1), np.nan)
    cov_exp = None
    if cov is not None:
        t = _se.map_matrix(blocks, lat)
        cov_exp = t @ cov @ t.T
    offsets, _ = _se.expanded_layout(blocks)
    for bi, blk in enumerate(blocks):
        par = blk.par
        k = blk.n_categories
        items = blk.items
        a[items] = par[:, 0]
        b[items, : k - 1] = -par[:, 1:k] / par[:, :1]
        if blk.family == "dich3":
            c[items] = expit(par[:, 2])
        if blk.family == "nominal":
            ak[items, :k] = _fam.nominal_scoring(par)
        if blk.fixed:
            se_a[items] = np.nan
            continue
        if cov_exp is None:
            continue
        n_par = par.shape[1]
        idx = offsets[bi] + np.arange(items.size)[:, None] * n_par + np.arange(n_par)[None, :]
        cov_items = cov_exp[idx[:, :, None], idx[:, None, :]]  # (J, P, P)
        jac = np.zeros((items.size, n_par, n_par))  # rows: a, b_1..b_{K-1}, [c | ak_1..ak_{K-2}]
        jac[:, 0, 0] = 1.0
        jac[:, k:, k:] = np.eye(n_par - k)  # nominal ak_1..ak_{K-2} are reported as estimated
        for m in range(1, k):
            jac[:, m, 0] = par[:, m] / par[:, 0] ** 2
            jac[:, m, m] = -1.0 / par[:, 0]
        if blk.family == "dich3":
            cc = expit(par[:, 2])
            jac[:, 2, 2] = cc * (1.0 - cc)
        var = np.einsum("jrp,jpq,jrq->jr", jac, cov_items, jac)
        sd = np.sqrt(np.where(var > 0, var, np.nan))
        if blk.free_cols[0]:
            se_a[items] = sd[:, 0]
        se_b[items, : k - 1] = sd[:, 1:k]
        if blk.family == "dich3":
            se_c[items] = sd[:, 2]
        if blk.family == "nominal":
            se_ak[items, 1 : k - 1] = sd[:, k:]
    lat_se = [math.nan, math.nan]
    if cov_exp is not None:
        if lat.est_mean:
            lat_se[0] = float(np.sqrt(max(cov_exp[-2, -2], 0.0)))
        if lat.est_sd:
            lat_se[1] = float(np.sqrt(max(cov_exp[-1, -1], 0.0)))
    params = ItemParameters(
        item_ids=prep.item_ids,
        model=prep.models,
        a=a,
        b=b,
        c=c,
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
        ak=ak if "nominal" in prep.models else None,
        se_ak=se_ak if "nominal" in prep.models else None,
    )
    return params, tuple(lat_se)
