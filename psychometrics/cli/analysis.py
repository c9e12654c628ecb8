"""``credkit analyze``: classical item analysis and DIF of one response file."""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from psychometrics.cli._common import UserError, echo_json, progress
from psychometrics.cli._inputs import item_options, items_from_options, responses_from_options
from psychometrics.ctt import ItemAnalysis, Thresholds, form_analysis, item_analysis
from psychometrics.errors import InputError
from psychometrics.fileio import check_output_path, safe_csv_writer, write_output_text
from psychometrics.responses import ResponseMatrix

if TYPE_CHECKING:
    from psychometrics.dif import DIFResult
    from psychometrics.irt.irt_dif import IRTDIFResult

BASE_COLUMNS = ("item_id", "n", "p", "rpbis", "alpha_if_deleted")
DIF_COLUMNS = ("mh_delta", "mh_p", "ets_class", "lr_p", "lr_r2_delta")
EXTRA_COLUMNS = ("mean", "max_score", "biserial", "omit_rate", "flags")
DIF_EXTRA_COLUMNS = (
    "favors",
    "mh_delta_se",
    "mh_chi2",
    "lr_class",
    "lr_p_uniform",
    "lr_p_nonuniform",
    "smd",
    "dif_note",
)
IRT_COLUMNS = ("irt_g2", "irt_df", "irt_p", "irt_signed", "irt_unsigned", "irt_flagged")


def register(group: click.Group) -> None:
    """Add ``analyze`` to the top-level group."""
    group.add_command(analyze)


