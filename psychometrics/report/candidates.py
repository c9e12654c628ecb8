"""Candidate score reports: one printable HTML page per candidate (no recomputation here).

Each page shows the scale score and the pass/fail decision, the measurement error of the scale
score (the EAP standard error carried through the reporting scale's slope), the candidate's
performance by outcome as bands (percent correct ± one conditional SEM, against the percent
expected at the cut; see :func:`psychometrics.program.build.scores.outcome_bands`), and the
spec's intended-use caveat. Candidate ids appear only here and in ``results.csv``, never in the
validity report.
"""

from __future__ import annotations

import math
from typing import Any

from psychometrics import __version__
from psychometrics.report.render import _env


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}f}" if digits > 0 else f"{x:.0f}"


def render_candidate(
    result: Any,
    *,
    title: str,
    issuer: str = "",
    intended_use: str = "",
    scale: Any = None,
    scale_cut: float | None = None,
) -> str:
    """One candidate's score report as an HTML document.

    Parameters
    ----------
    result
        A :class:`~psychometrics.program.build.scores.CandidateResult`.
    title, issuer, intended_use
        From the credential spec.
    scale
        The :class:`~psychometrics.standard_setting.conversion.ReportingScale` (None: theta).
    scale_cut
        The passing scale score (rounded as the scale says).
    """
    digits = 2 if scale is None else int(scale.round if scale.round is not None else 2)
    slope = 1.0 if scale is None else float(scale.slope)
    sem = result.theta_se * slope if math.isfinite(result.theta_se) else float("nan")
    scale_range = ""
    if scale is not None and scale.min is not None and scale.max is not None:
        scale_range = f"{scale.min:g}-{scale.max:g}"
    return (
        _env()
        .get_template("candidate.html.j2")
        .render(
            c=result,
            title=title,
            issuer=issuer,
            intended_use=intended_use,
            scale_text=_fmt(result.scale_score, digits),
            cut_text="\u2013" if scale_cut is None else _fmt(scale_cut, digits),
            scale_range=scale_range,
            raw_text=f"{result.raw_score:g}",
            sem_text="\u2013" if not math.isfinite(sem) else _fmt(sem, max(digits, 0)),
            version=__version__,
        )
    )
