"""The inputs that every command reading items or responses takes, defined once.

* ``--bank DIR``: keys, outcomes and IRT parameters from the item bank's files;
* ``--params PARAMS.csv``: IRT parameters from a file instead (a calibration's output);
* ``--form FORM.yaml``: only the scored items of a published form, in delivery order, and only
  the candidates who took it;
* ``--key KEY.csv``: option-letter keys without a bank;
* the response-file options: ``--ignore``, ``--omit-code``, ``--omit-as-missing``, ``--long`` and
  ``--form-column``.

A command states what it needs (parameters, keys, responses); :func:`load_items` resolves the
options into one :class:`Items` record and :func:`read_item_responses` reads a response file
against it, so that every command accepts the same inputs and says the same things about them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from psychometrics.cli._common import UserError
from psychometrics.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from psychometrics.irt.models import ItemParameters
    from psychometrics.responses import ItemKey, ResponseMatrix

FILE = click.Path(dir_okay=False, path_type=Path)
DIR = click.Path(file_okay=False, path_type=Path)
FORM_COLUMN = "form"


def item_options(*, responses: bool, params: bool = True) -> Callable[[Callable], Callable]:
    """Add ``--bank``, ``--params`` and ``--form`` (and, for commands that read a response file,
    ``--key`` and the response-file options) to a command; ``params=False`` leaves out
    ``--params`` for a command that uses no IRT parameters."""
    options = [
        click.option(
            "--bank",
            "bank_dir",
            type=DIR,
            help="Item bank: keys, outcomes and IRT parameters from its item files.",
        ),
        click.option(
            "--params",
            "params_path",
            type=FILE,
            help="PARAMS.csv with the items' IRT parameters (instead of the bank's).",
        ),
        click.option(
            "--form",
            "form_path",
            type=FILE,
            help="A published form (FORM.yaml): only its scored items"
            + (", and the candidates who took it." if responses else "."),
        ),
    ]
    if not params:
        options.pop(1)
    if responses:
        options += [
            click.option(
                "--key",
                "key_file",
                type=FILE,
                help="KEY.csv (item_id,key[,options][,max_score]) for option letters without "
                "a bank.",
            ),
            click.option(
                "--ignore", multiple=True, help="A column that is not an item (repeatable)."
            ),
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
            click.option(
                "--form-column",
                help="Column naming the form each person took (default: 'form' when the file "
                "has one).",
            ),
        ]

    def decorate(func: Callable) -> Callable:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@dataclass(frozen=True)
class Items:
    """What a command's item options resolved to.

    Attributes
    ----------
    label : str
        The published form's id, the form file's stem, or ``"all"``.
    item_ids : tuple of str or None
        The form's scored items in delivery order; ``None`` when no form restricts the items.
    params : ItemParameters or None
        IRT parameters (of ``item_ids`` when given), from ``--params`` or the bank.
    key : dict or None
        Scoring keys from ``--key`` or the bank.
    outcomes : dict or None
        Item id -> outcome, from the bank.
    form_id : str or None
        The id of the published form given with ``--form``.
    bank_dir : Path or None
        The bank the keys (and, without ``--params``, the parameters) came from.
    params_source : str or None
        Where the parameters came from: the parameter file's path or ``"bank"``.
    inputs : tuple of Path
        The files and folders read, for output-path checks.
    """

    label: str
    item_ids: tuple[str, ...] | None
    params: ItemParameters | None
    key: Mapping[str, ItemKey] | None
    outcomes: Mapping[str, str] | None
    form_id: str | None
    bank_dir: Path | None
    params_source: str | None
    inputs: tuple[Path, ...]


def load_items(
    *,
    bank_dir: Path | None = None,
    params_path: Path | None = None,
    form_path: Path | None = None,
    key_file: Path | None = None,
    need_params: bool,
) -> Items:
    """Resolve the item options of a command into :class:`Items`.

    Raises
    ------
    UserError
        When parameters are needed and neither ``--params`` nor ``--bank`` is given, or when
        ``--bank`` and ``--key`` are both given.
    InputError
        Naming the file and field of any problem in the bank, the parameter file or the form.
    """
    if bank_dir is not None and key_file is not None:
        raise UserError("give either --bank or --key, not both (the bank has the keys)")
    if need_params and bank_dir is None and params_path is None:
        raise UserError("give --params PARAMS.csv or --bank DIR for the items' IRT parameters")
    item_ids: tuple[str, ...] | None = None
    form_id = None
    label = "all"
    if form_path is not None:
        item_ids, form_id = _form_items(form_path)
        label = form_id or form_path.stem
    bank = None
    if bank_dir is not None:
        from psychometrics.bank import load_bank

        bank = load_bank(bank_dir)
        if len(bank) == 0:
            raise InputError(
                "no item files found (is this an item bank?)", file=bank_dir, field="--bank"
            )
    params = None
    if params_path is not None:
        params = _restrict(read_params_file(params_path), item_ids, params_path, form_path)
    elif bank is not None and need_params:
        params = _bank_params(bank, item_ids, form_path)
    key = outcomes = None
    if bank is not None:
        from psychometrics.bank import bank_keys

        key = bank_keys(bank)
        outcomes = {item.id: item.outcome for item in bank if getattr(item, "outcome", None)}
    elif key_file is not None:
        from psychometrics.responses import read_key_csv

        key = read_key_csv(key_file)
    inputs = tuple(p for p in (bank_dir, params_path, form_path, key_file) if p is not None)
    params_source = None if params is None else str(params_path or "bank")
    return Items(
        label, item_ids, params, key, outcomes or None, form_id, bank_dir, params_source, inputs
    )


def items_from_options(options: Mapping[str, Any], *, need_params: bool) -> Items:
    """:func:`load_items` from a command's keyword arguments (as :func:`item_options` names
    them)."""
    return load_items(
        bank_dir=options.get("bank_dir"),
        params_path=options.get("params_path"),
        form_path=options.get("form_path"),
        key_file=options.get("key_file"),
        need_params=need_params,
    )


def responses_from_options(
    path: Path, items: Items, options: Mapping[str, Any], *, group: Sequence[str] = ()
) -> tuple[ResponseMatrix, np.ndarray | None]:
    """:func:`read_item_responses` with a command's response-file options."""
    return read_item_responses(
        path,
        items,
        ignore=tuple(options.get("ignore") or ()),
        group=group,
        omit_code=options.get("omit_code", "*"),
        omit_as_missing=bool(options.get("omit_as_missing")),
        long_format=bool(options.get("long_format")),
        form_column=options.get("form_column"),
    )


