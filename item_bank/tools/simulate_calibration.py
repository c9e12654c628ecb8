"""Simulate a calibration study for the example bank and calibrate it with credkit itself.

**The IRT parameters and item statistics of the example bank are simulated.** No examinee ever
answered these items. This script is how they were made, and anyone can re-run it:

1. *True parameters* (seeded, ``--seed``, default 20261120) for every operational and pretest
   item: 3PL for mcq/msq items with ``a ~ lognormal(log 1.1, 0.3)`` clipped to [0.45, 2.5],
   ``b ~ N(outcome shift + cognitive-level shift, 0.9)`` clipped to [-2.8, 2.8] and
   ``c ~ U(0.10, 0.25)`` (``U(0.03, 0.12)`` for msq items, where guessing the right *set* of
   options is harder); GRM for rubric items with ``a ~ lognormal(log 1.3, 0.25)`` and three
   ordered thresholds around ``N(0.2, 0.5)``. Written to
   ``item_bank/calibration/true_parameters.csv``.
2. *Design*: 3,000 examinees with ``theta ~ N(0, 1)``, on six booklets. 36 operational mcq items
   (six per outcome) are an anchor block on every booklet; the other items are dealt into six
   blocks balanced by outcome, and booklet k holds the anchor block plus blocks k and k+1
   (a linked, balanced incomplete block design). Each anchor item is answered by all 3,000
   examinees, every other item by about 1,000.
3. *Responses*: right/wrong (or the rubric score) drawn from the true model; a wrong mcq answer
   picks a distractor with item-specific attractiveness (Dirichlet weights), a wrong msq answer a
   wrong combination of letters, and 2% of wrong answers are left blank as omits (``*``). Written
   as option letters to ``item_bank/calibration/responses.csv`` (wide: ``person_id, booklet`` and
   one column per item; a blank cell = not presented).
4. *Calibration with credkit*: the CSV is read back and scored against the bank's keys
   (:func:`psychometrics.bank.store.bank_keys`, :func:`psychometrics.responses.read_responses`),
   then calibrated with :func:`psychometrics.irt.calibrate` (MML-EM; 3PL for mcq/msq, GRM for
   rubric items, one concurrent calibration; default Beta prior on c).
5. *Bank update*: the estimates (with standard errors, the calibration id, n and date) go into
   the items' ``irt`` blocks with :func:`psychometrics.bank.update.update_item_parameters`; the
   classical statistics (p, corrected point-biserial, n; :func:`psychometrics.ctt.item_analysis`
   per booklet, pooled over booklets weighted by n) into ``stats`` with
   :func:`psychometrics.bank.update.update_item_stats`; ``exposure`` records the booklets. Draft,
   review, approved and retired items get nothing.
6. A recovery summary (true vs estimated) goes to ``item_bank/calibration/summary.json``.

Usage::

    python item_bank/tools/simulate_calibration.py            # simulate, calibrate, update bank
    python item_bank/tools/simulate_calibration.py --dry-run  # everything but the bank update

Re-running with the same seed reproduces the responses byte for byte and the parameters up to
the engine's convergence tolerance; the bank's earlier blocks of this calibration id are
replaced rather than moved to history.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BANK = HERE.parent
sys.path.insert(0, str(BANK.parent))

from psychometrics.bank.store import bank_keys, load_bank  # noqa: E402
from psychometrics.fileio import atomic_write_text  # noqa: E402
from psychometrics.irt.models import ItemParameters, category_probabilities  # noqa: E402
from psychometrics.responses import read_responses  # noqa: E402

SEED = 20261120
CALIBRATION_ID = "SIM-2026-11"
CALIBRATION_DATE = "2026-11-20"
N_PERSONS = 3000
N_BOOKLETS = 6
ANCHORS_PER_OUTCOME = 6
OMIT_RATE = 0.02
CALIBRATED_STATUSES = ("operational", "pretest")
OUTCOME_SHIFT = {"DA1": -0.3, "DA2": 0.0, "DA3": 0.1, "DA4": -0.2, "DA5": 0.4, "DA6": 0.0}
LEVEL_SHIFT = {
    "remember": -0.6,
    "understand": -0.3,
    "apply": 0.0,
    "analyze": 0.3,
    "evaluate": 0.5,
    "create": 0.6,
}
OUT = BANK / "calibration"


def draw_true_parameters(items, rng: np.random.Generator) -> ItemParameters:
    """True 3PL (mcq/msq) and GRM (rubric) parameters, logistic metric D = 1."""
    n = len(items)
    a = np.empty(n)
    b = np.full((n, 3), np.nan)
    c = np.zeros(n)
    model = []
    for j, item in enumerate(items):
        if item.type == "rubric":
            model.append("grm")
            a[j] = np.exp(rng.normal(np.log(1.3), 0.25))
            center = rng.normal(0.2, 0.5)
            steps = np.sort(rng.normal([-1.2, 0.0, 1.2], 0.15))
            b[j, : item.max_score] = (center + steps)[: item.max_score]
        else:
            model.append("3pl")
            a[j] = np.clip(np.exp(rng.normal(np.log(1.1), 0.3)), 0.45, 2.5)
            mu = OUTCOME_SHIFT[item.outcome] + LEVEL_SHIFT[item.cognitive_level or "apply"]
            b[j, 0] = np.clip(rng.normal(mu, 0.9), -2.8, 2.8)
            c[j] = rng.uniform(0.03, 0.12) if item.type == "msq" else rng.uniform(0.10, 0.25)
    width = max(1, int(np.max(np.sum(~np.isnan(b), axis=1))))
    return ItemParameters(tuple(i.id for i in items), tuple(model), a, b[:, :width], c)


def design(items, rng: np.random.Generator) -> tuple[list[str], list[list[str]]]:
    """Anchor items and the item ids of each booklet (anchor block + two adjacent blocks)."""
    anchors: list[str] = []
    for outcome in sorted(OUTCOME_SHIFT):
        pool = [
            i.id
            for i in items
            if i.outcome == outcome
            and i.status == "operational"
            and i.type == "mcq"
            and i.set is None
        ]
        anchors += sorted(rng.choice(pool, ANCHORS_PER_OUTCOME, replace=False).tolist())
    rest = [i for i in items if i.id not in set(anchors)]
    # deal by outcome so that every block has a similar outcome mix; set members stay together
    blocks: list[list[str]] = [[] for _ in range(N_BOOKLETS)]
    units: list[list[str]] = []
    by_set: dict[str, list[str]] = {}
    for item in sorted(rest, key=lambda i: (i.outcome, i.id)):
        if item.set:
            if item.set not in by_set:
                by_set[item.set] = []
                units.append(by_set[item.set])
            by_set[item.set].append(item.id)
        else:
            units.append([item.id])
    start = 0
    for unit in units:
        sizes = [len(bl) for bl in blocks]
        k = min(range(N_BOOKLETS), key=lambda t: (sizes[t], (t - start) % N_BOOKLETS))
        blocks[k].extend(unit)
        start = (k + 1) % N_BOOKLETS
    booklets = [anchors + blocks[k] + blocks[(k + 1) % N_BOOKLETS] for k in range(N_BOOKLETS)]
    return anchors, booklets


def simulate(items, true: ItemParameters, booklets, rng: np.random.Generator):
    """Raw response cells (option letters / rubric scores / '' / '*'), booklet per person."""
    n_items = len(items)
    col = {item.id: j for j, item in enumerate(items)}
    theta = rng.normal(0.0, 1.0, N_PERSONS)
    booklet = rng.permutation(np.arange(N_PERSONS) % N_BOOKLETS)
    presented = np.zeros((N_PERSONS, n_items), dtype=bool)
    for k, ids in enumerate(booklets):
        presented[np.ix_(booklet == k, [col[i] for i in ids])] = True
    probs = category_probabilities(true, theta)  # persons x items x categories
    u = rng.random((N_PERSONS, n_items))
    cum = np.cumsum(probs, axis=2)
    score = np.sum(u[:, :, None] > cum[:, :, :-1], axis=2)
    cells = np.full((N_PERSONS, n_items), "", dtype=object)
    for j, item in enumerate(items):
        rows = np.flatnonzero(presented[:, j])
        s = score[rows, j]
        if item.type == "rubric":
            cells[rows, j] = s.astype(str)
            continue
        letters = list(item.options)
        keyed = sorted(item.key)
        right = "".join(keyed)
        if item.type == "mcq":
            wrong = [x for x in letters if x not in keyed]
        else:  # msq: any other non-empty combination of one or two letters
            singles = letters
            pairs = [x + y for i, x in enumerate(letters) for y in letters[i + 1 :]]
            wrong = [w for w in singles + pairs if w != right]
        weights = rng.dirichlet(np.full(len(wrong), 2.0))
        picks = np.asarray(wrong, dtype=object)[rng.choice(len(wrong), size=rows.size, p=weights)]
        omit = rng.random(rows.size) < OMIT_RATE
        cells[rows, j] = np.where(s == 1, right, np.where(omit, "*", picks))
    return theta, booklet, cells


def write_responses(path: Path, items, booklet, cells) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["person_id", "booklet", *[i.id for i in items]])
    for p in range(cells.shape[0]):
        writer.writerow([f"P{p + 1:05d}", f"B{booklet[p] + 1}", *cells[p]])
    atomic_write_text(path, buf.getvalue())


def write_true(path: Path, items, true: ItemParameters) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["item_id", "type", "status", "outcome", "model", "a", "b1", "b2", "b3", "c"])
    for j, item in enumerate(items):
        bs = [f"{x:.4f}" if np.isfinite(x) else "" for x in true.b[j]]
        bs += [""] * (3 - len(bs))
        writer.writerow(
            [
                item.id,
                item.type,
                item.status,
                item.outcome,
                true.model[j],
                f"{true.a[j]:.4f}",
                *bs,
                f"{true.c[j]:.4f}",
            ]
        )
    atomic_write_text(path, buf.getvalue())


def classical_stats(rm, booklet_of_person, booklets, keys):
    """p, corrected point-biserial and n per item: item analysis per booklet, pooled by n."""
    from psychometrics.ctt import item_analysis

    ids = list(rm.item_ids)
    n_tot = {i: 0 for i in ids}
    p_sum = {i: 0.0 for i in ids}
    r_sum = {i: 0.0 for i in ids}
    for k, booklet_ids in enumerate(booklets):
        sub = rm.select_persons(booklet_of_person == f"B{k + 1}").select_items(booklet_ids)
        res = item_analysis(sub, key={i: keys[i] for i in booklet_ids})
        for st in res.items:
            n_tot[st.item_id] += st.n
            p_sum[st.item_id] += st.p * st.n
            r_sum[st.item_id] += st.rpbis * st.n
    p = np.array([p_sum[i] / n_tot[i] for i in ids])
    r = np.array([r_sum[i] / n_tot[i] for i in ids])
    n = np.array([n_tot[i] for i in ids])
    return p, r, n


def recovery(true: ItemParameters, est: ItemParameters) -> dict:
    """RMSE, bias and correlation of estimated vs true parameters (3PL and GRM items apart)."""
    idx = np.array([est.item_ids.index(i) for i in true.item_ids])
    three = np.array([m == "3pl" for m in true.model])

    def summary(t: np.ndarray, e: np.ndarray) -> dict:
        ok = np.isfinite(t) & np.isfinite(e)
        d = e[ok] - t[ok]
        return {
            "n": int(ok.sum()),
            "rmse": float(np.sqrt(np.mean(d**2))),
            "bias": float(np.mean(d)),
            "corr": float(np.corrcoef(t[ok], e[ok])[0, 1]),
        }

    out = {
        "a_3pl": summary(true.a[three], est.a[idx[three]]),
        "b_3pl": summary(true.b[three, 0], est.b[idx[three], 0]),
        "c_3pl": summary(true.c[three], est.c[idx[three]]),
    }
    if (~three).any():
        out["a_grm"] = summary(true.a[~three], est.a[idx[~three]])
        out["b_grm"] = summary(
            true.b[~three].ravel(), est.b[idx[~three]][:, : true.b.shape[1]].ravel()
        )
    return out


def update_bank(result, items, booklets, p, r, n_stats, n_presented) -> None:
    from psychometrics.bank.update import (
        update_item_parameters,
        update_item_stats,
        write_files_transactionally,
    )
    from psychometrics.bank.yamlio import dump_item, parse_yaml

    ids = list(result.params.item_ids)
    # 1. forget earlier blocks of this same simulated calibration (re-runs replace, not stack)
    texts = {}
    for item in items:
        data = dict(item.data)
        changed = False
        if isinstance(data.get("irt"), dict) and data["irt"].get("calibration") == CALIBRATION_ID:
            data["irt"] = None
            changed = True
        if isinstance(data.get("stats"), dict) and data["stats"].get("source") == CALIBRATION_ID:
            data["stats"] = None
            changed = True
        hist = [
            h
            for h in (data.get("history") or [])
            if not (
                isinstance(h, dict)
                and (
                    h.get("calibration") == CALIBRATION_ID
                    or (
                        isinstance(h.get("stats"), dict)
                        and h["stats"].get("source") == CALIBRATION_ID
                    )
                )
            )
        ]
        if hist != list(data.get("history") or []):
            data["history"] = hist
            changed = True
        if changed:
            texts[item.path] = dump_item(data)
    if texts:
        write_files_transactionally(texts)
    # 2. parameters and statistics through the bank's own (transactional) update functions
    update_item_parameters(
        BANK,
        result.params,
        calibration_id=CALIBRATION_ID,
        n={i: int(n_presented[i]) for i in ids},
        date=CALIBRATION_DATE,
    )
    update_item_stats(
        BANK, ids, p=p, rpbis=r, n=n_stats, date=CALIBRATION_DATE, source=CALIBRATION_ID
    )
    # 3. exposure: the booklets of the calibration study
    bank = load_bank(BANK)
    texts = {}
    for i in ids:
        item = bank[i]
        data, _ = parse_yaml(item.path.read_text(encoding="utf-8"), file=item.path)
        data["exposure"] = {
            "forms": [f"{CALIBRATION_ID}-B{k + 1}" for k, b in enumerate(booklets) if i in b],
            "administrations": int(n_presented[i]),
            "last_used": datetime.date.fromisoformat(CALIBRATION_DATE),
        }
        texts[item.path] = dump_item(data)
    write_files_transactionally(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--dry-run", action="store_true", help="do not update the bank")
    args = parser.parse_args(argv)
    from psychometrics.irt import calibrate

    rng = np.random.default_rng(args.seed)
    bank = load_bank(BANK)
    items = [i for i in bank if i.status in CALIBRATED_STATUSES]
    true = draw_true_parameters(items, rng)
    anchors, booklets = design(items, rng)
    theta, booklet, cells = simulate(items, true, booklets, rng)
    OUT.mkdir(exist_ok=True)
    write_true(OUT / "true_parameters.csv", items, true)
    write_responses(OUT / "responses.csv", items, booklet, cells)

    keys = bank_keys(bank, item_ids=[i.id for i in items])
    rm = read_responses(OUT / "responses.csv", key=keys, ignore=["booklet"])
    booklet_col = np.array([f"B{k + 1}" for k in booklet])
    models = {i.id: ("grm" if i.type == "rubric" else "3pl") for i in items}
    print(f"calibrating {rm.n_items} items, {rm.n_persons} persons ...", file=sys.stderr)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = calibrate(rm, model=models, progress=lambda m: print("  " + m, file=sys.stderr))
    seconds = time.perf_counter() - t0
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    if not result.converged:
        print(f"calibration did not converge: {result.message}", file=sys.stderr)
        return 1
    n_presented = dict(zip(rm.item_ids, rm.presented.sum(axis=0).tolist(), strict=True))
    p, r, n_stats = classical_stats(rm, booklet_col, booklets, keys)
    rec = recovery(true, result.params)
    summary = {
        "calibration": CALIBRATION_ID,
        "date": CALIBRATION_DATE,
        "simulated": True,
        "script": "item_bank/tools/simulate_calibration.py",
        "seed": args.seed,
        "persons": int(rm.n_persons),
        "items": int(rm.n_items),
        "anchors": anchors,
        "booklets": {f"B{k + 1}": len(b) for k, b in enumerate(booklets)},
        "engine": result.engine,
        "models": {"mcq/msq": "3pl", "rubric": "grm"},
        "metric": result.params.metric,
        "loglik": result.loglik,
        "iterations": result.iterations,
        "converged": result.converged,
        "latent_mean": result.latent_mean,
        "latent_sd": result.latent_sd,
        "warnings": [str(w.message) for w in caught],
        "recovery": rec,
    }
    atomic_write_text(OUT / "summary.json", json.dumps(summary, indent=2) + "\n")
    print(f"calibrated in {seconds:.1f} s", file=sys.stderr)
    print(
        json.dumps(
            {k: summary[k] for k in ("items", "persons", "iterations", "converged", "recovery")},
            indent=2,
        )
    )
    if not args.dry_run:
        update_bank(result, items, booklets, p, r, n_stats, n_presented)
        print(f"updated {len(result.params.item_ids)} item files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
