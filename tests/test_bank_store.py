"""Loading, robustness, keys, parameters, updates, new items and stats of the bank layer."""

from __future__ import annotations

import copy
import datetime as dt
import os

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bank_lint import BASE, OTHER, write_bank

from psychometrics.bank import bank_keys, bank_parameters, lint_bank, load_bank
from psychometrics.bank.newitem import new_item, next_item_id
from psychometrics.bank.specinfo import SpecInfo
from psychometrics.bank.stats import bank_stats, items_needed
from psychometrics.bank.store import read_item_file
from psychometrics.bank.update import update_item_parameters, update_item_stats
from psychometrics.bank.yamlio import dump_item, parse_yaml, read_yaml_file
from psychometrics.cli import main
from psychometrics.errors import CredkitError, InputError
from psychometrics.irt.models import ItemParameters
from psychometrics.responses import read_responses

RUBRIC = {
    **{k: v for k, v in BASE.items() if k not in ("options", "key", "enemies")},
    "id": "DA-0003",
    "type": "rubric",
    "max_score": 2,
    "score_levels": {0: "nothing", 1: "partly", 2: "fully"},
    "irt": {"model": "grm", "a": 0.9, "b1": -0.5, "b2": 0.7, "calibration": "cal-1"},
}


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted((folder / "items").iterdir())}


# ---------------------------------------------------------------- canonical YAML round trip


def test_canonical_file_round_trips_byte_for_byte(tmp_path, yaml_backend):
    folder = write_bank(tmp_path, BASE, OTHER, RUBRIC)
    for path in (folder / "items").iterdir():
        data, _, text = read_yaml_file(path)
        assert dump_item(data) == text


def test_dump_uses_block_style_for_multiline_and_issue_order():
    text = dump_item({"stem": "line 1\nline 2\n", "id": "X-1", "zzz": 1, "irt": {"b": 1, "a": 2}})
    assert text.splitlines()[0] == "id: X-1"
    assert "stem: |\n  line 1\n  line 2\n" in text
    assert text.index("irt:") < text.index("zzz:")  # unknown fields after the known ones
    assert "irt: {a: 2, b: 1}" in text  # all-number mappings in flow style, fields in order


def test_line_numbers_of_nested_fields(yaml_backend):
    data, lines = parse_yaml("id: X\noptions:\n  A: a\n  B: b\nenemies: [P, Q]\n")
    assert lines["options.B"] == 4 and lines["enemies[1]"] == 5 and data["id"] == "X"


# ---------------------------------------------------------------- robustness


def test_oversized_file_is_rejected_quickly(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER)
    big = folder / "items" / "DA-0009.yaml"
    big.write_text("stem: " + "x" * (300 * 1024) + "\n")
    item, findings = read_item_file(big)
    assert item is None and "larger than the limit" in findings[0].message
    with pytest.raises(InputError, match="larger than the limit"):
        load_bank(folder)


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_backend(request, monkeypatch):
    """Run a test with the C event guard and with the pure-Python guarded composer."""
    from psychometrics.bank import yamlio

    if request.param == "pure-python":
        monkeypatch.setattr(yamlio, "_FAST", False)
    elif not yamlio._FAST:
        pytest.skip("libyaml not available")
    return request.param


def test_alias_bomb_is_rejected_without_expansion(tmp_path, yaml_backend):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"aliases \(\*a0\)") as err:
        read_yaml_file(path)
    # refused at the very first alias (line 2), i.e. while parsing, before anything could be
    # expanded; this used to be a CPU-time bound, which a slow machine could break
    assert err.value.line == 2