def read_params_file(path: Path) -> ItemParameters:
    """:func:`~psychometrics.irt.params_io.read_params`, with a row the csv module cannot parse
    as one :class:`InputError` naming the file."""
    from psychometrics.irt.params_io import read_params

    try:
        return read_params(path)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=path) from None


def _form_items(path: Path) -> tuple[tuple[str, ...], str | None]:
    """A published or proposed credkit form (its scored items and id), or any YAML file with an
    ``items:`` list of ids or of mappings with ``id`` (no form id)."""
    from psychometrics.bank.yamlio import read_yaml_file
    from psychometrics.program.forms import FORM_FORMAT, read_form

    data = read_yaml_file(path)[0]
    if isinstance(data, dict) and data.get("format") == FORM_FORMAT:
        form = read_form(path)
        return form.item_ids, form.form_id
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InputError("expected a non-empty 'items:' list", file=path, field="items")
    out: list[str] = []
    for k, entry in enumerate(items):
        item = entry.get("id") if isinstance(entry, dict) else entry
        if not isinstance(item, str | int) or not str(item).strip():
            raise InputError(
                "each entry needs an item id (a string or a mapping with 'id')",
                file=path,
                field=f"items[{k}]",
            )
        out.append(str(item).strip())
    if len(set(out)) != len(out):
        raise InputError("duplicate item ids", file=path, field="items")
    return tuple(out), None


