"""``credkit cutscore ...`` (standard setting, cut conversion) and ``credkit classify``.

Thin layer: read the files, call :mod:`psychometrics.standard_setting` and
:mod:`psychometrics.classification`, print a readable summary or ``--json``.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from pathlib import Path
from typing import Any

import click
import numpy as np

from psychometrics import classification as cl
from psychometrics import standard_setting as ss
from psychometrics.cli._common import UserError, echo_json
from psychometrics.cli._inputs import DIR, FILE, item_options, load_items
from psychometrics.errors import InputError
from psychometrics.irt.models import ItemParameters


def register(group: click.Group) -> None:
    """Add ``cutscore`` (a group) and ``classify`` to the top-level group."""
    group.add_command(cutscore)
    group.add_command(classify)


@click.group("cutscore")
def cutscore() -> None:
    """Standard setting: Angoff, bookmark, Hofstee, Beuk, contrasting groups, borderline.

    Raw cuts are summed scores (pass = score >= cut); theta cuts are in the logistic metric (D = 1).
    """


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _form_params(
    params_path: Path | None, form_path: Path | None, bank_dir: Path | None
) -> tuple[str, ItemParameters]:
    """The items' parameters (from --params or --bank), restricted to --form's scored items."""
    items = load_items(
        bank_dir=bank_dir, params_path=params_path, form_path=form_path, need_params=True
    )
    assert items.params is not None
    return items.label, items.params


def _score_column(path: Path) -> str:
    """``score``, or ``sum_score`` in a file that has no ``score`` column: the raw score that
    ``credkit score --out`` writes, so its output feeds these commands as it is."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = [h.strip().lower() for h in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return "score"  # the table reader reports the problem, naming the file
    return "sum_score" if "score" not in header and "sum_score" in header else "score"


def _raw_score_table(path: Path, *, optional: tuple[str, ...] = ()) -> tuple[Any, np.ndarray]:
    """A person_id,score table (``sum_score`` accepted for ``score``) and its raw scores."""
    column = _score_column(path)
    table = ss.read_table(
        path,
        required=("person_id", column),
        numeric=(column,),
        optional=optional,
        unique="person_id",
    )
    scores = table.columns[column]
    negative = np.flatnonzero(scores < 0)
    if negative.size:
        k = int(negative[0])
        raise InputError(
            f"a raw score cannot be negative, got {scores[k]:g}",
            file=path,
            line=int(table.lines[k]),
            field=column,
        )
    return table, scores


def _scores(path: Path) -> np.ndarray:
    return _raw_score_table(path)[1]


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _lines(pairs: list[tuple[str, Any]]) -> None:
    width = max(len(k) for k, _ in pairs)
    for key, value in pairs:
        click.echo(f"{key:<{width}}  {_fmt(value)}")


# library argument -> option of this module's commands, where the names differ
_ARGUMENT_OPTIONS = {"min": "--scale-min", "max": "--scale-max", "round": "--scale-round"}


def _option_names(message: str) -> str:
    """``min_cut, max_cut: ...`` -> ``--min-cut, --max-cut: ...`` when those are options of the
    running command, so that the user sees the names they typed."""
    head, sep, rest = message.partition(": ")
    if not sep:
        return message
    ctx = click.get_current_context(silent=True)
    options = {o for p in (ctx.command.params if ctx else ()) for o in p.opts}
    names = []
    for name in head.split(", "):
        option = _ARGUMENT_OPTIONS.get(name, "--" + name.replace("_", "-"))
        if option not in options:
            return message
        names.append(option)
    return ", ".join(names) + sep + rest


def _check_library(call, *args, **kwargs):
    """Run a library call, turning argument ValueErrors into one-line user errors."""
    try:
        return call(*args, **kwargs)
    except ValueError as exc:
        raise UserError(_option_names(str(exc))) from None


ROUNDING = click.option(
    "--rounding",
    type=click.Choice(ss.ROUNDING_RULES),
    default="ceil",
    show_default=True,
    help="How TCC(theta cut) becomes a whole raw cut.",
)
ROUNDING_RAW = click.option(
    "--rounding",
    type=click.Choice(ss.ROUNDING_RULES),
    default="ceil",
    show_default=True,
    help="How the compromise cut becomes a whole raw cut.",
)
JSON = click.option("--json", "as_json", is_flag=True, help="Print only JSON.")


