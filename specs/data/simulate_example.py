"""Simulate the example program's administration data: responses and Angoff panel ratings.

THE DATA THIS SCRIPT WRITES ARE SIMULATED. They exist so that ``credkit build`` has something
realistic to analyse in the worked example; they are not evidence about real candidates.

Run from the repository root (a few seconds)::

    python specs/data/simulate_example.py

It reads the example spec (specs/data-analytics-fundamentals.yaml), the bank (item_bank/) and
the program's published forms (specs/forms/data-analytics-fundamentals/, frozen by
``credkit forms publish``), and writes next to this file:

``responses.csv``
    One row per candidate: ``person_id, form, group`` and one column per item on any form,
    holding the chosen option letter (``*`` = presented but omitted, blank = not presented: the
    item is on the other form). Rubric items hold the integer score.
``angoff_ratings.csv``
    Modified-Angoff ratings, long format ``rater,item_id,rating,round``: 8 panelists rate every
    item of the first form in 2 rounds.
``README.md``
    What was simulated, with the planted DIF items.

The model (every random draw from one ``numpy.random.default_rng(SEED)``):

* ``N_CANDIDATES`` = 2,400 candidates, each assigned at random to one form; group ``F`` or ``M``
  with probability 1/2; theta ~ N(0, 1) for M and N(-0.1, 1) for F (a small true difference in
  ability, i.e. impact, which is not DIF).
* Responses follow the bank's own IRT parameters (3PL for multiple-choice items, graded response
  for rubric items; logistic metric, D = 1). A wrong multiple-choice answer picks one of the
  distractors at random with weights ~ Dirichlet(2, 2, ...) fixed per item (distractors are not
  equally attractive). 1% of the presented responses are omitted (``*``).
* Planted DIF: on the first form, the multiple-choice items at positions ``DIF_POSITIONS`` get
  their difficulty raised by ``DIF_SHIFTS`` logits for the focal group F only (uniform DIF
  against F; about -2.35 * a * shift on the ETS delta scale near the middle of the ability
  range, so the first is expected in class C and the second in class B or C).
* Angoff panel: the minimally competent candidate is placed at theta = ``MCC_THETA`` (the cut
  the spec's forms target). Round 1 rating of item j by rater r is
  ``P_j(MCC_THETA) + bias_r + e_rj`` with ``bias_r ~ N(0, 0.06)`` (rater 8: +0.10, a harsh
  outlier) and ``e_rj ~ N(0, 0.10)``; round 2 moves each rating 60% of the way to the round-1
  panel mean of the item, halves the rater's bias and adds ``N(0, 0.03)`` (discussion brings the
  panel closer). Ratings are rounded to 0.05 and kept in [0.05, 0.95] (for a rubric item: the
  expected score, in [0, max_score]).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SPEC = ROOT / "specs" / "data-analytics-fundamentals.yaml"

SEED = 20240517
N_CANDIDATES = 2400
GROUP_MEAN = {"M": 0.0, "F": -0.1}
OMIT_RATE = 0.01
DIF_POSITIONS = (4, 17)
DIF_SHIFTS = (0.9, 0.5)
MCC_THETA = -0.4
N_RATERS = 8
HARSH_RATER_BIAS = 0.10


def _published_forms(spec) -> dict[str, tuple[str, ...]]:
    """The program's published forms: form id -> item ids in delivery order.

    The data are simulated on the published forms, never on a fresh assembly: another solver
    build may break ties differently, and candidates take the forms that were published.
    """
    from psychometrics.program.forms import load_forms

    forms = load_forms(spec.forms.folder, credential_id=spec.credential.id)
    published = {fid: f.item_ids for fid, f in forms.items() if f.is_published}
    if not published:
        raise SystemExit(f"no published forms in {spec.forms.folder}: publish them first")
    return published


def simulate(seed: int = SEED) -> dict:
    """Simulate and write the files; return a summary (planted items, counts)."""
    sys.path.insert(0, str(ROOT))
    from psychometrics.bank import bank_parameters, load_bank
    from psychometrics.fileio import atomic_write_text
    from psychometrics.irt.models import category_probabilities, expected_scores
    from psychometrics.program.spec import load_spec

    rng = np.random.default_rng(seed)
    spec = load_spec(SPEC)
    bank = load_bank(spec.bank)
    forms = _published_forms(spec)
    form_ids = list(forms)
    all_items = sorted({i for items in forms.values() for i in items})
    params = bank_parameters(bank, item_ids=all_items)
    col = {item_id: j for j, item_id in enumerate(all_items)}

    # candidates
    form_of = rng.integers(len(form_ids), size=N_CANDIDATES)
    group = np.where(rng.random(N_CANDIDATES) < 0.5, "F", "M")
    theta = rng.normal(0.0, 1.0, N_CANDIDATES) + np.vectorize(GROUP_MEAN.get)(group)

    # planted DIF on the first form's multiple-choice items
    first = forms[form_ids[0]]
    mcq_first = [i for i in first if bank[i].type == "mcq" and i not in forms.get(form_ids[-1], ())]
    planted = {mcq_first[p]: s for p, s in zip(DIF_POSITIONS, DIF_SHIFTS, strict=True)}

    # category probabilities for every candidate x item, with the focal shift where planted
    probs = category_probabilities(params, theta)  # (n, items, categories)
    if planted:
        shifted_b = params.b.copy()
        for item_id, shift in planted.items():
            shifted_b[col[item_id]] += shift
        from dataclasses import replace

        focal_params = replace(params, b=shifted_b)
        focal = group == "F"
        probs[focal] = category_probabilities(focal_params, theta[focal])
    cum = np.cumsum(probs, axis=2)
    u = rng.random((N_CANDIDATES, len(all_items)))[..., None]
    scores = (u > cum).sum(axis=2)  # sampled category
    omitted = rng.random(scores.shape) < OMIT_RATE

    # distractor attractiveness per item
    lines = ["person_id,form,group," + ",".join(all_items)]
    weights = {}
    for item_id in all_items:
        item = bank[item_id]
        if item.type in ("mcq", "msq"):
            wrong = [o for o in item.options if o not in item.key]
            weights[item_id] = (wrong, rng.dirichlet(np.full(len(wrong), 2.0)))
    wrong_draw = rng.random(scores.shape)
    presented_cols = {f: np.array([col[i] for i in forms[f]]) for f in form_ids}
    for n in range(N_CANDIDATES):
        f = form_ids[form_of[n]]
        cells = [""] * len(all_items)
        for j in presented_cols[f]:
            item_id = all_items[j]
            if omitted[n, j]:
                cells[j] = "*"
            elif item_id in weights:
                if scores[n, j] == 1:
                    cells[j] = "".join(bank[item_id].key)
                else:
                    wrong, w = weights[item_id]
                    cells[j] = wrong[int(np.searchsorted(np.cumsum(w), wrong_draw[n, j]))]
            else:
                cells[j] = str(int(scores[n, j]))
        lines.append(f"C{n + 1:05d},{f},{group[n]}," + ",".join(cells))
    atomic_write_text(HERE / "responses.csv", "\n".join(lines) + "\n")

    # Angoff panel on the first form
    first_params = bank_parameters(bank, item_ids=first)
    p_mcc = expected_scores(first_params, np.array([MCC_THETA]))[0]
    max_score = np.array([bank[i].n_categories - 1 for i in first], dtype=float)
    bias = rng.normal(0.0, 0.06, N_RATERS)
    bias[-1] = HARSH_RATER_BIAS
    r1 = (
        p_mcc[None, :]
        + (bias[:, None] + rng.normal(0.0, 0.10, (N_RATERS, len(first)))) * (max_score[None, :])
    )
    r1 = _round_rating(r1, max_score)
    r2 = r1 + 0.6 * (r1.mean(axis=0, keepdims=True) - r1) - 0.5 * bias[:, None] * max_score
    r2 = _round_rating(r2 + rng.normal(0.0, 0.03, r2.shape) * max_score, max_score)
    rows = ["rater,item_id,rating,round"]
    for rnd, ratings in ((1, r1), (2, r2)):
        for r in range(N_RATERS):
            for j, item_id in enumerate(first):
                rows.append(f"R{r + 1},{item_id},{ratings[r, j]:.2f},{rnd}")
    atomic_write_text(HERE / "angoff_ratings.csv", "\n".join(rows) + "\n")

    summary = {
        "seed": seed,
        "candidates": N_CANDIDATES,
        "forms": {f: len(forms[f]) for f in form_ids},
        "per_form": {f: int((form_of == k).sum()) for k, f in enumerate(form_ids)},
        "planted_dif": planted,
        "rated_form": form_ids[0],
    }
    atomic_write_text(HERE / "README.md", _readme(summary))
    return summary


def _round_rating(x: np.ndarray, max_score: np.ndarray) -> np.ndarray:
    """Round to 0.05 of the item's maximum and keep inside (0.05, 0.95) of it."""
    rel = np.clip(np.round(x / max_score / 0.05) * 0.05, 0.05, 0.95)
    return rel * max_score


