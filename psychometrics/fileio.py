"""Small file helpers shared by every module that writes: atomic writes, file modes, hashing.

Every file the package writes goes through :func:`atomic_write_bytes` (or
:func:`write_temporary_file` for writers that rename several files at the end), so files get the
mode the umask gives, replaced files keep theirs, and only an explicit ``mode`` overrides that.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

from psychometrics.errors import InputError

_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process's umask, read without changing it for longer than an instant.

    On Linux the value is read from ``/proc/self/status``; elsewhere :func:`os.umask` is set and
    at once restored under a lock (it is process-wide, so the brief window uses the restrictive
    mask ``0o077``: a file another thread creates meanwhile is at most more private, never less).
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode a new file gets from the umask: ``0o666 & ~umask`` (``0o644`` under ``022``)."""
    return 0o666 & ~current_umask()


def new_dir_mode() -> int:
    """The mode a new folder gets from the umask: ``0o777 & ~umask`` (``0o755`` under ``022``)."""
    return 0o777 & ~current_umask()


def _target_mode(target: Path) -> int:
    """The mode of the file ``target`` (kept on replace), or the umask's mode for a new file."""
    try:
        info = os.stat(target)
    except OSError:
        return new_file_mode()
    if not stat.S_ISREG(info.st_mode):
        return new_file_mode()
    return stat.S_IMODE(info.st_mode)


def _set_mode(fd: int, path: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:  # pragma: no cover - Windows before Python 3.13
        os.chmod(path, mode)


def write_temporary_file(
    target: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int | None = None,
    suffix: str = ".tmp",
) -> Path:
    """Write ``data`` to a new temporary file next to ``target`` and return its path.

    The file is in ``target``'s folder (which must exist), named ``.<name>.<random><suffix>``,
    flushed and fsynced, and has the mode ``target`` should end up with, so that
    ``os.replace(temporary, target)`` (or ``os.link``) puts the right file in place.

    Parameters
    ----------
    target
        The file the temporary file will replace or become.
    data
        The bytes to write.
    mode
        The permission bits to give the file (e.g. ``0o600`` for a secret). Default: the mode of
        ``target`` when it is an existing file, else the umask's mode for a new file
        (:func:`new_file_mode`).
    suffix
        The end of the temporary name.

    Returns
    -------
    Path
        The temporary file; the caller renames it into place or removes it.

    Raises
    ------
    OSError
        When the file cannot be written; no temporary file is left behind.
    """
    target = Path(target)
    bits = _target_mode(target) if mode is None else mode
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            _set_mode(handle.fileno(), tmp, bits)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_text(
    path: str | os.PathLike[str],
    text: str,
    *,
    encoding: str = "utf-8",
    mode: int | None = None,
) -> None:
    """Write ``text`` to ``path`` so that readers see either the old file or the new one.

    The text goes to a temporary file in the same directory, is flushed to disk, and replaces the
    target with :func:`os.replace` (atomic on POSIX and Windows). On any error the temporary file
    is removed and the original is untouched. Missing parent folders are created (with the
    umask's mode).

    A new file gets the mode the umask gives (``0o644`` under umask ``022``); a replaced file
    keeps its mode. ``mode`` forces explicit permission bits instead: pass ``0o600`` for a
    secret such as a private key, so it is never readable by others, not even for an instant.
    """
    atomic_write_bytes(path, text.encode(encoding), mode=mode)


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, mode: int | None = None
) -> None:
    """Binary counterpart of :func:`atomic_write_text` (same modes, same ``mode`` keyword)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = write_temporary_file(target, data, mode=mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def make_temporary_dir(parent: str | os.PathLike[str], prefix: str) -> Path:
    """Create a new, uniquely named folder in ``parent`` with the umask's mode.

    Unlike :func:`tempfile.mkdtemp`, which always gives ``0o700``, the folder gets
    ``0o777 & ~umask`` (``0o755`` under umask ``022``), so a folder that is later renamed into
    place (e.g. a report folder to be served) is as readable as any folder the user creates.

    Parameters
    ----------
    parent
        The folder to create it in; it must exist.
    prefix
        The start of the folder's name; a random part follows.

    Returns
    -------
    Path
        The new, empty folder. The caller removes or renames it.

    Raises
    ------
    OSError
        When the folder cannot be created (``parent`` missing or not writable).
    """
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=prefix))
    try:
        os.chmod(folder, new_dir_mode())
    except BaseException:
        folder.rmdir()
        raise
    return folder


def sha256_json(payload: Any) -> str:
    """``sha256:`` and the hex digest of ``payload`` as canonical JSON (sorted keys, no spaces,
    UTF-8): a fingerprint of values, independent of how a file spelled them."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def check_can_write_in(
    path: str | os.PathLike[str], *, field: str | None = None, include_self: bool = False
) -> None:
    """Refuse ``path`` when the nearest existing folder above it (or ``path`` itself, with
    ``include_self``) is a file or cannot be written.

    Raises
    ------
    InputError
        Naming ``path`` and ``field``.
    """
    target = Path(path)
    candidates = [target] if include_self else []
    for place in (*candidates, *target.absolute().parents):
        if place.exists():
            if not place.is_dir():
                raise InputError(f"{place} is a file, not a folder", file=target, field=field)
            if not os.access(place, os.W_OK | os.X_OK):
                raise InputError(f"cannot write in {place}", file=target, field=field)
            return


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
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory, not a file", file=target, field=field)
    check_can_write_in(target, field=field)
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

    check_output_path(path, inputs=inputs, field=field)
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=path, field=field) from None


