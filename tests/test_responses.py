import numpy as np
import pytest

from psychometrics.errors import InputError
from psychometrics.irt.params_io import params_to_csv, read_params
from psychometrics.responses import NOT_PRESENTED, ItemKey, read_responses


def test_wide_integer_scores_with_blank_and_group(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("pid,i1,i2,grp,note\np1,1,,F,x\np2,0,2,M,y\np3,*,1,F,z\n")
    r = read_responses(f, group=["grp"], ignore=["note"])
    assert r.item_ids == ("i1", "i2")
    np.testing.assert_array_equal(r.scores, [[1, NOT_PRESENTED], [0, 2], [0, 1]])
    assert r.omitted[2, 0] and not r.omitted[0, 0]
    assert list(r.groups["grp"]) == ["F", "M", "F"]


def test_bad_cell_names_line_and_column(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("pid,i1,i2\np1,1,0\np2,0,x\n")
    with pytest.raises(InputError) as err:
        read_responses(f)
    assert str(err.value).startswith(f"{f}:3: i2:")


def test_letters_scored_against_key_and_unknown_option_rejected(tmp_path):
    key = {"i1": ItemKey(options=("A", "B", "C"), correct=frozenset("B"))}
    f = tmp_path / "r.csv"
    f.write_text("pid,i1\np1,B\np2,a\np3,\n")
    r = read_responses(f, key=key)
    np.testing.assert_array_equal(r.scores[:, 0], [1, 0, NOT_PRESENTED])
    f.write_text("pid,i1\np1,B\np2,E\n")
    with pytest.raises(InputError, match=r":3: i1: response 'E' is not an option"):
        read_responses(f, key=key)


def test_long_layout_and_duplicate_answer(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text("person_id,item_id,response\np1,i1,1\np1,i2,0\np2,i2,1\n")
    r = read_responses(f, long=True)
    np.testing.assert_array_equal(r.scores, [[1, 0], [NOT_PRESENTED, 1]])
    f.write_text("person_id,item_id,response\np1,i1,1\np1,i1,0\n")
    with pytest.raises(InputError, match=r":3: .*twice"):
        read_responses(f, long=True)


def test_params_round_trip(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text(
        "item_id,model,a,b,c,se_a,se_b,se_c,b1,b2,se_b1,se_b2\n"
        "x,3pl,1.1,0.2,0.15,0.1,0.05,0.02,,,,\n"
        "y,grm,0.9,,,,,,-0.5,0.7,0.1,0.1\n"
    )
    p = read_params(f)
    assert p.n_categories.tolist() == [2, 3]
    g = tmp_path / "q.csv"
    g.write_text(params_to_csv(p))
    q = read_params(g)
    np.testing.assert_allclose(np.nan_to_num(q.b), np.nan_to_num(p.b))
    f.write_text("item_id,model,a,b,c\nx,4pl,1,0,0\n")
    with pytest.raises(InputError, match=r":2: model: unknown model '4pl'"):
        read_params(f)
