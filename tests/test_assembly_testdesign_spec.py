"""TestDesign's science and reading problems written as credkit item files and specs.

Every TestDesign row becomes a spec row (``count where ...``, ``exclude_when``, ``include``,
item ``enemies``, an all-or-none item set, ``passages``); the assembled form must meet every row,
and its objective must equal the independent HiGHS optimum of tests/test_assembly_testdesign.py
(relative gap 1e-6 both). Source of the data: see that module.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_assembly_testdesign import (
    GAP,
    _independent,
    _info_and_score,
    _read,
    _reading,
    _science,
    _science_rows,
)

from psychometrics.bank import dump_item, load_bank
from psychometrics.program.proposal import assemble_spec
from psychometrics.program.spec import load_spec


def _condition(text: str) -> str:
    """A TestDesign (R) condition as a credkit condition."""
    out = text.replace("%in% c(", "in (").replace("&", "and").replace('"', "")
    return re.sub(r"\s+", " ", out).strip()


def _write_items(root, pool, attrs, *, sets=None, extra=None):
    folder = root / "bank" / "items"
    folder.mkdir(parents=True)
    for k, (par, att) in enumerate(zip(pool, attrs, strict=True)):
        item = {"id": par["ID"], "version": 1, "status": "operational", "outcome": "T1",
                "stem": f"Item {k}?\n"}  # fmt: skip
        if par["MODEL"] == "3PL":
            item.update(type="mcq", options={"A": "a", "B": "b"}, key="A",
                        irt={"model": "3pl", "a": float(par["PAR1"]), "b": float(par["PAR2"]),
                             "c": float(par["PAR3"])})  # fmt: skip
        else:
            steps = [float(par[k]) for k in ("PAR2", "PAR3", "PAR4") if par.get(k)]
            irt = {"model": "gpcm", "a": float(par["PAR1"])}
            irt.update({f"b{j + 1}": s for j, s in enumerate(steps)})
            item.update(type="rubric", max_score=len(steps), irt=irt,
                        score_levels={j: f"level {j}" for j in range(len(steps) + 1)})  # fmt: skip
        item["attributes"] = {
            k: (float(v) if re.fullmatch(r"-?\d*\.\d+", v) else int(v) if v.isdigit() else v)
            for k, v in att.items()
            if k != "ID" and v != ""
        }
        item.update((extra or {}).get(par["ID"], {}))
        if sets and par["ID"] in sets:
            item["set"] = sets[par["ID"]]
        (folder / f"{item['id']}.yaml").write_text(dump_item(item), encoding="utf-8")


def _yaml_rows(rows: dict[str, tuple[int, int]]) -> str:
    return "".join(f"    {k}: {{min: {lo}, max: {hi}}}\n" for k, (lo, hi) in rows.items())


SPEC = """\
credential: {{id: testdesign, title: TestDesign example}}
outcomes:
  - {{id: T1, title: All}}
bank: bank
form:
  length: 30
  objective: sum
  target: {{theta: [-1, 0, 1]}}
{extra}  constraints:
{rows}"""


def test_science_as_a_credkit_spec(tmp_path):
    pool, attrs, counts, enemies, include, exclude, sets = _science()
    table = _read("constraints_science_1000.csv")
    rows, extra = {}, ""
    for r in table:
        if r["TYPE"] == "Number" and r["CONDITION"]:
            rows[f"count where {_condition(r['CONDITION'])}"] = (int(r["LB"]), int(r["UB"]))
    ids = [a["ID"] for a in attrs]
    enemy_ids = [ids[i] for i in enemies[0]]
    extra_fields = {enemy_ids[0]: {"enemies": [enemy_ids[1]]},
                    enemy_ids[1]: {"enemies": [enemy_ids[0]]}}  # fmt: skip
    _write_items(tmp_path, pool, attrs, sets={ids[i]: "AON1" for i in sets[0]},
                 extra=extra_fields)  # fmt: skip
    extra += f"  include: [{', '.join(ids[i] for i in include)}]\n"
    extra += "  exclude_when: [PTBIS < 0.15]\n"
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC.format(extra=extra, rows=_yaml_rows(rows)), encoding="utf-8")
    spec = load_spec(spec_path)
    assert len(spec.form.constraints) == 30
    result = assemble_spec(spec, time_limit=120, gap=GAP)
    assert result.status == "optimal", result.message
    info, _ = _info_and_score(pool, np.array([-1.0, 0.0, 1.0]))
    reference = _independent(
        info.sum(axis=1), _science_rows(counts, enemies, include, exclude, sets, len(pool)),
        length=30,
    )  # fmt: skip
    assert result.result.objective == pytest.approx(reference, rel=2 * GAP)
    chosen = np.isin(ids, result.forms[0].items)
    for c in counts:
        assert c.min <= int((c.members & chosen).sum()) <= c.max, c.name
    assert chosen[include].all() and not chosen[exclude].any()
    assert chosen[enemies[0]].sum() <= 1
    assert chosen[sets[0]].all() or not chosen[sets[0]].any()
    assert len(load_bank(spec.bank)) == 1000


def test_reading_as_a_credkit_spec(tmp_path):
    pool, attrs, groups, counts = _reading()
    table = {r["CONSTRAINT_ID"]: r for r in _read("constraints_reading_303.csv")}
    rows = {}
    for key in ("C4", "C5", *[f"C{k}" for k in range(7, 18)]):
        r = table[key]
        rows[f"count where {_condition(r['CONDITION'])}"] = (int(r["LB"]), int(r["UB"]))
    for level in sorted({a["SUBCONTENT"] for a in attrs}, key=int):
        rows[f"count where SUBCONTENT == {level}"] = (1, 3)
    _write_items(tmp_path, pool, attrs, sets={a["ID"]: a["STID"] for a in attrs})
    extra = "  passages:\n    count: 6\n    items: {min: 4, max: 6}\n"
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC.format(extra=extra, rows=_yaml_rows(rows)), encoding="utf-8")
    result = assemble_spec(load_spec(spec_path), time_limit=120, gap=GAP)
    assert result.status == "optimal", result.message
    info, _ = _info_and_score(pool, np.array([-1.0, 0.0, 1.0]))
    reference = _independent(
        info.sum(axis=1), [(c.members.astype(float), c.min, c.max) for c in counts], length=30,
        passages=groups, n_passages=(6, 6), per_passage=(4, 6),
    )  # fmt: skip
    assert result.result.objective == pytest.approx(reference, rel=2 * GAP)
    chosen = np.isin([a["ID"] for a in attrs], result.forms[0].items)
    used = [int(chosen[list(g)].sum()) for g in groups]
    assert sum(u > 0 for u in used) == 6 and all(4 <= u <= 6 for u in used if u)
    for c in counts:
        assert c.min <= int((c.members & chosen).sum()) <= c.max, c.name
