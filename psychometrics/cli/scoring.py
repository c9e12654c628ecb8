"""Commands over scoring, fit, linking and equating: ``score``, ``score-table``, ``info``,
``fit``, ``dimensionality``, ``link`` and ``equate``.

Thin: read the files, call :mod:`psychometrics.irt.scoring`, :mod:`psychometrics.irt.fit`,
:mod:`psychometrics.irt.dimensionality`, :mod:`psychometrics.linking` and
:mod:`psychometrics.equating`, write CSV atomically, print a table or JSON.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np

from psychometrics.cli._common import UserError, echo_json, progress
from psychometrics.cli._inputs import (
    DIR,
    FILE,
    Items,
    item_options,
    items_from_options,
    load_items,
    read_params_file,
    responses_from_options,
    split_by_form,
)
from psychometrics.cli._progress import Progress, progress_interval_option
from psychometrics.cli._tables import csv_text as _csv_text
from psychometrics.cli._tables import fmt as _fmt
from psychometrics.cli._tables import text_table as _table
from psychometrics.cli._threads import threads_option
from psychometrics.equating import observed_score_equating, true_score_equating
from psychometrics.errors import InputError
from psychometrics.fileio import check_output_path, write_output_text
from psychometrics.irt.dimensionality import dimensionality
from psychometrics.irt.fit import item_fit_plot_data, model_fit
from psychometrics.irt.models import METRIC, ItemParameters
from psychometrics.irt.params_io import params_to_csv
from psychometrics.irt.scoring import (
    METHODS,
    apply_scale,
    information_table,
    score_persons,
    score_table,
)
from psychometrics.linking import DRIFT_RULES
from psychometrics.linking import METHODS as LINK_METHODS
from psychometrics.linking import link as link_scales
from psychometrics.responses import NOT_PRESENTED, ResponseMatrix

BOUNDS_LIMIT = 20.0  # theta bounds of ML/MAP/WLE; the search grid grows with the range
PRIOR_LIMIT = 10.0  # theta metric (logistic, D = 1): |mean| and sd beyond this are input errors


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    for command in (score, score_table_cmd, info, fit, dimensionality_cmd, link, equate):
        group.add_command(command)


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------


def _library(call: Callable, *args, **kwargs):
    """Run a library call; turn its ValueError into a one-line user error, its warnings into
    stderr lines."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(*args, **kwargs)
        except ValueError as exc:
            raise UserError(str(exc)) from None
    for w in caught:
        progress(f"credkit: warning: {w.message}")
    return result


def _item_list(text: str | None, source: Items) -> ItemParameters:
    params = source.params
    assert params is not None
    if not text:
        return params
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise InputError("empty item list", field="--items")
    unknown = [i for i in ids if i not in params]
    if unknown:
        where = f"form {source.label}" if source.item_ids is not None else "the parameters"
        raise InputError(f"not in {where}: {', '.join(unknown[:5])}", field="--items")
    if len(set(ids)) != len(ids):
        raise InputError("an item is listed twice", field="--items")
    return params.subset(ids)


def _on(items: Items) -> str:
    """Where the items came from, for a summary line."""
    what = f"form {items.label}" if items.item_ids is not None else "all items"
    source = "bank" if items.params is not None and items.bank_dir is not None else "params"
    if items.inputs and items.params is not None:
        return f"{what}, {source} parameters"
    return what


def _options(*options: Callable) -> Callable[[Callable], Callable]:
    def decorate(func: Callable) -> Callable:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


prior_options = _options(
    click.option(
        "--prior-mean",
        type=float,
        default=0.0,
        show_default=True,
        help="Theta prior mean (EAP, MAP, summed-score EAP).",
    ),
    click.option(
        "--prior-sd",
        type=float,
        default=1.0,
        show_default=True,
        help="Theta prior SD (EAP, MAP, summed-score EAP).",
    ),
)
scale_options = _options(
    click.option("--scale-slope", type=float, help="Reporting scale: slope * theta + intercept."),
    click.option("--scale-intercept", type=float, default=0.0, show_default=True),
    click.option("--round", "round_to", type=int, help="Decimals of the scale score (0 = whole)."),
    click.option("--min", "scale_min", type=float, help="Lowest reported scale score."),
    click.option("--max", "scale_max", type=float, help="Highest reported scale score."),
)