def _restrict(
    params: ItemParameters,
    item_ids: tuple[str, ...] | None,
    params_path: Path,
    form_path: Path | None,
) -> ItemParameters:
    if item_ids is None:
        return params
    missing = [i for i in item_ids if i not in params]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InputError(
            f"form items not in {params_path.name}: {', '.join(missing[:5])}{more}",
            file=form_path,
            field="items",
        )
    return params.subset(list(item_ids))


def _bank_params(bank: Any, item_ids: tuple[str, ...] | None, form_path: Path | None):
    from psychometrics.bank import bank_parameters

    if item_ids is not None:
        missing = [i for i in item_ids if bank.get(i) is None]
        if missing:
            raise InputError(
                f"form items not in the bank: {', '.join(missing[:5])}",
                file=form_path,
                field="items",
            )
        return bank_parameters(bank, item_ids=item_ids)
    params = bank_parameters(bank)
    if params.n_items == 0:
        raise InputError("no item in the bank has IRT parameters", file=bank.items_dir)
    return params


def read_item_responses(
    path: Path,
    items: Items,
    *,
    ignore: Sequence[str] = (),
    group: Sequence[str] = (),
    omit_code: str = "*",
    omit_as_missing: bool = False,
    long_format: bool = False,
    form_column: str | None = None,
) -> tuple[ResponseMatrix, np.ndarray | None]:
    """Read and score a response file against ``items``.

    With a form (``items.item_ids``), the file's other columns (other forms' items, group and
    form columns) are left out, and only the persons who took the form are kept: those whose form
    column names it, or, without a form column, those presented any of its items. The form
    column is ``form_column``, or ``form`` when the file has one.

    Returns
    -------
    (ResponseMatrix, ndarray or None)
        The scored responses (the form's items in delivery order), and the form each person
        took, from the form column (``None`` when the file has none).
    """
    from psychometrics.responses import read_responses

    header = [] if long_format else _header(path)
    column = _form_column(header, form_column, items, path, long_format)
    skip = list(ignore)
    for name in (*group, *skip):
        if header and name not in header:
            raise InputError(f"column '{name}' is not in the header", file=path, line=1, field=name)
    if items.item_ids is not None and not long_format:
        wanted = set(items.item_ids) | set(group) | {column}
        skip += [h for h in header[1:] if h not in wanted and h not in skip]
    elif items.key is not None and not long_format:
        known = set(items.key) | set(group) | set(skip) | {column}
        unknown = [h for h in header[1:] if h not in known]
        if unknown:
            source = "the bank" if items.bank_dir is not None else "the key"
            raise InputError(
                f"column '{unknown[0]}' is not an item of {source} (leave it out with "
                f"--ignore {unknown[0]}, or give --form FORM.yaml to read one form's items)",
                file=path,
                line=1,
                field=unknown[0],
            )
    try:
        data = read_responses(
            path,
            group=[g for g in dict.fromkeys([*group, column]) if g],
            ignore=skip,
            key=items.key,
            omit_code=omit_code,
            omit_as_wrong=not omit_as_missing,
            long=long_format,
        )
    except InputError as exc:
        if items.key is None and "is not an integer score" in exc.message:
            raise InputError(
                exc.message + "; option letters are scored against keys: give --bank DIR "
                "(with --params, the bank gives the keys) or --key KEY.csv",
                file=exc.file,
                line=exc.line,
                field=exc.field,
            ) from None
        raise
    forms = data.forms if long_format else (data.groups.get(column) if column else None)
    if items.item_ids is not None:
        took = _form_persons(data, items, forms, path, column)
        data = data.select_items(list(items.item_ids)).select_persons(took)
        forms = None if forms is None else forms[took]
    if data.n_persons == 0:
        raise InputError("no persons (only a header)", file=path)
    if items.params is not None and items.key is not None and "nominal" in items.params.model:
        from psychometrics.irt.options import nominal_responses

        try:  # nominal items are scored from the option chosen, not right/wrong
            data = nominal_responses(data, items.key, items.params)
        except ValueError as exc:
            raise InputError(str(exc), file=path) from None
    if items.params is not None:
        _check_against_params(data, items.params, path, long_format)
    return data, forms