def check_user_file(path: str | os.PathLike[str], *, max_bytes: int) -> int:
    """Refuse anything but a regular file of at most ``max_bytes``; return its size.

    A device (``/dev/zero``), a FIFO or a socket has no meaningful size (``st_size`` is 0) and
    reading it may never end, so it is refused before it is opened.

    Raises
    ------
    InputError
        Naming the file when it is missing, not a regular file or too large.
    """
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, not a file", file=path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file (a device, FIFO or socket)", file=path)
    if info.st_size > max_bytes:
        raise InputError(f"file is larger than {max_bytes:,} bytes", file=path)
    return info.st_size


def read_csv_header(path: str | os.PathLike[str], *, max_bytes: int = 2 * 1024**3) -> list[str]:
    """The stripped cells of a user's CSV file's first row, reading that row only.

    Raises
    ------
    InputError
        Naming the file when it is missing, not a regular file, too large, not UTF-8 or not CSV.
    """
    check_user_file(path, max_bytes=max_bytes)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return [cell.strip() for cell in next(csv.reader(handle), [])]
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=path, line=1) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV header: {exc}", file=path, line=1) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=path) from None


def iter_csv_rows(path: str | os.PathLike[str], *, max_bytes: int) -> Any:
    """Stream the rows of a user's CSV file as ``(line, cells)`` (a BOM is dropped).

    The file is checked with :func:`check_user_file` and read incrementally, so memory does not
    grow with the file. ``line`` is the file line on which the row starts.

    Raises
    ------
    InputError
        Naming the file (and line) for a file that is not a regular file, is too large, is not
        UTF-8, or holds a malformed row (e.g. a cell over the csv module's size limit).
    """
    path = Path(path)
    check_user_file(path, max_bytes=max_bytes)
    try:
        handle = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    with handle:
        reader = csv.reader(handle)
        line = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", file=path, line=reader.line_num) from None
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not UTF-8 text (near line {reader.line_num + 1}, byte {exc.start} of a "
                    "block)",
                    file=path,
                    line=reader.line_num + 1,
                ) from None
            except OSError as exc:
                raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
            yield line, row
            line = reader.line_num + 1


def read_user_text(path: str | os.PathLike[str], *, max_bytes: int = 2 * 1024**3) -> str:
    """The UTF-8 text of a file the user named (a BOM is dropped).

    Raises
    ------
    InputError
        Naming the file when it is missing, not a readable file, larger than ``max_bytes`` or not
        UTF-8.
    """
    path = Path(path)
    check_user_file(path, max_bytes=max_bytes)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:  # the file grew after the check
            raise InputError(f"file is larger than {max_bytes:,} bytes", file=path)
        return raw.decode("utf-8-sig")
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


_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")


def csv_safe_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run as a formula (OWASP's CSV-injection rule).

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed (or
    their full-width forms) gets a leading single quote, which spreadsheets show as text; plain
    numbers (``-1.5``, ``+2e-3``) and everything that is not text are returned as they are, so
    numeric columns stay numeric.

    References
    ----------
    OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
    """
    if not isinstance(value, str) or not value or value[0] not in _FORMULA_START:
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def csv_plain_cell(text: str) -> str:
    """Undo :func:`csv_safe_cell` on a cell read back from a CSV credkit wrote (an id such as
    ``'=X`` becomes ``=X`` again); any other text is returned as it is."""
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        plain = text[1:]
        if not _PLAIN_NUMBER.match(plain):
            return plain
    return text


class SafeCsvWriter:
    """:func:`csv.writer` whose rows pass through :func:`csv_safe_cell` (every CSV the package
    writes goes through it, so no writer can forget the rule)."""

    def __init__(self, handle: Any, **kwargs: Any) -> None:
        kwargs.setdefault("lineterminator", "\n")
        self._writer = csv.writer(handle, **kwargs)
        # csv quotes a cell holding a character of the line terminator only: with "\n" a bare
        # "\r" would be written unquoted and split the row for every reader
        self._quote_all = csv.writer(handle, **{**kwargs, "quoting": csv.QUOTE_ALL})

    def writerow(self, row: Any) -> Any:
        cells = [csv_safe_cell(cell) for cell in row]
        if any(isinstance(cell, str) and "\r" in cell for cell in cells):
            return self._quote_all.writerow(cells)
        return self._writer.writerow(cells)

    def writerows(self, rows: Any) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_writer(handle: Any, **kwargs: Any) -> SafeCsvWriter:
    """A :class:`SafeCsvWriter` on ``handle`` (lines end in ``\\n`` unless told otherwise)."""
    return SafeCsvWriter(handle, **kwargs)
