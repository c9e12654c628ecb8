"""Option-level responses for the nominal response model: chosen letters to category codes.

A nominal model (Bock 1972) needs the option each person chose, not whether it was right.
:func:`option_codes` turns keyed multiple-choice responses (read with a key, so
:attr:`~psychometrics.responses.ResponseMatrix.raw` holds the letters) into integer codes
``0 .. K-1`` per item, ready for ``calibrate(..., model="nominal")``:

* ``key_last=True`` (default): the distractors in the key's option order get ``0 .. K-2`` and the
  keyed option gets ``K - 1``. With the engine's identification (``ak_0 = 0`` for the first
  distractor, ``ak_{K-1} = K - 1`` for the key, as mirt's ``nominal`` and ShinyItemAnalysis'
  ``obtain_nrm_def``) the slope ``a`` is then the key's slope against the first distractor per
  unit of scoring function and is positive for a working item.
* ``key_last=False``: every option in the key's option order (``A = 0, B = 1, ...``); the
  identification then anchors on the first and the last option, whatever the key.

Options nobody chose are left out of the coding (a category without responses has no
estimable parameters) and listed in :attr:`OptionCoding.unused`. Items without a key (already
scored, e.g. rubrics) and multiple-select items (more than one keyed option: no single option
is chosen) keep their scores and are listed in :attr:`OptionCoding.scored`. Omitted and
not-presented responses are missing (-1).

References
----------
Bock, R. D. (1972). Estimating item parameters and latent ability when responses are scored in
    two or more nominal categories. *Psychometrika*, 37(1), 29-51.
Thissen, D., Steinberg, L., & Fitzpatrick, A. R. (1989). Multiple-choice models: the distractors
    are also part of the item. *Journal of Educational Measurement*, 26(2), 161-176.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np

from psychometrics.irt.models import MODELS, ItemParameters
from psychometrics.responses import NOT_PRESENTED, ItemKey, ResponseMatrix


@dataclass(frozen=True)
class OptionCoding:
    """Option codes of keyed items, and what each code means.

    Attributes
    ----------
    responses
        The responses with ``scores`` replaced by option codes for keyed items (``-1`` where
        missing); items without a key keep their scores.
    options
        Item id -> the option letter of each code, in code order (the key last when
        ``key_last``); only keyed items.
    keyed_code
        Item id -> the code of the keyed option.
    unused
        Item id -> options of the key that nobody chose (left out of the coding).
    scored
        Items that keep their scores: no key (e.g. rubric items) or several keyed options.
    """

    responses: ResponseMatrix
    options: Mapping[str, tuple[str, ...]]
    keyed_code: Mapping[str, int]
    unused: Mapping[str, tuple[str, ...]]
    scored: tuple[str, ...] = ()

    def models(self, other: str = "2pl") -> dict[str, str]:
        """Per-item models for ``calibrate``: ``nominal`` for the option-coded items and
        ``other`` for the items that kept their scores (with ``poly_model`` for those with more
        than two categories, as usual)."""
        if other not in MODELS:
            raise ValueError(f"other must be one of {', '.join(MODELS)}, got {other!r}")
        return {
            item: "nominal" if item in self.options else other for item in self.responses.item_ids
        }


def option_codes(
    responses: ResponseMatrix,
    key: Mapping[str, ItemKey],
    *,
    key_last: bool = True,
    drop_unused: bool = True,
) -> OptionCoding:
    """Code the chosen option of each keyed item as ``0 .. K-1`` for the nominal model.

    Parameters
    ----------
    responses
        Responses read with ``key`` (``read_responses(path, key=key)``), so that they carry the
        letters chosen.
    key
        Item id -> :class:`~psychometrics.responses.ItemKey` (``read_key_csv``).
    key_last
        Code the keyed option last (``K - 1``) and the distractors before it in option order
        (default); False codes all options in option order.
    drop_unused
        Leave options nobody chose out of the coding (default; needed to calibrate). False codes
        every option of the key (to score new responses with calibrated parameters).

    Returns
    -------
    OptionCoding

    Raises
    ------
    TypeError
        If ``responses`` is not a ResponseMatrix.
    ValueError
        If the responses carry no letters, an item is not in the key, a response is not one
        option of its item, or nobody chose an item's keyed option.

    Examples
    --------
    >>> key = read_key_csv("key.csv")                                # doctest: +SKIP
    >>> coded = option_codes(read_responses("resp.csv", key=key), key)  # doctest: +SKIP
    >>> calibrate(coded.responses, model=coded.models("2pl"), poly_model="grm")  # doctest: +SKIP
    """
    if not isinstance(responses, ResponseMatrix):
        raise TypeError("responses must be a ResponseMatrix (read_responses(..., key=key))")
    if not isinstance(key, Mapping):
        raise TypeError("key must be a mapping item id -> ItemKey (see read_key_csv)")
    if responses.raw is None:
        raise ValueError(
            "responses: no option letters; read the responses with the key "
            "(read_responses(path, key=key)) to keep the options chosen"
        )
    raw = np.char.upper(np.char.strip(np.asarray(responses.raw, dtype=str)))
    scores = np.array(responses.scores, dtype=np.int16, copy=True)
    missing = (responses.scores == NOT_PRESENTED) | np.asarray(responses.omitted, dtype=bool)
    options: dict[str, tuple[str, ...]] = {}
    keyed: dict[str, int] = {}
    unused: dict[str, tuple[str, ...]] = {}
    scored: list[str] = []
    for j, item in enumerate(responses.item_ids):  # loop over items; persons are vectorized
        if item not in key:
            raise ValueError(f"key: item {item!r} is not in the key")
        item_key = key[item]
        if not item_key.is_keyed or len(item_key.correct) != 1:
            scored.append(item)
            continue
        (right,) = item_key.correct
        offered = tuple(item_key.options or ())
        col = np.where(missing[:, j], "", raw[:, j])
        chosen = {o for o in offered if np.any(col == o)}
        stray = sorted(set(np.unique(col[col != ""]).tolist()) - set(offered))
        if stray:
            raise ValueError(
                f"responses: item {item!r}: {stray[0]!r} is not one of its options "
                f"({', '.join(offered)})"
            )
        if right not in chosen and drop_unused:
            raise ValueError(
                f"responses: item {item!r}: nobody chose the keyed option {right!r}; the item "
                "cannot be calibrated at the option level"
            )
        used = [o for o in offered if o in chosen or not drop_unused]
        if key_last:
            used = [o for o in used if o != right] + [right]
        code = np.full(col.shape, NOT_PRESENTED, dtype=np.int16)
        for k, o in enumerate(used):
            code[col == o] = k
        scores[:, j] = code
        options[item] = tuple(used)
        keyed[item] = used.index(right)
        skipped = tuple(o for o in offered if o not in chosen and drop_unused)
        if skipped:
            unused[item] = skipped
    return OptionCoding(
        responses=replace(responses, scores=scores),
        options=options,
        keyed_code=keyed,
        unused=unused,
        scored=tuple(scored),
    )


def nominal_responses(
    responses: ResponseMatrix, key: Mapping[str, ItemKey], params: ItemParameters
) -> ResponseMatrix:
    """Responses to score with ``params``: the nominal items of ``params`` coded by option,
    every other item as scored.

    A nominal item whose parameters name their options (:attr:`ItemParameters.options`, written
    by ``credkit calibrate --model nominal``) is coded by those letters; a letter without a
    category (an option nobody chose in the calibration data) is missing. Without names, the
    item's categories must be every option of its key, the key last.

    Raises
    ------
    ValueError
        If the responses carry no letters, or a nominal item has no single keyed option, or no
        option names and another number of categories than its key has options.
    """
    nominal = [
        i for i in responses.item_ids if i in params and params.model[params.index(i)] == "nominal"
    ]
    if not nominal:
        return responses
    if responses.raw is None:
        raise ValueError(
            "responses: no option letters; nominal items are scored from the option chosen"
        )
    raw = np.char.upper(np.char.strip(np.asarray(responses.raw, dtype=str)))
    missing = (responses.scores == NOT_PRESENTED) | np.asarray(responses.omitted, dtype=bool)
    scores = np.array(responses.scores, dtype=np.int16, copy=True)
    for item in nominal:
        j, r = responses.item_ids.index(item), params.index(item)
        k = int(params.n_categories[r])
        item_key = key.get(item)
        if item_key is None or not item_key.is_keyed or len(item_key.correct) != 1:
            raise ValueError(f"item {item!r}: a nominal item needs a single keyed option")
        labels = params.options[r]
        if not labels:
            offered = tuple(item_key.options or ())
            if len(offered) != k:
                raise ValueError(
                    f"item {item!r}: its nominal parameters have {k} categories but its key has "
                    f"{len(offered)} options and the parameters do not name their options "
                    "(an options column); score it from option codes"
                )
            (right,) = item_key.correct
            labels = tuple(o for o in offered if o != right) + (right,)
        code = np.full(scores.shape[0], NOT_PRESENTED, dtype=np.int16)
        for c, label in enumerate(labels):
            code[(raw[:, j] == label.upper()) & ~missing[:, j]] = c
        scores[:, j] = code
    return replace(responses, scores=scores)
