"""The build: from a credential spec, its bank, published forms and administration to the
validity report. See :mod:`psychometrics.program.build.pipeline`."""

from psychometrics.program.build.analysis import NotAvailable
from psychometrics.program.build.output import default_out_dir
from psychometrics.program.build.pipeline import STAGES, BuildResult, BuildState, build

__all__ = ["STAGES", "BuildResult", "BuildState", "NotAvailable", "build", "default_out_dir"]
