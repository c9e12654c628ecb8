"""Automated test assembly: parallel fixed-length forms by mixed-integer programming.

Objectives: maximin, weighted sum of information, target information curve or target TCC
(minimax deviation); constraints on counts, sums and means of any item attribute, passages
with items chosen one by one, parallel forms by information or by TCC.

The numeric core takes arrays and returns frozen results; it knows nothing of specs or files
(:mod:`psychometrics.program.proposal` builds its inputs from a credential spec and a bank).

- :mod:`~psychometrics.assembly.solve`: :func:`assemble_forms`, constraints, the result and the
  infeasibility diagnosis;
- :mod:`~psychometrics.assembly.milp`: the usage, split and full MILP models (scipy's HiGHS);
- :mod:`~psychometrics.assembly.polish`: the swap local search that balances a split.
"""

from psychometrics.assembly.solve import (
    METHODS,
    OBJECTIVES,
    AssemblyResult,
    CountConstraint,
    Infeasibility,
    Passages,
    SumConstraint,
    assemble_forms,
    min_distinct_items,
)

__all__ = [
    "METHODS",
    "OBJECTIVES",
    "AssemblyResult",
    "CountConstraint",
    "Infeasibility",
    "Passages",
    "SumConstraint",
    "assemble_forms",
    "min_distinct_items",
]
