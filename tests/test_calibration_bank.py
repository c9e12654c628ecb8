"""``credkit calibrate --bank``: option letters scored with the bank's keys, bank anchors, and
``--update-bank`` writing new parameters into the item files (all or nothing)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from psychometrics.bank import bank_parameters, load_bank
from psychometrics.cli import main
from psychometrics.irt import ItemParameters, category_probabilities

EXAMPLE = Path(__file__).resolve().parents[1] / "item_bank"


@pytest.fixture()
def small_bank(tmp_path):
    """Ten stand-alone items of the example bank (8 choice, 2 rubric) in a fresh bank dir."""
    if not (EXAMPLE / "items").is_dir():
        pytest.skip("example bank not present")
    bank = load_bank(EXAMPLE)
    choice = [
        it
        for it in bank
        if it.type == "mcq" and not it.set and not it.enemies and it.irt is not None
    ]
    rubric = [it for it in bank if it.type == "rubric" and not it.set and not it.enemies]
    if len(choice) < 8 or len(rubric) < 2:
        pytest.skip("example bank lacks stand-alone items")
    chosen = choice[:8] + rubric[:2]
    root = tmp_path / "bank"
    (root / "items").mkdir(parents=True)
    for it in chosen:
        shutil.copy(it.path, root / "items" / it.path.name)
    return root, chosen


def _letters_csv(path, items, n, seed=0):
    """Responses simulated from known parameters, written as option letters / rubric scores."""
    rng = np.random.default_rng(seed)
    models = tuple("3pl" if it.type == "mcq" else "grm" for it in items)
    k = [1 if it.type == "mcq" else it.max_score for it in items]
    width = max(k)
    b = np.full((len(items), width), np.nan)
    for j, kk in enumerate(k):
        b[j, :kk] = np.linspace(-1.0, 1.0, kk) if kk > 1 else rng.uniform(-1, 1)
    true = ItemParameters(
        item_ids=tuple(it.id for it in items),
        model=models,
        a=rng.uniform(0.9, 1.8, len(items)),
        b=b,
        c=np.where(np.array(models) == "3pl", 0.15, 0.0),
    )
    probs = category_probabilities(true, rng.standard_normal(n))
    u = rng.random((n, len(items), 1))
    scores = np.sum(u > np.cumsum(probs, axis=2)[:, :, :-1], axis=2)
    lines = ["person," + ",".join(true.item_ids)]
    for i in range(n):
        cells = []
        for j, it in enumerate(items):
            if it.type == "rubric":
                cells.append(str(scores[i, j]))
            else:
                wrong = [o for o in it.options if o not in it.key]
                cells.append(it.key[0] if scores[i, j] else wrong[rng.integers(len(wrong))])
        if i % 50 == 0:
            cells[0] = "*"  # omitted: scored 0
        lines.append(f"p{i}," + ",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return true


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_bank_keys_score_letters_and_update_bank_writes_items(small_bank, tmp_path):
    root, items = small_bank
    resp = tmp_path / "resp.csv"
    true = _letters_csv(resp, items, 2500)
    out = tmp_path / "params.csv"
    r = run(
        "calibrate", resp, "--bank", root, "--model", "3pl", "--poly-model", "grm",
        "--out", out, "--update-bank", "--calibration-id", "TEST-1", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["n_items"] == 10 and sorted(data["bank_updated"]) == sorted(true.item_ids)
    new = bank_parameters(load_bank(root), item_ids=true.item_ids)
    # what was written is what was estimated, and it is close to the simulated truth (N = 2500)
    assert np.sqrt(np.mean((new.a - true.a) ** 2)) < 0.3
    for it in items:
        doc = yaml.safe_load((root / "items" / it.path.name).read_text())
        assert doc["irt"]["calibration"] == "TEST-1"
        assert doc["irt"]["n"] == 2500
        assert any(h.get("event") == "recalibrated" for h in doc["history"])


def test_update_bank_refused_without_convergence(small_bank, tmp_path):
    root, items = small_bank
    resp = tmp_path / "resp.csv"
    _letters_csv(resp, items, 400)
    before = {p.name: p.read_text() for p in (root / "items").iterdir()}
    out = tmp_path / "params.csv"
    r = run(
        "calibrate", resp, "--bank", root, "--model", "3pl", "--poly-model", "grm",
        "--out", out, "--update-bank", "--max-iter", "2",
    )  # fmt: skip
    assert r.exit_code == 1 and "did not converge" in r.output
    assert {p.name: p.read_text() for p in (root / "items").iterdir()} == before
    assert not out.exists()


def test_bank_anchors_and_unknown_letters(small_bank, tmp_path):
    root, items = small_bank
    resp = tmp_path / "resp.csv"
    _letters_csv(resp, items, 1500)
    out = tmp_path / "params.csv"
    r = run(
        "calibrate", resp, "--bank", root, "--bank-anchors", "--model", "3pl",
        "--poly-model", "grm", "--out", out, "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    operational = [it.id for it in items if it.status == "operational" and it.irt is not None]
    assert sorted(data["anchors"]) == sorted(operational)
    if len(operational) < len(items):
        assert data["latent_sd_se"] is not None
    # a letter that is not an option of the item: one line naming the row and column
    text = resp.read_text().splitlines()
    cells = text[3].split(",")
    cells[1] = "Z"
    text[3] = ",".join(cells)
    resp.write_text("\n".join(text) + "\n")
    r = run(
        "calibrate", resp, "--bank", root, "--model", "3pl", "--poly-model", "grm", "--out", out
    )
    assert r.exit_code == 1 and f":4: {items[0].id}:" in r.output and "not an option" in r.output
    r = run("calibrate", resp, "--update-bank", "--out", out)
    assert r.exit_code == 1 and "--bank" in r.output
