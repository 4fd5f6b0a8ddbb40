"""File access inside the store: no links, no special files, atomic writes, one-line errors.

Reads refuse symbolic links and anything that is not a regular file, so a link
planted in the store never makes mesoreg read (or write) outside it.  Writes go
to a temporary file beside the target, created exclusively and never through a
link, written with ``os.write`` and flushed with ``os.fsync``, read back and
validated, and only then linked or renamed into place.  When anything fails (a
full disk, a read-only folder, a validation), the temporary file is removed and
the store is left as it was.  Operating-system errors become :class:`StoreError`
naming the file, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from mesoreg._errors import InputError, MesoregError, Problem

#: the largest file the store reads; version files and ledgers are a few kilobytes
MAX_FILE_BYTES = 16 * 1024 * 1024
#: names of temporary files written by :func:`write_new` and :func:`write_replace`
TEMPORARY = re.compile(r"^\..+\.tmp-[0-9]+-[0-9a-f]+$")
#: errors that mean "this store cannot be written here", as opposed to damage
READ_ONLY_ERRORS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class StoreError(MesoregError, RuntimeError):
    """A store operation that cannot be done (a missing or changed version, a bad transition)."""


def why(exc: OSError) -> str:
    """The operating system's reason, without the path (the message names it)."""
    return exc.strerror or type(exc).__name__


def is_link(path: Path) -> bool:
    """True for a symbolic link (even a dangling one)."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"{path}: cannot be inspected ({why(exc)})") from exc


def refuse_link(path: Path | str) -> StoreError:
    """The error for a symbolic link found in the store."""
    return StoreError(
        f"{path}: is a symbolic link; the store refuses links so that nothing outside it is "
        "read or written. Replace the link with the real file or folder (or restore it from git)"
    )


def read_regular(path: Path | str) -> bytes | None:
    """The bytes of a regular file in the store; None when it does not exist.

    A symbolic link, a folder, a FIFO or a device is a :class:`StoreError`, as is a
    file larger than :data:`MAX_FILE_BYTES`.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise refuse_link(path) from exc
        raise StoreError(f"{path}: cannot be read ({why(exc)})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{path}: not a regular file; the store holds only files it wrote")
        if info.st_size > MAX_FILE_BYTES:
            raise StoreError(f"{path}: larger than {MAX_FILE_BYTES} bytes; not a store file")
        # one read for the whole file: a short read of a regular file is its end
        first = os.read(fd, info.st_size + 1)
        if len(first) <= info.st_size:
            return first
        chunks = [first]  # it grew since fstat: read on to its end
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise StoreError(f"{path}: cannot be read ({why(exc)})") from exc
    finally:
        os.close(fd)


def decode(data: bytes, path: Path | str) -> str:
    """UTF-8 text of a store file; invalid bytes are an :class:`InputError` naming the offset."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            [
                Problem(
                    "",
                    f"not valid UTF-8 (byte {exc.start})",
                    "Store files are UTF-8 text written by mesoreg; restore this one from git.",
                )
            ],
            path=str(path),
        ) from exc


def names(folder: Path) -> list[str]:
    """The names in a folder, sorted; an unreadable folder is a :class:`StoreError`."""
    try:
        return sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise StoreError(f"{folder}: cannot be listed ({why(exc)})") from exc


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a new or renamed file) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_quietly(path: Path) -> None:
    """Remove a file this process created; a failure leaves a temporary file for recovery."""
    with contextlib.suppress(OSError):
        path.unlink()


def _temporary(path: Path, data: bytes, check: Callable[[bytes], object]) -> Path:
    """Write ``data`` beside ``path``, flush it to disk, re-read and validate it."""
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(tmp, flags, 0o666)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if read_regular(tmp) != data:
            raise StoreError(f"{path}: the file read back differs from what was written")
        check(data)
    except BaseException:
        remove_quietly(tmp)
        raise
    return tmp


def _write_failed(path: Path, exc: OSError) -> StoreError:
    return StoreError(f"{path}: could not be written ({why(exc)}); the store was not changed")


def write_new(path: Path, data: bytes, check: Callable[[bytes], object]) -> None:
    """Create ``path`` with ``data`` atomically; never overwrite (:class:`StoreError`)."""
    try:
        tmp = _temporary(path, data, check)
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError as exc:
        raise StoreError(f"{path}: exists; a stored file is never overwritten") from exc
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    finally:
        remove_quietly(tmp)
    _flush_folder(path)


def write_replace(path: Path, data: bytes, check: Callable[[bytes], object]) -> None:
    """Replace ``path`` with ``data`` atomically: readers see the old file or the new one."""
    try:
        tmp = _temporary(path, data, check)
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    try:
        tmp.replace(path)
    except OSError as exc:
        remove_quietly(tmp)
        raise _write_failed(path, exc) from exc
    _flush_folder(path)


def _flush_folder(path: Path) -> None:
    try:
        fsync_dir(path.parent)
    except OSError as exc:
        raise StoreError(
            f"{path}: written, but its folder could not be flushed to disk ({why(exc)}); "
            "run 'mesoreg verify' once the disk is healthy"
        ) from exc
