"""``credkit build``: the whole pipeline for one credential, from spec to validity report.

Stages (each timed and logged on stderr as ``[k/n] name ...``), each a function with explicit
inputs and a frozen output:

1. :func:`~psychometrics.program.build.inputs.check_inputs`: the spec, the bank, the published
   forms, the administration's responses and the panel's ratings, checked against each other
   (seconds; a disagreement stops the build here with the file, line and item);
2. :func:`~psychometrics.program.build.analysis.analyse_items`: classical item analysis and DIF
   per published form taken, common items pooled;
3. :func:`~psychometrics.program.build.irt.estimate`: IRT parameters (the bank's, or an anchored
   calibration), theta estimates, fit and dimensionality;
4. :func:`~psychometrics.program.build.cut.set_cut`: the cut score on the published forms;
5. :func:`~psychometrics.program.build.decisions.decide`: precision, decision accuracy and
   consistency, pass rates under the spec's pass rule;
6. the report (index.html, forms/, params.csv, items.csv, manifest.json), swapped in whole.

The build never assembles forms: it reads the published ones. Only a spec that asks for a
proposal build (``forms: {proposal: true}``) and has no published form gets forms assembled for
its report, labelled as proposals that were never administered.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psychometrics.errors import CredkitError, InputError
from psychometrics.program.build.analysis import ItemAnalyses, analyse_items
from psychometrics.program.build.candidates import (
    check_candidates_dir,
    default_candidates_dir,
    write_candidates_folder,
)
from psychometrics.program.build.cut import CutStage, set_cut
from psychometrics.program.build.decisions import Decisions, decide
from psychometrics.program.build.inputs import ProgramInputs, check_inputs
from psychometrics.program.build.irt import IRTResults, estimate
from psychometrics.program.build.output import (
    check_out_dir,
    default_out_dir,
    write_report_folder,
)
from psychometrics.program.build.unavailable import NotAvailable

STAGES = (
    "checking spec, bank, published forms, responses and ratings",
    "scoring responses, item analysis and DIF",
    "IRT parameters, theta estimates and fit",
    "setting the cut score",
    "decision accuracy and consistency",
    "writing the report",
)


@dataclass(frozen=True)
class BuildState:
    """Every stage's output, gathered read-only for the report (:mod:`psychometrics.report`).

    Built once from the stages' frozen results; nothing writes into it afterwards.
    """

    spec_path: Path
    spec: Any
    bank: Any
    lint: Any
    published_forms: Mapping[str, Any]
    proposal: bool
    assembly: Any
    fingerprints: tuple[Any, ...]
    administration: Any
    ratings: Any
    rated_form: str | None
    inputs: tuple[tuple[str, Path], ...]
    item_analysis: Mapping[str, Any] = field(default_factory=dict)
    pooled_items: Mapping[str, Any] = field(default_factory=dict)
    dif: Mapping[str, Any] = field(default_factory=dict)
    irt_dif: Mapping[str, Any] = field(default_factory=dict)
    params: Any = None
    params_source: str = ""
    calibration: Any = None
    theta: Any = None
    fit: Mapping[str, Any] = field(default_factory=dict)
    fit_plots: Mapping[str, Any] = field(default_factory=dict)
    dimensionality: Mapping[str, Any] = field(default_factory=dict)
    cut: Any = None
    round_details: Mapping[int, Any] = field(default_factory=dict)
    information: Mapping[str, Any] = field(default_factory=dict)
    at_cut: Mapping[str, Any] = field(default_factory=dict)
    at_target: Mapping[str, Any] = field(default_factory=dict)
    csem_at_cut: Mapping[str, Any] = field(default_factory=dict)
    form_statistics: Mapping[str, Any] = field(default_factory=dict)
    decisions: Mapping[str, Any] = field(default_factory=dict)
    decision_method: str = ""
    passed: Any = None
    pass_rates: Any = None
    pass_rule: str = ""
    item_curves: Mapping[str, Any] = field(default_factory=dict)
    conversions: Mapping[str, Any] = field(default_factory=dict)
    candidates: tuple[Any, ...] = ()
    notes: Mapping[str, str] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)

    @property
    def forms(self) -> dict[str, tuple[str, ...]]:
        """Form id -> item ids in delivery order."""
        return {fid: f.item_ids for fid, f in self.published_forms.items()}

    @property
    def responses(self):
        return None if self.administration is None else self.administration.responses

    @property
    def forms_source(self) -> str:
        if self.proposal:
            return "proposed by assembly for this report; never administered"
        return "published: " + ", ".join(
            f"{f.form_id} ({f.published.isoformat()})" for f in self.published_forms.values()
        )

    @classmethod
    def from_stages(
        cls,
        inputs: ProgramInputs,
        analyses: ItemAnalyses | None,
        irt: IRTResults | None,
        cut: CutStage | None,
        decisions: Decisions | None,
        *,
        unavailable: Mapping[str, str],
    ) -> BuildState:
        notes = dict(inputs.notes)
        missing = dict(unavailable)
        for part in (analyses, irt, decisions):
            if part is not None:
                notes.update(part.notes)
                missing.update(getattr(part, "unavailable", {}))
        return cls(
            spec_path=inputs.spec_path,
            spec=inputs.spec,
            bank=inputs.bank,
            lint=inputs.lint,
            published_forms=inputs.forms,
            proposal=inputs.proposal,
            assembly=inputs.assembly,
            fingerprints=inputs.fingerprints,
            administration=inputs.administration,
            ratings=inputs.ratings,
            rated_form=inputs.rated_form,
            inputs=inputs.files,
            item_analysis=analyses.by_form if analyses else {},
            pooled_items=analyses.pooled if analyses else {},
            dif=analyses.dif if analyses else {},
            irt_dif=analyses.irt_dif if analyses else {},
            params=irt.params if irt else None,
            params_source=irt.source if irt else "",
            calibration=irt.calibration if irt else None,
            theta=irt.theta if irt else None,
            fit=irt.fit if irt else {},
            fit_plots=irt.fit_plots if irt else {},
            dimensionality=irt.dimensionality if irt else {},
            cut=cut.cut if cut else None,
            round_details=cut.round_details if cut else {},
            information=decisions.information if decisions else {},
            at_cut=decisions.at_cut if decisions else {},
            at_target=decisions.at_target if decisions else {},
            csem_at_cut=decisions.csem_at_cut if decisions else {},
            form_statistics=decisions.form_statistics if decisions else {},
            decisions=decisions.decisions if decisions else {},
            decision_method=decisions.method if decisions else "",
            passed=decisions.passed if decisions else None,
            pass_rates=decisions.pass_rates if decisions else None,
            pass_rule=decisions.pass_rule if decisions else "",
            item_curves=decisions.item_curves if decisions else {},
            conversions=decisions.conversions if decisions else {},
            candidates=decisions.candidates if decisions else (),
            notes=notes,
            unavailable=missing,
        )


@dataclass(frozen=True)
class BuildResult:
    """What one build produced.

    Attributes
    ----------
    out_dir, index
        The report folder and its ``index.html``.
    candidates_dir
        The folder of candidate score reports and ``results.csv`` (None when no candidate was
        scored).
    state
        Every stage's output (:class:`BuildState`).
    report
        The :class:`~psychometrics.report.model.ReportData` rendered into ``index.html``.
    stages
        How each stage went.
    seconds
        Wall time of the build.
    """

    out_dir: Path
    index: Path
    state: BuildState
    report: Any
    stages: tuple[Any, ...]
    seconds: float
    candidates_dir: Path | None = None

    def __getattr__(self, name: str) -> Any:  # the state's fields, e.g. result.cut
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.state, name)

    def to_dict(self) -> dict[str, Any]:
        """A JSON summary: where the report is, stages, forms, cut, decisions, problems."""
        st, cut = self.state, self.state.cut
        admin = st.administration
        return {
            "credential": self.report.credential.id,
            "out_dir": str(self.out_dir),
            "index": str(self.index),
            "candidates_dir": None if self.candidates_dir is None else str(self.candidates_dir),
            "seconds": round(self.seconds, 3),
            "stages": [s.to_dict() for s in self.stages],
            "administration": None if admin is None else admin.id,
            "proposal": st.proposal,
            "forms": {k: list(v) for k, v in st.forms.items()},
            "fingerprint_findings": [str(f) for f in st.fingerprints],
            "theta_cut": None if cut is None else float(cut.theta_cut),
            "cut_method": None if cut is None else cut.method,
            "raw_cuts": None if cut is None else {k: float(v) for k, v in cut.raw_cuts.items()},
            "pass_rule": st.pass_rule or None,
            "pass_rate": None if st.pass_rates is None else float(st.pass_rates.overall),
            "forms_results": {
                fid: {
                    "candidates": c.n,
                    "raw_cut": c.raw_cut,
                    "raw_cut_exact": c.raw_cut_exact,
                    "observed_score_cut": c.observed_cut,
                    "pass_rate": c.pass_rate,
                }
                for fid, c in st.conversions.items()
            },
            "pdf": str(self.out_dir / "report.pdf")
            if (self.out_dir / "report.pdf").is_file()
            else None,
            "decisions": {
                k: {
                    "method": d.method,
                    "accuracy": float(d.accuracy),
                    "consistency": float(d.consistency),
                    "false_positive": float(d.false_positive),
                    "false_negative": float(d.false_negative),
                }
                for k, d in st.decisions.items()
            },
            "problems": [p.to_dict() for p in self.report.problems],
            "unavailable": dict(self.report.unavailable),
        }


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class _Stages:
    """Runs the stages in order: timing, logging, and what a failing stage means."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.records: list[Any] = []
        self.unavailable: dict[str, str] = {}

    def run(self, k: int, section: str, runner: Callable[[], Any], *, required: bool = False):
        from psychometrics.report.model import StageRecord

        name = STAGES[k]
        self.log(f"[{k + 1}/{len(STAGES)}] {name} ...")
        t0 = time.perf_counter()
        status, message, out = "ok", "", None
        try:
            out = runner()
        except NotAvailable as exc:
            if required:
                raise CredkitError(f"stage {k + 1}/{len(STAGES)} ({name}) failed: {exc}") from None
            status, message = "not available", str(exc)
            self.unavailable.setdefault(section, message)
        except CredkitError as exc:
            raise CredkitError(
                f"stage {k + 1}/{len(STAGES)} ({name}) failed: {exc.location_message()}"
            ) from None
        seconds = time.perf_counter() - t0
        self.records.append(StageRecord(k + 1, name, status, round(seconds, 3), message))
        self.log(f"      {status} in {seconds:.2f} s" + (f": {message}" if message else ""))
        return out


