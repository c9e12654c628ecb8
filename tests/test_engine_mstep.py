"""The M-step's gradient and information of 2PL items against numerical derivatives.

For 2PL items the expected complete-data log-likelihood ``sum_q r_1q log s_q + r_0q log(1 - s_q)``
has the logistic as canonical link, so its negative Hessian equals the Fisher information the
M-step uses; both are checked by central differences of the objective written here.
"""

import numpy as np
from scipy.special import log_expit

from psychometrics.irt._engine import Block, block_grad_info

NODES = np.linspace(-5.0, 5.0, 31)


def objective(par, counts):
    z = par[0] * NODES + par[1]
    return float(counts[1] @ log_expit(z) + counts[0] @ log_expit(-z))


def test_dich2_gradient_and_information_are_the_derivatives_of_the_objective():
    rng = np.random.default_rng(3)
    n_items = 6
    par = np.column_stack([rng.uniform(0.4, 2.5, n_items), rng.normal(0, 1.5, n_items)])
    counts = rng.uniform(0.0, 50.0, (n_items, 2, NODES.size))
    blk = Block("2pl", "dich2", 2, np.arange(n_items), par, np.ones(2, bool), False, False)
    grad, info = block_grad_info(blk, par, counts, NODES, None)
    h = 1e-4
    for j in range(n_items):
        for p in range(2):
            e = np.zeros(2)
            e[p] = h
            num = (objective(par[j] + e, counts[j]) - objective(par[j] - e, counts[j])) / (2 * h)
            assert abs(grad[j, p] - num) <= 1e-6 * (1 + abs(num))
            for r in range(2):
                f = np.zeros(2)
                f[r] = h
                hess = (
                    objective(par[j] + e + f, counts[j])
                    - objective(par[j] + e - f, counts[j])
                    - objective(par[j] - e + f, counts[j])
                    + objective(par[j] - e - f, counts[j])
                ) / (4 * h * h)
                assert abs(info[j, p, r] + hess) <= 1e-4 * (1 + abs(hess))
