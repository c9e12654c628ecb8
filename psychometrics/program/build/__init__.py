"""The build: from a credential spec, its bank, published forms and administration to the
validity report. See :mod:`psychometrics.program.build.pipeline`."""

from psychometrics.program.build.output import default_out_dir
from psychometrics.program.build.pipeline import STAGES, BuildResult, BuildState, build
from psychometrics.program.build.unavailable import NotAvailable

__all__ = ["STAGES", "BuildResult", "BuildState", "NotAvailable", "build", "default_out_dir"]