# ---------------------------------------------------------------------------------------------
# score
# ---------------------------------------------------------------------------------------------


@click.command("score")
@click.argument("responses", type=FILE)
@item_options(responses=True)
@click.option("--method", type=click.Choice(METHODS), default="eap", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write SCORES.csv here."
)
@prior_options
@click.option(
    "--wle-se",
    type=click.Choice(["information", "curvature"]),
    default="information",
    show_default=True,
    help="WLE standard error: 1/sqrt(I(theta)), or from the curvature of Warm's criterion "
    "(as mirt reports it).",
)
@click.option(
    "--bounds",
    nargs=2,
    type=float,
    default=(-6.0, 6.0),
    show_default=True,
    help="Theta bounds of ML/MAP/WLE (extreme patterns are reported at a bound and flagged).",
)
@scale_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@threads_option
def score(
    responses,
    method,
    out,
    prior_mean,
    prior_sd,
    wle_se,
    bounds,
    scale_slope,
    scale_intercept,
    round_to,
    scale_min,
    scale_max,
    as_json,
    **opts,
):
    """Estimate theta (EAP, MAP, ML or WLE) for every person in RESPONSES.csv.

    SCORES.csv columns: person_id, theta, se, sum_score, n_presented, flags (and scale_score,
    scale_se with --scale-slope). Blank cells are not presented and left out of the likelihood.
    """
    _check_prior(prior_mean, prior_sd)
    _check_scale(scale_slope, scale_intercept, round_to, scale_min, scale_max)
    if not bounds[1] > bounds[0]:
        raise UserError("--bounds: the upper bound must exceed the lower bound")
    if not max(abs(bounds[0]), abs(bounds[1])) <= BOUNDS_LIMIT:
        raise UserError(f"--bounds must lie within [-{BOUNDS_LIMIT:g}, {BOUNDS_LIMIT:g}] (theta)")
    items = items_from_options(opts, need_params=True)
    inputs = (responses, *items.inputs)
    if out is not None:
        check_output_path(out, inputs=inputs, field="--out")
    data, _ = responses_from_options(responses, items, opts)
    params = items.params.subset(list(data.item_ids))
    result = _library(
        score_persons,
        data,
        params,
        method=method,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        theta_bounds=tuple(bounds),
        wle_se=wle_se,
    )
    if out is not None:
        rows = zip(
            result.person_ids,
            result.theta,
            result.se,
            result.sum_score,
            result.n_presented,
            result.flags,
            strict=True,
        )
        header = ["person_id", "theta", "se", "sum_score", "n_presented", "flags"]
        rows = list(rows)
        if scale_slope is not None:
            scaled, scaled_se = apply_scale(
                result.theta,
                result.se,
                slope=scale_slope,
                intercept=scale_intercept,
                decimals=round_to,
                minimum=scale_min,
                maximum=scale_max,
            )
            header += ["scale_score", "scale_se"]
            rows = [(*r, s_, e_) for r, s_, e_ in zip(rows, scaled, scaled_se, strict=True)]
        write_output_text(out, _csv_text(header, rows), inputs=inputs, field="--out")
    if as_json:
        echo_json(result)
        return
    theta = result.theta[np.isfinite(result.theta)]
    click.echo(
        f"{len(result.person_ids)} persons scored by {method.upper()} ({METRIC}), "
        f"{_on(items)}; "
        f"theta mean {_fmt(theta.mean() if theta.size else None)}, "
        f"sd {_fmt(theta.std() if theta.size else None)}"
        + "".join(f"; {n} {name}" for name, n in _flag_counts(result.flags).items())
        + (f"; wrote {out}" if out else "")
    )