def test_deep_nesting_and_node_count_are_capped(yaml_backend):
    with pytest.raises(InputError, match="nested more than"):
        parse_yaml("a: " + "[" * 200 + "]" * 200 + "\n")
    with pytest.raises(InputError, match="more than 100 YAML nodes"):
        parse_yaml("a: [" + ", ".join(["1"] * 200) + "]\n", max_nodes=100)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---\na: 1\n---\nb: 2\n",
        "key: !!python/object:os.system ls\n",
        "created: 2024-13-45\n",
        "id: DA-0001\n\tversion: 1\n",
        "a: b: c\n",
        "\x00",
        "{[1]: 2}\n",
    ],
)
def test_malformed_documents_give_a_located_error(tmp_path, text, yaml_backend):
    path = tmp_path / "DA-0001.yaml"
    path.write_bytes(text.encode("utf-8"))
    item, findings = read_item_file(path)
    assert findings and findings[0].severity == "error"
    assert findings[0].file == str(path)


def test_non_utf8_is_an_error(tmp_path):
    path = tmp_path / "DA-0001.yaml"
    path.write_bytes(b"id: DA-0001\nstem: caf\xe9\n")
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_yaml_file(path)
    assert err.value.line == 2


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.dates(),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.one_of(st.text(max_size=8), st.integers(0, 5)), inner, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(
    ["id", "version", "status", "outcome", "cognitive_level", "type", "stem", "options", "key",
     "enemies", "irt", "stats", "history", "exposure", "max_score", "score_levels", "set",
     "created", "expected_seconds", "word_count", "reviewers"]
)  # fmt: skip


@settings(
    max_examples=150,
    deadline=None,  # deadline and too_slow are wall-clock checks: a loaded machine trips them
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.dictionaries(_fields, _values, max_size=5), drop=st.lists(_fields, max_size=3))
def test_malformed_items_always_give_findings_never_crashes(tmp_path, changes, drop):
    item = copy.deepcopy(BASE)
    item.update(changes)
    for name in drop:
        item.pop(name, None)
    folder = tmp_path / "h" / "items"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "DA-0001.yaml"
    path.write_text(yaml.safe_dump(item, allow_unicode=True), encoding="utf-8")
    report = lint_bank(folder.parent)  # never raises for item content
    for f in report.findings:
        assert f.message and f.field and f.file.endswith("DA-0001.yaml")
    try:
        load_bank(folder.parent)
    except CredkitError as exc:
        assert str(exc).startswith(str(path))
    else:  # load_bank stops on every per-file error; bank-wide relations are lint's job
        bank_wide = {"enemy-missing", "enemy-not-mutual", "enemy-in-set"}
        assert {f.rule for f in report.errors} <= bank_wide


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises_anything_but_inputerror(text):
    try:
        parse_yaml(text)
    except InputError:
        pass


# ---------------------------------------------------------------- keys and parameters


def test_bank_keys_score_letters(tmp_path):
    msq = {**copy.deepcopy(BASE), "id": "DA-0004", "type": "msq", "key": ["A", "C"], "enemies": []}
    msq["irt"] = {"model": "2pl", "a": 1.0, "b": 0.0}
    folder = write_bank(tmp_path, BASE, OTHER, RUBRIC, msq)
    keys = bank_keys(load_bank(folder))
    csv = tmp_path / "r.csv"
    csv.write_text("pid,DA-0001,DA-0002,DA-0003,DA-0004\np1,D,A,2,AC\np2,a,B,0,A\np3,,*,1,C;A\n")
    r = read_responses(csv, key=keys)
    np.testing.assert_array_equal(r.scores, [[1, 1, 2, 1], [0, 0, 0, 0], [-1, 0, 1, 1]])
    bad = tmp_path / "bad.csv"
    bad.write_text("pid,DA-0001\np1,E\n")
    with pytest.raises(InputError, match="not an option"):
        read_responses(bad, key=keys)


