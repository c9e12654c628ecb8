"""A small simulated credential program for the build and lifecycle tests (not a test file).

:func:`make_program` writes, under a root folder, a bank of 3PL items with known parameters, two
hand-chosen published forms that share items, a spec, the responses of candidates who each took
one form (one item with planted DIF against the focal group) and Angoff ratings of form-A centred
on the probability of success at :data:`TRUE_CUT`. pytest puts ``tests/`` on ``sys.path``, so
test files import it as ``from programs import make_program``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import yaml

TRUE_CUT = -0.3
DIF_ITEM = "T-0003"
DIF_SHIFT = 1.2
HOSTILE_TITLE = 'Test <script>alert("x")</script> Credential'


FORM_DATE = date(2026, 3, 1)


def form_members(n_per_outcome: int) -> dict[str, list[int]]:
    """Hand-chosen forms (1-based item numbers): 6 + 6 items each, sharing one item per outcome.

    Chosen here, not by the solver, so that no test depends on how a solver breaks ties.
    """
    o2 = n_per_outcome
    return {
        "form-A": [*range(1, 7), *range(o2 + 1, o2 + 7)],
        "form-B": [*range(6, 12), *range(o2 + 6, o2 + 12)],
    }


def make_program(
    root: Path,
    *,
    n_per_outcome=24,
    n_persons=700,
    seed=5,
    cut="angoff",
    admin=True,
    pretest=(),
    publish=True,
):
    """Write a bank (2 outcomes x n_per_outcome 3PL items), two published forms, a spec, the
    responses of candidates who each took one form, and Angoff ratings of form-A.

    ``pretest`` item numbers become uncalibrated pretest items seeded (unscored) on both forms.
    """
    from psychometrics.bank import load_bank
    from psychometrics.program.forms import form_from_items, write_form

    rng = np.random.default_rng(seed)
    items_dir = root / "item_bank" / "items"
    items_dir.mkdir(parents=True)
    (root / "specs" / "data").mkdir(parents=True)
    ids, a, b, c, keys = [], [], [], [], []
    k = 0
    for outcome in ("O1", "O2"):
        for j in range(n_per_outcome):
            k += 1
            item_id = f"T-{k:04d}"
            ai, bi, ci = rng.uniform(0.8, 1.8), rng.normal(-0.2, 0.9), rng.uniform(0.1, 0.25)
            key = "ABCD"[k % 4]
            doc = {
                "id": item_id,
                "version": 1,
                "status": "operational",
                "outcome": outcome,
                "cognitive_level": ["remember", "apply"][j % 2],
                "type": "mcq",
                "stem": f"Synthetic question {k}?",
                "options": {x: f"option {x} of item {k}" for x in "ABCD"},
                "key": key,
                "irt": {"model": "3pl", "a": round(ai, 3), "b": round(bi, 3), "c": round(ci, 3)},
            }
            if k in pretest:
                doc["status"] = "pretest"
                doc.pop("irt")
            (items_dir / f"{item_id}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
            ids.append(item_id)
            a.append(round(ai, 3))
            b.append(round(bi, 3))
            c.append(round(ci, 3))
            keys.append(key)
    bank = load_bank(root / "item_bank")
    members = form_members(n_per_outcome)
    seeded = [ids[k - 1] for k in pretest]
    forms = {fid: [ids[k - 1] for k in nums if k not in pretest] for fid, nums in members.items()}
    folder = root / "specs" / "forms" / "test-cred"
    if publish:
        for fid, items in forms.items():
            write_form(
                form_from_items(
                    fid,
                    items,
                    bank=bank,
                    credential_id="test-cred",
                    status="published",
                    published=FORM_DATE,
                    pretest=seeded,
                ),
                folder,
            )
    presented = {fid: set(items) | set(seeded) for fid, items in forms.items()}
    columns = [i for i in ids if any(i in p for p in presented.values())]
    col = np.array([ids.index(i) for i in columns])
    a, b, c = np.array(a)[col], np.array(b)[col], np.array(c)[col]
    keys = [keys[j] for j in col]
    group = np.where(rng.random(n_persons) < 0.5, "F", "M")
    form_of = np.where(rng.random(n_persons) < 0.5, "form-A", "form-B")
    theta = rng.normal(0, 1, n_persons)
    shift = np.where(np.array(columns) == DIF_ITEM, DIF_SHIFT, 0.0)
    bb = b[None, :] + np.where(group[:, None] == "F", shift[None, :], 0.0)
    p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - bb)))
    correct = rng.random(p.shape) < p
    wrong = rng.integers(3, size=p.shape)
    lines = ["person_id,form,group," + ",".join(columns)]
    for i in range(n_persons):
        cells = []
        for j, item_id in enumerate(columns):
            others = [x for x in "ABCD" if x != keys[j]]
            if item_id not in presented[form_of[i]]:
                cells.append("")
            else:
                cells.append(keys[j] if correct[i, j] else others[wrong[i, j]])
        lines.append(f"P{i:05d},{form_of[i]},{group[i]}," + ",".join(cells))
    (root / "specs" / "data" / "responses.csv").write_text("\n".join(lines) + "\n")
    rated = forms["form-A"]
    k_rated = np.array([columns.index(i) for i in rated])
    p_cut = c[k_rated] + (1 - c[k_rated]) / (1 + np.exp(-a[k_rated] * (TRUE_CUT - b[k_rated])))
    rows = ["rater,item_id,rating,round"]
    for r in range(6):
        bias = rng.normal(0, 0.03)
        for rnd, sd in ((1, 0.10), (2, 0.04)):
            noisy = np.clip(p_cut + bias + rng.normal(0, sd, len(rated)), 0.02, 0.98)
            rows += [f"R{r + 1},{i},{v:.3f},{rnd}" for i, v in zip(rated, noisy, strict=True)]
    (root / "specs" / "data" / "angoff_ratings.csv").write_text("\n".join(rows) + "\n")
    if cut == "angoff":
        cut_block = (
            "cut_score:\n  method: angoff\n  ratings: data/angoff_ratings.csv\n  form: form-A\n"
            "  round: 2\n"
        )
    else:
        cut_block = f"cut_score:\n  theta: {TRUE_CUT}\n"
    admin_block = (
        "administrations:\n  - id: w1\n    window: {start: 2026-03-02, end: 2026-03-06}\n"
        "    responses: data/responses.csv\n    group: group\n    focal: F\n"
        '    reference: M\n    omit_code: "*"\n    parameters: bank\n'
        if admin
        else ""
    )
    spec = (
        "credential:\n  id: test-cred\n"
        f"  title: '{HOSTILE_TITLE}'\n"
        "  version: '1'\n  issuer: Tests\n  achievement_type: MicroCredential\n"
        "  description: A synthetic credential.\n  purpose: Testing the pipeline.\n"
        "  intended_use: Tests only.\n  population: Simulated candidates.\n"
        "outcomes:\n  - {id: O1, title: First}\n  - {id: O2, title: Second}\n"
        "bank: ../item_bank\n"
        "form:\n  length: 12\n  count: 2\n  max_overlap: 0.25\n  item_status: [operational]\n"
        f"  blueprint: {{O1: 6, O2: 6}}\n  target: {{theta: [{TRUE_CUT}]}}\n"
        "forms: forms/test-cred/\n"
        f"{cut_block}{admin_block}decision:\n  method: rudner\n"
    )
    path = root / "specs" / "test-cred.yaml"
    path.write_text(spec)
    return path
