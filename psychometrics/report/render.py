"""Render :class:`~psychometrics.report.model.ReportData` as one self-contained HTML file.

jinja2 with autoescaping on for every template: bank and spec text is untrusted and is escaped
wherever it appears. The only markup that is not escaped is the SVG produced by
:mod:`psychometrics.report.plots`, which escapes every text it embeds itself. No external
resource of any kind is referenced (no fonts, scripts, images or style sheets from the network).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import jinja2
from markupsafe import Markup

from psychometrics.report import plots
from psychometrics.report.evidence import MET, PARTLY, missing_evidence
from psychometrics.report.model import SECTIONS, FormStats, ReportData

_ENV: jinja2.Environment | None = None


def _env() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("psychometrics.report", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["num"] = fmt_number
        env.filters["pct"] = fmt_percent
        env.filters["formlabel"] = _form_label
        env.filters["pval"] = fmt_p
        _ENV = env
    return _ENV


def fmt_number(value: object, digits: int = 2) -> str:
    """A number with ``digits`` decimals; an en dash for None/NaN (not available)."""
    if value is None:
        return "\u2013"
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "\u2013"
    if math.isinf(x):
        return "\u221e" if x > 0 else "-\u221e"
    if digits == 0:
        return f"{x:.0f}"
    return f"{x:.{digits}f}"


def fmt_p(value: object, digits: int = 4) -> str:
    """A p-value: ``<0.0001`` below the smallest shown value; an en dash for None/NaN."""
    if value is None:
        return "\u2013"
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return "\u2013"
    if x < 10**-digits:
        return f"<{10**-digits:.{digits}f}"
    return f"{x:.{digits}f}"


def fmt_percent(value: object, digits: int = 1) -> str:
    """A proportion as a percentage; an en dash for None/NaN."""
    if value is None:
        return "\u2013"
    x = float(value)  # type: ignore[arg-type]
    if math.isnan(x):
        return "\u2013"
    return f"{100 * x:.{digits}f}%"


def _form_series(forms: Sequence[FormStats], attr: str) -> list[plots.Series]:
    out = []
    for f in forms:
        curve = getattr(f, attr)
        if curve is not None:
            out.append(plots.Series(_form_label(f.form_id), curve.theta, curve.values))
    return out


def _form_label(form_id: str) -> str:
    return form_id if form_id.lower().startswith("form") else f"Form {form_id}"


def _cut_markers(data: ReportData) -> list[plots.Marker]:
    if data.theta_cut is None:
        return []
    return [plots.Marker(data.theta_cut, f"cut {data.theta_cut:.2f}")]


def build_figures(data: ReportData) -> dict[str, Markup]:
    """Every figure of the report as inline SVG, keyed by name (only those with data)."""
    figs: dict[str, str] = {}
    cut = _cut_markers(data)
    title = data.credential.title
    if data.structure is not None and data.structure.forms:
        forms = data.structure.forms
        for attr, name, ylabel, what in (
            ("tif", "tif", "Information", "Test information function"),
            ("tcc", "tcc", "Expected raw score", "Test characteristic curve"),
            ("csem", "csem", "CSEM (theta)", "Conditional standard error of measurement"),
        ):
            series = _form_series(forms, attr)
            if not series:
                continue
            at_cut = []
            for f in forms:
                curve = getattr(f, attr)
                if curve is not None and data.theta_cut is not None:
                    at_cut.append(f"{_form_label(f.form_id)} {_interp(curve, data.theta_cut):.2f}")
            alt = f"{what} of {len(series)} form(s) of {title} over theta"
            if at_cut:
                alt += f"; at the cut {data.theta_cut:.2f}: " + ", ".join(at_cut)
            figs[name] = plots.line_plot(
                series,
                uid=name,
                title=f"{what} by form",
                xlabel="Theta (logistic, D = 1)",
                ylabel=ylabel,
                alt=alt + ".",
                markers=cut,
                ylim=(0.0, 1.5) if name == "csem" else None,
            )
        dim = data.structure.dimensionality
        if dim is not None and dim.eigenvalues:
            ev = dim.eigenvalues[:15]
            ratio = f"{dim.ratio:.1f}" if dim.ratio is not None else "n/a"
            figs["scree"] = plots.line_plot(
                [plots.Series("eigenvalue", list(range(1, len(ev) + 1)), ev, markers=True)],
                uid="scree",
                title="Scree plot of the inter-item correlations",
                xlabel="Component",
                ylabel="Eigenvalue",
                alt=f"Scree plot: first eigenvalue {ev[0]:.2f}"
                + (f", second {ev[1]:.2f}" if len(ev) > 1 else "")
                + f", ratio {ratio}.",
            )
    if data.items is not None:
        b = [r.b for r in data.items.rows if r.b is not None and r.forms]
        if not b:
            b = [r.b for r in data.items.rows if r.b is not None]
        if data.items.person_theta:  # candidates against items: nothing to show without them
            figs["wright"] = plots.wright_map(
                data.items.person_theta, b, cut=data.theta_cut if data.theta_cut else None
            )
        for curve in data.items.curves:
            series = [plots.Series("model", curve.theta, curve.expected)]
            if curve.observed:
                series.append(
                    plots.Series("observed", curve.observed_theta, curve.observed, markers=True)
                )
            figs[f"icc-{curve.item_id}"] = plots.line_plot(
                series,
                uid=f"icc-{_slug(curve.item_id)}",
                title=f"Item {curve.item_id}: expected score",
                xlabel="Theta (logistic, D = 1)",
                ylabel="Expected score",
                alt=f"Item characteristic curve of {curve.item_id} ({curve.reason}).",
                markers=cut,
                ylim=(0.0, max(1.0, max(curve.expected, default=1.0))),
                width=420,
                height=260,
            )
    if data.scores is not None:
        for f in data.scores.forms:
            scores = [r.raw for r in f.rows for _ in range(r.frequency or 0)]
            if not scores:
                continue
            figs[f"dist-{f.form_id}"] = plots.histogram(
                scores,
                title=f"Raw scores on {f.form_id}",
                xlabel="Raw score",
                alt=f"Histogram of the {len(scores)} raw scores on {f.form_id}; raw cut "
                f"{f.raw_cut:.0f}, pass rate "
                + ("n/a" if f.pass_rate is None else f"{100 * f.pass_rate:.1f}%")
                + ".",
                bins=[x - 0.5 for x in range(f.max_score + 2)],
                markers=[plots.Marker(f.raw_cut - 0.5, f"raw cut {f.raw_cut:.0f}")],
            )
    if data.fairness is not None and data.fairness.pass_rates:
        rates = data.fairness.pass_rates
        figs["pass_rates"] = plots.bar_chart(
            [f"{r.group} (n={r.n})" for r in rates],
            [r.pass_rate for r in rates],
            title="Pass rate by group",
            ylabel="Pass rate",
            alt="Pass rate by group: "
            + ", ".join(f"{r.group} {100 * r.pass_rate:.1f}%" for r in rates)
            + ".",
        )
    return {k: Markup(v) for k, v in figs.items()}


def _interp(curve, x: float) -> float:
    import numpy as np

    return float(np.interp(x, curve.theta, curve.values))


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)


def _render(data: ReportData) -> str:
    template = _env().get_template("report.html.j2")
    return template.render(
        d=data,
        sections=SECTIONS,
        titles={key: title.split(". ", 1)[-1] for key, title in SECTIONS},
        figs=build_figures(data),
    )


def render_report(data: ReportData) -> str:
    """The validity report as one HTML document (UTF-8 text).

    Every evidence-map row shown as *met* is checked against the rendered page
    (:func:`~psychometrics.report.evidence.missing_evidence`): a row whose report elements are
    missing or empty is shown as *partly met*, with the missing elements named, instead.
    """
    html = _render(data)
    problems = missing_evidence(html, data.evidence)
    if not problems:
        return html
    rows = []
    for row in data.evidence:
        mine = [p for p in problems if p.startswith(f"{row.framework} {row.clause}:")]
        if row.status == MET and mine:
            row = replace(
                row,
                status=PARTLY,
                evidence=row.evidence
                + " Not all of this evidence is in this build: "
                + "; ".join(p.split(": ", 1)[1] for p in mine)
                + ".",
            )
        rows.append(row)
    return _render(replace(data, evidence=tuple(rows)))
