"""The nominal model against R mirt 1.47 on the same data (values stored in tests/data/nominal).

``tests/data/nominal/responses.csv`` holds 2,000 simulated persons x 8 items (six with four
options, two with three), all from one nominal model; ``mirt.csv`` is what
``tests/data/nominal/mirt.R`` printed: ``mirt(x, 1, "nominal", SE = TRUE, SE.type = "Oakes")``,
61 quadrature points on [-6, 6] as here, convergence tolerance 1e-6.

Tolerances: mirt stops when no parameter moves more than 1e-6 per EM cycle, which leaves the
estimates within about 1e-4 of the maximum, so estimates agree to 1e-3 and the log-likelihood to
1e-3; Oakes' and Louis' observed information are both exact, so the SEs agree to 1 %.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from psychometrics.irt import calibrate
from psychometrics.irt.models import nominal_parameters

DATA = Path(__file__).parent / "data" / "nominal"


def _mirt():
    with open(DATA / "mirt.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    est, se, loglik = {}, {}, None
    for row in rows:
        if row["parameter"] == "loglik":
            loglik = float(row["estimate"])
        elif row["item"]:
            est[row["item"], row["parameter"]] = float(row["estimate"])
            se[row["item"], row["parameter"]] = float(row["se"]) if row["se"] else np.nan
    return est, se, loglik


@pytest.fixture(scope="module")
def fitted():
    x = np.loadtxt(DATA / "responses.csv", delimiter=",", skiprows=1, dtype=int)
    return calibrate(x, model="nominal", tol=1e-7)


def test_same_estimates_loglik_and_ses_as_mirt(fitted):
    est, se, loglik = _mirt()
    assert fitted.converged
    assert fitted.loglik == pytest.approx(loglik, abs=1e-3)
    p = fitted.params
    forms = nominal_parameters(p, covariance=fitted.covariance)
    n_checked = 0
    for j, item in enumerate(p.item_ids):
        n_cat = int(p.n_categories[j])
        assert p.a[j] == pytest.approx(est[item, "a1"], abs=1e-3)
        assert p.se_a[j] == pytest.approx(se[item, "a1"], rel=0.01)
        for k in range(n_cat):
            assert p.ak[j, k] == pytest.approx(est[item, f"ak{k}"], abs=1e-3)
            assert forms.d[j, k] == pytest.approx(est[item, f"d{k}"], abs=1e-3)
            if k > 0:
                assert forms.se_d[j, k] == pytest.approx(se[item, f"d{k}"], rel=0.01)
            if 0 < k < n_cat - 1:
                assert p.se_ak[j, k] == pytest.approx(se[item, f"ak{k}"], rel=0.01)
            n_checked += 2
    assert n_checked == 2 * (6 * 4 + 2 * 3)
