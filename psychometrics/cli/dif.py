"""``credkit dif``: IRT-based DIF (likelihood-ratio and Wald tests on a two-group calibration).

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
@click.option("--focal", required=True, help="Focal group value.")
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
@click.option("--alpha", type=float, default=0.05, show_default=True, help="Flag p below this.")
@click.option("--cut", type=float, help="Theta cut: the test-score difference (DTF) there.")
@click.option("--out", type=FILE, help="Write the item table (CSV).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON only.")
@threads_option
def dif_command(
    responses: Path,
    group_col: str,
    focal: str,
    reference: str,
    model: str,
    poly_model: str,
    items: str | None,
    alpha: float,
    cut: float | None,
    out: Path | None,
    as_json: bool,
    **opts,
) -> None:
    """IRT DIF: likelihood-ratio and Wald tests of each item between two groups.

    A two-group calibration (reference N(0, 1), focal mean and SD estimated) holds every item
    invariant; each studied item is then freed in the focal group, and the likelihood-ratio G2
    (Thissen, Steinberg & Wainer, 1993) and a Wald test of equal parameters say whether it
    functions differently. Effect sizes are expected-score differences (reference minus focal)
    averaged over the focal group. Use --form to test one published form's items.
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
    for value, option in ((focal, "--focal"), (reference, "--reference")):
        if not (labels == value).any():
            seen = ", ".join(sorted(set(labels.tolist()))[:8])
            raise InputError(
                f"{option} {value!r}: no person has it (the column holds: {seen})",
                file=responses,
                field=group_col,
            )
    keep = (labels == focal) | (labels == reference)
    data = data.select_persons(keep)
    studied = None
    if items:
        studied = [i.strip() for i in items.split(",") if i.strip()]
        unknown = [i for i in studied if i not in data.item_ids]
        if unknown:
            raise InputError(f"not in the responses: {', '.join(unknown[:5])}", field="--items")
    if not as_json:
        n = len(studied) if studied else data.n_items
        progress(f"dif: {data.n_persons} persons, {n} item(s) to test, one calibration each")
    try:
        result = irt_dif(
            data.scores,
            labels[keep],
            item_ids=data.item_ids,
            model=model,
            poly_model=poly_model,
            reference=reference,
            items=studied,
            alpha=alpha,
            cut=cut,
            threads=threads_from_context(),
        )
    except ValueError as exc:
        raise UserError(str(exc)) from None
    rows = [
        (r.item_id, r.g2, r.df, r.p, r.wald, r.wald_p, r.signed, r.unsigned, int(r.flagged))
        for r in result.items
    ]
    header = ("item_id", "G2", "df", "p", "wald", "wald_p", "signed", "unsigned", "flagged")
    if out is not None:
        write_output_text(out, csv_text(header, rows), inputs=inputs, field="--out")
    if as_json:
        echo_json(result.to_dict())
        return
    click.echo(
        f"IRT DIF ({model}, {poly_model} for polytomous items; logistic, D = 1): focal "
        f"{result.focal} vs reference {result.reference}; focal mean "
        f"{result.baseline.latent_means[1]:.3f}, SD {result.baseline.latent_sds[1]:.3f}"
    )
    click.echo(text_table(header, [(*r[:-1], "yes" if r[-1] else "") for r in rows]))
    flagged = [r.item_id for r in result.items if r.flagged]
    click.echo(
        f"flagged at p < {alpha:g}: {', '.join(flagged) or 'none'}; DTF (signed, expected "
        f"score) {result.dtf_signed:.3f}"
        + (f"; at theta {cut:g}: {result.dtf_at_cut:.3f}" if cut is not None else "")
    )
