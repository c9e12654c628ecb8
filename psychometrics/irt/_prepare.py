"""Checking and preparing responses for calibration: per-item models, anchors, and what is left out.

Shared by both engines (:mod:`psychometrics.irt.calibration` and
:mod:`psychometrics.irt.girth_engine`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from psychometrics.irt._result import CalibrationWarning
from psychometrics.irt.models import (
    DICHOTOMOUS_MODELS,
    MODELS,
    POLYTOMOUS_MODELS,
    ItemParameters,
)
from psychometrics.responses import NOT_PRESENTED, ResponseMatrix

MAX_THETA = 20.0
"""Widest quadrature range: |theta| beyond 20 has no probability mass under any sane latent."""
MAX_ANCHOR_SLOPE = 100.0
"""Largest slope accepted for an anchor item (a typo such as 1e300 would wreck the scale)."""


def _check_anchor(anchors: ItemParameters, k: int) -> None:
    """An anchor's values must be usable on the quadrature scale (finite, plausible)."""
    item = anchors.item_ids[k]
    a = float(anchors.a[k])
    n_cat = int(anchors.n_categories[k])
    b = anchors.b[k, : n_cat - 1]
    c = float(anchors.c[k])
    if not (np.isfinite(a) and 0 < a <= MAX_ANCHOR_SLOPE):
        raise ValueError(f"anchors: item {item!r}: a = {a:g} is not in (0, {MAX_ANCHOR_SLOPE:g}]")
    if anchors.model[k] == "nominal":
        ak = anchors.ak[k, :n_cat]
        if ak[0] != 0 or ak[-1] != n_cat - 1:
            raise ValueError(
                f"anchors: nominal item {item!r}: the calibration identifies scoring functions by "
                f"ak0 = 0 and ak{n_cat - 1} = {n_cat - 1}, got {ak[0]:g} and {ak[-1]:g}; "
                "convert with psychometrics.irt.models.nominal_from_bock"
            )
        b = b * a / (n_cat - 1)  # the intercepts per unit of the key's slope, on the theta scale
    if not np.all(np.isfinite(b)) or np.any(np.abs(b) > MAX_THETA):
        raise ValueError(
            f"anchors: item {item!r}: b = {', '.join(f'{x:g}' for x in b)} is not within "
            f"+-{MAX_THETA:g}"
        )
    if not (np.isfinite(c) and 0 <= c < 1):
        raise ValueError(f"anchors: item {item!r}: c = {c:g} is not in [0, 1)")


@dataclass
class Prepared:
    """Responses and per-item model after dropping what cannot be estimated (internal)."""

    item_ids: tuple[str, ...]
    models: tuple[str, ...]
    scores: np.ndarray
    n_categories: np.ndarray
    is_anchor: np.ndarray
    anchor_ids: tuple[str, ...]
    dropped_items: tuple[tuple[str, str], ...]
    dropped_persons: tuple[tuple[str, str], ...]


def prepare(
    rm: ResponseMatrix,
    *,
    model: str | Mapping[str, str],
    poly_model: str | None,
    anchors: ItemParameters | None,
) -> Prepared:
    """Resolve per-item models, drop items without variance and persons without responses."""
    check_models(model, poly_model)
    scores = np.asarray(rm.scores)
    if scores.ndim != 2 or scores.shape[1] == 0:
        raise ValueError("responses: no item columns")
    n_answering = int(np.sum(np.any(scores != NOT_PRESENTED, axis=1)))
    if n_answering < 2:
        raise ValueError(
            f"responses: {n_answering} person(s) with any response; at least two are needed"
        )
    n_cat_data = np.maximum(scores.max(axis=0, initial=0) + 1, 2).astype(int)
    k_top = int(n_cat_data.max())
    # frequency of each score per item (one pass per category, vectorized over persons)
    freq = np.stack([(scores == k).sum(axis=0) for k in range(k_top)], axis=1)
    keep, models, is_anchor, ncat, dropped_items = choose_items(
        rm.item_ids, freq, n_cat_data, model=model, poly_model=poly_model, anchors=anchors
    )
    sub = scores[:, keep]
    has_any = np.any(sub != NOT_PRESENTED, axis=1)
    dropped_persons = tuple((rm.person_ids[i], "no responses") for i in np.flatnonzero(~has_any))
    if dropped_persons:
        warnings.warn(
            f"{len(dropped_persons)} person(s) without any response left out",
            CalibrationWarning,
            stacklevel=3,
        )
    sub = sub[has_any]
    if sub.shape[0] < 2:
        raise ValueError("responses: fewer than two persons with responses")
    return Prepared(
        item_ids=tuple(rm.item_ids[j] for j in keep),
        models=tuple(models),
        scores=sub,
        n_categories=np.asarray(ncat, dtype=int),
        is_anchor=np.asarray(is_anchor, dtype=bool),
        anchor_ids=tuple(rm.item_ids[j] for j, a in zip(keep, is_anchor, strict=True) if a),
        dropped_items=tuple(dropped_items),
        dropped_persons=dropped_persons,
    )