# --------------------------------------------------------------------------------------------
# Angoff
# --------------------------------------------------------------------------------------------


@cutscore.command("angoff")
@click.argument("ratings", type=FILE)
@item_options(responses=False)
@click.option("--yes-no", is_flag=True, help="Yes/No Angoff: ratings are 0/1.")
@click.option("--round", "round_", type=int, help="Round to analyse (default: the last).")
@click.option("--outlier-z", type=float, default=2.5, show_default=True, help="Rater flag rule.")
@JSON
def angoff_cmd(
    ratings, bank_dir, params_path, form_path, yes_no, round_, outlier_z, as_json
) -> None:
    """Modified (or Yes/No) Angoff cut from RATINGS.csv (rater,item_id,rating[,round])."""
    form_id, form = _form_params(params_path, form_path, bank_dir)
    r = ss.read_ratings(ratings, kind="yes-no" if yes_no else "angoff")
    res = _check_library(ss.angoff, r, form, round=round_, yes_no=yes_no, outlier_z=outlier_z)
    out = {"form": form_id, **res.to_dict()}
    if as_json:
        echo_json(out)
        return
    click.echo(f"{res.method} cut on form {form_id} (round {res.round}, {len(res.raters)} raters)")
    _lines(
        [
            ("raw cut", res.raw_cut),
            ("SE (raw)", res.se_raw),
            ("theta cut", res.theta_cut),
            ("SE (theta)", res.se_theta),
            ("max score", res.max_score),
            ("ICC(2,1) / ICC(2,k)", f"{_fmt(res.icc.icc_single)} / {_fmt(res.icc.icc_average)}"),
        ]
    )
    if res.theta_status != "ok":
        click.echo(f"warning: {res.message}")
    for r_id, cut, flag in zip(res.raters, res.rater_cuts, res.rater_flags, strict=True):
        click.echo(f"  {r_id:<12} {cut:8.3f}{'  OUTLYING' if flag else ''}")
    for rnd, change in res.round_changes.items():
        click.echo(f"  round {rnd}: cut {res.round_cuts[rnd]:.3f} (change {change:+.3f})")
    click.echo(f"metric: {res.metric}; outliers: {res.outlier_rule}")


# --------------------------------------------------------------------------------------------
# bookmark
# --------------------------------------------------------------------------------------------


@cutscore.command("bookmark")
@click.argument("placements", type=FILE)
@item_options(responses=False)
@click.option("--rp", type=float, default=0.67, show_default=True, help="Response probability.")
@click.option("--round", "round_", type=int, help="Round to analyse (default: the last).")
@click.option(
    "--summary", type=click.Choice(["median", "mean"]), default="median", show_default=True
)
@ROUNDING
@JSON
def bookmark_cmd(
    placements, bank_dir, params_path, form_path, rp, round_, summary, rounding, as_json
):
    """Bookmark cut from PLACEMENTS.csv (rater,rating[,item_id][,round]; rating = page)."""
    form_id, form = _form_params(params_path, form_path, bank_dir)
    r = ss.read_ratings(placements, kind="bookmark")
    res = _check_library(
        ss.bookmark, r, form, rp=rp, round=round_, summary=summary, rounding=rounding
    )
    out = {"form": form_id, **res.to_dict()}
    if as_json:
        echo_json(out)
        return
    click.echo(f"bookmark cut on form {form_id} (RP {rp:g}, {len(res.raters)} raters)")
    _lines(
        [
            (f"theta cut ({summary})", res.theta_cut),
            ("theta median / mean", f"{_fmt(res.theta_cut_median)} / {_fmt(res.theta_cut_mean)}"),
            ("SE (theta)", res.se_theta),
            ("raw cut", res.raw_cut),
            ("TCC at cut", res.raw_cut_exact),
            ("median page", res.median_page),
        ]
    )
    for r_id, page, t in zip(res.raters, res.pages, res.rater_theta_cuts, strict=True):
        click.echo(f"  {r_id:<12} page {page:4d}  theta {t:7.3f}")


