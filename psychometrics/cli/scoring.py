"""Commands over scoring, fit, linking and equating: ``score``, ``score-table``, ``info``,
``fit``, ``dimensionality``, ``link`` and ``equate``.

Thin: read the files, call :mod:`psychometrics.irt.scoring`, :mod:`psychometrics.irt.fit`,
:mod:`psychometrics.irt.dimensionality`, :mod:`psychometrics.linking` and
:mod:`psychometrics.equating`, write CSV atomically, print a table or JSON.
"""

from __future__ import annotations

import csv
import io
import json
import math
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np

from psychometrics.cli._common import UserError, echo_json, progress
from psychometrics.equating import true_score_equating
from psychometrics.errors import InputError
from psychometrics.fileio import check_output_path, write_output_text
from psychometrics.irt.dimensionality import dimensionality
from psychometrics.irt.fit import item_fit_plot_data, model_fit
from psychometrics.irt.models import METRIC, ItemParameters
from psychometrics.irt.params_io import params_to_csv, read_params
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
from psychometrics.responses import (
    NOT_PRESENTED,
    ResponseMatrix,
    read_key_csv,
    read_responses,
)

BOUNDS_LIMIT = 20.0  # theta bounds of ML/MAP/WLE; the search grid grows with the range
PRIOR_LIMIT = 10.0  # theta metric (logistic, D = 1): |mean| and sd beyond this are input errors


def register(group: click.Group) -> None:
    """Add this module's commands to the top-level group."""
    for command in (score, score_table_cmd, info, fit, dimensionality_cmd, link, equate):
        group.add_command(command)


# ---------------------------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------------------------


def _response_options(func: Callable) -> Callable:
    options = [
        click.option(
            "--key",
            "key_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="KEY.csv (item_id,key[,options][,max_score]) for option-letter responses.",
        ),
        click.option("--ignore", multiple=True, help="A column that is not an item (repeatable)."),
        click.option(
            "--omit-code",
            default="*",
            show_default=True,
            help="Cell text for presented-but-unanswered (scored 0).",
        ),
        click.option(
            "--omit-as-missing", is_flag=True, help="Treat omits as not presented, not wrong."
        ),
        click.option(
            "--long",
            "long_format",
            is_flag=True,
            help="Long layout: person_id,item_id,response[,form].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _read(responses_path: Path, params_path: Path, opts: dict[str, Any]):
    params = _read_params(params_path)
    key = read_key_csv(opts["key_file"]) if opts.get("key_file") else None
    data = read_responses(
        responses_path,
        ignore=tuple(opts.get("ignore") or ()),
        key=key,
        omit_code=opts.get("omit_code", "*"),
        omit_as_wrong=not opts.get("omit_as_missing", False),
        long=bool(opts.get("long_format")),
    )
    missing = [i for i in data.item_ids if i not in params]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InputError(
            f"item '{missing[0]}'{more} has no parameters in {params_path}",
            file=responses_path,
            line=1,
            field=missing[0],
        )
    too_high = data.scores > (params.subset(data.item_ids).n_categories - 1)[None, :]
    if np.any(too_high):
        i, j = (int(v[0]) for v in np.nonzero(too_high))
        item = data.item_ids[j]
        raise InputError(
            f"score {data.scores[i, j]} is above the item's highest category "
            f"({int(params.n_categories[params.index(item)]) - 1})",
            file=responses_path,
            line=i + 2 if not opts.get("long_format") else None,
            field=item,
        )
    return data, params.subset(data.item_ids)


def _read_params(path: Path) -> ItemParameters:
    """:func:`read_params`; a row the csv module cannot parse (params_io lets ``csv.Error``
    escape) becomes a one-line :class:`InputError` naming the file."""
    try:
        return read_params(path)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=path) from None


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        return "" if not math.isfinite(value) else f"{float(value):.6g}"
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | np.floating):
        return "-" if not math.isfinite(value) else f"{float(value):.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in header]] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(r[c]) for r in cells) for c in range(len(header))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


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