def _header(path: Path) -> list[str]:
    from psychometrics.fileio import read_csv_header

    return read_csv_header(path)


def _form_column(
    header: list[str], form_column: str | None, items: Items, path: Path, long_format: bool
) -> str | None:
    if long_format:
        if form_column not in (None, FORM_COLUMN):
            raise UserError("--form-column: long files name the form in their 'form' column")
        return None
    if form_column is not None:
        if form_column not in header[1:]:
            raise InputError(
                f"column '{form_column}' is not in the header", file=path, line=1, field=form_column
            )
        return form_column
    known_item = (items.key is not None and FORM_COLUMN in items.key) or (
        items.item_ids is not None and FORM_COLUMN in items.item_ids
    )
    return FORM_COLUMN if FORM_COLUMN in header[1:] and not known_item else None


def _form_persons(
    data: ResponseMatrix, items: Items, forms: Any, path: Path, column: str | None
) -> np.ndarray:
    """Which persons took the form: by the form column, or by being presented its items."""
    assert items.item_ids is not None
    missing = [i for i in items.item_ids if i not in data.item_ids]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InputError(
            f"form {items.label}'s item '{missing[0]}'{more} is not in the responses",
            file=path,
            line=1,
        )
    if forms is not None and items.form_id is not None:
        took = forms == items.form_id
        if not took.any():
            seen = ", ".join(sorted(set(forms.tolist()) - {""})[:5]) or "none"
            raise InputError(
                f"no person took form '{items.form_id}' (the {column or 'form'} column names: "
                f"{seen})",
                file=path,
                field=column or "form",
            )
        return took
    return data.select_items(list(items.item_ids)).presented.any(axis=1)


def _check_against_params(
    data: ResponseMatrix, params: ItemParameters, path: Path, long_format: bool
) -> None:
    import numpy as np

    missing = [i for i in data.item_ids if i not in params]
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise InputError(
            f"item '{missing[0]}'{more} has no IRT parameters (give --params, or --form to "
            "restrict the items, or --ignore the column)",
            file=path,
            line=1,
            field=missing[0],
        )
    too_high = data.scores > (params.subset(list(data.item_ids)).n_categories - 1)[None, :]
    if np.any(too_high):
        i, j = (int(v[0]) for v in np.nonzero(too_high))
        item = data.item_ids[j]
        raise InputError(
            f"score {data.scores[i, j]} is above the item's highest category "
            f"({int(params.n_categories[params.index(item)]) - 1})",
            file=path,
            line=None if long_format else i + 2,
            field=item,
        )


def split_by_form(
    data: ResponseMatrix, forms: np.ndarray | None, items: Items
) -> list[tuple[str, ResponseMatrix]]:
    """The responses of each form, for analyses that need every item presented to every person
    (S-X2, M2, polychoric correlations): one part per form named in the form column, each with
    the items its persons were presented. One part when a form is given or the file names none.
    """
    if items.item_ids is not None or forms is None:
        return [(items.label, data)]
    labels = sorted(set(forms.tolist()) - {""})
    if len(labels) < 2:
        return [(labels[0] if labels else items.label, data)]
    parts = []
    for label in labels:
        part = data.select_persons(forms == label)
        shown = part.presented.any(axis=0)
        parts.append(
            (label, part.select_items([i for i, s in zip(part.item_ids, shown, strict=True) if s]))
        )
    return parts