def test_bank_parameters_from_irt_blocks(tmp_path):
    other = {**copy.deepcopy(OTHER), "status": "pretest"}
    other["irt"] = {"model": "2pl", "a": 0.8, "b": -1.0, "se": {"a": 0.1, "b": 0.2}}
    folder = write_bank(tmp_path, BASE, other, RUBRIC)
    bank = load_bank(folder)
    params = bank_parameters(bank)
    assert params.item_ids == ("DA-0001", "DA-0002", "DA-0003")
    assert params.model == ("3pl", "2pl", "grm")
    np.testing.assert_allclose(params.a, [1.1, 0.8, 0.9])
    np.testing.assert_allclose(params.b[:, 0], [0.2, -1.0, -0.5])
    assert np.isnan(params.b[0, 1]) and params.b[2, 1] == 0.7
    np.testing.assert_allclose(params.c, [0.18, 0.0, 0.0])
    assert params.se_b[1, 0] == 0.2 and np.isnan(params.se_a[0])
    assert bank_parameters(bank, statuses=["operational"]).item_ids == ("DA-0001", "DA-0003")
    with pytest.raises(InputError, match="not in the bank"):
        bank_parameters(bank, item_ids=["DA-0404"])


# ---------------------------------------------------------------- updates


def _new_params():
    return ItemParameters(
        item_ids=("DA-0001", "DA-0003"),
        model=("3pl", "grm"),
        a=[1.23456789, 1.5],
        b=[[0.5, np.nan], [-1.0, 1.0]],
        c=[0.2, 0.0],
        se_a=[0.1, 0.2],
        se_b=[[0.05, np.nan], [0.1, 0.12]],
        se_c=[0.03, np.nan],
    )


def test_update_parameters_moves_old_block_to_history(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER, RUBRIC)
    before = snapshot(folder)
    result = update_item_parameters(
        folder, _new_params(), calibration_id="cal-2", n=1500, date="2026-01-31"
    )
    assert result.item_ids == ("DA-0001", "DA-0003")
    bank = load_bank(folder)
    item = bank["DA-0001"]
    assert item.irt.a == 1.2346 and item.irt.b == (0.5,) and item.irt.c == 0.2
    assert item.irt.se == {"a": 0.1, "b": 0.05, "c": 0.03} and item.irt.calibration == "cal-2"
    assert item.irt.n == 1500 and item.updated == "2026-01-31"
    (entry,) = item.history
    assert entry["calibration"] == "cal-1" and entry["irt"]["a"] == 1.1
    assert entry["date"] == dt.date(2026, 1, 31)
    assert bank["DA-0003"].irt.b == (-1.0, 1.0)
    after = snapshot(folder)
    assert after["DA-0002.yaml"] == before["DA-0002.yaml"]
    # everything else in the file is kept as written
    data = yaml.safe_load(after["DA-0001.yaml"])
    assert data["stem"] == BASE["stem"] and data["options"] == BASE["options"]
    assert lint_bank(folder).ok
    for name in ("DA-0001.yaml", "DA-0003.yaml"):  # a canonical file stays canonical
        data, _, text = read_yaml_file(folder / "items" / name)
        assert dump_item(data) == text


def test_update_validates_everything_before_writing(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER, RUBRIC)
    before = snapshot(folder)
    bad = _new_params().with_values(item_ids=("DA-0001", "DA-0404"))
    with pytest.raises(InputError, match="DA-0404"):
        update_item_parameters(folder, bad, calibration_id="c")
    out_of_range = _new_params().with_values(c=np.array([0.6, 0.0]))
    with pytest.raises(InputError, match="outside"):
        update_item_parameters(folder, out_of_range, calibration_id="c")
    wrong_model = _new_params().with_values(
        model=("3pl", "2pl"), b=np.array([[0.5], [0.1]]), se_b=None
    )
    with pytest.raises(InputError, match="does not fit"):
        update_item_parameters(folder, wrong_model, calibration_id="c")
    assert snapshot(folder) == before


def test_update_failing_mid_write_leaves_bank_unchanged(tmp_path, monkeypatch):
    folder = write_bank(tmp_path, BASE, OTHER, RUBRIC)
    before = snapshot(folder)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:  # the first file is already replaced when the second one fails
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError):
        update_item_parameters(folder, _new_params(), calibration_id="cal-2")
    monkeypatch.setattr(os, "replace", real_replace)
    assert snapshot(folder) == before
    assert not [p for p in (folder / "items").iterdir() if p.name.startswith(".")]


