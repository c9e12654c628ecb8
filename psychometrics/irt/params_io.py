"""Reading and writing item parameter files (PARAMS.csv).

Columns: ``item_id, model, a, b, c, se_a, se_b, se_c`` for dichotomous items; graded and partial-
credit items carry ``b1, b2, ...`` and ``se_b1, se_b2, ...`` in place of ``b`` and ``se_b``. Blank
cells are missing values. Every number is in the logistic metric (D = 1).

Nominal-response items (``model = nominal``) also carry their scoring functions ``ak0, ak1, ...``
(and ``se_ak0, ...``); their ``b_k`` are ``-d_k / a`` in mirt's form ``P(X = k)`` proportional to
``exp(a ak_k theta + d_k)`` (``d_0 = 0``). Bock's slopes and intercepts are ``a_k = a ak_k`` and
``c_k = -a b_k``; see :func:`psychometrics.irt.models.nominal_parameters`. An ``options``
column (``A;C;D;B``) names the option letter of each category, in code order, when the
categories are the options of a multiple-choice item.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np

from psychometrics.errors import InputError
from psychometrics.fileio import (
    atomic_write_text,
    csv_plain_cell,
    csv_rows,
    read_user_text,
    safe_csv_writer,
)
from psychometrics.irt.models import DICHOTOMOUS_MODELS, MODELS, ItemParameters

REQUIRED_COLUMNS = ("item_id", "model", "a")
MAX_PARAMS_BYTES = 64 * 1024**2
MAX_SLOPE = 100.0
"""Largest slope a accepted: a calibration never gives more; larger values are typos (1e308)."""
MAX_ABS_LOCATION = 100.0
"""Largest |b| (logits) accepted: far beyond any ability scale (the bank itself keeps [-6, 6])."""


def params_to_csv(params: ItemParameters) -> str:
    """Render parameters as PARAMS.csv text."""
    max_steps = int(np.max(params.n_categories - 1, initial=1))
    poly = not all(params.is_dichotomous)
    header = ["item_id", "model", "a", "b", "c", "se_a", "se_b", "se_c"]
    if poly:
        header += [f"b{k}" for k in range(1, max_steps + 1)]
        header += [f"se_b{k}" for k in range(1, max_steps + 1)]
    nominal = "nominal" in params.model
    if nominal:
        header += [f"ak{k}" for k in range(max_steps + 1)]
        header += [f"se_ak{k}" for k in range(max_steps + 1)]
    if any(params.options):
        header.append("options")
    buf = io.StringIO()
    writer = safe_csv_writer(buf)
    writer.writerow(header)
    for j, item in enumerate(params.item_ids):
        dich = params.model[j] in DICHOTOMOUS_MODELS
        row = {
            "item_id": item,
            "model": params.model[j],
            "a": _fmt(params.a[j]),
            "c": _fmt(params.c[j]),
            "se_a": _fmt(params.se_a[j]),
            "se_c": _fmt(params.se_c[j]),
        }
        if dich:
            row["b"] = _fmt(params.b[j, 0])
            row["se_b"] = _fmt(params.se_b[j, 0])
        else:
            for k in range(int(params.n_categories[j]) - 1):
                row[f"b{k + 1}"] = _fmt(params.b[j, k])
                row[f"se_b{k + 1}"] = _fmt(params.se_b[j, k])
        if params.model[j] == "nominal":
            for k in range(int(params.n_categories[j])):
                row[f"ak{k}"] = _fmt(params.ak[j, k])
                row[f"se_ak{k}"] = _fmt(params.se_ak[j, k])
        if params.options[j]:
            row["options"] = ";".join(params.options[j])
        writer.writerow([row.get(col, "") for col in header])
    return buf.getvalue()


def write_params(path: str | os.PathLike[str], params: ItemParameters) -> None:
    """Write PARAMS.csv atomically."""
    atomic_write_text(path, params_to_csv(params))


def read_params(path: str | os.PathLike[str]) -> ItemParameters:
    """Read a PARAMS.csv file.

    Raises
    ------
    InputError
        Naming the line and column of the first problem: unknown model, a number that does not
        parse, missing thresholds, duplicate item ids.
    """
    path = Path(path)
    table = csv_rows(read_user_text(path, max_bytes=MAX_PARAMS_BYTES), path)
    header = [h.strip() for h in table[0]] if table else []
    # (row as a mapping, its line in the file); blank rows are skipped but keep the numbering
    numbered = [
        (dict(zip(header, row, strict=False)), lineno)
        for lineno, row in enumerate(table[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    rows = [row for row, _ in numbered]
    for col in REQUIRED_COLUMNS:
        if col not in header:
            raise InputError(f"missing column '{col}'", file=path, line=1, field=col)
    if not rows:
        raise InputError("no items", file=path)
    steps = [int(h[1:]) for h in header if h.startswith("b") and h[1:].isdigit()]
    width = max([1, *steps])
    ids, models = [], []
    a = np.full(len(rows), np.nan)
    c = np.zeros(len(rows))
    b = np.full((len(rows), width), np.nan)
    se_a, se_c = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
    se_b = np.full((len(rows), width), np.nan)
    ak = np.full((len(rows), width + 1), np.nan)
    se_ak = np.full((len(rows), width + 1), np.nan)
    seen: dict[str, int] = {}
    options: list[tuple[str, ...]] = []
    for j, (row, line) in enumerate(numbered):
        item = csv_plain_cell((row.get("item_id") or "").strip())
        if not item:
            raise InputError("empty item_id", file=path, line=line, field="item_id")
        if item in seen:
            raise InputError(
                f"duplicate item '{item}' (first on line {seen[item]})",
                file=path,
                line=line,
                field="item_id",
            )
        seen[item] = line
        model = (row.get("model") or "").strip().lower()
        if model not in MODELS:
            raise InputError(
                f"unknown model '{model}' (known: {', '.join(MODELS)})",
                file=path,
                line=line,
                field="model",
            )
        ids.append(item)
        models.append(model)
        options.append(tuple(o.strip() for o in (row.get("options") or "").split(";") if o.strip()))

        def num(col, *, required=False, location=False, se=False, _row=row, _line=line, _item=item):
            value = _number(_row.get(col), path, _line, col, required=required)
            if location and abs(value) > MAX_ABS_LOCATION:
                raise InputError(
                    f"item '{_item}': {value:g} is outside "
                    f"[-{MAX_ABS_LOCATION:g}, {MAX_ABS_LOCATION:g}]",
                    file=path,
                    line=_line,
                    field=col,
                )
            if se and value < 0:
                raise InputError(
                    f"item '{_item}': a standard error is >= 0, got {value:g}",
                    file=path,
                    line=_line,
                    field=col,
                )
            return value

        a[j] = (
            1.0
            if model in ("rasch", "pcm") and not (row.get("a") or "").strip()
            else num("a", required=True)
        )
        if not 0 < a[j] <= MAX_SLOPE:
            raise InputError(
                f"item '{item}': slope must be in (0, {MAX_SLOPE:g}], got {a[j]:g}",
                file=path,
                line=line,
                field="a",
            )
        se_a[j] = num("se_a", se=True)
        if model in DICHOTOMOUS_MODELS:
            b[j, 0] = num("b", required=True, location=True)
            se_b[j, 0] = num("se_b", se=True)
            cval = num("c")
            c[j] = 0.0 if math.isnan(cval) else cval
            se_c[j] = num("se_c", se=True)
            if not 0.0 <= c[j] < 1.0:
                raise InputError(
                    f"item '{item}': c must be in [0, 1), got {c[j]:g}",
                    file=path,
                    line=line,
                    field="c",
                )
            if model != "3pl" and c[j] != 0.0:
                raise InputError(
                    f"item '{item}': a {model} item has no lower asymptote: c must be 0 or "
                    f"blank, got {c[j]:g}",
                    file=path,
                    line=line,
                    field="c",
                )
        else:
            values = [num(f"b{k}", location=True) for k in range(1, width + 1)]
            present = [not math.isnan(v) for v in values]
            k_last = max((k for k, p in enumerate(present) if p), default=-1)
            if k_last < 0 or not all(present[: k_last + 1]):
                raise InputError(
                    f"a {model} item needs thresholds b1, b2, ... without gaps",
                    file=path,
                    line=line,
                    field="b1",
                )
            b[j, : k_last + 1] = values[: k_last + 1]
            se_b[j, : k_last + 1] = [num(f"se_b{k}", se=True) for k in range(1, k_last + 2)]
            if model == "nominal":
                for k in range(k_last + 2):
                    if f"ak{k}" not in header:
                        raise InputError(
                            f"missing column 'ak{k}' (a nominal item with {k_last + 2} "
                            "categories needs scoring functions ak0 .. "
                            f"ak{k_last + 1})",
                            file=path,
                            line=1,
                            field=f"ak{k}",
                        )
                    ak[j, k] = num(f"ak{k}", required=True, location=True)
                    se_ak[j, k] = num(f"se_ak{k}", se=True)
            if model == "grm":
                # the graded model's category boundaries are ordered by definition (Samejima
                # 1969); partial-credit step parameters may legitimately be reversed
                for k in range(k_last):
                    if not values[k] < values[k + 1]:
                        raise InputError(
                            f"item '{item}': graded-response thresholds must increase: "
                            f"b{k + 1} = "
                            f"{values[k]:g} is not below b{k + 2} = {values[k + 1]:g}",
                            file=path,
                            line=line,
                            field=f"b{k + 2}",
                        )
    return ItemParameters(
        item_ids=tuple(ids),
        model=tuple(models),
        a=a,
        b=b,
        c=c,
        se_a=se_a,
        se_b=se_b,
        se_c=se_c,
        ak=ak if "nominal" in models else None,
        se_ak=se_ak if "nominal" in models else None,
        options=tuple(options),
    )


def _number(value, path, line, col, *, required):
    text = (value or "").strip()
    if not text:
        if required:
            raise InputError("missing value", file=path, line=line, field=col)
        return math.nan
    try:
        out = float(text)
    except ValueError:
        raise InputError(f"'{text}' is not a number", file=path, line=line, field=col) from None
    if not math.isfinite(out):
        raise InputError(f"'{text}' is not a finite number", file=path, line=line, field=col)
    return out


def _fmt(x: float) -> str:
    return "" if x is None or not np.isfinite(x) else f"{x:.6g}"