@cutscore.command("booklet")
@item_options(responses=False)
@click.option("--rp", type=float, default=0.67, show_default=True, help="Response probability.")
@JSON
def booklet_cmd(bank_dir, params_path, form_path, rp, as_json) -> None:
    """Print the ordered item booklet (pages by RP location) for a bookmark panel."""
    form_id, form = _form_params(params_path, form_path, bank_dir)
    oib = _check_library(ss.ordered_item_booklet, form, rp=rp)
    if as_json:
        echo_json({"form": form_id, **oib.to_dict()})
        return
    click.echo(f"ordered item booklet, form {form_id}, RP {rp:g} (logistic metric, D = 1)")
    for page, (item, cat, loc) in enumerate(
        zip(oib.item_ids, oib.categories, oib.locations, strict=True), start=1
    ):
        click.echo(f"{page:4d}  {item:<14} {'' if cat == 1 else f'(score {cat})':<10} {loc:7.3f}")


# --------------------------------------------------------------------------------------------
# compromise methods
# --------------------------------------------------------------------------------------------


@cutscore.command("hofstee")
@click.option(
    "--scores", "scores_path", type=FILE, required=True, help="person_id,score (or sum_score) CSV."
)
@click.option("--min-cut", type=float, required=True, help="Lowest acceptable raw cut.")
@click.option("--max-cut", type=float, required=True, help="Highest acceptable raw cut.")
@click.option("--min-fail", type=float, required=True, help="Lowest acceptable fail rate (0-1).")
@click.option("--max-fail", type=float, required=True, help="Highest acceptable fail rate (0-1).")
@ROUNDING_RAW
@JSON
def hofstee_cmd(scores_path, min_cut, max_cut, min_fail, max_fail, rounding, as_json) -> None:
    """Hofstee compromise cut against the observed score distribution."""
    scores = _scores(scores_path)
    res = _check_library(
        ss.hofstee,
        scores,
        min_cut=min_cut,
        max_cut=max_cut,
        min_fail=min_fail,
        max_fail=max_fail,
        rounding=rounding,
    )
    if as_json:
        echo_json(res.to_dict())
        return
    click.echo(f"Hofstee cut ({res.n} scores)")
    _lines(
        [
            ("raw cut", res.raw_cut),
            ("fail rate at cut", res.fail_rate),
            (f"raw cut ({rounding})", res.raw_cut_rounded),
            ("observed fail rate", res.observed_fail_rate),
            ("status", res.status),
        ]
    )


@cutscore.command("beuk")
@click.option(
    "--scores", "scores_path", type=FILE, required=True, help="person_id,score (or sum_score) CSV."
)
@click.option("--judgments", type=FILE, help="rater,cut,pass_rate CSV (pass rate 0-1).")
@click.option("--mean-cut", type=float, help="Panel mean cut (instead of --judgments).")
@click.option("--mean-pass-rate", type=float, help="Panel mean expected pass rate (0-1).")
@click.option("--sd-cut", type=float, help="SD of the panel's cuts.")
@click.option("--sd-pass-rate", type=float, help="SD of the panel's pass rates.")
@ROUNDING_RAW
@JSON
def beuk_cmd(
    scores_path, judgments, mean_cut, mean_pass_rate, sd_cut, sd_pass_rate, rounding, as_json
) -> None:
    """Beuk compromise cut against the observed score distribution."""
    scores = _scores(scores_path)
    summary = (mean_cut, mean_pass_rate, sd_cut, sd_pass_rate)
    if judgments is not None:
        table = ss.read_table(
            judgments, required=("rater", "cut", "pass_rate"), numeric=("cut", "pass_rate")
        )
        res = _check_library(
            ss.beuk_from_judgments,
            scores,
            table.columns["cut"],
            table.columns["pass_rate"],
            rounding=rounding,
        )
    elif all(v is not None for v in summary):
        res = _check_library(
            ss.beuk,
            scores,
            mean_cut=mean_cut,
            mean_pass_rate=mean_pass_rate,
            sd_cut=sd_cut,
            sd_pass_rate=sd_pass_rate,
            rounding=rounding,
        )
    else:
        raise UserError(
            "beuk: give --judgments or all of --mean-cut --mean-pass-rate --sd-cut --sd-pass-rate"
        )
    if as_json:
        echo_json(res.to_dict())
        return
    click.echo(f"Beuk cut ({res.n} scores)")
    _lines(
        [
            ("raw cut", res.raw_cut),
            ("pass rate at cut", res.pass_rate),
            (f"raw cut ({rounding})", res.raw_cut_rounded),
            ("observed pass rate", res.observed_pass_rate),
            ("status", res.status),
        ]
    )