def test_update_stats(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER)
    update_item_stats(
        folder, ["DA-0002", "DA-0001"], p=[0.7, np.nan], rpbis=[0.3, 0.2], n=800, date="2026-02-01"
    )
    bank = load_bank(folder)
    assert bank["DA-0002"].stats.p == 0.7 and bank["DA-0002"].stats.n == 800
    assert bank["DA-0001"].stats.p is None and bank["DA-0001"].stats.rpbis == 0.2
    assert bank["DA-0001"].history[0]["stats"]["p"] == 0.6
    with pytest.raises(ValueError, match="p must be"):
        update_item_stats(folder, ["DA-0001"], p=[1.5], rpbis=[0.1], n=[3])


# ---------------------------------------------------------------- new items and stats


def test_new_item_next_id_and_lint_clean_but_for_todos(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER)
    assert next_item_id(folder) == "DA-0003"
    path = new_item(folder, outcome="DA4", author='Zoë "Z" O\'Neil', today=dt.date(2026, 1, 2))
    assert path.name == "DA-0003.yaml"
    assert next_item_id(folder) == "DA-0004"
    item = load_bank(folder)["DA-0003"]
    assert item.status == "draft" and item.outcome == "DA4" and item.author == 'Zoë "Z" O\'Neil'
    assert item.created == "2026-01-02" and len(item.options) == 4
    report = lint_bank(folder)
    assert report.ok and {f.rule for f in report.findings} == {"todo"}
    for kind in ("msq", "rubric"):
        created = new_item(folder, outcome="DA1", item_type=kind)
        assert load_bank(folder)[created.stem].type == kind
    assert next_item_id(tmp_path / "bank", prefix="QZ") == "QZ-0001"
    empty = tmp_path / "empty" / "items"
    empty.mkdir(parents=True)
    assert next_item_id(empty.parent, outcome="ML3") == "ML-0001"


def test_cli_new_prints_path(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER)
    result = CliRunner().invoke(main, ["bank", "new", "--outcome", "DA1", "--bank", str(folder)])
    assert result.exit_code == 0 and result.output.strip().endswith("DA-0003.yaml")
    bad = CliRunner().invoke(main, ["bank", "new", "--outcome", "a b", "--bank", str(folder)])
    assert bad.exit_code == 1 and "outcome" in bad.output


def test_items_needed_formula():
    # 2 forms of 6 with at most floor(.25 * 6) = 1 shared item: 6 + 5 distinct items
    assert items_needed(6, 2, 0.25) == 11
    assert items_needed(8, 2, 0.25) == 14
    assert items_needed(6, 1, 0.0) == 6
    assert items_needed(6, 3, 0.0) == 18
    assert items_needed(6, 2, 1.0) == 6
    assert items_needed(0, 2, 0.25) == 0


def test_bank_stats_counts_and_gaps(tmp_path):
    draft = {**copy.deepcopy(OTHER), "id": "DA-0005", "status": "draft", "enemies": []}
    draft.pop("irt")
    folder = write_bank(tmp_path, BASE, OTHER, draft)
    info = SpecInfo(
        outcomes={"DA1": "One", "DA2": "Two"},
        length=4,
        count=2,
        max_overlap=0.25,
        blueprint={"DA1": (2, 2), "DA2": (2, 2)},
    )
    stats = bank_stats(load_bank(folder), spec=info)
    assert stats.by_outcome["DA1"] == {
        "total": 3,
        "calibrated": 2,
        "status": {"operational": 2, "draft": 1},
        "cognitive_level": {"apply": 3},
    }
    da1, da2 = stats.needs
    assert (da1.needed, da1.eligible, da1.pipeline, da1.gap) == (4, 2, 1, 2)
    assert (da2.needed, da2.eligible, da2.gap) == (4, 0, 4)
    result = CliRunner().invoke(main, ["bank", "stats", str(folder), "--json"])
    assert result.exit_code == 0 and '"n_items": 3' in result.output


