"""Automated test assembly: parallel fixed-length forms by mixed-integer programming.

The numeric core takes arrays and returns frozen results; it knows nothing of specs or files
(:mod:`psychometrics.program.proposal` builds its inputs from a credential spec and a bank).

- :mod:`~psychometrics.assembly.solve`: :func:`assemble_forms`, constraints, the result and the
  infeasibility diagnosis;
- :mod:`~psychometrics.assembly.milp`: the usage, split and full MILP models (scipy's HiGHS);
- :mod:`~psychometrics.assembly.polish`: the swap local search that balances a split.
"""

from psychometrics.assembly.solve import (
    METHODS,
    AssemblyResult,
    CountConstraint,
    Infeasibility,
    assemble_forms,
    min_distinct_items,
)

__all__ = [
    "METHODS",
    "AssemblyResult",
    "CountConstraint",
    "Infeasibility",
    "assemble_forms",
    "min_distinct_items",
]