def _check_prior(mean: float, sd: float) -> None:
    """The EAP grid is ``mean +- 6 sd``: a prior far off the theta scale (or so wide that the grid
    is coarse) would give wrong numbers silently."""
    if not abs(mean) <= PRIOR_LIMIT:
        raise UserError(f"--prior-mean must lie in [-{PRIOR_LIMIT:g}, {PRIOR_LIMIT:g}], got {mean}")
    if not 0 < sd <= PRIOR_LIMIT:
        raise UserError(f"--prior-sd must be positive and at most {PRIOR_LIMIT:g}, got {sd}")


def _check_scale(slope, intercept, round_to, minimum, maximum) -> None:
    given = any(v is not None for v in (round_to, minimum, maximum))
    if slope is None and (given or intercept != 0.0):
        raise UserError("--scale-intercept/--round/--min/--max need --scale-slope")
    if slope is not None and (not math.isfinite(slope) or slope == 0):
        raise UserError("--scale-slope must be a non-zero number")
    if round_to is not None and round_to < 0:
        raise UserError("--round must be >= 0")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise UserError("--min must not exceed --max")


def _flag_counts(flags: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in flags:
        for name in filter(None, f.split(";")):
            counts[name] = counts.get(name, 0) + 1
    return counts


# ---------------------------------------------------------------------------------------------
# score-table and info
# ---------------------------------------------------------------------------------------------


@click.command("score-table")
@item_options(responses=False)
@click.option("--items", help="Comma-separated item ids (default: every item, or the form's).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write TABLE.csv.")
@prior_options
@scale_options
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON only.")
def score_table_cmd(
    bank_dir,
    params_path,
    form_path,
    items,
    out,
    prior_mean,
    prior_sd,
    scale_slope,
    scale_intercept,
    round_to,
    scale_min,
    scale_max,
    as_json,
):
    """Summed score -> EAP theta table (Lord-Wingersky), optionally with a reporting scale.

    TABLE.csv columns: sum_score, theta, se, expected_proportion[, scale_score, scale_se].
    """
    _check_prior(prior_mean, prior_sd)
    _check_scale(scale_slope, scale_intercept, round_to, scale_min, scale_max)
    source = items_from_options(locals(), need_params=True)
    if out is not None:
        check_output_path(out, inputs=source.inputs, field="--out")
    params = _item_list(items, source)
    table = _library(
        score_table,
        params,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        scale_slope=scale_slope,
        scale_intercept=scale_intercept,
        scale_round=round_to,
        scale_min=scale_min,
        scale_max=scale_max,
    )
    header = ["sum_score", "theta", "se", "expected_proportion"]
    cols = [table.sum_score, table.theta, table.se, table.expected_proportion]
    if table.scale_score is not None:
        header += ["scale_score", "scale_se"]
        cols += [table.scale_score, table.scale_se]
    rows = list(zip(*cols, strict=True))
    if out is not None:
        write_output_text(out, _csv_text(header, rows), inputs=source.inputs, field="--out")
    if as_json:
        echo_json(table)
        return
    click.echo(f"summed score -> EAP theta, {len(params.item_ids)} items ({METRIC}), {_on(source)}")
    click.echo(_table(header, rows))
    if out:
        click.echo(f"wrote {out}")


@click.command("info")
@item_options(responses=False)
@click.option("--items", help="Comma-separated item ids (default: every item, or the form's).")
@click.option("--theta-min", type=float, default=-4.0, show_default=True)
@click.option("--theta-max", type=float, default=4.0, show_default=True)
@click.option("--step", type=float, default=0.5, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write INFO.csv.")
@click.option(
    "--reliability-formula",
    type=click.Choice(["mean_error", "mean_reliability"]),
    default="mean_error",
    show_default=True,
    help="Marginal reliability: var / (var + E[1/I]) (Green et al., 1984), or E[I / (I + 1)] "
    "(mirt's marginal_rxx).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def info(
    bank_dir,
    params_path,
    form_path,
    items,
    theta_min,
    theta_max,
    step,
    out,
    reliability_formula,
    as_json,
):
    """Test information, conditional SEM and TCC over a theta grid; marginal reliability."""
    if not step > 0 or not theta_max > theta_min:
        raise UserError("need --step > 0 and --theta-max > --theta-min")
    if (theta_max - theta_min) / step > 10_000:
        raise UserError("--step is too small for the theta range (more than 10000 points)")
    source = items_from_options(locals(), need_params=True)
    if out is not None:
        check_output_path(out, inputs=source.inputs, field="--out")
    params = _item_list(items, source)
    grid = np.arange(theta_min, theta_max + step / 2, step)
    tab = _library(information_table, params, grid, reliability=reliability_formula)
    header = ("theta", "information", "csem", "tcc")
    rows = list(zip(tab.theta, tab.test_information, tab.csem, tab.tcc, strict=True))
    if out is not None:
        write_output_text(out, _csv_text(header, rows), inputs=source.inputs, field="--out")
    if as_json:
        echo_json(tab)
        return
    click.echo(
        f"{params.n_items} items ({METRIC}), {_on(source)}; marginal reliability "
        f"{_fmt(tab.marginal_reliability)} over N(0, 1) ({reliability_formula})"
    )
    click.echo(_table(header, rows))


# ---------------------------------------------------------------------------------------------
# fit and dimensionality
# ---------------------------------------------------------------------------------------------


@click.command("fit")
@click.argument("responses", type=FILE)
@item_options(responses=True)
@click.option(
    "--min-expected",
    type=float,
    default=1.0,
    show_default=True,
    help="S-X2: merge score groups until every expected count reaches this.",
)
@click.option(
    "--q3-threshold",
    type=float,
    default=0.2,
    show_default=True,
    help="Flag item pairs with Q3 - mean(Q3) above this.",
)
@click.option(
    "--lz-threshold",
    type=float,
    default=-1.645,
    show_default=True,
    help="Flag persons with lz below this.",
)
@click.option(
    "--persons-out",
    type=FILE,
    help="Write person fit (person_id, form, theta, lz, flagged) here.",
)
@click.option(
    "--plot-data",
    type=FILE,
    help="Write observed vs expected item scores in 10 EAP-theta bins (JSON) for item fit plots.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@progress_interval_option
@threads_option
def fit(
    responses,
    min_expected,
    q3_threshold,
    lz_threshold,
    persons_out,
    plot_data,
    as_json,
    progress_interval,
    **opts,
):
    """Item fit (S-X2, infit/outfit), global fit (M2, RMSEA), Q3 local dependence, person fit.

    S-X2, M2 and Q3 need every item presented to every person: a file that holds several forms
    (a form column) is fitted form by form, and --form FORM.yaml fits one published form.
    """
    if not min_expected >= 0:
        raise UserError("--min-expected must be >= 0")
    items = items_from_options(opts, need_params=True)
    inputs = (responses, *items.inputs)
    if persons_out is not None:
        check_output_path(persons_out, inputs=inputs, field="--persons-out")
    if plot_data is not None:
        check_output_path(plot_data, inputs=(*inputs, persons_out), field="--plot-data")
    data, forms = responses_from_options(responses, items, opts)
    assert items.params is not None
    reports, plots = {}, {}
    parts = split_by_form(data, forms, items)
    quiet = 0 if as_json else progress_interval  # --json: stdout and stderr stay clean
    bar = Progress("fit", len(parts), unit="forms", interval=quiet)
    for k, (label, part) in enumerate(parts):
        if part.n_persons < 2:
            raise InputError(f"form {label}: need at least two persons", file=responses)
        params = items.params.subset(list(part.item_ids))
        bar.update(k, f"form {label}: {part.n_persons} persons x {part.n_items} items")
        reports[label] = _library(
            model_fit,
            part,
            params,
            min_expected=min_expected,
            q3_threshold=q3_threshold,
            lz_threshold=lz_threshold,
        )
        if plot_data is not None:
            theta = reports[label].person_fit.theta
            plots[label] = _library(item_fit_plot_data, part, params, theta=theta).to_dict()
    bar.close()
    if persons_out is not None:
        rows = [
            (pid, label, t, lz, int(flag))
            for label, report in reports.items()
            for pid, t, lz, flag in zip(
                report.person_fit.person_ids,
                report.person_fit.theta,
                report.person_fit.lz,
                report.person_fit.flagged,
                strict=True,
            )
        ]
        text = _csv_text(("person_id", "form", "theta", "lz", "flagged"), rows)
        write_output_text(persons_out, text, inputs=inputs, field="--persons-out")
    if plot_data is not None:
        payload = next(iter(plots.values())) if len(plots) == 1 else {"forms": plots}
        text = json.dumps(_finite(payload), indent=1) + "\n"
        write_output_text(plot_data, text, inputs=(*inputs, persons_out), field="--plot-data")
    if as_json:
        echo_json(next(iter(reports.values())) if len(reports) == 1 else {"forms": reports})
        return
    texts = [
        (f"Form {label}\n" if len(reports) > 1 else "") + _fit_text(report)
        for label, report in reports.items()
    ]
    click.echo("\n\n".join(texts))


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return obj


def _fit_text(report) -> str:
    out = [f"Model fit ({report.metric}), {report.sx2.n_persons + report.sx2.n_dropped} persons"]
    for m in (report.m2, getattr(report, "c2", None)):
        if m is None:
            continue
        out.append(
            f"{m.statistic} = {m.m2:.3f}, df = {m.df}, p = {_fmt(m.p, 4)}, RMSEA = "
            f"{_fmt(m.rmsea)}, SRMSR = {_fmt(m.srmsr)}, CFI = {_fmt(m.cfi)}, TLI = {_fmt(m.tli)} "
            f"({m.missing} margins, {m.n_persons} persons)"
        )
    res = report.infit_outfit
    io_ = {i: (a, b) for i, a, b in zip(res.item_ids, res.infit, res.outfit, strict=True)}
    rows = [
        (it.item_id, it.s_x2, it.df, it.p, io_[it.item_id][0], io_[it.item_id][1])
        for it in report.sx2.items
    ]
    out += ["", "Item fit (S-X2, Orlando & Thissen; infit/outfit mean squares)"]
    out.append(_table(("item_id", "S_X2", "df", "p", "infit", "outfit"), rows))
    out += ["", f"Local dependence: mean Q3 = {_fmt(report.q3.mean_q3)}; rule {report.q3.rule}"]
    if report.q3.flagged:
        out.append(
            _table(
                ("item_a", "item_b", "Q3", "Q3-mean"),
                [(p.item_a, p.item_b, p.q3, p.q3_minus_mean) for p in report.q3.flagged],
            )
        )
    else:
        out.append("no flagged pairs")
    pf = report.person_fit
    out += [
        "",
        f"Person fit: {int(pf.flagged.sum())} of {len(pf.person_ids)} persons with lz < "
        f"{pf.threshold:g}",
    ]
    out += [f"note: {n}" for n in report.notes]
    return "\n".join(out)


@click.command("dimensionality")
@click.argument("responses", type=FILE)
@item_options(responses=True)
@click.option(
    "--kind", type=click.Choice(["polychoric", "pearson"]), default="polychoric", show_default=True
)
@click.option("--parallel", type=int, default=0, show_default=True, help="Parallel analysis reps.")
@click.option("--seed", type=int, default=12345, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@progress_interval_option
@threads_option
def dimensionality_cmd(responses, kind, parallel, seed, as_json, progress_interval, **opts):
    """Eigenvalues of the inter-item correlation matrix (tetrachoric/polychoric by default, or
    Pearson); first-to-second ratio, and parallel analysis with --parallel N.

    A file that holds several forms (a form column) is analysed form by form; --form FORM.yaml
    analyses one published form. Items never presented together have no correlation: without a
    form column such a file gets pairwise-complete correlations, and a warning.
    """
    if parallel < 0:
        raise UserError("--parallel must be >= 0")
    if seed < 0:
        raise UserError("--seed must be >= 0")
    items = items_from_options(opts, need_params=False)
    data, forms = responses_from_options(responses, items, opts)
    results = {}
    parts = split_by_form(data, forms, items)
    quiet = 0 if as_json else progress_interval
    bar = Progress("dimensionality", len(parts), unit="forms", interval=quiet)
    for k, (label, part) in enumerate(parts):
        _check_correlatable(part, label, responses)
        bar.update(k, f"form {label}: {kind} correlations of {part.n_items} items")
        missing = 1.0 - float(part.presented.mean())
        if missing > 0 and not as_json:
            progress(
                f"credkit: warning: form {label}: {100 * missing:.1f}% of the cells were not "
                "presented; correlations are pairwise-complete and the matrix may have negative "
                "eigenvalues (analyse each form: a form column or --form FORM.yaml)"
            )
        results[label] = _library(
            dimensionality, part, kind=kind, n_replications=parallel, seed=seed
        )
    bar.close()
    if as_json:
        echo_json(next(iter(results.values())) if len(results) == 1 else {"forms": results})
        return
    texts = []
    for label, result in results.items():
        lines = [f"Form {label}"] if len(results) > 1 else []
        lines.append(_dimensionality_text(result, kind, parallel, seed))
        texts.append("\n".join(lines))
    click.echo("\n\n".join(texts))


def _check_correlatable(data: ResponseMatrix, label: str, responses: Path) -> None:
    if data.n_persons < 2:
        raise InputError(f"form {label}: need at least two persons", file=responses)
    for j, item in enumerate(data.item_ids):
        seen = np.unique(data.scores[:, j][data.scores[:, j] != NOT_PRESENTED])
        if seen.size < 2:
            what = "no responses" if seen.size == 0 else f"every response is {int(seen[0])}"
            raise InputError(
                f"{what}: no correlation can be estimated (leave the item out with --ignore)",
                file=responses,
                field=item,
            )


def _dimensionality_text(result, kind: str, parallel: int, seed: int) -> str:
    ev = result.eigenvalues
    out = [
        f"{kind} correlations of {len(result.item_ids)} items; first eigenvalue {ev[0]:.3f} "
        f"({100 * result.first_share:.1f}% of items), first/second = "
        f"{_fmt(result.first_to_second, 2)}"
        + (f"; {result.n_negative} negative eigenvalue(s)" if result.n_negative else "")
    ]
    rows = [(k + 1, v) for k, v in enumerate(ev[:10])]
    header: tuple[str, ...] = ("k", "eigenvalue")
    if result.parallel is not None:
        rows = [(k + 1, v, result.parallel.p95[k]) for k, v in enumerate(ev[:10])]
        header = ("k", "eigenvalue", "random_p95")
    out.append(_table(header, rows))
    if result.parallel is not None:
        out.append(
            f"parallel analysis ({parallel} reps, seed {seed}): "
            f"{result.parallel.n_factors} factor(s)"
        )
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# link and equate
# ---------------------------------------------------------------------------------------------


@click.command("link")
@click.option(
    "--new",
    "new_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv of the new calibration.",
)
@click.option(
    "--base",
    "base_path",
    type=FILE,
    help="PARAMS.csv on the base scale.",
)
@click.option(
    "--bank",
    "bank_dir",
    type=DIR,
    help="Item bank: its operational items' parameters are the base scale (instead of --base).",
)
@click.option(
    "--method", type=click.Choice(LINK_METHODS), default="stocking-lord", show_default=True
)
@click.option("--common", help="Comma-separated anchor item ids (default: all shared ids).")
@click.option(
    "--theta-grid",
    nargs=3,
    type=float,
    default=(-4.0, 4.0, 41),
    show_default=True,
    help="Characteristic-curve criteria: MIN MAX N equally spaced base-scale points.",
)
@click.option(
    "--theta-weights",
    type=click.Choice(["normal", "uniform"]),
    default="normal",
    show_default=True,
    help="Weights of the points: N(0, 1) density, or equal.",
)
@click.option(
    "--symmetric", is_flag=True, help="Add the reverse criterion (Kim & Lee, 2006; plink)."
)
@click.option(
    "--input-metric",
    type=click.Choice(["logistic", "normal"]),
    default="logistic",
    show_default=True,
    help="Metric of both parameter files: logistic (D = 1) or normal ogive (D = 1.7: slopes are "
    "multiplied by 1.7 on reading; --out is in the logistic metric).",
)
@click.option("--drift-rule", type=click.Choice(DRIFT_RULES), default="robust-z", show_default=True)
@click.option("--drift-threshold", type=float, help="Default 2.7 (robust-z) or 0.5 logits (abs).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the new items' parameters on the base scale (PARAMS.csv format).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
def link(
    new_path,
    base_path,
    bank_dir,
    method,
    common,
    theta_grid,
    theta_weights,
    symmetric,
    input_metric,
    drift_rule,
    drift_threshold,
    out,
    as_json,
):
    """Put a new calibration on the base scale through common items (A, B; a/A, A*b + B, c)."""
    if drift_threshold is not None and not drift_threshold > 0:
        raise UserError(f"--drift-threshold must be positive, got {drift_threshold}")
    if (base_path is None) == (bank_dir is None):
        raise UserError("give the base scale as --base PARAMS.csv or --bank DIR (one of them)")
    inputs = (new_path, base_path or bank_dir)
    if out is not None:
        check_output_path(out, inputs=inputs, field="--out")
    low, high, n_points = theta_grid
    if not (high > low and n_points >= 2 and n_points == int(n_points) and n_points <= 10_000):
        raise UserError("--theta-grid: need MIN < MAX and a whole N from 2 to 10000")
    grid = np.linspace(low, high, int(n_points))
    weights = np.exp(-0.5 * grid**2) if theta_weights == "normal" else np.ones(grid.size)
    new = read_params_file(new_path)
    base = read_params_file(base_path) if base_path is not None else _bank_base(bank_dir)
    if input_metric == "normal":
        new, base = (_to_logistic(p) for p in (new, base))
    base_path = base_path or bank_dir
    common_items = None
    if common:
        common_items = [c.strip() for c in common.split(",") if c.strip()]
        if len(set(common_items)) != len(common_items):
            raise InputError("an item is listed twice", field="--common")
        unknown = [c for c in common_items if c not in new or c not in base]
        if unknown:
            raise InputError(
                f"not in both parameter files: {', '.join(unknown[:5])}", field="--common"
            )
    shared = [i for i in new.item_ids if i in base] if common_items is None else common_items
    if len(shared) < 2:
        raise InputError(
            f"{len(shared)} common item(s) between {new_path} and {base_path}; need at least 2",
            field="item_id",
        )
    result = _library(
        link_scales,
        new,
        base,
        method=method,
        common_items=common_items,
        theta=grid,
        theta_weights=weights,
        symmetric=symmetric,
        drift_rule=drift_rule,
        drift_threshold=drift_threshold,
    )
    if out is not None:
        text = params_to_csv(result.linked)
        write_output_text(out, text, inputs=inputs, field="--out")
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"{method}: A = {result.A:.4f}, B = {result.B:.4f} "
        f"(theta_base = A theta_new + B; {METRIC}); {len(result.common_items)} common items"
        + ("" if result.converged else f"; NOT CONVERGED: {result.message}")
    )
    rows = [
        (d.item_id, d.b_base, d.b_linked, d.delta, d.robust_z, "yes" if d.flagged else "")
        for d in result.drift
    ]
    click.echo(_table(("item_id", "b_base", "b_linked", "delta_b", "robust_z", "drift"), rows))
    click.echo(
        f"drift rule: {result.drift_rule}; flagged: {', '.join(result.flagged_items) or 'none'}"
    )
    if out:
        click.echo(f"wrote {out} ({result.linked.n_items} items on the base scale)")


NORMAL_OGIVE_D = 1.7


def _to_logistic(params: ItemParameters) -> ItemParameters:
    """Normal-ogive-metric parameters (D = 1.7) in credkit's logistic metric (D = 1): slopes
    times 1.7; locations and asymptotes unchanged."""
    return dataclasses.replace(params, a=np.asarray(params.a, dtype=float) * NORMAL_OGIVE_D)


def _bank_base(bank_dir: Path) -> ItemParameters:
    """The operational items' parameters of a bank: the scale new calibrations are linked to."""
    from psychometrics.bank import bank_parameters, load_bank

    params = bank_parameters(load_bank(bank_dir), statuses=["operational"])
    if params.n_items == 0:
        raise InputError("no operational item has IRT parameters", file=bank_dir, field="--bank")
    return params


@click.command("equate")
@click.option(
    "--from",
    "x_path",
    required=True,
    type=FILE,
    help="Form X (the scores to convert): a published form FORM.yaml, or PARAMS.csv of its items.",
)
@click.option(
    "--to",
    "y_path",
    required=True,
    type=FILE,
    help="Form Y: a published form FORM.yaml, or PARAMS.csv of its items on X's scale.",
)
@click.option(
    "--bank",
    "bank_dir",
    type=DIR,
    help="Item bank: the parameters of the forms' items (for FORM.yaml arguments).",
)
@click.option(
    "--params",
    "params_path",
    type=FILE,
    help="PARAMS.csv: the parameters of the forms' items, instead of the bank's.",
)
@click.option(
    "--method",
    type=click.Choice(["true-score", "observed-score"]),
    default="true-score",
    show_default=True,
    help="IRT true-score equating, or IRT observed-score equating (Lord-Wingersky score "
    "distributions in N(0, 1), equipercentile).",
)
@click.option("--out", type=FILE, help="Write the table.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def equate(x_path, y_path, bank_dir, params_path, method, out, as_json):
    """IRT equating: raw score on form X -> equivalent raw score on form Y.

    Each form is a published form file (its scored items take their parameters from --bank or
    --params) or a parameter file of the form's items.
    """
    (x_label, fx, x_inputs), (y_label, fy, y_inputs) = (
        _equating_form(path, bank_dir, params_path, option)
        for path, option in ((x_path, "--from"), (y_path, "--to"))
    )
    inputs = tuple(dict.fromkeys((*x_inputs, *y_inputs)))
    if out is not None:
        check_output_path(out, inputs=inputs, field="--out")
    if method == "observed-score":
        _observed_equating(fx, fy, x_label, y_label, out, inputs, as_json)
        return
    result = _library(true_score_equating, fx, fy)
    header = ("raw_x", "theta", "equivalent_y", "region")
    rows = list(
        zip(result.raw_x.astype(int), result.theta, result.equivalent_y, result.region, strict=True)
    )
    if out is not None:
        write_output_text(out, _csv_text(header, rows), inputs=inputs, field="--out")
    if as_json:
        echo_json({"form_x": x_label, "form_y": y_label, **result.to_dict()})
        return
    click.echo(
        f"IRT true-score equating ({METRIC}): form {x_label} (max {result.max_x}) -> form "
        f"{y_label} (max {result.max_y}); sum of c: X {result.c_sum_x:.3f}, "
        f"Y {result.c_sum_y:.3f} (scores at or below it are interpolated linearly)"
    )
    click.echo(_table(header, rows))


def _observed_equating(fx, fy, x_label, y_label, out, inputs, as_json) -> None:
    result = _library(observed_score_equating, fx, fy)
    header = ("raw_x", "percentile_rank", "equivalent_y")
    rows = list(
        zip(result.raw_x.astype(int), result.percentile_rank_x, result.equivalent_y, strict=True)
    )
    if out is not None:
        write_output_text(out, _csv_text(header, rows), inputs=inputs, field="--out")
    if as_json:
        echo_json({"form_x": x_label, "form_y": y_label, **result.to_dict()})
        return
    click.echo(
        f"IRT observed-score equating ({METRIC}): form {x_label} (max {result.max_x}) -> form "
        f"{y_label} (max {result.max_y}); population {result.population}"
    )
    click.echo(_table(header, rows))


FORM_SUFFIXES = (".yaml", ".yml")


def _equating_form(
    path: Path, bank_dir: Path | None, params_path: Path | None, option: str
) -> tuple[str, ItemParameters, tuple[Path, ...]]:
    if path.suffix.lower() in FORM_SUFFIXES:
        if bank_dir is None and params_path is None:
            raise UserError(f"{option} {path} is a form: give --bank DIR or --params PARAMS.csv")
        items = load_items(
            bank_dir=bank_dir, params_path=params_path, form_path=path, need_params=True
        )
        assert items.params is not None
        return items.label, items.params, items.inputs
    return path.stem, read_params_file(path), (path,)
