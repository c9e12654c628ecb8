"""``credkit dif``: IRT-based DIF (likelihood-ratio and Wald tests on a multiple-group calibration:
one reference group, one or more focal groups; all-other, given or purified anchors).

Thin: read the responses with the shared item inputs, call
:func:`psychometrics.irt.irt_dif.irt_dif`, print a table or JSON, write CSV atomically.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
import numpy as np

from psychometrics.cli._common import UserError, echo_json, progress
from psychometrics.cli._inputs import FILE, item_options, items_from_options, responses_from_options
from psychometrics.cli._tables import csv_text, text_table
from psychometrics.cli._threads import threads_from_context, threads_option
from psychometrics.errors import InputError
from psychometrics.fileio import check_output_path, write_output_text

DICHOTOMOUS = ("rasch", "1pl", "2pl", "3pl")
POLYTOMOUS = ("grm", "gpcm", "pcm")


@click.command("dif")
@click.argument("responses", type=FILE)
@item_options(responses=True, params=False)
@click.option("--group", "group_col", required=True, help="Column holding the group variable.")
@click.option(
    "--focal",
    multiple=True,
    help="Focal group value; repeat it (or separate values by commas) for several focal "
    "groups. Default: every value other than --reference.",
)
@click.option("--reference", required=True, help="Reference group value.")
@click.option("--model", type=click.Choice(DICHOTOMOUS), default="2pl", show_default=True)
@click.option(
    "--poly-model",
    type=click.Choice(POLYTOMOUS),
    default="grm",
    show_default=True,
    help="Model of the items with more than two score categories.",
)
@click.option("--items", help="Comma-separated items to test (default: every item).")
@click.option(
    "--anchors",
    help="Comma-separated anchor items: only these are held equal across groups and every other "
    "item is tested (default: all other items anchor each test).",
)
@click.option(
    "--purify",
    is_flag=True,
    help="Purify the anchors: items flagged in one round are freed in the next, until the "
    "flagged set repeats.",
)
@click.option(
    "--max-rounds", type=click.IntRange(min=1), default=10, show_default=True,
    help="Rounds of --purify at most.",
)  # fmt: skip
@click.option(
    "--wald/--no-wald",
    default=True,
    show_default=True,
    help="Also Wald tests (the observed information of each freed model; slower).",
)
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Flag p below this.")
@click.option("--cut", type=float, help="Theta cut: the test-score difference (DTF) there.")
@click.option("--out", type=FILE, help="Write the item table (CSV).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@threads_option
def dif_command(
    responses: Path,
    group_col: str,
    focal: tuple[str, ...],
    reference: str,
    model: str,
    poly_model: str,
    items: str | None,
    anchors: str | None,
    purify: bool,
    max_rounds: int,
    wald: bool,
    alpha: float,
    cut: float | None,
    out: Path | None,
    as_json: bool,
    **opts,
) -> None:
    """IRT DIF: likelihood-ratio and Wald tests of each item across groups.

    A multiple-group calibration (reference N(0, 1), each focal group's mean and SD estimated)
    holds the anchor items invariant; each studied item is freed in every group, and the
    omnibus likelihood-ratio G2 (Thissen, Steinberg & Wainer, 1993; df = the item's parameters
    x (groups - 1)) and a Wald test of equal parameters say whether it functions differently.
    Effect sizes are expected-score differences (reference minus focal) averaged over each focal
    group. Anchors: all other items (default), --anchors, or --purify. Use --form to test one
    published form's items.
    """
    from psychometrics.irt.irt_dif import irt_dif

    if not 0 < alpha < 1:
        raise UserError(f"--alpha must be in (0, 1), got {alpha}")
    if cut is not None and not math.isfinite(cut):
        raise UserError(f"--cut must be a finite number, got {cut}")
    source = items_from_options(opts, need_params=False)
    inputs = (responses, *source.inputs)
    if out is not None:
        check_output_path(out, inputs=inputs, field="--out")
    data, _ = responses_from_options(responses, source, opts, group=[group_col])
    labels = np.asarray(data.groups[group_col]).astype(str)
    focals = [v.strip() for f in focal for v in f.split(",") if v.strip()]
    if not focals:
        focals = sorted(set(labels.tolist()) - {reference})
    if reference in focals:
        raise UserError(f"--focal {reference!r} is also the --reference group")
    for value, option in [*((f, "--focal") for f in focals), (reference, "--reference")]:
        if not (labels == value).any():
            seen = ", ".join(sorted(set(labels.tolist()))[:8])
            raise InputError(
                f"{option} {value!r}: no person has it (the column holds: {seen})",
                file=responses,
                field=group_col,
            )
    if not focals:
        raise InputError(
            f"no group other than the reference {reference!r}", file=responses, field=group_col
        )
    keep = np.isin(labels, [reference, *focals])
    data = data.select_persons(keep)
    studied = _item_list(items, data.item_ids, "--items")
    anchor_list = _item_list(anchors, data.item_ids, "--anchors")
    if anchor_list is not None and purify:
        raise UserError("--anchors and --purify: give anchor items or purify, not both")
    if not as_json:
        n = len(studied) if studied else data.n_items - len(anchor_list or ())
        rule = " (purified anchors: repeated rounds)" if purify else ""
        progress(
            f"dif: {data.n_persons} persons in {len(focals) + 1} groups, {n} item(s) to test, "
            f"two calibrations each{rule}"
        )
    try:
        result = irt_dif(
            data.scores,
            labels[keep],
            item_ids=data.item_ids,
            model=model,
            poly_model=poly_model,
            reference=reference,
            items=studied,
            anchors=anchor_list,
            purify=purify,
            max_rounds=max_rounds,
            wald=wald,
            alpha=alpha,
            cut=cut,
            threads=threads_from_context(),
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    several = len(result.focal_groups) > 1
    header = ["item_id", "G2", "df", "p", "wald", "wald_p", "signed", "unsigned"]
    if several:
        for f in result.focal_groups:
            header += [f"signed[{f}]", f"unsigned[{f}]", f"wald_p[{f}]"]
    if cut is not None:
        header += [f"at_cut[{f}]" for f in result.focal_groups] if several else ["at_cut"]
    header.append("flagged")
    rows = []
    for r in result.items:
        row = [r.item_id, r.g2, r.df, r.p, r.wald, r.wald_p, r.signed, r.unsigned]
        if several:
            for g in r.by_group:
                row += [g.signed, g.unsigned, g.wald_p]
        if cut is not None:
            row += [g.at_cut for g in r.by_group]
        rows.append((*row, int(r.flagged)))
    if out is not None:
        write_output_text(out, csv_text(header, rows), inputs=inputs, field="--out")
    if as_json:
        echo_json(result.to_dict())
        return
    base = result.baseline
    dists = "; ".join(
        f"{g} mean {m:.3f}, SD {s:.3f}"
        for g, m, s in zip(base.groups[1:], base.latent_means[1:], base.latent_sds[1:], strict=True)
    )
    click.echo(
        f"IRT DIF ({model}, {poly_model} for polytomous items; logistic, D = 1): focal "
        f"{result.focal} vs reference {result.reference}; {dists}"
    )
    click.echo(f"{result.method}; anchors: {_shown(result.anchors)}")
    if result.purification:
        rounds = " -> ".join("{" + ", ".join(s) + "}" for s in result.purification)
        click.echo(f"purification, flagged per round: {rounds}")
    click.echo(text_table(header, [(*r[:-1], "yes" if r[-1] else "") for r in rows]))
    flagged = [r.item_id for r in result.items if r.flagged]
    click.echo(f"flagged at p < {alpha:g}: {', '.join(flagged) or 'none'}")
    for d in result.dtf:
        click.echo(
            f"DTF vs {d.group} (expected score, reference minus focal): signed {d.signed:.3f}, "
            f"unsigned {d.unsigned:.3f}"
            + (f"; at theta {cut:g}: {d.at_cut:.3f}" if cut is not None else "")
        )


def _item_list(text: str | None, item_ids, option: str) -> list[str] | None:
    if not text:
        return None
    chosen = [i.strip() for i in text.split(",") if i.strip()]
    unknown = [i for i in chosen if i not in item_ids]
    if unknown:
        raise InputError(f"not in the responses: {', '.join(unknown[:5])}", field=option)
    return chosen


def _shown(ids, limit: int = 12) -> str:
    if not ids:
        return "none"
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more
