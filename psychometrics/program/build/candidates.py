"""The candidates' outputs of the build: a printable score report per candidate and
``results.csv``, written into a folder OUTSIDE the validity report (candidate ids are not published
there), default ``reports/<credential-id>-candidates/``, swapped in whole.

``results.csv`` has the columns :data:`~psychometrics.program.build.scores.RESULTS_COLUMNS` in that
order; the badge issuer reads it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from psychometrics.errors import InputError
from psychometrics.fileio import check_can_write_in, make_temporary_dir
from psychometrics.program.build.output import _swap_in, safe_name

CANDIDATE_MARKERS = ("results.csv",)


def default_candidates_dir(out_dir: Path) -> Path:
    """``<report folder>-candidates`` beside the report folder (candidate ids stay out of it)."""
    return out_dir.parent / f"{out_dir.name}-candidates"


def check_candidates_dir(folder: Path, out_dir: Path) -> None:
    """Refuse a candidates folder inside (or equal to) the report folder, a folder that is not
    an earlier candidates folder, or an unwritable place."""
    a, b = folder.resolve(), out_dir.resolve()
    if a == b or b in a.parents or a in b.parents:
        raise InputError(
            "the candidate score reports must not be inside the validity report folder (or hold "
            "it): candidate ids are not published there; choose another --candidates-out",
            file=folder,
        )
    if folder.exists() or folder.is_symlink():
        if folder.is_symlink() or not folder.is_dir():
            raise InputError(
                "exists and is not a folder of score reports; choose another --candidates-out",
                file=folder,
            )
        entries = {p.name for p in folder.iterdir()}
        if entries and not all(m in entries for m in CANDIDATE_MARKERS):
            raise InputError(
                "exists and is not a credkit folder of score reports (no results.csv); choose "
                "another --candidates-out",
                file=folder,
            )
    check_can_write_in(folder, field="--candidates-out")


def candidate_file_names(ids) -> list[str]:
    """A distinct, safe HTML file name per candidate id (``<id>.html``; ``-2``... on clashes)."""
    used: set[str] = set()
    names = []
    for cid in ids:
        base = safe_name(str(cid))
        name, k = f"{base}.html", 1
        while name.lower() in used:
            k += 1
            name = f"{base}-{k}.html"
        used.add(name.lower())
        names.append(name)
    return names


def write_candidates_folder(state, folder: Path) -> None:
    """Write each candidate's score report and ``results.csv`` into ``folder``, swapped in."""
    from psychometrics.program.build.scores import results_csv
    from psychometrics.report.candidates import render_candidate

    spec, cut = state.spec, state.cut
    scale = cut.scale if cut is not None else None
    scale_cut = None
    if cut is not None:
        scale_cut = float(cut.scale_cut) if scale is not None else round(float(cut.theta_cut), 2)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temporary_dir(folder.parent, prefix=f".{folder.name}.tmp-")
    except OSError as exc:
        raise InputError(f"cannot write the score reports: {exc.strerror}", file=folder) from None
    try:
        names = candidate_file_names(r.candidate_id for r in state.candidates)
        for result, name in zip(state.candidates, names, strict=True):
            (tmp / name).write_text(
                render_candidate(
                    result,
                    title=spec.credential.title,
                    issuer=spec.credential.issuer or "",
                    intended_use=spec.credential.intended_use or "",
                    scale=scale,
                    scale_cut=scale_cut,
                ),
                encoding="utf-8",
            )
        (tmp / "results.csv").write_text(results_csv(state.candidates), encoding="utf-8")
        _swap_in(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(
            f"cannot write the score reports: {exc.strerror or exc}", file=folder
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
