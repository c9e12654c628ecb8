"""Linking options: symmetric criteria (reciprocal constants), the criterion's grid and weights,
and normal-ogive (D = 1.7) input parameters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import params_to_csv
from psychometrics.linking import link, transform


def _params(seed: int, n: int = 20, noise: float = 0.0, base: ItemParameters | None = None):
    rng = np.random.default_rng(seed)
    if base is None:
        return ItemParameters(
            item_ids=tuple(f"i{k}" for k in range(n)),
            model=("2pl",) * n,
            a=rng.uniform(0.7, 2.0, n),
            b=rng.normal(0.0, 1.0, (n, 1)),
            c=np.zeros(n),
        )
    return ItemParameters(
        item_ids=base.item_ids,
        model=base.model,
        a=base.a * np.exp(rng.normal(0.0, noise, base.a.size)),
        b=base.b + rng.normal(0.0, noise, base.b.shape),
        c=base.c,
    )


@pytest.mark.parametrize("method", ["stocking-lord", "haebara"])
@pytest.mark.parametrize("symmetric", [False, True])
def test_an_exact_transformation_is_recovered(method, symmetric):
    base = _params(1)
    # the new calibration is the base on another scale: theta_new = (theta_base - B) / A
    new = transform(base, A=1 / 1.25, B=-0.4 / 1.25)
    res = link(new, base, method=method, symmetric=symmetric)
    assert res.A == pytest.approx(1.25, abs=1e-5) and res.B == pytest.approx(0.4, abs=1e-5)


@pytest.mark.parametrize("method", ["stocking-lord", "haebara"])
def test_symmetric_constants_are_reciprocal(method):
    base = _params(2)
    new = transform(_params(3, noise=0.15, base=base), A=0.9, B=0.2)
    grid = np.linspace(-4, 4, 41)
    w = np.ones(grid.size)
    xy = link(new, base, method=method, symmetric=True, theta=grid, theta_weights=w)
    yx = link(base, new, method=method, symmetric=True, theta=grid, theta_weights=w)
    assert xy.A * yx.A == pytest.approx(1.0, abs=1e-5)
    assert xy.B == pytest.approx(-yx.B * xy.A, abs=1e-5)


def test_cli_grid_weights_symmetric_and_normal_metric(tmp_path):
    base = _params(4)
    new = transform(_params(5, noise=0.1, base=base), A=1.1, B=-0.3)
    paths = {}
    for name, p, scale in (("new", new, 1.0), ("base", base, 1.0)):
        for metric, d in (("logistic", 1.0), ("normal", 1.7)):
            f = tmp_path / f"{name}-{metric}.csv"
            q = ItemParameters(item_ids=p.item_ids, model=p.model, a=p.a * scale / d, b=p.b, c=p.c)
            f.write_text(params_to_csv(q))
            paths[name, metric] = str(f)
    args = ["--theta-grid", "-3", "3", "31", "--theta-weights", "uniform", "--symmetric", "--json"]
    out = {}
    for metric in ("logistic", "normal"):
        r = CliRunner().invoke(
            main,
            ["link", "--new", paths["new", metric], "--base", paths["base", metric],
             "--input-metric", metric, *args],
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        out[metric] = json.loads(r.stdout)
    expected = link(
        new, base, symmetric=True, theta=np.linspace(-3, 3, 31), theta_weights=np.ones(31)
    )
    for metric in ("logistic", "normal"):
        assert out[metric]["A"] == pytest.approx(expected.A, abs=1e-6)
        assert out[metric]["B"] == pytest.approx(expected.B, abs=1e-6)
    r = CliRunner().invoke(
        main, ["link", "--new", paths["new", "logistic"], "--base", paths["base", "logistic"],
               "--theta-grid", "2", "1", "5"],
    )  # fmt: skip
    assert r.exit_code == 1 and "--theta-grid" in r.output
