"""``credkit calibrate``: IRT calibration of a response file (a thin layer over
:func:`psychometrics.irt.calibrate`)."""

from __future__ import annotations

import importlib.util
import json
import math
import warnings
from pathlib import Path

import click

from psychometrics.cli._common import UserError, echo_json, progress
from psychometrics.cli._progress import progress_interval_option
from psychometrics.cli._threads import threads_from_context, threads_option
from psychometrics.errors import ConvergenceError, InputError
from psychometrics.fileio import check_output_path, write_output_text
from psychometrics.irt.calibration import (
    DEFAULT_C_PRIOR,
    ENGINES,
    SE_METHODS,
    CalibrationResult,
    calibrate,
)
from psychometrics.irt.girth_engine import GIRTH_MODELS
from psychometrics.irt.inference import covariance_to_csv
from psychometrics.irt.models import MODELS, POLYTOMOUS_MODELS
from psychometrics.irt.params_io import params_to_csv, read_params
from psychometrics.irt.partitioned import PARTITION_PERSONS
from psychometrics.long_responses import PARQUET_SUFFIXES
from psychometrics.responses import read_responses

SE_NAMES = {
    "louis": "observed information (Louis 1982)",
    "xpd": "cross-product of the observed scores",
    "sandwich": "sandwich (Huber-White; robust to misspecification)",
    "none": "not computed",
}
MAX_TABLE_ROWS = 40