HAND_WRITTEN = """\
# Written by hand: comments and layout must survive an update.
id: DA-0001
version: 2
status: operational
outcome: DA1
cognitive_level: apply
type: mcq
stem: |
  Which level of measurement is shoe size?
options:
  A: Nominal
  B: Ordinal
  C: Interval
  D: Ratio   # true zero
key: D
reviewers:
- A. Reviewer
- B. Reviewer
created: '2025-01-10'
updated: '2025-03-02'
irt: {model: 3pl, a: 1.1, b: 0.2, c: 0.18, calibration: cal-1}
history:
- date: '2025-01-10'
  event: created
exposure:
  forms: []
"""


def test_update_keeps_the_writers_lines(tmp_path):
    folder = tmp_path / "bank" / "items"
    folder.mkdir(parents=True)
    path = folder / "DA-0001.yaml"
    path.write_text(HAND_WRITTEN)
    params = ItemParameters(item_ids=("DA-0001",), model=("3pl",), a=[1.3], b=[0.1], c=[0.2])
    update_item_parameters(folder.parent, params, calibration_id="cal-2", date="2026-01-31")
    new = path.read_text()
    old_lines = HAND_WRITTEN.splitlines()
    new_lines = new.splitlines()
    changed = {
        "updated: '2025-03-02'",
        "irt: {model: 3pl, a: 1.1, b: 0.2, c: 0.18, calibration: cal-1}",
    }
    kept = [line for line in old_lines if line not in changed]
    assert [line for line in new_lines if line in kept] == kept  # same lines, same order
    assert (
        "- date: '2025-01-10'\n  event: created\n- date: 2026-01-31\n  event: recalibrated" in new
    )
    item = load_bank(folder.parent)["DA-0001"]
    assert item.irt.a == 1.3 and item.history[1]["irt"]["a"] == 1.1


def test_rubric_scoring_guide_form(tmp_path):
    guide = {
        **{k: v for k, v in RUBRIC.items() if k != "score_levels"},
        "scoring_guide": [
            {"score": 0, "description": "none"},
            {"score": 1, "description": "some"},
            {"score": 2, "description": "all"},
        ],
    }
    folder = write_bank(tmp_path, BASE, OTHER, guide)
    assert lint_bank(folder).findings == ()
    assert load_bank(folder)["DA-0003"].score_levels == {0: "none", 1: "some", 2: "all"}
    guide["scoring_guide"] = guide["scoring_guide"][:2]
    (folder / "items" / "DA-0003.yaml").write_text(dump_item(guide))
    (hit,) = [f for f in lint_bank(folder).errors]
    assert hit.field == "scoring_guide" and "0..2" in hit.message


def test_example_bank_has_no_lint_errors():
    from pathlib import Path

    bank_dir = Path(__file__).resolve().parent.parent / "item_bank"
    if not (bank_dir / "items").is_dir():
        pytest.skip("no example bank")
    report = lint_bank(bank_dir)
    assert report.errors == (), [f.format() for f in report.errors[:5]]
    assert report.n_files >= 240


