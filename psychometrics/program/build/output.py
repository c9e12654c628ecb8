"""Stage 6 of the build: the report folder, written beside the old one and swapped in whole."""

from __future__ import annotations

import glob
import json
import math
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from psychometrics.bank.journal import bank_lock
from psychometrics.errors import InputError
from psychometrics.fileio import check_can_write_in, make_temporary_dir

REPORT_MARKERS = ("index.html", "manifest.json")


def safe_name(text: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)
    return keep.strip(".") or "form"


def default_out_dir(spec_path: Path, credential_id: str) -> Path:
    """``reports/<credential-id>`` next to the ``specs/`` folder holding the spec, else in cwd."""
    spec_dir = spec_path.resolve().parent
    root = spec_dir.parent if spec_dir.name == "specs" else Path.cwd()
    return root / "reports" / safe_name(credential_id)


def check_out_dir(out_dir: Path) -> None:
    """Refuse anything but an empty folder or an earlier credkit report, or an unwritable place."""
    if out_dir.exists() or out_dir.is_symlink():
        if out_dir.is_symlink() or not out_dir.is_dir():
            raise InputError(
                "exists and is not a report folder; choose another --out", file=out_dir
            )
        entries = {p.name for p in out_dir.iterdir()}
        if entries and not all(m in entries for m in REPORT_MARKERS):
            raise InputError(
                "exists and is not a credkit report (no index.html and manifest.json); credkit "
                "build replaces only its own report folders: choose another --out",
                file=out_dir,
            )
    check_can_write_in(out_dir, field="--out")


def _form_documents(state) -> dict[str, dict[str, Any]]:
    docs = {}
    for fid, form in state.published_forms.items():
        doc = form.to_dict()
        doc["report_status"] = "proposal, not administered" if state.proposal else "published"
        if state.cut is not None:
            doc["theta_cut"] = float(state.cut.theta_cut)
            doc["raw_cut"] = float(state.cut.raw_cuts[fid])
        docs[fid] = doc
    return docs


def write_report_folder(
    state, report, html: str, out_dir: Path, *, extra: Mapping[str, bytes] | None = None
) -> None:
    """Write the report folder under the folder's lock (one build at a time swaps it), after
    undoing what a killed build left there (:func:`recover_report_dir`). ``extra`` maps more
    file names to their bytes (``report.pdf``)."""
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", file=out_dir) from None
    with bank_lock(out_dir.parent):  # the lock file is .credkit.lock beside the report
        recover_report_dir(out_dir)
        _write_report_folder(state, report, html, out_dir, extra=extra or {})


def _write_report_folder(
    state, report, html: str, out_dir: Path, *, extra: Mapping[str, bytes]
) -> None:
    """Write index.html, forms/, params.csv, items.csv, inputs.csv and manifest.json, then swap
    them in.

    Everything goes into a new folder beside ``out_dir`` first; the old report is replaced only
    when the new one is complete, so a failure leaves it as it was.
    """
    import yaml

    from psychometrics.irt.params_io import params_to_csv
    from psychometrics.report.collect import inputs_csv, items_csv

    try:
        tmp = make_temporary_dir(out_dir.parent, prefix=f".{out_dir.name}.tmp-")
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", file=out_dir) from None
    try:
        (tmp / "index.html").write_text(html, encoding="utf-8")
        for name, data in extra.items():
            (tmp / name).write_bytes(data)
        forms_dir = tmp / "forms"
        forms_dir.mkdir()
        for fid, doc in _form_documents(state).items():
            (forms_dir / f"{safe_name(fid)}.yaml").write_text(
                yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100),
                encoding="utf-8",
            )
        if state.params is not None:
            (tmp / "params.csv").write_text(params_to_csv(state.params), encoding="utf-8")
        (tmp / "items.csv").write_text(items_csv(report.items), encoding="utf-8")
        (tmp / "inputs.csv").write_text(inputs_csv(report.manifest), encoding="utf-8")
        (tmp / "manifest.json").write_text(
            json.dumps(report.manifest.to_dict(), indent=2, default=str) + "\n", encoding="utf-8"
        )
        decision = decision_record(state)
        if decision is not None:
            (tmp / DECISION_FILE).write_text(json.dumps(decision, indent=2) + "\n", "utf-8")
        _swap_in(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"cannot write the report: {exc.strerror or exc}", file=out_dir) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


DECISION_FILE = "decision.json"
DECISION_FORMAT = "credkit-decision/1"


def decision_record(state) -> dict | None:
    """The cut as later steps read it (the badge's required scale score): the theta cut, the
    effective reporting-scale cut (what the lowest passing candidate is reported), the pass
    rule and each form's raw cut. None when the build set no cut."""
    from psychometrics.program.build.scores import rounded_scale_cut

    cut = state.cut
    if cut is None:
        return None
    spec = state.spec
    scale = getattr(cut, "scale", None)
    scale_cut = None
    if scale is not None and math.isfinite(float(cut.scale_cut)):
        scale_cut = rounded_scale_cut(scale, float(cut.scale_cut))
    return {
        "format": DECISION_FORMAT,
        "credential": spec.credential.id,
        "administration": getattr(state.administration, "id", None),
        "method": spec.cut_score.method if spec.cut_score is not None else None,
        "pass_rule": spec.cut_score.pass_rule if spec.cut_score is not None else "raw",
        "theta_cut": float(cut.theta_cut),
        "scale_cut": scale_cut,
        "raw_cuts": {fid: float(v) for fid, v in cut.raw_cuts.items()},
    }


def _swap_in(tmp: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``tmp`` with two renames (old report aside, new one in).

    A process killed between them leaves the old report in ``.<name>.old-*/previous`` and no
    ``out_dir``; :func:`recover_report_dir` (run before every swap) puts it back.
    """
    old = None
    if out_dir.exists():
        old = make_temporary_dir(out_dir.parent, prefix=f".{out_dir.name}.old-")
        os.replace(out_dir, old / "previous")
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old / "previous", out_dir)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def recover_report_dir(out_dir: Path) -> list[str]:
    """Undo what a build killed while writing ``out_dir`` left behind; return what was done.

    When ``out_dir`` is missing and an earlier swap moved the old report aside
    (``.<name>.old-*/previous``), the old report is put back. Then every leftover
    ``.<name>.tmp-*`` (an unfinished new report) and ``.<name>.old-*`` folder is removed.
    The caller holds the folder's lock, so no other build is using them.
    """
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    actions: list[str] = []
    olds = sorted(parent.glob(f".{glob.escape(out_dir.name)}.old-*"))
    if not out_dir.exists() and not out_dir.is_symlink():
        saved = [o / "previous" for o in olds if (o / "previous").is_dir()]
        if saved:
            newest = max(saved, key=lambda p: p.stat().st_mtime_ns)
            os.replace(newest, out_dir)
            actions.append(f"restored the previous report from {newest.parent.name}")
    leftovers = sorted(parent.glob(f".{glob.escape(out_dir.name)}.tmp-*")) + olds
    for folder in leftovers:
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder, ignore_errors=True)
            actions.append(f"removed {folder.name}")
    return actions
