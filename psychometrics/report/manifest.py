"""The build manifest: what went in (file hashes), with what (versions), how (command, seeds)."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from psychometrics import __version__
from psychometrics.fileio import sha256_file
from psychometrics.report.model import Manifest, ManifestFile

DEPENDENCIES = ("numpy", "scipy", "girth", "jinja2", "click", "pyyaml")


def package_versions(names: Sequence[str] = DEPENDENCIES) -> dict[str, str]:
    """Installed version of each package ("not installed" when absent)."""
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def build_manifest(
    files: Sequence[tuple[str, str | os.PathLike[str]]],
    *,
    seeds: Mapping[str, int] | None = None,
    argv: Sequence[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    relative_to: str | os.PathLike[str] | None = None,
    now: _dt.datetime | None = None,
) -> Manifest:
    """Hash every input file and record versions, seeds and the command line.

    Parameters
    ----------
    files
        ``(role, path)`` pairs, e.g. ``("spec", "specs/x.yaml")``, ``("item", ...)``. Paths are
        shown relative to ``relative_to`` when they are below it.
    seeds
        Name -> seed of every random choice made by the build.
    argv
        The command line (default ``sys.argv``).
    settings
        Other settings worth recording (theta grid, thresholds...).
    now
        Timestamp (default: the current UTC time).
    """
    base = Path(relative_to).resolve() if relative_to is not None else None
    records = []
    for role, path in files:
        p = Path(path)
        shown = p.resolve()
        if base is not None:
            try:
                shown = shown.relative_to(base)
            except ValueError:
                pass
        records.append(
            ManifestFile(role=role, path=str(shown), sha256=sha256_file(p), bytes=p.stat().st_size)
        )
    args = list(sys.argv if argv is None else argv)
    if args:
        args[0] = Path(args[0]).name
    stamp = (now or _dt.datetime.now(_dt.UTC)).replace(microsecond=0).isoformat()
    return Manifest(
        credkit_version=__version__,
        created=stamp,
        command=shlex.join(args),
        python=platform.python_version(),
        platform=f"{platform.system()} {platform.machine()}",
        packages=package_versions(),
        files=tuple(records),
        seeds=dict(seeds or {}),
        settings=dict(settings or {}),
    )