def _readme(s: dict) -> str:
    planted = "\n".join(
        f"- `{item}`: difficulty +{shift} logits for the focal group F"
        for item, shift in s["planted_dif"].items()
    )
    per_form = ", ".join(f"{f}: {n}" for f, n in s["per_form"].items())
    return f"""# Example administration data (SIMULATED)

The files here are **simulated** by `simulate_example.py` (seed {s["seed"]}); they illustrate
the validity report of the example credential and are not evidence about real candidates.

- `responses.csv`: {s["candidates"]} simulated candidates ({per_form}), option letters per item,
  a `form` column and a demographic column `group` (F/M). Responses follow the bank's IRT
  parameters; 1% are omitted (`*`); a blank cell means the item was on the other form.
- `angoff_ratings.csv`: modified-Angoff ratings of 8 simulated panelists over 2 rounds for the
  items of {s["rated_form"]} (round 2 closer to consensus; rater R8 harsher in round 1).

Planted DIF (the report's fairness section should flag these):

{planted}

The candidates answered the program's published forms (`specs/forms/data-analytics-fundamentals/`),
and the panel rated {s["rated_form"]} as published. Regenerate with
`python specs/data/simulate_example.py` (see its docstring for the model) only when new forms are
published: the data never depend on re-running the assembly.
"""


if __name__ == "__main__":
    out = simulate()
    print(f"wrote {HERE / 'responses.csv'} and {HERE / 'angoff_ratings.csv'}")
    print(f"planted DIF: {out['planted_dif']}; candidates per form: {out['per_form']}")