def _item_list(text: str | None, params: ItemParameters, params_path: Path) -> ItemParameters:
    if not text:
        return params
    ids = [t.strip() for t in text.split(",") if t.strip()]
    if not ids:
        raise InputError("empty item list", field="--items")
    unknown = [i for i in ids if i not in params]
    if unknown:
        raise InputError(f"not in {params_path}: {', '.join(unknown[:5])}", field="--items")
    if len(set(ids)) != len(ids):
        raise InputError("an item is listed twice", field="--items")
    return params.subset(ids)


# ---------------------------------------------------------------------------------------------
# score
# ---------------------------------------------------------------------------------------------


@click.command("score")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--params",
    "params_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv with the items' IRT parameters.",
)
@click.option("--method", type=click.Choice(METHODS), default="eap", show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write SCORES.csv here."
)
@click.option(
    "--prior-mean", type=float, default=0.0, show_default=True, help="Theta prior mean (EAP, MAP)."
)
@click.option(
    "--prior-sd", type=float, default=1.0, show_default=True, help="Theta prior SD (EAP, MAP)."
)
@click.option(
    "--bounds",
    nargs=2,
    type=float,
    default=(-6.0, 6.0),
    show_default=True,
    help="Theta bounds of ML/MAP/WLE (extreme patterns are reported at a bound and flagged).",
)
@click.option("--scale-slope", type=float, help="Add scale_score = slope * theta + intercept.")
@click.option("--scale-intercept", type=float, default=0.0, show_default=True)
@click.option("--round", "round_to", type=int, help="Decimals of the scale score (0 = whole).")
@click.option("--min", "scale_min", type=float, help="Lowest reported scale score.")
@click.option("--max", "scale_max", type=float, help="Highest reported scale score.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@_response_options
def score(
    responses,
    params_path,
    method,
    out,
    prior_mean,
    prior_sd,
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
    inputs = (responses, params_path, opts.get("key_file"))
    if out is not None:
        check_output_path(out, inputs=inputs, field="--out")
    data, params = _read(responses, params_path, opts)
    if data.n_persons == 0:
        raise InputError("no persons (only a header)", file=responses)
    result = _library(
        score_persons,
        data,
        params,
        method=method,
        prior_mean=prior_mean,
        prior_sd=prior_sd,
        theta_bounds=tuple(bounds),
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
        f"{len(result.person_ids)} persons scored by {method.upper()} ({METRIC}); "
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
@click.option(
    "--params",
    "params_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv of the form's items.",
)
@click.option("--items", help="Comma-separated item ids (default: every item in PARAMS.csv).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write TABLE.csv.")
@click.option(
    "--prior-mean",
    type=float,
    default=0.0,
    show_default=True,
    help="Theta prior mean (summed-score EAP).",
)
@click.option(
    "--prior-sd",
    type=float,
    default=1.0,
    show_default=True,
    help="Theta prior SD (summed-score EAP).",
)
@click.option("--scale-slope", type=float, help="Reporting scale: slope * theta + intercept.")
@click.option("--scale-intercept", type=float, default=0.0, show_default=True)
@click.option("--round", "round_to", type=int, help="Decimals of the scale score (0 = whole).")
@click.option("--min", "scale_min", type=float, help="Lowest reported scale score.")
@click.option("--max", "scale_max", type=float, help="Highest reported scale score.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON only.")
def score_table_cmd(
    params_path,
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
    if out is not None:
        check_output_path(out, inputs=(params_path,), field="--out")
    params = _item_list(items, _read_params(params_path), params_path)
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
        write_output_text(out, _csv_text(header, rows), inputs=(params_path,), field="--out")
    if as_json:
        echo_json(table)
        return
    click.echo(f"summed score -> EAP theta, {len(params.item_ids)} items ({METRIC})")
    click.echo(_table(header, rows))
    if out:
        click.echo(f"wrote {out}")


@click.command("info")
@click.option(
    "--params",
    "params_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv of the form's items.",
)
@click.option("--items", help="Comma-separated item ids (default: every item).")
@click.option("--theta-min", type=float, default=-4.0, show_default=True)
@click.option("--theta-max", type=float, default=4.0, show_default=True)
@click.option("--step", type=float, default=0.5, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write INFO.csv.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def info(params_path, items, theta_min, theta_max, step, out, as_json):
    """Test information, conditional SEM and TCC over a theta grid; marginal reliability."""
    if not step > 0 or not theta_max > theta_min:
        raise UserError("need --step > 0 and --theta-max > --theta-min")
    if (theta_max - theta_min) / step > 10_000:
        raise UserError("--step is too small for the theta range (more than 10000 points)")
    if out is not None:
        check_output_path(out, inputs=(params_path,), field="--out")
    params = _item_list(items, _read_params(params_path), params_path)
    grid = np.arange(theta_min, theta_max + step / 2, step)
    tab = _library(information_table, params, grid)
    header = ("theta", "information", "csem", "tcc")
    rows = list(zip(tab.theta, tab.test_information, tab.csem, tab.tcc, strict=True))
    if out is not None:
        write_output_text(out, _csv_text(header, rows), inputs=(params_path,), field="--out")
    if as_json:
        echo_json(tab)
        return
    click.echo(
        f"{params.n_items} items ({METRIC}); marginal reliability "
        f"{_fmt(tab.marginal_reliability)} over N(0, 1)"
    )
    click.echo(_table(header, rows))


# ---------------------------------------------------------------------------------------------
# fit and dimensionality
# ---------------------------------------------------------------------------------------------


@click.command("fit")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--params",
    "params_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv with the items' IRT parameters.",
)
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
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write person fit (person_id, theta, lz, flagged) here.",
)
@click.option(
    "--plot-data",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write observed vs expected item scores in 10 EAP-theta bins (JSON) for item fit plots.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@_response_options
def fit(
    responses,
    params_path,
    min_expected,
    q3_threshold,
    lz_threshold,
    persons_out,
    plot_data,
    as_json,
    **opts,
):
    """Item fit (S-X2, infit/outfit), global fit (M2, RMSEA), Q3 local dependence, person fit."""
    if not min_expected >= 0:
        raise UserError("--min-expected must be >= 0")
    inputs = (responses, params_path, opts.get("key_file"))
    if persons_out is not None:
        check_output_path(persons_out, inputs=inputs, field="--persons-out")
    if plot_data is not None:
        check_output_path(plot_data, inputs=(*inputs, persons_out), field="--plot-data")
    data, params = _read(responses, params_path, opts)
    if data.n_persons < 2:
        raise InputError("need at least two persons", file=responses)
    report = _library(
        model_fit,
        data,
        params,
        min_expected=min_expected,
        q3_threshold=q3_threshold,
        lz_threshold=lz_threshold,
    )
    if persons_out is not None:
        pf = report.person_fit
        rows = zip(pf.person_ids, pf.theta, pf.lz, pf.flagged.astype(int), strict=True)
        text = _csv_text(("person_id", "theta", "lz", "flagged"), rows)
        write_output_text(persons_out, text, inputs=inputs, field="--persons-out")
    if plot_data is not None:
        plot = _library(item_fit_plot_data, data, params, theta=report.person_fit.theta)
        text = json.dumps(_finite(plot.to_dict()), indent=1) + "\n"
        write_output_text(plot_data, text, inputs=(*inputs, persons_out), field="--plot-data")
    if as_json:
        echo_json(report)
        return
    click.echo(_fit_text(report))


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
    if report.m2 is not None:
        m = report.m2
        out.append(
            f"M2 = {m.m2:.3f}, df = {m.df}, p = {_fmt(m.p, 4)}, RMSEA = {_fmt(m.rmsea)}, "
            f"SRMSR = {_fmt(m.srmsr)}"
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
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind", type=click.Choice(["polychoric", "pearson"]), default="polychoric", show_default=True
)
@click.option("--parallel", type=int, default=0, show_default=True, help="Parallel analysis reps.")
@click.option("--seed", type=int, default=12345, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
@_response_options
def dimensionality_cmd(responses, kind, parallel, seed, as_json, **opts):
    """Eigenvalues of the inter-item correlation matrix (tetrachoric/polychoric by default, or
    Pearson); first-to-second ratio, and parallel analysis with --parallel N."""
    if parallel < 0:
        raise UserError("--parallel must be >= 0")
    if seed < 0:
        raise UserError("--seed must be >= 0")
    key = read_key_csv(opts["key_file"]) if opts.get("key_file") else None
    data: ResponseMatrix = read_responses(
        responses,
        ignore=tuple(opts.get("ignore") or ()),
        key=key,
        omit_code=opts["omit_code"],
        omit_as_wrong=not opts["omit_as_missing"],
        long=bool(opts["long_format"]),
    )
    if data.n_persons < 2:
        raise InputError("need at least two persons", file=responses)
    for j, item in enumerate(data.item_ids):
        seen = np.unique(data.scores[:, j][data.scores[:, j] != NOT_PRESENTED])
        if seen.size < 2:
            what = "no responses" if seen.size == 0 else f"every response is {int(seen[0])}"
            raise InputError(
                f"{what}: no correlation can be estimated (leave the item out with --ignore)",
                file=responses,
                field=item,
            )
    result = _library(dimensionality, data, kind=kind, n_replications=parallel, seed=seed)
    if as_json:
        echo_json(result)
        return
    ev = result.eigenvalues
    click.echo(
        f"{kind} correlations of {len(result.item_ids)} items; first eigenvalue {ev[0]:.3f} "
        f"({100 * result.first_share:.1f}% of items), first/second = "
        f"{_fmt(result.first_to_second, 2)}"
        + (f"; {result.n_negative} negative eigenvalue(s)" if result.n_negative else "")
    )
    rows = [(k + 1, v) for k, v in enumerate(ev[:10])]
    header: tuple[str, ...] = ("k", "eigenvalue")
    if result.parallel is not None:
        rows = [(k + 1, v, result.parallel.p95[k]) for k, v in enumerate(ev[:10])]
        header = ("k", "eigenvalue", "random_p95")
    click.echo(_table(header, rows))
    if result.parallel is not None:
        click.echo(
            f"parallel analysis ({parallel} reps, seed {seed}): "
            f"{result.parallel.n_factors} factor(s)"
        )


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
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv on the base (bank) scale.",
)
@click.option(
    "--method", type=click.Choice(LINK_METHODS), default="stocking-lord", show_default=True
)
@click.option("--common", help="Comma-separated anchor item ids (default: all shared ids).")
@click.option("--drift-rule", type=click.Choice(DRIFT_RULES), default="robust-z", show_default=True)
@click.option("--drift-threshold", type=float, help="Default 2.7 (robust-z) or 0.5 logits (abs).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the new items' parameters on the base scale (PARAMS.csv format).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
def link(new_path, base_path, method, common, drift_rule, drift_threshold, out, as_json):
    """Put a new calibration on the base scale through common items (A, B; a/A, A*b + B, c)."""
    if drift_threshold is not None and not drift_threshold > 0:
        raise UserError(f"--drift-threshold must be positive, got {drift_threshold}")
    if out is not None:
        check_output_path(out, inputs=(new_path, base_path), field="--out")
    new, base = _read_params(new_path), _read_params(base_path)
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
        drift_rule=drift_rule,
        drift_threshold=drift_threshold,
    )
    if out is not None:
        text = params_to_csv(result.linked)
        write_output_text(out, text, inputs=(new_path, base_path), field="--out")
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


@click.command("equate")
@click.option(
    "--from",
    "x_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv of form X (the scores to convert).",
)
@click.option(
    "--to",
    "y_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="PARAMS.csv of form Y, on the same scale.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the table.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def equate(x_path, y_path, out, as_json):
    """IRT true-score equating: raw score on form X -> equivalent raw score on form Y."""
    if out is not None:
        check_output_path(out, inputs=(x_path, y_path), field="--out")
    fx, fy = _read_params(x_path), _read_params(y_path)
    result = _library(true_score_equating, fx, fy)
    header = ("raw_x", "theta", "equivalent_y", "region")
    rows = list(
        zip(result.raw_x.astype(int), result.theta, result.equivalent_y, result.region, strict=True)
    )
    if out is not None:
        write_output_text(out, _csv_text(header, rows), inputs=(x_path, y_path), field="--out")
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"IRT true-score equating ({METRIC}): form X max {result.max_x}, form Y max "
        f"{result.max_y}; sum of c: X {result.c_sum_x:.3f}, Y {result.c_sum_y:.3f} "
        "(scores at or below it are interpolated linearly)"
    )
    click.echo(_table(header, rows))