# --------------------------------------------------------------------------------------------
# examinee-centred methods
# --------------------------------------------------------------------------------------------


@cutscore.command("contrasting-groups")
@click.option(
    "--scores", "scores_path", type=FILE, required=True, help="person_id,score,rating CSV."
)
@click.option(
    "--criterion", type=click.Choice(["logistic", "youden"]), default="logistic", show_default=True
)
@click.option("--probability", type=float, default=0.5, show_default=True, help="P(master) at cut.")
@JSON
def contrasting_cmd(scores_path, criterion, probability, as_json) -> None:
    """Contrasting-groups cut; rating = master/nonmaster (or pass/fail, 1/0)."""
    table = ss.read_examinee_judgments(scores_path)
    masters = ss.mastery_from_labels(table)
    res = _check_library(
        ss.contrasting_groups,
        table.columns["score"],
        masters,
        criterion=criterion,
        probability=probability,
    )
    if as_json:
        echo_json(res.to_dict())
        return
    click.echo(f"contrasting groups ({res.n_masters} masters, {res.n_nonmasters} non-masters)")
    _lines(
        [
            (f"raw cut ({criterion})", res.raw_cut),
            ("logistic cut", res.logistic_cut),
            ("Youden cut", res.youden_cut),
            ("false positive", res.false_positive),
            ("false negative", res.false_negative),
            ("status", res.status),
        ]
    )


@cutscore.command("borderline")
@click.option(
    "--scores", "scores_path", type=FILE, required=True, help="person_id,score,rating CSV."
)
@click.option(
    "--method", type=click.Choice(["group", "regression"]), default="group", show_default=True
)
@click.option(
    "--borderline",
    "value",
    default="borderline",
    show_default=True,
    help="The rating meaning borderline (a label for group, a number for regression).",
)
@JSON
def borderline_cmd(scores_path, method, value, as_json) -> None:
    """Borderline-group (median) or borderline-regression cut."""
    table = ss.read_examinee_judgments(scores_path)
    scores = table.columns["score"]
    labels = [str(x).strip().lower() for x in table.columns["rating"]]
    try:
        number = float(value)
    except ValueError:
        number = None
    if method == "group":
        if number is None:
            mask = np.array([x == value.strip().lower() for x in labels], dtype=float)
            res = _check_library(ss.borderline_group, scores, mask, borderline=1.0)
            res = dataclasses.replace(res, borderline=math.nan)
        else:
            ratings = ss.numeric_ratings(table)
            res = _check_library(ss.borderline_group, scores, ratings, borderline=number)
    else:
        if number is None:
            raise UserError("--borderline: the regression method needs a numeric rating value")
        ratings = ss.numeric_ratings(table)
        res = _check_library(ss.borderline_regression, scores, ratings, borderline=number)
    if as_json:
        echo_json(res.to_dict())
        return
    click.echo(f"{res.method} cut (n = {res.n})")
    pairs = [("raw cut", res.raw_cut), ("SE (raw)", res.se_raw)]
    if method == "regression":
        pairs += [("slope", res.slope), ("R^2", res.r_squared)]
    _lines(pairs)


# --------------------------------------------------------------------------------------------
# conversion
# --------------------------------------------------------------------------------------------