@click.command("analyze")
@click.argument("responses", type=click.Path(dir_okay=False, path_type=Path))
@item_options(responses=True, params=False)
@click.option("--group", "group_col", help="Column holding the group variable for DIF.")
@click.option("--focal", help="Focal group value (with --group).")
@click.option("--reference", help="Reference group value (with --group).")
@click.option(
    "--matching",
    type=click.Choice(["total", "rest"]),
    default="total",
    show_default=True,
    help="DIF matching score.",
)
@click.option(
    "--purify",
    is_flag=True,
    help="Two-stage purification of the DIF matching score (and, with --irt-dif, iterative "
    "purification of the IRT anchors).",
)
@click.option(
    "--irt-dif",
    is_flag=True,
    help="Also IRT DIF (with --group): a likelihood-ratio test of each item on a two-group 2PL "
    "calibration (GRM for polytomous items), all other items as anchors. Slower: two "
    "calibrations per item; `credkit dif` has every option.",
)
@click.option(
    "--min-focal",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Minimum focal persons per item before DIF is classified.",
)
@click.option(
    "--min-reference",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Minimum reference persons per item before DIF is classified.",
)
@click.option("--p-low", type=float, default=0.20, show_default=True, help="Flag p below this.")
@click.option("--p-high", type=float, default=0.95, show_default=True, help="Flag p above this.")
@click.option(
    "--rpbis-min",
    type=float,
    default=0.15,
    show_default=True,
    help="Flag corrected point-biserial below this.",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the item table to this CSV.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
def analyze(
    responses: Path,
    group_col: str | None,
    focal: str | None,
    reference: str | None,
    matching: str,
    purify: bool,
    irt_dif: bool,
    min_focal: int,
    min_reference: int,
    p_low: float,
    p_high: float,
    rpbis_min: float,
    out_file: Path | None,
    as_json: bool,
    **opts: Any,
) -> None:
    """Classical item analysis (and DIF with --group) of RESPONSES.csv.

    Per item: n, p, corrected point-biserial, biserial, omit rate, alpha if deleted, distractors
    and flags; per test: mean, SD, alpha (KR-20), SEM, stratified alpha by outcome (with --bank).
    With --group/--focal/--reference: Mantel-Haenszel D-DIF with the ETS A/B/C class and
    logistic-regression DIF with the Jodoin-Gierl class; with --irt-dif also IRT DIF (the
    likelihood-ratio G2 of each item, with its expected-score difference). A file that holds
    several forms (a form column) is also analysed form by form; --form FORM.yaml analyses one
    published form.
    """
    key_file = opts.get("key_file")
    omit_code = opts["omit_code"]
    dif_args = (group_col, focal, reference)
    if any(a is not None for a in dif_args) and not all(a is not None for a in dif_args):
        raise UserError("DIF needs all three of --group, --focal and --reference")
    if irt_dif and group_col is None:
        raise UserError("--irt-dif needs --group, --focal and --reference")
    try:
        thresholds = Thresholds(p_low=p_low, p_high=p_high, rpbis_min=rpbis_min)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if out_file is not None:
        check_output_path(out_file, inputs=(responses, key_file), field="--out")

    items = items_from_options(opts, need_params=False)
    key = dict(items.key) if items.key is not None else None
    outcomes = dict(items.outcomes) if items.outcomes else None
    if key_file is not None:
        outcomes = _key_outcomes(key_file)
    rm, forms = responses_from_options(
        responses, items, opts, group=[group_col] if group_col else []
    )
    if rm.n_persons == 0:
        raise InputError("no persons (only a header)", file=responses)
    if group_col is not None:  # check the DIF groups before any progress line
        _check_groups(rm, responses, group_col, str(focal), str(reference))
    if not as_json:
        progress(f"read {rm.n_persons} persons x {rm.n_items} items from {responses}")
    ctt = item_analysis(rm, key=key, outcomes=outcomes, thresholds=thresholds, omit_code=omit_code)
    if ctt.test.n_persons == 0:
        raise InputError("no person has a response to any item", file=responses)

    per_form: dict[str, ItemAnalysis] = {}
    if forms is not None and len(set(forms.tolist()) - {""}) > 1:
        per_form = form_analysis(
            rm,
            forms=forms,
            key=key,
            outcomes=outcomes,
            max_scores={it.item_id: it.max_score for it in ctt.items},
            thresholds=thresholds,
            omit_code=omit_code,
        )

    dif = None
    if group_col is not None:
        dif = _run_dif(
            rm,
            responses,
            group_col,
            str(focal),
            str(reference),
            matching=matching,
            purify=purify,
            min_focal=min_focal,
            min_reference=min_reference,
            blocks=forms if per_form else None,
        )

    irt = None
    if irt_dif:
        irt = _run_irt_dif(
            rm, group_col, str(focal), str(reference), purify, min(min_focal, min_reference),
            quiet=as_json,
        )  # fmt: skip
    rows = item_rows(ctt, dif, outcomes)
    if irt is not None:
        _add_irt(rows, irt)
    if per_form:
        _fill_from_forms(rows, per_form)
    if out_file is not None:
        columns = list(BASE_COLUMNS)
        if dif is not None:
            columns += DIF_COLUMNS
        columns += EXTRA_COLUMNS
        if outcomes:
            columns.append("outcome")
        if dif is not None:
            columns += DIF_EXTRA_COLUMNS
        if irt is not None:
            columns += IRT_COLUMNS
        write_output_text(
            out_file, _to_csv(rows, columns), inputs=(responses, key_file), field="--out"
        )
        if not as_json:
            progress(f"wrote {out_file}")
    if as_json:
        result = _json_result(ctt, dif, rows)
        if irt is not None:
            result["irt_dif"] = {k: v for k, v in irt.to_dict().items() if k != "items"}
        if per_form:
            result["forms"] = {
                label: {
                    **asdict(a.test),
                    "items": [
                        {
                            "item_id": it.item_id,
                            "n": it.n,
                            "p": it.p,
                            "rpbis": it.rpbis,
                            "alpha_if_deleted": it.alpha_if_deleted,
                            "flags": list(it.flags),
                        }
                        for it in a.items
                    ],
                }
                for label, a in per_form.items()
            }
        echo_json(result)
    else:
        click.echo(render_table(ctt, dif, rows, per_form))
        if irt is not None:
            click.echo(_irt_lines(irt, rows))


def _run_irt_dif(
    rm: ResponseMatrix,
    column: str,
    focal: str,
    reference: str,
    purify: bool,
    min_persons: int,
    *,
    quiet: bool,
) -> IRTDIFResult | None:
    """IRT DIF of the items every group can estimate; None (with a warning line) when the
    calibration cannot be run."""
    from psychometrics.irt.irt_dif import irt_dif, screen_items

    labels = np.asarray(rm.groups[column]).astype(str)
    keep = (labels == focal) | (labels == reference)
    scores = np.asarray(rm.scores)[keep]
    usable, testable = screen_items(scores, labels[keep], min_persons=min_persons)
    ids = [i for i, u in zip(rm.item_ids, usable, strict=True) if u]
    studied = [i for i, t in zip(rm.item_ids, testable, strict=True) if t]
    if len(ids) < 3 or not studied:
        progress("credkit: warning: IRT DIF not run: fewer than 3 items vary in both groups")
        return None
    if not quiet:
        rounds = " and purification rounds" if purify else ""
        progress(f"IRT DIF: {len(studied)} item(s) to test, two calibrations each{rounds}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = irt_dif(
                scores[:, usable],
                labels[keep],
                item_ids=ids,
                poly_model="grm",
                reference=reference,
                items=studied,
                purify=purify,
                wald=False,
            )
        except ValueError as exc:
            raise UserError(f"IRT DIF: {exc}") from None
    for message in sorted({str(w.message) for w in caught}):
        progress(f"credkit: warning: IRT DIF: {message}")
    return result


def _add_irt(rows: list[dict[str, Any]], irt: IRTDIFResult) -> None:
    tests = {it.item_id: it for it in irt.items}
    for row in rows:
        it = tests.get(row["item_id"])
        if it is None:
            continue
        row.update(
            irt_g2=it.g2,
            irt_df=it.df,
            irt_p=it.p,
            irt_signed=it.signed,
            irt_unsigned=it.unsigned,
            irt_flagged=it.flagged,
        )
        if it.flagged:
            row["flags"].append("dif_irt")


def _irt_lines(irt: IRTDIFResult, rows: list[dict[str, Any]]) -> str:
    base = irt.baseline
    lines = [
        "",
        f"IRT DIF {irt.focal} (focal; mean {base.latent_means[1]:.2f}, SD "
        f"{base.latent_sds[1]:.2f}) vs {irt.reference} (reference, N(0, 1)): {irt.method}",
        f"{'item':<10} {'G2':>7} {'df':>3} {'p':>7} {'signed':>7} {'unsigned':>8}",
    ]
    for it in irt.items:
        lines.append(
            f"{it.item_id:<10} {it.g2:>7.2f} {it.df:>3} {it.p:>7.4f} {it.signed:>7.3f} "
            f"{it.unsigned:>8.3f}{'  flagged' if it.flagged else ''}"
        )
    untested = [r["item_id"] for r in rows if "irt_p" not in r]
    if untested:
        lines.append(f"not tested (too few persons or no variance in a group): {len(untested)}")
    lines.append(
        f"DTF (expected test score, reference minus focal, over the focal group): "
        f"{irt.dtf_signed:.3f}; signed/unsigned are expected item-score differences"
    )
    return "\n".join(lines)


def _fill_from_forms(rows: list[dict[str, Any]], per_form: dict[str, ItemAnalysis]) -> None:
    """Multi-form files: one alpha over all items is undefined when items were never presented
    together, so alpha_if_deleted is the person-weighted mean over the forms carrying the item
    (the per-form values are in the JSON ``forms``)."""
    for row in rows:
        if math.isfinite(row["alpha_if_deleted"]):
            continue
        values, weights = [], []
        for a in per_form.values():
            for it in a.items:
                if it.item_id == row["item_id"] and math.isfinite(it.alpha_if_deleted):
                    values.append(it.alpha_if_deleted)
                    weights.append(it.n)
        if values:
            row["alpha_if_deleted"] = float(np.average(values, weights=weights))


def _key_outcomes(key_file: Path) -> dict[str, str] | None:
    """Item id -> outcome from an optional ``outcome`` column of KEY.csv (read_key_csv has
    already validated the file)."""
    with key_file.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
        if "outcome" not in fields:
            return None
        out = {
            (row.get(fields["item_id"]) or "").strip(): (row.get(fields["outcome"]) or "").strip()
            for row in reader
        }
    return {item: outcome for item, outcome in out.items() if item and outcome} or None


def _check_groups(rm: ResponseMatrix, path: Path, column: str, focal: str, reference: str):
    values = rm.groups[column]
    present = sorted(set(values.tolist()) - {""})
    shown = ", ".join(present[:10]) + (" ..." if len(present) > 10 else "")
    if focal == reference:
        raise InputError("--focal and --reference are the same value", field=column)
    for name, value in (("focal", focal), ("reference", reference)):
        if value not in present:
            raise InputError(
                f"{name} group '{value}' does not occur in column '{column}' (values: {shown})",
                file=path,
                field=column,
            )


def _run_dif(
    rm: ResponseMatrix,
    path: Path,
    column: str,
    focal: str,
    reference: str,
    **settings: Any,
) -> DIFResult:
    from psychometrics.dif import dif_analysis  # imports scipy: after the responses are read

    values = rm.groups[column]
    _check_groups(rm, path, column, focal, reference)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        result = dif_analysis(rm, values, focal=focal, reference=reference, **settings)
    for w in caught:
        progress(f"credkit: warning: {w.message}")
    return result


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return "" if not math.isfinite(value) else f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def item_rows(
    ctt: ItemAnalysis, dif: DIFResult | None, outcomes: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One flat record per item: the CTT fields, the DIF fields (if any) and the flags."""
    rows = []
    for it in ctt.items:
        flags = list(it.flags)
        row: dict[str, Any] = {
            "item_id": it.item_id,
            "n": it.n,
            "p": it.p,
            "rpbis": it.rpbis,
            "alpha_if_deleted": it.alpha_if_deleted,
            "mean": it.mean,
            "max_score": it.max_score,
            "biserial": it.biserial,
            "omit_rate": it.omit_rate,
        }
        if outcomes:
            row["outcome"] = outcomes.get(it.item_id, "")
        if dif is not None:
            d = dif.item(it.item_id)
            row.update(
                mh_delta=d.mh_delta,
                mh_p=d.mh_p,
                ets_class=d.ets_class,
                lr_p=d.lr_p,
                lr_r2_delta=d.lr_r2_delta,
                favors=d.favors,
                mh_delta_se=d.mh_delta_se,
                mh_chi2=d.mh_chi2,
                lr_class=d.lr_class,
                lr_p_uniform=d.lr_p_uniform,
                lr_p_nonuniform=d.lr_p_nonuniform,
                smd=d.smd,
                dif_note=d.note,
            )
            if d.ets_class in ("B", "C", "BB", "CC"):
                flags.append(f"dif_mh_{d.ets_class}_favors_{d.favors}")
            if d.lr_class in ("B", "C"):
                flags.append(f"dif_lr_{d.lr_class}")
        row["flags"] = flags
        rows.append(row)
    return rows


def _to_csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buf = io.StringIO()
    writer = safe_csv_writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_fmt(row.get(c)) for c in columns])
    return buf.getvalue()


def _json_result(ctt: ItemAnalysis, dif: DIFResult | None, rows: list[dict[str, Any]]) -> dict:
    t = ctt.test
    items = []
    for row, it in zip(rows, ctt.items, strict=True):
        record = dict(row)
        record["options"] = [asdict(o) for o in it.options]
        items.append(record)
    out: dict[str, Any] = {
        "n_persons": t.n_persons,
        "n_items": t.n_items,
        "alpha": t.alpha,
        "sem": t.sem,
        "mean": t.mean,
        "sd": t.sd,
        "stratified_alpha": t.stratified_alpha,
        "test": asdict(t),
        "thresholds": ctt.thresholds,
        "missing_rule": ctt.missing_rule,
        "group_rule": ctt.group_rule,
        "items": items,
    }
    if dif is not None:
        summary = {k: v for k, v in dif.to_dict().items() if k != "items"}
        out["dif"] = summary
    return out


def render_table(
    ctt: ItemAnalysis,
    dif: DIFResult | None,
    rows: list[dict[str, Any]],
    per_form: dict[str, ItemAnalysis] | None = None,
) -> str:
    """A readable text report: test summary, then one line per item with its flags."""
    t = ctt.test

    def f(x: float, spec: str = ".3f") -> str:
        return "-" if x is None or not math.isfinite(x) else format(x, spec)

    lines = [
        f"persons {t.n_persons}   items {t.n_items}   mean {f(t.mean, '.2f')} / "
        f"{t.max_possible}   SD {f(t.sd, '.2f')}   alpha {f(t.alpha)}   SEM {f(t.sem, '.2f')}",
    ]
    if t.strata and (math.isfinite(t.stratified_alpha) or not per_form):
        parts = ", ".join(f"{s.stratum} {f(s.alpha, '.2f')}" for s in t.strata)
        lines.append(f"stratified alpha {f(t.stratified_alpha)}  ({parts})")
    for label, a in (per_form or {}).items():
        ft = a.test
        lines.append(
            f"form {label}: persons {ft.n_persons}   items {ft.n_items}   mean "
            f"{f(ft.mean, '.2f')} / {ft.max_possible}   SD {f(ft.sd, '.2f')}   alpha "
            f"{f(ft.alpha)}   SEM {f(ft.sem, '.2f')}"
            + (f"   stratified alpha {f(ft.stratified_alpha)}" if ft.strata else "")
        )
    if not t.complete:
        lines.append("incomplete design: " + ctt.missing_rule)
    if per_form:
        lines.append(
            "several forms: a-del is the mean over the forms carrying the item"
            + ("; DIF is matched within form" if dif is not None else "")
        )
    if dif is not None:
        extra = (
            f", purified (removed: {', '.join(dif.mh_removed) or 'none'})" if dif.purified else ""
        )
        lines.append(
            f"DIF {dif.focal} (focal, n={dif.n_focal}) vs {dif.reference} (reference, "
            f"n={dif.n_reference}), matched on the {dif.matching} score"
            f"{' within form' if dif.blocks else ''}{extra}"
        )
    th = ctt.thresholds
    lines.append(
        f"flags: p < {th.p_low:g} hard, p > {th.p_high:g} easy, rpbis < {th.rpbis_min:g}, "
        f"omit rate > {th.omit_max:g}, distractor rpbis > {th.distractor_rpbis_max:g}"
    )
    lines.append("")
    width = max(7, *(len(r["item_id"]) for r in rows))
    head = f"{'item':<{width}} {'n':>6} {'p':>6} {'rpbis':>6} {'a-del':>6}"
    if dif is not None:
        head += f" {'D-DIF':>6} {'ETS':>3} {'LR dR2':>7} {'JG':>2}"
    lines.append(head + "  flags")
    for r in rows:
        line = (
            f"{r['item_id']:<{width}} {r['n']:>6} {f(r['p']):>6} {f(r['rpbis']):>6} "
            f"{f(r['alpha_if_deleted']):>6}"
        )
        if dif is not None:
            line += (
                f" {f(r['mh_delta'], '.2f'):>6} {_signed(r['ets_class'], r['favors']):>3} "
                f"{f(r['lr_r2_delta'], '.4f'):>7} {r['lr_class'] or '-':>2}"
            )
        lines.append(line + "  " + ", ".join(r["flags"]))
    n_flagged = sum(1 for r in rows if r["flags"])
    lines.append("")
    lines.append(f"{n_flagged} of {len(rows)} items flagged")
    lines.extend(_distractor_tables(ctt, f))
    if dif is not None:
        lines.append(
            "ETS class sign: - favors the reference group, + the focal group (Zwick 2012); "
            "JG = Jodoin-Gierl class of the logistic-regression R2 change"
        )
        notes: dict[str, int] = {}
        for r in rows:
            for note in filter(None, (r.get("dif_note") or "").split("; ")):
                notes[note] = notes.get(note, 0) + 1
        for note, count in notes.items():
            lines.append(f"DIF note ({count} item{'s' if count > 1 else ''}): {note}")
    return "\n".join(lines)


def _distractor_tables(ctt: ItemAnalysis, f: Any) -> list[str]:
    """Option tables of the items with a distractor flag (all options are in --json)."""
    out = []
    for it in ctt.items:
        if not any(fl.startswith(("positive_distractor", "possible_miskey")) for fl in it.flags):
            continue
        out.append("")
        out.append(f"{it.item_id} options ({ctt.group_rule}):")
        out.append(f"  {'option':<7} {'n':>6} {'share':>6} {'low':>6} {'mid':>6} {'high':>6} rpbis")
        for o in it.options:
            label = o.option + (" (key)" if o.is_key else "")
            out.append(
                f"  {label:<7} {o.n:>6} {f(o.share):>6} {f(o.share_low):>6} "
                f"{f(o.share_middle):>6} {f(o.share_high):>6} {f(o.rpbis)}"
            )
    return out


def _signed(cls: str | None, favors: str | None) -> str:
    if cls is None:
        return "-"
    if cls in ("A", "AA") or favors is None:
        return cls
    return cls + ("-" if favors == "reference" else "+")
