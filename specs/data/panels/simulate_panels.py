"""Simulate the example program's other standard-setting panels (SIMULATED data).

THE DATA THIS SCRIPT WRITES ARE SIMULATED. They let the README's tour run every cut-score
method on the worked example; they are not evidence about real panels or candidates.

Run from the repository root (a second or two)::

    python specs/data/panels/simulate_panels.py

It reads the example spec, the bank, the published form-A and the simulated candidates'
responses (``specs/data/responses.csv``) and writes next to this file:

``bookmark_placements.csv``
    ``rater,page,round``: 8 panelists place a bookmark in form-A's ordered item booklet
    (RP 0.67) in 2 rounds.
``beuk_judgments.csv``
    ``rater,cut,pass_rate``: each panelist's raw cut on form-A and expected pass rate.
``examinee_judgments.csv``
    ``person_id,score,rating``: 400 form-A candidates (the first in the file) with their raw
    score and a judge's ``master``/``nonmaster`` classification (contrasting groups).
``borderline_ratings.csv``
    ``person_id,score,rating``: the same candidates rated 1 (fail), 2 (borderline) or 3 (pass)
    (borderline group and borderline regression, ``--borderline 2``).

The model (every draw from one ``numpy.random.default_rng(SEED)``): the minimally competent
candidate sits at theta = ``MCC_THETA``, as in ``simulate_example.py``. Its raw score on form-A
is ``T = TCC(MCC_THETA)`` and its booklet page ``P`` is the last page whose RP-0.67 location is
at or below ``MCC_THETA``.

* Bookmark: round 1 page ``P + bias_r + N(0, 2)`` with ``bias_r ~ N(0, 1.5)``; round 2 moves each
  page half-way to the round-1 median. Pages are whole and kept in the booklet.
* Beuk: cut ``T + N(0, 2)`` rounded to 0.5; pass rate ``N(0.62, 0.07)`` kept in [0.3, 0.9].
* Judges: ``P(master) = 1 / (1 + exp(-(score - T) / 2))``; the 1-3 rating is 1 below
  ``T - 3``, 3 above ``T + 3``, else 2, after adding ``N(0, 2)`` to the score.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
SPEC = ROOT / "specs" / "data-analytics-fundamentals.yaml"
RESPONSES = ROOT / "specs" / "data" / "responses.csv"
FORM_ID = "form-A"

SEED = 20261202
MCC_THETA = -0.4
RP = 0.67
N_RATERS = 8
N_EXAMINEES = 400


def _form_a():
    from psychometrics.bank import bank_keys, bank_parameters, load_bank
    from psychometrics.program.forms import load_forms
    from psychometrics.program.spec import load_spec

    spec = load_spec(SPEC)
    bank = load_bank(spec.bank)
    form = load_forms(spec.forms.folder, credential_id=spec.credential.id)[FORM_ID]
    params = bank_parameters(bank, item_ids=form.item_ids)
    return form, params, bank_keys(bank)


def _form_scores(form, keys) -> tuple[list[str], np.ndarray]:
    from psychometrics.responses import read_responses

    data = read_responses(RESPONSES, group=["form", "group"], key=keys)
    took = data.groups["form"] == FORM_ID
    data = data.select_items(list(form.item_ids)).select_persons(took)
    return list(data.person_ids[:N_EXAMINEES]), data.sum_scores()[:N_EXAMINEES]


def simulate(seed: int = SEED) -> dict[str, str]:
    from psychometrics import standard_setting as ss
    from psychometrics.irt.scoring import information_table

    rng = np.random.default_rng(seed)
    form, params, keys = _form_a()
    booklet = ss.ordered_item_booklet(params, rp=RP)
    locations = np.asarray(booklet.locations)
    n_pages = len(locations)
    page = max(1, int(np.searchsorted(locations, MCC_THETA, side="right")))
    tcc = float(information_table(params, np.array([MCC_THETA])).tcc[0])

    raters = [f"R{r + 1}" for r in range(N_RATERS)]
    bias = rng.normal(0.0, 1.5, N_RATERS)
    round1 = np.clip(np.rint(page + bias + rng.normal(0.0, 2.0, N_RATERS)), 1, n_pages)
    round2 = np.clip(np.rint(round1 + 0.5 * (np.median(round1) - round1)), 1, n_pages)
    bookmark = [("rater", "page", "round")]
    bookmark += [(r, int(p), 1) for r, p in zip(raters, round1, strict=True)]
    bookmark += [(r, int(p), 2) for r, p in zip(raters, round2, strict=True)]

    cuts = np.round(2 * (tcc + rng.normal(0.0, 2.0, N_RATERS))) / 2
    rates = np.clip(rng.normal(0.62, 0.07, N_RATERS), 0.3, 0.9)
    beuk = [("rater", "cut", "pass_rate")]
    beuk += [(r, f"{c:g}", f"{p:.2f}") for r, c, p in zip(raters, cuts, rates, strict=True)]

    persons, scores = _form_scores(form, keys)
    master = rng.random(len(scores)) < 1.0 / (1.0 + np.exp(-(scores - tcc) / 2.0))
    judged = scores + rng.normal(0.0, 2.0, len(scores))
    rating = np.where(judged < tcc - 3, 1, np.where(judged > tcc + 3, 3, 2))
    examinees = [("person_id", "score", "rating")]
    examinees += [
        (p, int(s), "master" if m else "nonmaster")
        for p, s, m in zip(persons, scores, master, strict=True)
    ]
    borderline = [("person_id", "score", "rating")]
    borderline += [(p, int(s), int(r)) for p, s, r in zip(persons, scores, rating, strict=True)]
    return {
        "bookmark_placements.csv": _csv(bookmark),
        "beuk_judgments.csv": _csv(beuk),
        "examinee_judgments.csv": _csv(examinees),
        "borderline_ratings.csv": _csv(borderline),
    }


def _csv(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def main() -> None:
    from psychometrics.fileio import atomic_write_text

    for name, text in simulate().items():
        atomic_write_text(HERE / name, text)
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()
