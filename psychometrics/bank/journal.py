"""Safe multi-file writes to a bank: an exclusive lock and a write-ahead journal.

Two processes that change the same bank (``bank status`` twice, a calibration writing parameters
while an item writer changes a status) would otherwise both read the old files and the second
rename would silently drop the first change. Every writer therefore holds :func:`bank_lock` (an
advisory ``flock`` on ``BANK/.credkit.lock``) from the moment it reads the bank until its files are
in place.

A change to several files is all-or-nothing even when the process is killed (SIGKILL, OOM, power
loss): :func:`write_files_transactionally` first writes and fsyncs every new file under a temporary
name, then records the intended renames in ``BANK/.credkit-journal.json`` (written atomically),
then renames, then removes the journal. The next command that opens the bank
(:func:`recover_writes`, called by :func:`~psychometrics.bank.store.read_bank`) finishes an
interrupted write from the journal (every temporary file named there is still complete), so the
bank is fully new; without a journal the write never started its renames, so the stray temporary
files are removed and the bank is fully old.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from psychometrics.errors import InputError
from psychometrics.fileio import atomic_write_bytes, write_temporary_file

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".credkit.lock"
JOURNAL_NAME = ".credkit-journal.json"
TEMP_SUFFIX = ".credkit-tmp"
"""Temporary files of a journalled write end with this (``.<target name>.<random>.credkit-tmp``),
so that recovery can tell them from anything else in the folder."""
JOURNAL_VERSION = 1

_HELD: dict[tuple[str, int], int] = {}
_HELD_GUARD = threading.RLock()


def bank_root(bank_dir: str | os.PathLike[str]) -> Path:
    """The bank folder (holding the lock and the journal) for ``bank_dir``: the folder itself, or
    its parent when ``bank_dir`` is the ``items`` folder of a bank."""
    root = Path(bank_dir)
    if root.name == "items" and (root.parent / "items").is_dir():
        return root.parent
    return root


def _key(root: Path) -> tuple[str, int]:
    # re-entrant for the thread that holds the lock; another thread opens its own descriptor
    # and waits on the flock like another process would
    return os.path.realpath(root), threading.get_ident()


@contextlib.contextmanager
def bank_lock(root: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the bank's exclusive lock (re-entrant within a thread).

    Parameters
    ----------
    root
        The bank folder (the lock file ``.credkit.lock`` is created there).

    Raises
    ------
    InputError
        When the lock file cannot be created (a read-only bank).
    """
    root = Path(root)
    key = _key(root)
    with _HELD_GUARD:
        if key in _HELD:
            _HELD[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _HELD_GUARD:
                _HELD[key] -= 1
        return
    path = root / LOCK_NAME
    fd = _acquire(path)
    try:
        with _HELD_GUARD:
            _HELD[key] = 1
        try:
            yield
        finally:
            with _HELD_GUARD:
                del _HELD[key]
    finally:
        # remove the lock file while still holding it (a waiter that then gets the lock on the
        # removed file sees that and tries again), so no lock file is left in the folder
        try:
            os.unlink(path)
        except OSError:
            pass
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(path: Path) -> int:
    """Open ``path`` (created if need be) and take an exclusive flock on the file that is still
    at ``path`` once the lock is granted."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise InputError(
                f"cannot lock the folder for writing: {exc.strerror or exc}", file=path
            ) from None
        if fcntl is None:  # pragma: no cover - no advisory locks: best effort
            return fd
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            current = os.stat(path)
        except FileNotFoundError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        mine = os.fstat(fd)
        if (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
            return fd
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":  # pragma: no cover
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _relative(path: Path, root: Path) -> str:
    return os.path.relpath(os.path.abspath(path), os.path.abspath(root))


def write_files_transactionally(
    texts: Mapping[Path, str], *, root: str | os.PathLike[str] | None = None
) -> None:
    """Replace several files so that either all change or none does, even if the process dies.

    Parameters
    ----------
    texts
        New text (UTF-8) per file; every file must be inside ``root``.
    root
        The folder holding the lock and the journal (the bank folder). Default: the folder that
        holds all the targets.

    Raises
    ------
    OSError
        When a file cannot be written; the targets already replaced get their old bytes back and
        no temporary file is left behind.
    """
    if not texts:
        return
    paths = [Path(p) for p in texts]
    base = bank_root(root if root is not None else os.path.commonpath([p.parent for p in paths]))
    with bank_lock(base):
        recover_writes(base)
        temps: list[tuple[Path, Path]] = []
        try:
            for path in paths:
                data = texts[path].encode("utf-8")
                temps.append((path, write_temporary_file(path, data, suffix=TEMP_SUFFIX)))
        except BaseException:
            for _, tmp in temps:
                tmp.unlink(missing_ok=True)
            raise
        originals = {path: (path.read_bytes() if path.exists() else None) for path in paths}
        journal = {
            "version": JOURNAL_VERSION,
            "renames": [[_relative(tmp, base), _relative(path, base)] for path, tmp in temps],
        }
        journal_path = base / JOURNAL_NAME
        try:
            atomic_write_bytes(journal_path, json.dumps(journal, indent=1).encode("utf-8"))
            _fsync_dir(base)
        except BaseException:
            for _, tmp in temps:
                tmp.unlink(missing_ok=True)
            raise
        done: list[Path] = []
        try:
            for path, tmp in temps:
                os.replace(tmp, path)
                done.append(path)
            for folder in {p.parent for p in paths}:
                _fsync_dir(folder)
        except BaseException:
            for path in done:
                old = originals[path]
                try:
                    if old is None:
                        path.unlink(missing_ok=True)
                    else:
                        _restore(path, old)
                except OSError:  # pragma: no cover - best effort on a failing disk
                    pass
            for _, tmp in temps:
                tmp.unlink(missing_ok=True)
            journal_path.unlink(missing_ok=True)
            raise
        journal_path.unlink(missing_ok=True)


def _restore(path: Path, data: bytes) -> None:
    tmp = write_temporary_file(path, data, suffix=".restore")  # keeps the file's mode
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _stray_temps(base: Path) -> list[Path]:
    """Temporary files of an interrupted write in the bank folder and its item/set folders."""
    found = []
    for folder in (base, base / "items", base / "sets"):
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            name = entry.name
            if not name.startswith("."):
                continue
            ours = name.endswith((TEMP_SUFFIX, ".restore")) or (
                name.endswith(".tmp")
                and (name.startswith(f".{JOURNAL_NAME}.") or ".yaml." in name or ".yml." in name)
            )
            if ours and entry.is_file(follow_symlinks=False):
                found.append(Path(entry.path))
    return found


def needs_recovery(root: str | os.PathLike[str]) -> bool:
    """True when an interrupted write left a journal or temporary files in the bank."""
    base = Path(root)
    return (base / JOURNAL_NAME).exists() or bool(_stray_temps(base))


def recover_writes(root: str | os.PathLike[str]) -> list[str]:
    """Finish or undo a write that a killed process left half done; return what was done.

    With a journal, every rename it lists whose temporary file is still there is carried out
    (the temporary files were complete and fsynced before the journal was written), then the
    journal is removed: the bank holds the new version of every file. Temporary files without a
    journal belong to a write that never began renaming: they are removed, the bank holds the old
    version of every file. Takes the bank's lock.

    Raises
    ------
    InputError
        Naming the journal when it is not a credkit journal, names a file outside the bank, or
        the bank cannot be written (recovery needs a writable bank).
    """
    base = Path(root)
    if not needs_recovery(base):
        return []
    actions: list[str] = []
    with bank_lock(base):
        journal_path = base / JOURNAL_NAME
        if journal_path.exists():
            for tmp, target in _read_journal(journal_path, base):
                if tmp.exists():
                    try:
                        os.replace(tmp, target)
                    except OSError as exc:
                        raise InputError(
                            f"cannot finish the interrupted write of {target}: "
                            f"{exc.strerror or exc}",
                            file=journal_path,
                        ) from None
                    actions.append(f"completed {target}")
            _fsync_dir(base)
            journal_path.unlink(missing_ok=True)
        for tmp in _stray_temps(base):
            try:
                tmp.unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise InputError(
                    f"cannot remove a temporary file of an interrupted write: "
                    f"{exc.strerror or exc}",
                    file=tmp,
                ) from None
            actions.append(f"removed {tmp}")
    return actions


def _read_journal(path: Path, base: Path) -> list[tuple[Path, Path]]:
    def bad(why: str) -> InputError:
        return InputError(
            f"not a valid credkit journal ({why}); inspect and remove it by hand", file=path
        )

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the journal: {exc.strerror or exc}", file=path) from None
    if len(raw) > 64 * 1024 * 1024:
        raise bad("too large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise bad("not JSON") from None
    if not isinstance(data, dict) or data.get("version") != JOURNAL_VERSION:
        raise bad("unknown version")
    renames = data.get("renames")
    if not isinstance(renames, list):
        raise bad("no list of renames")
    real_base = os.path.realpath(base)
    out = []
    for entry in renames:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not all(isinstance(e, str) and e for e in entry)
        ):
            raise bad("a rename is not two file names")
        pair = []
        for name in entry:
            full = os.path.realpath(base / name)
            if os.path.commonpath([full, real_base]) != real_base or full == real_base:
                raise bad(f"'{name}' is outside the bank")
            pair.append(Path(full))
        if not pair[0].name.startswith(".") or not pair[0].name.endswith(TEMP_SUFFIX):
            raise bad(f"'{entry[0]}' is not a temporary file of a write")
        out.append((pair[0], pair[1]))
    return out
