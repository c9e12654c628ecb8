"""The ``credkit`` command: a thin click layer over the library.

Each domain registers its commands from its own module (``calibrate``, ``scoring``, ``bank``,
``assembly``, ``analysis``, ``cutscore``, ``build``); this module only builds the group. No
psychometrics lives in the CLI.
"""

from __future__ import annotations

import click

from psychometrics import __version__
from psychometrics.cli import (
    analysis,
    assembly,
    bank,
    build,
    calibrate,
    cutscore,
    forms,
    retakes,
    scoring,
)
from psychometrics.cli._common import CredkitGroup


@click.group(cls=CredkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="credkit")
def main() -> None:
    """credkit: psychometrics for credential programs.

    Item banks, classical item analysis, IRT calibration, test assembly, standard setting and
    the validity report. All IRT numbers are in the logistic metric (D = 1).
    """


for _module in (calibrate, scoring, bank, assembly, forms, analysis, cutscore, build, retakes):
    _module.register(main)
