"""Small file helpers shared by every module that writes: atomic writes and hashing."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from pathlib import Path

from psychometrics.errors import InputError


def atomic_write_text(path: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` so that readers see either the old file or the new one.

    The text goes to a temporary file in the same directory, is flushed to disk, and replaces the
    target with :func:`os.replace` (atomic on POSIX and Windows). On any error the temporary file
    is removed and the original is untouched.
    """
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Binary counterpart of :func:`atomic_write_text`."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def check_output_path(
    path: str | os.PathLike[str],
    *,
    inputs: tuple[str | os.PathLike[str] | None, ...] = (),
    field: str | None = None,
) -> None:
    """Refuse an output path that would destroy an input or cannot be written.

    Raises :class:`~psychometrics.errors.InputError` naming ``path`` when it is an existing
    directory, when a parent is an existing file or a folder that cannot be written, or when it
    is the same file as one of ``inputs`` (writing there would replace the data the command
    reads). Commands call it before their computation, so a bad path fails fast.
    """
    from psychometrics.errors import InputError

    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory, not a file", file=target, field=field)
    for parent in target.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{parent} is a file, not a directory", file=target, field=field)
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError(f"cannot write in {parent}", file=target, field=field)
            break
    resolved = target.resolve()
    for source in inputs:
        if source is None:
            continue
        same = Path(source).resolve() == resolved
        if not same and target.exists() and Path(source).exists():
            same = os.path.samefile(source, target)
        if same:
            raise InputError(
                "is also an input of this command; choose another output file",
                file=target,
                field=field,
            )


def write_output_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    inputs: tuple[str | os.PathLike[str] | None, ...] = (),
    field: str | None = None,
) -> None:
    """:func:`check_output_path`, then :func:`atomic_write_text`; an OS error (no permission,
    disk full) becomes an :class:`~psychometrics.errors.InputError` naming ``path``."""
    from psychometrics.errors import InputError

    check_output_path(path, inputs=inputs, field=field)
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=path, field=field) from None


def read_user_text(path: str | os.PathLike[str], *, max_bytes: int = 2 * 1024**3) -> str:
    """The UTF-8 text of a file the user named (a BOM is dropped).

    Raises
    ------
    InputError
        Naming the file when it is missing, not a readable file, larger than ``max_bytes`` or not
        UTF-8.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    if size > max_bytes:
        raise InputError(f"file is larger than {max_bytes:,} bytes", file=path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None


def csv_rows(text: str, path: str | os.PathLike[str]) -> list[list[str]]:
    """All rows of a CSV text; a malformed row (e.g. a cell over the csv module's size limit)
    raises :class:`InputError` naming its line instead of escaping as ``csv.Error``."""
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=path, line=reader.line_num) from None
