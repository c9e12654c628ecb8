"""set_cut_score names the argument when a compromise method's inputs are incomplete."""

import numpy as np
import pytest

from psychometrics.irt.models import ItemParameters
from psychometrics.standard_setting import set_cut_score


@pytest.mark.parametrize(
    ("method", "kwargs", "message"),
    [
        ("beuk", {"beuk_judgments": {"max_cut": 30}}, "beuk_judgments: missing min_cut"),
        ("beuk", {"beuk_judgments": {"mean_cut": 30}}, "beuk_judgments: missing mean_pass_rate"),
        ("hofstee", {"hofstee_bounds": {"min_cut": 20}}, "hofstee_bounds: missing max_cut"),
    ],
)
def test_incomplete_compromise_inputs_name_the_argument(method, kwargs, message):
    n = 40
    form = ItemParameters(
        item_ids=tuple(f"i{j}" for j in range(n)),
        model=("2pl",) * n,
        a=np.ones(n),
        b=np.linspace(-2, 2, n),
        c=np.zeros(n),
    )
    scores = np.arange(n, dtype=float)
    with pytest.raises(ValueError, match=message):
        set_cut_score(method, forms={"A": form}, scores=scores, **kwargs)