@click.command("calibrate")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="2pl",
    show_default=True,
    help="IRT model for every item. With rasch/1pl/2pl/3pl an item scored 0..K-1 with K > 2 is "
    "an error unless --poly-model names its model. nominal (Bock's nominal response model): "
    "with a key, each keyed item is coded by the option chosen (distractors in option order, "
    "the key last) and the other items get the 2PL or --poly-model.",
)
@click.option(
    "--poly-model",
    type=click.Choice(POLYTOMOUS_MODELS),
    default=None,
    help="With a dichotomous --model: model for items with more than two score categories "
    "(e.g. --model 3pl --poly-model grm for multiple-choice plus rubric items).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="PARAMS.csv to write (item_id, model, a, b, c, SEs; b1.. for polytomous items).",
)
@click.option(
    "--anchors",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="PARAMS.csv of items to hold fixed (fixed-parameter calibration onto the bank scale). "
    "Anchors keep their own model (a 3pl anchor stays 3pl under --model 2pl); anchors not in "
    "RESPONSES are ignored with a warning, and none in RESPONSES is an error.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="credkit",
    show_default=True,
    help="credkit: every model, anchors. girth: rasch, 1pl, 2pl, grm, gpcm only, no anchors, "
    "at most 500 EM steps.",
)
@click.option(
    "--group",
    "groups",
    multiple=True,
    help="A column of group labels (e.g. for DIF), not an item (repeatable).",
)
@click.option(
    "--ignore", "ignored", multiple=True, help="A column that is not an item (repeatable)."
)
@click.option(
    "--long",
    "long_format",
    is_flag=True,
    help="RESPONSES in long layout: columns person_id,item_id,response[,form].",
)
@click.option(
    "--quadrature",
    type=click.IntRange(5, 401),
    default=61,
    show_default=True,
    help="Number of equally spaced quadrature nodes on [-6, 6].",
)
@click.option(
    "--max-iter", type=click.IntRange(1), default=2000, show_default=True, help="EM steps at most."
)
@click.option(
    "--tol",
    type=click.FloatRange(min=0, min_open=True),
    default=1e-5,
    show_default=True,
    help="Largest parameter change of an EM step at convergence.",
)
@click.option(
    "--se",
    type=click.Choice(SE_METHODS),
    default="louis",
    show_default=True,
    help="Standard errors: observed information (Louis), cross-product (xpd), sandwich "
    "(Huber-White, robust to misspecification), or none.",
)
@click.option(
    "--c-prior",
    default=",".join(f"{v:g}" for v in DEFAULT_C_PRIOR),
    show_default=True,
    help="Beta prior on the 3PL lower asymptote c, as 'alpha,beta' (both >= 1), or 'none'.",
)
@click.option(
    "--bank",
    "bank_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Item bank: score option letters against its keys (rubric items: integer scores).",
)
@click.option(
    "--bank-anchors",
    is_flag=True,
    help="With --bank: hold the bank's calibrated operational items fixed (anchors).",
)
@click.option(
    "--update-bank",
    is_flag=True,
    help="With --bank: write the new parameters of the estimated items into their files "
    "(the old irt block goes to the item's history). Refused if EM did not converge.",
)
@click.option("--calibration-id", default=None, help="Label of this run in the bank files.")
@click.option(
    "--omit-code",
    default="*",
    show_default=True,
    help="Cell text for an omitted response, scored 0 (a blank cell is 'not presented').",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit non-zero and write nothing if EM does not converge or an item's estimates run "
    "away (default: a warning, and converged: false / flagged_items in the output).",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="local|ADDRESS",
    help="Run the E-step on a Dask cluster (needs credkit[scale]): 'local' starts a LocalCluster "
    "of two worker processes on this machine, an address (tcp://HOST:8786) uses a running "
    "'dask scheduler'. RESPONSES must be long (--long CSV, or Parquet); the data are held "
    "sparsely and split into partitions of persons that stay on the workers between EM steps. "
    "A .parquet RESPONSES file without --scheduler takes the same sparse path in this process.",
)
@click.option(
    "--partition-size",
    type=click.IntRange(1),
    default=None,
    help=f"Persons per partition on the sparse path (--scheduler or Parquet); default "
    f"{PARTITION_PERSONS:,}, on a cluster at most the persons divided by the workers' threads.",
)
@progress_interval_option
@threads_option
@click.option(
    "--covariance",
    "covariance_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the covariance matrix of the estimates with parameter names (item_id, "
    "parameter): CSV, or JSON if the name ends in .json. Needs standard errors (--se).",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the JSON summary on stdout.")
def calibrate_command(
    responses: Path,
    model: str,
    poly_model: str | None,
    out: Path,
    anchors: Path | None,
    engine: str,
    groups: tuple[str, ...],
    ignored: tuple[str, ...],
    long_format: bool,
    quadrature: int,
    max_iter: int,
    tol: float,
    se: str,
    c_prior: str,
    bank_dir: Path | None,
    bank_anchors: bool,
    update_bank: bool,
    calibration_id: str | None,
    omit_code: str,
    strict: bool,
    scheduler: str | None,
    partition_size: int | None,
    progress_interval: float,
    as_json: bool,
    covariance_out: Path | None = None,
) -> None:
    """Calibrate the items of RESPONSES.csv by marginal maximum likelihood (EM).

    RESPONSES.csv is wide: the person id, then one column per item with integer scores
    (0/1, or 0..K-1); a blank cell means "not presented" and is left out of the likelihood.
    Numbers are in the logistic metric (D = 1).

    Items without variance and persons without responses are left out, with a warning.
    Items whose estimates run away (|a| > 10, a threshold off the quadrature grid) are
    flagged. --out is written atomically and may not be an input file.

    Large sparse data (person_id,item_id,response rows; CSV with --long, or Parquet) can be
    calibrated on a Dask cluster with --scheduler: same estimates, same output.
    """
    prior = _parse_prior(c_prior)
    if not omit_code.strip() or omit_code.strip().lstrip("+-").isdigit():
        raise UserError(
            f"--omit-code: {omit_code!r} cannot mark an omitted response (a blank cell means "
            "'not presented' and integers are scores); use e.g. '*'"
        )
    if calibration_id is not None and not calibration_id.strip():
        raise UserError("--calibration-id: must not be blank")
    if not math.isfinite(tol):
        raise UserError(f"--tol: expected a finite positive number, got {tol}")
    if math.isnan(progress_interval):
        raise UserError("--progress-interval: expected a number of seconds >= 0, got nan")
    if engine == "girth":
        _check_girth_options(model, poly_model, anchors, bank_anchors)
    if (update_bank or bank_anchors) and bank_dir is None:
        raise UserError("--update-bank and --bank-anchors need --bank BANK_DIR")
    if bank_anchors and anchors is not None:
        raise UserError("give either --anchors or --bank-anchors, not both")
    sparse_path = scheduler is not None or responses.suffix.lower() in PARQUET_SUFFIXES
    if sparse_path:
        _check_sparse_options(scheduler, responses, long_format, engine, groups, ignored)
    inputs = (responses, anchors)
    check_output_path(out, inputs=inputs, field="--out")
    if covariance_out is not None:
        if se == "none":
            raise UserError("--covariance needs standard errors: --se louis, xpd or sandwich")
        if sparse_path:
            raise UserError("--covariance: not available on the sparse path (--scheduler, Parquet)")
        if covariance_out.resolve() == out.resolve():
            raise UserError("--covariance and --out must be different files")
        check_output_path(covariance_out, inputs=inputs, field="--covariance")
    if bank_dir is not None:
        _check_out_outside_bank(out, bank_dir)
    bank = key = None
    if bank_dir is not None:
        from psychometrics.bank import bank_keys, load_bank

        bank = load_bank(bank_dir)
        if len(bank) == 0:
            raise InputError("no item files found (is this an item bank?)", file=bank_dir)
        key = bank_keys(bank)
    if sparse_path:
        from psychometrics.long_responses import read_long

        data = read_long(responses, key=key, omit_code=omit_code)
        item_ids = data.item_ids
    else:
        data = read_responses(
            responses, group=groups, ignore=ignored, long=long_format, key=key, omit_code=omit_code
        )
        item_ids = data.item_ids
    option_names: dict[str, tuple[str, ...]] = {}
    if model == "nominal" and key is not None and sparse_path:
        raise UserError(
            "--model nominal with option letters needs the in-memory path (a wide or --long CSV "
            "without --scheduler): the sparse path keeps right/wrong scores only"
        )
    if model == "nominal" and key is not None and not sparse_path:
        data, model, option_names = _option_level(data, key, responses, update_bank, poly_model)
    anchor_params = read_params(anchors) if anchors is not None else None
    if bank_anchors:
        from psychometrics.bank import bank_parameters

        anchor_params = bank_parameters(bank, statuses=["operational"])
    if anchor_params is not None:
        _check_anchor_overlap(anchor_params, item_ids, anchors, bank_dir, responses)
    options = {
        "model": model,
        "poly_model": poly_model,
        "anchors": anchor_params,
        "quadrature": quadrature,
        "max_iter": max_iter,
        "tol": tol,
        "c_prior": prior,
        "se": se,
        "progress": progress if progress_interval > 0 else None,
        "progress_interval": progress_interval,
        "threads": threads_from_context(),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if sparse_path:
                result = _calibrate_sparse(data, scheduler, partition_size, options)
            else:
                result = calibrate(data, engine=engine, **options)
        except (ValueError, TypeError) as exc:
            message = _option_names(str(exc))
            if message.startswith("anchors: ") and anchors is not None:
                raise UserError(f"{anchors}: {message[len('anchors: ') :]}") from None
            if message.startswith("scheduler: "):
                raise UserError(f"--scheduler: {message[len('scheduler: ') :]}") from None
            raise UserError(f"{responses}: {message}") from None
    if (strict or update_bank) and not result.converged:
        option = "--strict" if strict else "--update-bank"
        raise ConvergenceError(
            f"{result.message}; nothing written ({option} needs a converged calibration)",
            file=responses,
        )
    if (strict or update_bank) and result.flagged_items:
        item, reason = result.flagged_items[0]
        consequence = (
            "the bank was not updated and nothing written" if update_bank else ("nothing written")
        )
        raise ConvergenceError(
            f"{len(result.flagged_items)} item(s) with extreme estimates (first: {item}, "
            f"{reason}); {consequence}",
            file=responses,
            field="--update-bank" if update_bank else "--strict",
        )
    if covariance_out is not None and result.covariance is None:
        raise UserError(
            f"--covariance: {responses} gives no covariance matrix (the information matrix is "
            "not positive definite, or this engine computes none); nothing written"
        )
    for w in caught:
        click.echo(f"credkit: warning: {w.message}", err=True)
    updated = None
    if update_bank:
        updated = _update_bank(bank_dir, _presented(data), result, responses, calibration_id)
    params = result.params
    if option_names:  # which option letter each nominal category is, for scoring later
        params = params.with_values(options=tuple(option_names.get(i, ()) for i in params.item_ids))
    write_output_text(out, params_to_csv(params), inputs=inputs, field="--out")
    if covariance_out is not None:
        text = (
            json.dumps(result.covariance.to_dict()) + "\n"
            if covariance_out.suffix.lower() == ".json"
            else covariance_to_csv(result.covariance)
        )
        write_output_text(covariance_out, text, inputs=inputs, field="--covariance")
    if as_json:
        extra = {"out": str(out)}
        if covariance_out is not None:
            extra["covariance"] = str(covariance_out)
        if updated is not None:
            extra["bank_updated"] = list(updated)
        echo_json({**result.summary(), **extra})
        return
    _print_summary(result, responses, out)
    if updated is not None:
        click.echo(f"updated {len(updated)} item file(s) in {bank_dir}")


def _calibrate_sparse(data, scheduler, partition_size, options) -> CalibrationResult:
    """The partitioned calibration, its cluster errors as this command's errors."""
    from psychometrics.irt.partitioned import ClusterError, calibrate_sparse

    try:
        return calibrate_sparse(data, scheduler=scheduler, partition_size=partition_size, **options)
    except ClusterError as exc:
        raise UserError(f"--scheduler {scheduler}: {exc}") from None


def _check_sparse_options(scheduler, responses: Path, long_format, engine, groups, ignored) -> None:
    """What the sparse (partitioned) path needs, checked before reading anything."""
    is_parquet = responses.suffix.lower() in PARQUET_SUFFIXES
    if scheduler is not None:
        if not scheduler.strip():
            raise UserError("--scheduler: expected 'local' or a scheduler address")
        if importlib.util.find_spec("distributed") is None:
            raise UserError(
                "--scheduler needs dask.distributed, which is not installed: install "
                "credkit[scale] (pip install 'credkit[scale]')"
            )
        if not (long_format or is_parquet):
            raise UserError(
                "--scheduler needs long responses (person_id,item_id,response): add --long for "
                "a long CSV file, or give a .parquet file"
            )
    if is_parquet and importlib.util.find_spec("pyarrow") is None:
        raise UserError(
            f"{responses}: reading Parquet needs pyarrow, which is not installed: install "
            "credkit[scale] (pip install 'credkit[scale]')"
        )
    what = "--scheduler" if scheduler is not None else "a Parquet RESPONSES file"
    if engine != "credkit":
        raise UserError(f"--engine {engine}: not available with {what} (use --engine credkit)")
    if groups or ignored:
        raise UserError(
            f"--group/--ignore: not used with {what} (long responses have no extra columns "
            "besides an optional form)"
        )


def _presented(data) -> dict[str, int]:
    """Persons presented each item (wide or sparse responses)."""
    import numpy as np

    if hasattr(data, "scores") and getattr(data.scores, "ndim", 1) == 2:
        counts = (data.scores >= 0).sum(axis=0)
    else:
        counts = np.bincount(data.items, minlength=len(data.item_ids))
    return {item: int(n) for item, n in zip(data.item_ids, counts, strict=True)}


def _update_bank(bank_dir, presented, result: CalibrationResult, responses: Path, calibration_id):
    """Write the estimated (non-anchor) items' parameters into the bank (all or nothing)."""
    from psychometrics.bank import update_item_parameters
    from psychometrics.fileio import sha256_file

    estimated = [i for i in result.params.item_ids if i not in result.anchors]
    if not estimated:
        return ()
    if calibration_id is None:
        calibration_id = f"{responses.name}@{sha256_file(responses)[:12]}"
    counts = {i: presented[i] for i in estimated}
    update = update_item_parameters(
        bank_dir, result.params.subset(estimated), calibration_id=calibration_id, n=counts
    )
    return update.item_ids


def _check_anchor_overlap(anchor_params, item_ids, anchors, bank_dir, responses) -> None:
    """No anchor in the responses is an error (the run would silently not be anchored); some
    anchors missing from the responses is a warning naming them."""
    present = set(item_ids)
    missing = [i for i in anchor_params.item_ids if i not in present]
    n = anchor_params.n_items
    if anchors is not None:
        source, field = anchors, "item_id"
    else:
        source, field = bank_dir, "--bank-anchors"
    if n == 0 or len(missing) == n:
        what = "calibrated operational items" if anchors is None else "anchor items"
        raise InputError(
            f"none of the {n} {what} is an item of {responses}; the calibration would not be "
            "anchored",
            file=source,
            field=field,
        )
    if missing and anchors is not None:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        click.echo(
            f"credkit: warning: {anchors}: {len(missing)} of {n} anchor items are not in "
            f"{responses} and are ignored: {shown}",
            err=True,
        )


def _check_out_outside_bank(out: Path, bank_dir: Path) -> None:
    """Refuse an --out that would replace a file of the bank (an item file, say)."""
    target = out.resolve()
    if target.exists() and target.is_relative_to(bank_dir.resolve()):
        raise InputError(
            f"is a file of the bank {bank_dir}; choose an output file outside the bank",
            file=out,
            field="--out",
        )


_LIBRARY_TO_OPTION = (
    (
        "choose a polytomous model (grm, gpcm, pcm) or set poly_model",
        "use --model grm/gpcm/pcm, or e.g. --poly-model grm for the items with more categories",
    ),
    ("model '", "--model '"),
    ("poly_model", "--poly-model"),
    ("engine='girth'", "--engine girth"),
    ("engine='credkit'", "--engine credkit"),
)


def _option_names(message: str) -> str:
    """A library error message in the words of this command's options."""
    for old, new in _LIBRARY_TO_OPTION:
        message = message.replace(old, new)
    return message


def _check_girth_options(model, poly_model, anchors, bank_anchors) -> None:
    """The combinations girth cannot run, named by their options (before reading any file)."""
    if model not in GIRTH_MODELS:
        raise UserError(
            f"--engine girth: supports --model {', '.join(GIRTH_MODELS)}, not {model!r} "
            "(use --engine credkit)"
        )
    if poly_model is not None and poly_model != model:
        raise UserError("--engine girth: fits one model for all items; --poly-model is not allowed")
    if anchors is not None or bank_anchors:
        raise UserError(
            "--engine girth: anchors are not supported (--anchors, --bank-anchors); "
            "use --engine credkit"
        )


def _parse_prior(text: str):
    if text.strip().lower() == "none":
        return None
    try:
        alpha, beta = (float(v) for v in text.split(","))
    except ValueError:
        raise UserError(f"--c-prior: expected 'alpha,beta' or 'none', got {text!r}") from None
    if not (math.isfinite(alpha) and math.isfinite(beta)) or alpha < 1 or beta < 1:
        raise UserError(f"--c-prior: alpha and beta must be finite numbers >= 1, got {text!r}")
    return (alpha, beta)


def _fmt(x: float, width: int = 7) -> str:
    return f"{x:{width}.3f}" if x == x else " " * (width - 1) + "-"


def _print_summary(res: CalibrationResult, responses: Path, out: Path) -> None:
    echo = click.echo
    echo(
        f"{responses}: {res.model} calibration ({res.engine} engine), "
        f"{res.n_persons} persons x {res.n_items} items"
    )
    echo(f"  {res.message}" if res.converged else f"  NOT CONVERGED: {res.message}")
    echo(
        f"  log-likelihood {res.loglik:.3f}   AIC {res.aic:.2f}   BIC {res.bic:.2f}   "
        f"({res.n_parameters} parameters)"
    )
    if res.priors:
        priors = ", ".join(f"{k} ~ {v}" for k, v in res.priors.items())
        echo(f"  priors: {priors}; log-posterior {res.log_posterior:.3f}")
    lat_m = "fixed" if res.latent_mean_se != res.latent_mean_se else f"SE {res.latent_mean_se:.3f}"
    lat_s = "fixed" if res.latent_sd_se != res.latent_sd_se else f"SE {res.latent_sd_se:.3f}"
    echo(
        f"  ability: mean {res.latent_mean:.3f} ({lat_m}), sd {res.latent_sd:.3f} ({lat_s})"
        + (f"; anchors: {len(res.anchors)} fixed items" if res.anchors else "")
    )
    echo(
        f"  standard errors: {SE_NAMES.get(res.se_method, res.se_method)}; "
        f"metric: {res.metric}; quadrature: {res.quadrature[0]} points on "
        f"[{res.quadrature[1]:g}, {res.quadrature[2]:g}]"
    )
    for item, reason in res.dropped_items:
        echo(f"  left out: item {item}: {reason}")
    for item, reason in res.flagged_items:
        echo(f"  extreme estimate: item {item}: {reason} (not pinned down by these data)")
    if res.dropped_persons:
        echo(f"  left out: {len(res.dropped_persons)} person(s) without responses")
    p = res.params
    echo(f"  {'item':<14}{'model':<7}{'a':>7}{'se':>7}{'c':>7}{'se':>7}  b (se) ...")
    for j, item in enumerate(p.item_ids[:MAX_TABLE_ROWS]):
        k = int(p.n_categories[j]) - 1
        bs = "  ".join(f"{p.b[j, m]:.3f} ({_fmt(p.se_b[j, m], 0).strip()})" for m in range(k))
        if p.model[j] == "nominal":
            bs += "  ak: " + " ".join(f"{p.ak[j, m]:.3f}" for m in range(k + 1))
        anchor = "  [anchor]" if item in res.anchors else ""
        echo(
            f"  {item:<14}{p.model[j]:<7}{_fmt(p.a[j])}{_fmt(p.se_a[j])}"
            f"{_fmt(p.c[j])}{_fmt(p.se_c[j])}  {bs}{anchor}"
        )
    if p.n_items > MAX_TABLE_ROWS:
        echo(f"  ... {p.n_items - MAX_TABLE_ROWS} more items in {out}")
    echo(f"wrote {out}")


def _option_level(data, key, responses, update_bank, poly_model):
    """Keyed items coded by the option chosen (key last) for the nominal model; the others keep
    their scores and get the 2PL (or --poly-model)."""
    from psychometrics.irt.options import option_codes

    if update_bank:
        raise UserError("--update-bank: bank items do not hold nominal-model parameters")
    try:
        coding = option_codes(data, key)
    except ValueError as exc:
        raise UserError(f"{responses}: {exc}") from None
    if poly_model is None:
        for item in coding.scored:
            if int(data.scores[:, data.item_ids.index(item)].max()) > 1:
                raise UserError(
                    f"--model nominal: item {item!r} keeps its integer scores (no single keyed "
                    "option) and has more than two categories; name its model with --poly-model"
                )
    return coding.responses, coding.models("2pl"), dict(coding.options)


def register(group: click.Group) -> None:
    """Add ``calibrate`` to the top-level group."""
    group.add_command(calibrate_command)
