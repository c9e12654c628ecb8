"""`credkit analyze` end to end: key and bank scoring, ITEMS.csv, JSON, DIF, and broken input."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.responses import read_key_csv

ITEMS = [f"DA-{j + 1:04d}" for j in range(12)]
KEYS = ["A", "B", "C", "D"] * 3


def write_data(tmp_path, n=800, seed=5, dif_shift=1.2):
    """Letters for 12 4-option items; item DA-0001 is harder for group F (planted DIF)."""
    rng = np.random.default_rng(seed)
    g = np.where(np.arange(n) % 2 == 0, "F", "M")
    theta = rng.normal(size=n)
    b = np.tile(np.linspace(-1.5, 1.5, 12), (n, 1))
    b[g == "F", 0] += dif_shift
    right = rng.random((n, 12)) < 1 / (1 + np.exp(-1.4 * (theta[:, None] - b)))
    lines = ["person_id," + ",".join(ITEMS) + ",group,site"]
    for i in range(n):
        cells = [
            KEYS[j] if right[i, j] else rng.choice([c for c in "ABCD" if c != KEYS[j]])
            for j in range(12)
        ]
        if i % 40 == 0:
            cells[5] = "*"
        lines.append(f"P{i:04d}," + ",".join(cells) + f",{g[i]},s{i % 3}")
    resp = tmp_path / "responses.csv"
    resp.write_text("\n".join(lines) + "\n")
    key = tmp_path / "key.csv"
    key.write_text(
        "item_id,key\n" + "".join(f"{i},{k}\n" for i, k in zip(ITEMS, KEYS, strict=True))
    )
    return resp, key, right.astype(int)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_items_csv_and_json_match_direct_statistics(tmp_path):
    resp, key, right = write_data(tmp_path)
    scores = right.copy()
    scores[::40, 5] = 0  # omits are scored wrong
    out = tmp_path / "items.csv"
    r = run("analyze", resp, "--key", key, "--ignore", "group", "--ignore", "site", "--out", out)
    assert r.exit_code == 0, r.output
    assert "alpha" in r.output and "DA-0012" in r.output
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0])[:5] == ["item_id", "n", "p", "rpbis", "alpha_if_deleted"]
    total = scores.sum(axis=1)
    for j, row in enumerate(rows):
        assert row["item_id"] == ITEMS[j] and int(row["n"]) == 800
        assert float(row["p"]) == pytest.approx(scores[:, j].mean(), abs=1e-6)
        rest = total - scores[:, j]
        assert float(row["rpbis"]) == pytest.approx(np.corrcoef(scores[:, j], rest)[0, 1], abs=1e-6)
    assert float(rows[5]["omit_rate"]) == pytest.approx(20 / 800)

    r = run("analyze", resp, "--key", key, "--ignore", "group", "--ignore", "site", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    c = np.cov(scores, rowvar=False)
    alpha = 12 / 11 * (1 - np.trace(c) / c.sum())
    assert data["n_persons"] == 800 and data["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert data["sem"] == pytest.approx(total.std(ddof=1) * np.sqrt(1 - alpha), abs=1e-12)
    first = data["items"][0]
    assert {"item_id", "n", "p", "rpbis", "alpha_if_deleted", "flags", "options"} <= set(first)
    assert [o["option"] for o in first["options"]][:4] == ["A", "B", "C", "D"]


def test_dif_columns_and_planted_item(tmp_path):
    resp, key, _ = write_data(tmp_path)
    out = tmp_path / "items.csv"
    r = run(
        "analyze", resp, "--key", key, "--group", "group", "--focal", "F", "--reference", "M",
        "--ignore", "site", "--out", out, "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["dif"]["focal"] == "F" and data["dif"]["n_focal"] == 400
    rows = {row["item_id"]: row for row in csv.DictReader(out.open())}
    cols = ["mh_delta", "mh_p", "ets_class", "lr_p", "lr_r2_delta"]
    assert list(next(iter(rows.values())))[5:10] == cols
    planted = rows["DA-0001"]
    assert planted["ets_class"] == "C" and float(planted["mh_delta"]) < -1.5
    assert "dif_mh_C_favors_reference" in planted["flags"]
    assert sum(rows[i]["ets_class"] == "A" for i in ITEMS[1:]) >= 10
    # text table carries the DIF columns
    r = run(
        "analyze", resp, "--key", key, "--group", "group", "--focal", "F", "--reference", "M",
        "--ignore", "site", "--purify",
    )  # fmt: skip
    assert r.exit_code == 0 and "ETS" in r.stdout and "purified" in r.stdout
    assert "DA-0001" in r.stdout and " C- " in r.stdout
    r = run(
        "analyze", resp, "--key", key, "--group", "group", "--focal", "F", "--reference", "M",
        "--ignore", "site", "--min-focal", "1000",
    )  # fmt: skip
    assert r.exit_code == 0 and "not classified: 400 focal (min 1000)" in r.stdout
    # a form column: per-form statistics, DIF matched within form
    r = run(
        "analyze", resp, "--key", key, "--group", "group", "--focal", "F", "--reference", "M",
        "--form-column", "site", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["dif"]["blocks"] == ["s0", "s1", "s2"] and set(data["forms"]) == {"s0", "s1", "s2"}
    assert data["items"][0]["ets_class"] == "C"


def test_bank_keys_and_stratified_alpha(tmp_path):
    from psychometrics.bank.yamlio import dump_item

    resp, _, right = write_data(tmp_path)
    folder = tmp_path / "bank" / "items"
    folder.mkdir(parents=True)
    topics = ["sampling", "joins", "medians", "charts", "p-values", "SQL"] * 2
    for j, item in enumerate(ITEMS):
        doc = {
            "id": item,
            "version": 1,
            "status": "operational",
            "outcome": "DA1" if j < 6 else "DA2",
            "cognitive_level": "apply",
            "type": "mcq",
            "stem": f"Question {j} about {topics[j]}: which option is right?\n",
            "options": {"A": f"one {j}", "B": f"two {j}", "C": f"three {j}", "D": f"four {j}"},
            "key": KEYS[j],
            "author": "T. Writer",
        }
        (folder / f"{item}.yaml").write_text(dump_item(doc))
    r = run("analyze", resp, "--bank", tmp_path / "bank", "--ignore", "group", "--ignore", "site",
            "--json")  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    strata = {s["stratum"]: s for s in data["test"]["strata"]}
    assert set(strata) == {"DA1", "DA2"} and strata["DA1"]["n_items"] == 6
    assert 0 < data["stratified_alpha"] <= 1


def test_long_file_with_forms(tmp_path):
    _, key, right = write_data(tmp_path, n=300)
    lines = ["person_id,item_id,response,form"]
    for i in range(300):
        form, items = ("A", range(0, 8)) if i < 150 else ("B", range(4, 12))
        for j in items:
            letter = KEYS[j] if right[i, j] else ("B" if KEYS[j] == "A" else "A")
            lines.append(f"P{i},{ITEMS[j]},{letter},{form}")
    resp = tmp_path / "long.csv"
    resp.write_text("\n".join(lines) + "\n")
    r = run("analyze", resp, "--key", key, "--long", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    a = right[:150, :8]
    c = np.cov(a, rowvar=False)
    assert data["forms"]["A"]["alpha"] == pytest.approx(8 / 7 * (1 - np.trace(c) / c.sum()))
    assert data["forms"]["B"]["n_items"] == 8 and data["n_items"] == 12
    assert data["items"][0]["n"] == 150
    # per-form item statistics; the pooled row's alpha_if_deleted of a common item (DA-0005 is
    # on both forms) is the person-weighted mean of the two forms' values
    by_form = {f: {it["item_id"]: it for it in data["forms"][f]["items"]} for f in ("A", "B")}
    common = [by_form[f]["DA-0005"]["alpha_if_deleted"] for f in ("A", "B")]
    assert data["items"][4]["alpha_if_deleted"] == pytest.approx(np.mean(common))
    c_a = np.cov(np.delete(a, 0, 1), rowvar=False)
    assert by_form["A"]["DA-0001"]["alpha_if_deleted"] == pytest.approx(
        7 / 6 * (1 - np.trace(c_a) / c_a.sum())
    )
    r = run("analyze", resp, "--key", key, "--long")
    assert r.exit_code == 0 and "form A:" in r.stdout and "incomplete design" in r.stdout


def test_key_outcome_column_gives_stratified_alpha(tmp_path):
    resp, _, _ = write_data(tmp_path, n=200)
    key = tmp_path / "key_outcomes.csv"
    key.write_text(
        "item_id,key,outcome\n"
        + "".join(
            f"{i},{k},DA{1 + j // 4}\n" for j, (i, k) in enumerate(zip(ITEMS, KEYS, strict=True))
        )
    )
    r = run("analyze", resp, "--key", key, "--ignore", "group", "--ignore", "site", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [s["stratum"] for s in data["test"]["strata"]] == ["DA1", "DA2", "DA3"]
    assert data["items"][4]["outcome"] == "DA2"


def test_miskey_shows_option_table(tmp_path):
    resp, key, _ = write_data(tmp_path, n=400)
    text = key.read_text().replace("DA-0005,A", "DA-0005,C")
    key.write_text(text)
    r = run("analyze", resp, "--key", key, "--ignore", "group", "--ignore", "site")
    assert r.exit_code == 0, r.output
    assert "possible_miskey:A" in r.stdout and "DA-0005 options" in r.stdout
    assert "C (key)" in r.stdout


def test_bad_inputs_give_one_line_errors_and_leave_files_alone(tmp_path):
    resp, key, _ = write_data(tmp_path, n=60)
    out = tmp_path / "items.csv"
    out.write_text("precious\n")
    base = ["analyze", resp, "--key", key, "--ignore", "site", "--out", out]

    # a response letter that is not an option: file, line and column named
    text = resp.read_text().splitlines()
    cells = text[3].split(",")
    cells[2] = "E"
    text[3] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n")
    r = run("analyze", bad, "--key", key, "--ignore", "group", "--ignore", "site", "--out", out)
    assert r.exit_code == 1
    assert f"{bad}:4: DA-0002: response 'E' is not an option" in r.output
    assert "Traceback" not in r.output

    r = run(*base, "--group", "group", "--focal", "X", "--reference", "M")
    assert r.exit_code == 1 and "focal group 'X' does not occur in column 'group'" in r.output
    r = run(*base, "--group", "group", "--focal", "F")
    assert r.exit_code == 1 and "--reference" in r.output
    r = run(*base, "--group", "nope", "--focal", "F", "--reference", "M")
    assert r.exit_code == 1 and "'nope' is not in the header" in r.output
    r = run(*base, "--bank", tmp_path, "--group", "group", "--focal", "F", "--reference", "M")
    assert r.exit_code == 1 and "either --bank or --key" in r.output
    r = run("analyze", resp, "--key", key, "--out", out)  # 'group' column taken for an item
    assert r.exit_code == 1 and "column 'group' is not an item of the key" in r.output
    r = run("analyze", tmp_path / "missing.csv", "--key", key)
    assert r.exit_code == 1 and "file not found" in r.output
    r = run(*base, "--ignore", "group", "--p-low", "0.9", "--p-high", "0.5")
    assert r.exit_code == 1 and "p_low" in r.output
    assert out.read_text() == "precious\n"  # nothing written by a failing command

    bad_key = tmp_path / "badkey.csv"
    bad_key.write_text("item_id,key,options\nDA-0001,E,ABCD\n")
    r = run("analyze", resp, "--key", bad_key, "--ignore", "group", "--ignore", "site")
    assert r.exit_code == 1 and f"{bad_key}:2: key: key 'E' is not among the options" in r.output


def test_read_key_csv(tmp_path):
    f = tmp_path / "key.csv"
    f.write_text("item_id,key,options,max_score\nQ1,B,,\nQ2,A;C,ABCDE,\nQ3,,,4\nQ4,F,,\n")
    key = read_key_csv(f)
    assert key["Q1"].options == ("A", "B", "C", "D") and key["Q1"].correct == {"B"}
    assert key["Q2"].options == tuple("ABCDE") and key["Q2"].correct == {"A", "C"}
    assert key["Q3"].max_score == 4 and not key["Q3"].is_keyed
    assert key["Q4"].options == tuple("ABCDEF")
    for text, match in [
        ("item_id\nQ1\n", "needs a 'key' column"),
        ("item_id,key\nQ1,A\nQ1,B\n", r":3: item_id: duplicate item 'Q1'"),
        ("item_id,key,max_score\nQ1,,zero\n", r":2: max_score: 'zero' is not a positive"),
        ("item_id,key\n", "no items"),
    ]:
        f.write_text(text)
        with pytest.raises(InputError, match=match):
            read_key_csv(f)


def test_analyze_reads_the_responses_before_loading_scipy():
    """The reader's peak memory comes before scipy's code (about 60 MB) is loaded: nothing that
    `credkit analyze` imports at start-up imports scipy (issue 17, benchmarks/memory.py)."""
    import subprocess
    import sys

    code = "import sys, psychometrics.cli.analysis; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