def test_lifecycle_status_changes(tmp_path):
    from psychometrics.bank.lifecycle import set_status

    draft = {**copy.deepcopy(OTHER), "id": "DA-0005", "status": "draft", "enemies": []}
    draft.pop("irt")
    folder = write_bank(tmp_path, BASE, OTHER, draft)
    set_status(folder, ["DA-0005"], "review", by="J. Lead", date="2026-03-01")
    item = load_bank(folder)["DA-0005"]
    assert item.status == "review" and item.updated == "2026-03-01"
    assert item.history[-1] == {
        "date": dt.date(2026, 3, 1),
        "event": "status",
        "from": "draft",
        "to": "review",
        "by": "J. Lead",
    }
    before = snapshot(folder)
    # the first change is fine, the second is not: nothing is written
    with pytest.raises(InputError, match="review -> suspended is not a lifecycle step"):
        set_status(folder, ["DA-0002", "DA-0005"], "suspended")
    with pytest.raises(InputError, match="needs IRT parameters"):
        set_status(folder, ["DA-0005"], "operational", force=True)
    with pytest.raises(InputError, match="unknown status"):
        set_status(folder, ["DA-0005"], "published")
    assert snapshot(folder) == before
    set_status(folder, ["DA-0001", "DA-0002"], "retired")
    assert {i.status for i in load_bank(folder).select(statuses={"retired"})} == {"retired"}
    result = CliRunner().invoke(
        main, ["bank", "status", "DA-0001", "--to", "draft", "--bank", str(folder)]
    )
    assert result.exit_code == 1 and "retired -> draft" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1 # c\n", True),
        ("# top\na: 1\n", True),
        ("a: [1, 2] # c\n", True),
        ('a: "x # y"\n', False),
        ("a: |\n  # a Markdown heading\n  text\n", False),
        ("a: x#y\n", False),
    ],
)
def test_comment_detection(text, expected):
    from psychometrics.bank.yamlio import has_comments

    assert has_comments(text) is expected


def test_format_bank(tmp_path):
    from psychometrics.bank.fmt import format_bank

    folder = write_bank(tmp_path, BASE, OTHER)
    items = folder / "items"
    messy = yaml.safe_dump({**BASE, "enemies": []}, sort_keys=True)
    (items / "DA-0001.yaml").write_text(messy)
    (items / "DA-0002.yaml").write_text(HAND_WRITTEN.replace("DA-0001", "DA-0002"))
    (items / "DA-0003.yaml").write_text("id: [broken\n")
    result = format_bank(folder, check=True)
    assert [p.rsplit("/", 1)[1] for p in result.changed] == ["DA-0001.yaml"]
    assert {p.rsplit("/", 1)[1] for p, _ in result.skipped} == {"DA-0002.yaml", "DA-0003.yaml"}
    assert (items / "DA-0001.yaml").read_text() == messy  # check writes nothing
    runner = CliRunner()
    assert runner.invoke(main, ["bank", "format", str(folder), "--check"]).exit_code == 1
    assert runner.invoke(main, ["bank", "format", str(folder)]).exit_code == 0
    assert (items / "DA-0001.yaml").read_text() == dump_item({**BASE, "enemies": []})
    assert (items / "DA-0002.yaml").read_text().startswith("# Written by hand")


def test_example_bank_is_in_canonical_layout():
    from pathlib import Path

    from psychometrics.bank.fmt import format_bank

    root = Path(__file__).resolve().parent.parent / "item_bank"
    if not (root / "items").is_dir():
        pytest.skip("no example bank")
    result = format_bank(root, check=True)
    assert result.changed == () and result.skipped == ()


def test_record_exposure(tmp_path):
    from psychometrics.bank import record_exposure

    folder = write_bank(tmp_path, BASE, OTHER)
    record_exposure(
        folder, ["DA-0001", "DA-0002"], form_id="F2", administrations=100, date="2026-05-01"
    )
    record_exposure(folder, ["DA-0001"], form_id="F2", administrations={"DA-0001": 5})
    bank = load_bank(folder)
    first, second = bank["DA-0001"].exposure, bank["DA-0002"].exposure
    assert first.forms == ("F1", "F2") and first.administrations == 1005
    assert second.administrations == 1000 and second.last_used == "2026-05-01"
    with pytest.raises(ValueError, match="administrations"):
        record_exposure(folder, ["DA-0001"], form_id="F3", administrations=-1)


def test_new_item_without_hard_links(tmp_path, monkeypatch):
    folder = write_bank(tmp_path, BASE, OTHER)

    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    path = new_item(folder, outcome="DA2")
    assert load_bank(folder)[path.stem].status == "draft"
    assert not [p for p in (folder / "items").iterdir() if p.name.startswith(".")]