def build(
    spec: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    administration: str | None = None,
    candidates_out: str | os.PathLike[str] | None = None,
    pdf: bool = False,
    argv: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run the whole pipeline for one credential and write its report folder.

    Parameters
    ----------
    spec
        The credential spec (YAML).
    out
        The report folder; default ``reports/<credential-id>`` (see :func:`default_out_dir`).
    administration
        The id of the administration to report on (default: the spec's last one).
    candidates_out
        The folder of candidate score reports and ``results.csv`` (default: beside the report
        folder, ``<report folder>-candidates``, see :func:`default_candidates_dir`); it may not
        be inside the report folder.
    pdf
        Also write ``report.pdf`` beside ``index.html`` (WeasyPrint, the ``pdf`` extra; without
        it the build stops at once with a one-line install hint).
    argv
        The command line recorded in the manifest (default: the equivalent ``credkit build``).
    log
        Where progress lines go (default: stderr).

    Returns
    -------
    BuildResult

    Raises
    ------
    CredkitError
        When the inputs disagree (stage 1) or a stage the rest depends on fails: one line naming
        the stage and the file/line/field; nothing in the report folder is changed.
    """
    from psychometrics.report import render_report
    from psychometrics.report.collect import collect_report
    from psychometrics.report.model import StageRecord

    log = log or _log
    if argv is None:
        argv = ["credkit", "build", os.fspath(spec)]
        argv += [] if out is None else ["--out", os.fspath(out)]
        argv += [] if administration is None else ["--administration", administration]
    start = time.perf_counter()
    spec_path = Path(spec)
    if not spec_path.is_file():
        raise InputError("spec file not found", file=spec_path)
    if pdf:
        from psychometrics.report.pdf import pdf_engine

        pdf_engine()  # one line saying how to install it, before any work
    stages = _Stages(log)
    inputs: ProgramInputs = stages.run(
        0,
        "bank",
        lambda: check_inputs(spec_path, administration=administration, log=log),
        required=True,
    )
    out_dir = (
        Path(out) if out is not None else default_out_dir(spec_path, inputs.spec.credential.id)
    )
    check_out_dir(out_dir)  # refuse a bad report folder before the heavy stages
    cand_dir = (
        Path(candidates_out) if candidates_out is not None else default_candidates_dir(out_dir)
    )
    if inputs.administration is not None:
        check_candidates_dir(cand_dir, out_dir)
    analyses = stages.run(1, "items", lambda: analyse_items(inputs))
    irt = stages.run(2, "structure", lambda: estimate(inputs, log=log))
    cut = None
    if irt is not None:
        cut = stages.run(3, "standard_setting", lambda: set_cut(inputs, irt.params))
    decisions = None
    if cut is not None:
        decisions = stages.run(4, "decisions", lambda: decide(inputs, analyses, irt, cut))
    else:
        stages.run(4, "decisions", _needs_cut)
    state = BuildState.from_stages(
        inputs, analyses, irt, cut, decisions, unavailable=stages.unavailable
    )

    log(f"[{len(STAGES)}/{len(STAGES)}] {STAGES[-1]} ...")
    t0 = time.perf_counter()
    records = tuple(stages.records) + (StageRecord(len(STAGES), STAGES[-1], "ok", 0.0, ""),)
    report = collect_report(state, stages=records, argv=argv)
    html = render_report(report)
    extra = {}
    if pdf:
        from psychometrics.report.pdf import html_to_pdf

        t_pdf = time.perf_counter()
        extra["report.pdf"] = html_to_pdf(html, base_url=out_dir.resolve())
        log(f"      report.pdf typeset in {time.perf_counter() - t_pdf:.1f} s")
    write_report_folder(state, report, html, out_dir, extra=extra)
    written = None
    if state.candidates:
        write_candidates_folder(state, cand_dir)
        written = cand_dir
    log(f"      ok in {time.perf_counter() - t0:.2f} s")
    total = time.perf_counter() - start
    log(f"built in {total:.1f} s")
    return BuildResult(
        out_dir=out_dir,
        index=out_dir / "index.html",
        state=state,
        report=report,
        stages=records,
        seconds=total,
        candidates_dir=written,
    )


def _needs_cut() -> None:
    raise NotAvailable("needs a cut score")