@cutscore.command("convert")
@click.option("--bank", "bank_dir", type=DIR, help="Item bank: the items' IRT parameters.")
@click.option("--params", "params_path", type=FILE, help="PARAMS.csv (instead of the bank's).")
@click.option(
    "--form", "form_paths", type=FILE, multiple=True, help="Published form YAML (repeatable)."
)
@click.option("--theta", type=float, help="Theta cut to carry to every form.")
@click.option("--raw", type=float, help="Raw cut on the first --form (or all items).")
@click.option("--slope", type=float, help="Reporting scale: slope.")
@click.option("--intercept", type=float, default=0.0, show_default=True, help="Reporting scale.")
@click.option("--scale-round", type=int, help="Reporting scale: decimals kept.")
@click.option("--scale-min", type=float, help="Lowest reported scale score.")
@click.option("--scale-max", type=float, help="Highest reported scale score.")
@ROUNDING
@JSON
def convert_cmd(
    bank_dir,
    params_path,
    form_paths,
    theta,
    raw,
    slope,
    intercept,
    scale_round,
    scale_min,
    scale_max,
    rounding,
    as_json,
) -> None:
    """Express a cut as theta, the raw cut of each form, and a reporting-scale score."""
    if (theta is None) == (raw is None):
        raise UserError("convert: give exactly one of --theta and --raw")
    for name, value in (("--theta", theta), ("--raw", raw)):
        if value is not None and not math.isfinite(value):
            raise UserError(f"{name} must be a finite number, got {value}")
    forms: dict[str, ItemParameters] = {}
    for fp in form_paths or [None]:
        form_id, form = _form_params(params_path, fp, bank_dir)
        if form_id in forms:
            raise InputError(
                f"two forms are named '{form_id}' (forms are named by file name)",
                file=fp,
                field="--form",
            )
        forms[form_id] = form
    status, message = "ok", ""
    if raw is not None:
        inv = ss.theta_for_raw(next(iter(forms.values())), raw)
        theta, status, message = inv.theta, inv.status, inv.message
    scale = None
    if slope is not None:
        scale = _check_library(
            ss.ReportingScale,
            slope=slope,
            intercept=intercept,
            round=scale_round,
            min=scale_min,
            max=scale_max,
        )
    res = ss.set_cut_score(None, forms=forms, theta=theta, scale=scale, rounding=rounding)
    out = {**res.to_dict(), "theta_status": status, "message": message}
    if as_json:
        echo_json(out)
        return
    click.echo(f"theta cut {res.theta_cut:.4f} (logistic metric, D = 1)")
    if message:
        click.echo(f"warning: {message}")
    for f in forms:
        click.echo(f"  form {f}: raw cut {res.raw_cuts[f]:g} (TCC {res.raw_cuts_exact[f]:.3f})")
    if scale is not None:
        click.echo(f"scale cut {res.scale_cut:g}")


# --------------------------------------------------------------------------------------------
# classify
# --------------------------------------------------------------------------------------------


