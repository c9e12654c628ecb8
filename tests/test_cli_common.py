"""The CLI's shared error contract: one stderr line, non-zero exit, no traceback."""

from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.irt.params_io import read_params


def test_bad_path_argument_is_one_line(tmp_path):
    # `spec check` takes a click.Path(dir_okay=False): click's own check must be one line too
    result = CliRunner().invoke(main, ["spec", "check", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(tmp_path) in lines[0] and "is a directory" in lines[0]
    assert "Traceback" not in result.output


def test_params_with_a_malformed_row_names_its_line(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("item_id,model,a,b\nx,2pl,1,0\ny,2pl,1," + "9" * 200_000 + "\n")
    try:
        read_params(f)
    except InputError as err:
        assert err.line == 3 and err.file == str(f)
    else:  # pragma: no cover - the assertion message is the point
        raise AssertionError("a cell over the csv field limit must be an InputError")


def test_params_line_numbers_survive_blank_rows(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("item_id,model,a,b\nx,2pl,1,0\n\n,,,\ny,2pl,-1,0\n")
    try:
        read_params(f)
    except InputError as err:
        assert (err.line, err.field) == (5, "a")
    else:  # pragma: no cover
        raise AssertionError("a negative slope must be an InputError")