def check_models(model: str | Mapping[str, str], poly_model: str | None) -> None:
    """Validate the ``model`` and ``poly_model`` arguments of a calibration."""
    if poly_model is not None and poly_model not in POLYTOMOUS_MODELS:
        raise ValueError(f"poly_model must be one of {', '.join(POLYTOMOUS_MODELS)}")
    if isinstance(model, str):
        if model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    elif isinstance(model, Mapping):
        bad = {m for m in model.values() if m not in MODELS}
        if bad:
            raise ValueError(f"model: unknown model(s) {sorted(bad)}; known: {', '.join(MODELS)}")
    else:
        raise TypeError("model must be a model name or a mapping item id -> model name")


def choose_items(
    item_ids: Sequence[str],
    freq: np.ndarray,
    n_cat_data: np.ndarray,
    *,
    model: str | Mapping[str, str],
    poly_model: str | None,
    anchors: ItemParameters | None,
    stacklevel: int = 4,
) -> tuple[list[int], list[str], list[bool], list[int], list[tuple[str, str]]]:
    """Which items a calibration keeps: their columns, models, anchor flags and categories,
    and the items left out with the reason.

    ``freq[j, k]`` counts score ``k`` on item ``j`` and ``n_cat_data[j]`` is its highest score
    plus one (at least 2). Items without responses or variance are left out with a
    :class:`CalibrationWarning`; anchors keep their own model and categories.
    """
    dropped_items: list[tuple[str, str]] = []
    keep, models, is_anchor, ncat = [], [], [], []
    for j, item in enumerate(item_ids):
        observed = np.flatnonzero(freq[j])
        if anchors is not None and item in anchors:
            k = anchors.index(item)
            k_anchor = int(anchors.n_categories[k])
            _check_anchor(anchors, k)
            if n_cat_data[j] > k_anchor:
                raise ValueError(
                    f"item {item!r}: scores up to {n_cat_data[j] - 1} but the anchor parameters "
                    f"have {k_anchor} categories"
                )
            keep.append(j)
            models.append(anchors.model[k])
            is_anchor.append(True)
            ncat.append(k_anchor)
            continue
        if observed.size == 0:
            dropped_items.append((item, "no responses"))
            continue
        if observed.size == 1:
            dropped_items.append((item, f"no variance (every response is {int(observed[0])})"))
            continue
        if isinstance(model, str):
            m = model
        else:
            if item not in model:
                raise ValueError(f"model: no model given for item {item!r}")
            m = model[item]
        k = int(n_cat_data[j])
        if k > 2 and m in DICHOTOMOUS_MODELS:
            if poly_model is None:
                raise ValueError(
                    f"item {item!r} has {k} score categories but model {m!r} is dichotomous; "
                    f"choose a polytomous model ({', '.join(POLYTOMOUS_MODELS)}) or set poly_model"
                )
            m = poly_model
        missing = sorted(set(range(k)) - set(observed.tolist()))
        if missing:
            raise ValueError(
                f"item {item!r}: score categories {missing} are never observed between 0 and "
                f"{k - 1}; recode the scores to consecutive categories"
            )
        keep.append(j)
        models.append(m)
        is_anchor.append(False)
        ncat.append(k)
    for item, reason in dropped_items:
        warnings.warn(
            f"item {item!r} left out: {reason}", CalibrationWarning, stacklevel=stacklevel
        )
    if not keep:
        raise ValueError("responses: no item can be calibrated (every item lacks variance)")
    if not any(not a for a in is_anchor) and anchors is None:
        raise ValueError("responses: no item left to calibrate")
    return keep, models, is_anchor, ncat, dropped_items