@click.command("classify")
@item_options(responses=False)
@click.option("--cut", type=float, required=True, help="Theta cut (raw cut for livingston-lewis).")
@click.option(
    "--scores",
    "scores_path",
    type=FILE,
    help="person_id,theta,se[,group] CSV (livingston-lewis: person_id,score or sum_score[,group]).",
)
@click.option(
    "--method",
    type=click.Choice(["rudner", "lee", "livingston-lewis"]),
    default="rudner",
    show_default=True,
)
@click.option("--mean", type=float, default=0.0, show_default=True, help="Latent mean.")
@click.option("--sd", type=float, default=1.0, show_default=True, help="Latent SD.")
@click.option("--reliability", type=float, help="Score reliability (livingston-lewis).")
@click.option(
    "--min-score",
    type=float,
    default=0.0,
    show_default=True,
    help="Lowest possible score (livingston-lewis).",
)
@click.option("--max-score", type=float, help="Maximum possible score (livingston-lewis).")
@ROUNDING
@JSON
def classify(
    bank_dir,
    params_path,
    form_path,
    cut,
    scores_path,
    method,
    mean,
    sd,
    reliability,
    min_score,
    max_score,
    rounding,
    as_json,
) -> None:
    """Decision accuracy and consistency at a cut (Rudner, Lee or Livingston-Lewis).

    Rudner with --scores uses each examinee's theta and SE; without, N(mean, sd) and
    SE = 1/sqrt(information). Lee uses the Lord-Wingersky summed-score distribution at the
    examinees' thetas (or N(mean, sd)); the raw cut is TCC(cut) rounded by --rounding.
    """
    if not (abs(mean) <= 10 and 0 < sd <= 10):
        raise UserError(
            f"--mean must lie in [-10, 10] and --sd in (0, 10] (theta metric), got {mean}, {sd}"
        )
    if method == "livingston-lewis":
        if scores_path is None or reliability is None or max_score is None:
            raise UserError("livingston-lewis needs --scores, --reliability and --max-score")
        if not min_score < cut <= max_score:
            raise UserError(
                f"--cut: a raw cut must lie above --min-score ({min_score:g}) and at most "
                f"--max-score ({max_score:g}), got {cut:g}"
            )
        table, raw_scores = _raw_score_table(scores_path, optional=("group",))
        outside = np.flatnonzero((raw_scores < min_score) | (raw_scores > max_score))
        if outside.size:
            k = int(outside[0])
            raise InputError(
                f"score {raw_scores[k]:g} is outside [--min-score {min_score:g}, --max-score "
                f"{max_score:g}]" + (f" (and {outside.size - 1} more)" if outside.size > 1 else ""),
                file=scores_path,
                line=int(table.lines[k]),
                field=_score_column(scores_path),
            )
        report = _check_library(
            cl.decision_accuracy,
            method,
            scores=raw_scores,
            groups=table.columns.get("group"),
            raw_cut=cut,
            reliability=reliability,
            min_score=min_score,
            max_score=max_score,
        )
        form_id = None
    else:
        if params_path is None and bank_dir is None:
            raise UserError(f"{method} needs --params PARAMS.csv or --bank DIR")
        form_id, form = _form_params(params_path, form_path, bank_dir)
        thetas = ses = groups = None
        if scores_path is not None:
            table = ss.read_table(
                scores_path,
                required=("person_id", "theta", "se"),
                numeric=("theta", "se"),
                optional=("group",),
                unique="person_id",
            )
            thetas, ses = table.columns["theta"], table.columns["se"]
            groups = table.columns.get("group")
            bad = np.flatnonzero(ses <= 0)
            if bad.size:
                line = int(table.lines[bad[0]])
                raise InputError("se must be positive", file=scores_path, line=line, field="se")
        report = _check_library(
            cl.decision_accuracy,
            method,
            params=form,
            theta_cut=cut,
            thetas=thetas,
            se=ses,
            groups=groups,
            mean=mean,
            sd=sd,
            rounding=rounding,
        )
    res, rates = report.result, report.pass_rates
    full = report.to_dict()
    out = {
        **full.pop("result"),
        **full,
        "form": form_id,
    }
    if as_json:
        echo_json(out)
        return
    if method == "livingston-lewis":
        at = f"raw cut {cut:g}"
    elif method == "lee":
        at = f"theta cut {cut:g}, raw cut {report.raw_cut:g} on the summed score"
    else:
        at = f"theta cut {cut:g}"
    click.echo(f"decision accuracy and consistency: {res.method} ({at})")
    _lines(
        [
            ("accuracy", res.accuracy),
            ("consistency", res.consistency),
            ("kappa", res.kappa),
            ("false positive", res.false_positive),
            ("false negative", res.false_negative),
            ("expected pass rate", res.pass_rate),
        ]
    )
    click.echo(f"raw cut {report.raw_cut:g}; latent distribution: {report.latent}")
    if report.csem is not None:
        c = report.csem
        click.echo(f"CSEM at cut: {c.se_theta:.3f} (theta), {c.se_raw:.3f} (raw)")
    if rates is not None:
        click.echo(f"observed pass rate {rates.overall:.3f} (n = {rates.n})")
        for g, v in rates.by_group.items():
            click.echo(f"  group {g}: {v:.3f} (n = {rates.n_by_group[g]})")
