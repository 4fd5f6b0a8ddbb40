"""Reading formulation and patient files: TOML in, models out, clean errors.

Every problem in a file is reported at once, each as one line naming the file
and the key path.  A file written for a newer schema version is refused with
the versions this mesoreg supports.

Hostile input costs little.  Each limit is an :class:`InputError` that names
the limit and how to stay under it:

* only regular files are read (a FIFO, a device such as ``/dev/zero``, a socket
  or a folder is refused after ``os.stat``, before it is opened), and at most
  :data:`MAX_FILE_BYTES` (1 MiB) of a formulation, patient or configuration
  file; packs have their own limit (``mesoreg.knowledge._pack.MAX_PACK_BYTES``);
* TOML nested deeper than :data:`MAX_NESTING_DEPTH` (20) tables and arrays is
  refused, whatever reads it (formulations, patients, packs, ledgers, settings),
  and so is an integer outside TOML's 64-bit range (the TOML spec asks for an
  error) or with more digits than Python converts;
* a formulation or patient array holds at most :data:`MAX_ARRAY_ITEMS` (1,000)
  items, and a formulation at most :data:`MAX_COMPONENTS` (1,000) components,
  co-ingredients included.

The shipped formulations are about 1 KB with at most 7 levels of nesting and 3
components; the limits sit two to three orders of magnitude above them, so no
real syringe reaches them, while the worst case stays well under a second.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, TypeVar

import tomli  # tomllib's upstream, compiled: ~3x faster than the stdlib's pure-Python copy

from mesoreg._errors import InputError, Problem
from mesoreg._memo import Memo
from mesoreg.documents._convert import structure
from mesoreg.documents._migrate import migrate
from mesoreg.documents._model import SCHEMA_VERSION, Formulation, Patient

T = TypeVar("T")

#: schema versions each kind of file can be read from (older ones through
#: mesoreg.documents._migrate)
SUPPORTED: dict[str, tuple[int, ...]] = {"formulation": (0, 1), "patient": (1,), "pack": (1,)}


#: largest formulation, patient or configuration file read, in bytes (1 MiB)
MAX_FILE_BYTES: Final = 1024 * 1024
#: deepest nesting of tables and arrays in any TOML file read (a formulation needs 7)
MAX_NESTING_DEPTH: Final = 20
#: most items in one array of a formulation or patient file
MAX_ARRAY_ITEMS: Final = 1000
#: most components in one formulation, co-ingredients included
MAX_COMPONENTS: Final = 1000

# a FIFO opened for reading blocks until a writer comes; O_NONBLOCK makes open return at once
_OPEN_FLAGS: Final = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _not_regular(mode: int) -> str:
    kind = (
        "a folder"
        if stat.S_ISDIR(mode)
        else "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return f"cannot read {kind}; give the path of a regular TOML file"


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES, setting: str = "") -> bytes:
    """At most ``limit`` bytes of a regular file; anything else is an :class:`InputError`.

    Special files are refused before they are opened (``os.stat``) and again on
    the open descriptor (``os.fstat``), in case the path changed in between;
    at most ``limit + 1`` bytes are ever read.  ``setting`` names the limit in
    the message.
    """
    where = str(path)

    def fail(message: str, hint: str = "") -> InputError:
        return InputError([Problem("", message, hint)], path=where)

    try:
        mode = Path(path).stat().st_mode
        if not stat.S_ISREG(mode):
            raise fail(_not_regular(mode))
        fd = os.open(path, _OPEN_FLAGS)
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise fail(_not_regular(mode))
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise fail("file not found; check the path") from None
    except OSError as exc:
        raise fail(f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise fail(
            f"file is larger than {limit:,} bytes, the most mesoreg reads "
            f"({setting or 'mesoreg.documents._load.MAX_FILE_BYTES'})",
            "Check that this is the file you meant, or split it into smaller files.",
        )
    return data


def read_text(path: str | Path, limit: int = MAX_FILE_BYTES, setting: str = "") -> str:
    """A UTF-8 text file's contents; a missing, special, oversized or unreadable file
    is an :class:`InputError` (see :func:`read_bytes`)."""
    return _decode(read_bytes(path, limit, setting), path)


def _decode(data: bytes, path: str | Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem("", f"cannot read file: {exc}")], path=str(path)) from exc


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or bad syntax into :class:`InputError`."""
    return parse_toml(read_text(path), str(path))


def _too_deep(key_path: str) -> Problem:
    return Problem(
        key_path,
        f"tables and arrays are nested more than {MAX_NESTING_DEPTH} levels deep, "
        "the most mesoreg reads (mesoreg.documents._load.MAX_NESTING_DEPTH)",
        "No mesoreg file needs more than 7; flatten the data.",
    )


_INT64: Final = range(-(2**63), 2**63)


def _join(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key


def _key_path(trail: tuple[Any, ...]) -> str:
    """The key path of a trail ``(parent trail, key)``, built only for a problem."""
    keys: list[str | int] = []
    while trail:
        trail, key = trail
        keys.append(key)
    path = ""
    for key in reversed(keys):
        path = _join(path, key)
    return path


def check_shape(
    data: Mapping[str, Any], max_depth: int = MAX_NESTING_DEPTH, max_items: int | None = None
) -> list[Problem]:
    """Problems with nesting deeper than ``max_depth`` or arrays longer than ``max_items``.

    Walks the data with an explicit stack, never recursion, so any depth is safe;
    each over-deep branch is reported once, at the first level past the limit.
    An integer outside the 64-bit range TOML allows is a problem too.  Only tables,
    arrays and out-of-range integers are visited, and a key path is built only for a
    problem, so the walk costs little more than one look at each value.
    """
    problems: list[Problem] = []
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(data, 1, ())]
    while stack:
        value, depth, trail = stack.pop()
        if isinstance(value, dict):
            children: list[tuple[str | int, Any]] = list(value.items())
        elif isinstance(value, list):
            if max_items is not None and len(value) > max_items:
                problems.append(
                    Problem(
                        _key_path(trail),
                        f"has {len(value):,} items; at most {max_items:,} are read "
                        "(mesoreg.documents._load.MAX_ARRAY_ITEMS)",
                        "Check that this is the file you meant; no real formulation or "
                        "patient comes near.",
                    )
                )
                continue
            children = list(enumerate(value))
        else:  # an integer out of range, pushed by its parent
            problems.append(
                Problem(_key_path(trail), "integer does not fit in 64 bits, as TOML requires")
            )
            continue
        if depth >= max_depth and any(isinstance(v, dict | list) for _, v in children):
            problems.append(_too_deep(_key_path(trail)))
            continue
        for key, child in reversed(children):
            if isinstance(child, dict | list) or (
                isinstance(child, int) and not isinstance(child, bool) and child not in _INT64
            ):
                stack.append((child, depth + 1, (trail, key)))
    return problems


def parse_toml(text: str, path: str = "<string>") -> dict[str, Any]:
    """Parse TOML text; a syntax error names the line and column, and nesting
    deeper than :data:`MAX_NESTING_DEPTH` is refused."""
    try:
        data = tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError(
            [Problem("", f"not valid TOML: {exc}.", "Fix the syntax at that line.")], path=path
        ) from exc
    except RecursionError as exc:  # tomli refuses inline tables and arrays nested past 400
        raise InputError([_too_deep("")], path=path) from exc
    except ValueError as exc:  # Python refuses to read an integer of more than 4300 digits
        raise InputError(
            [Problem("", f"not valid TOML: {exc.args[0].split(':')[0]}", "Shorten the number.")],
            path=path,
        ) from exc
    problems = check_shape(data)
    if problems:
        raise InputError(problems, path=path)
    return data


def _count_components(data: Mapping[str, Any]) -> int:
    count = 0
    preparations = data.get("preparations")
    for prep in preparations if isinstance(preparations, list) else ():
        components = prep.get("components") if isinstance(prep, dict) else None
        for component in components if isinstance(components, list) else ():
            count += 1
            co = component.get("co_ingredients") if isinstance(component, dict) else None
            count += len(co) if isinstance(co, list) else 0
    return count


def check_counts(data: Mapping[str, Any], kind: str) -> None:
    """Refuse a formulation or patient whose arrays or components exceed the limits."""
    problems = check_shape(data, max_items=MAX_ARRAY_ITEMS)
    count = _count_components(data) if kind == "formulation" and not problems else 0
    if count > MAX_COMPONENTS:
        problems.append(
            Problem(
                "preparations",
                f"has {count:,} components in all; a formulation may have at most "
                f"{MAX_COMPONENTS:,}, co-ingredients included "
                "(mesoreg.documents._load.MAX_COMPONENTS)",
                "Check that this is the file you meant; no real formulation comes near.",
            )
        )
    if problems:
        raise InputError(problems)


def check_schema_version(data: Mapping[str, Any], kind: str, path: str) -> None:
    """Refuse a file without ``schema_version`` or written for a version not supported."""
    version = data.get("schema_version")
    if version is None:
        raise InputError(
            [
                Problem(
                    "schema_version",
                    "required key is missing",
                    f"Add 'schema_version = {SCHEMA_VERSION}' at the top.",
                )
            ],
            path=path,
        )
    if (
        isinstance(version, int)
        and not isinstance(version, bool)
        and (version not in SUPPORTED[kind])
    ):
        supported = ", ".join(map(str, SUPPORTED[kind]))
        raise InputError(
            [
                Problem(
                    "schema_version",
                    f"{kind} schema version {version} is not supported (supported: {supported}).",
                    "Upgrade mesoreg to read newer files.",
                )
            ],
            path=path,
        )


def build(data: Mapping[str, Any], kind: type[T], path: str) -> T:
    """Structure parsed TOML into ``kind`` after checking its schema version and size."""
    name = kind.__name__.lower()
    check_schema_version(data, name, path)
    try:
        check_counts(data, name)
    except InputError as exc:
        raise exc.with_path(path) from None
    if kind is Formulation:
        data = migrate(dict(data), SCHEMA_VERSION, path)
    return structure(data, kind, path=path, origin=path)


#: models read from files, by kind, path and the sha256 of the bytes read: a model is a
#: pure function of those, so a file read again with the same contents is not parsed again
_LOADED: Memo[object] = Memo(128)


def _load(path: str | Path, kind: type[T]) -> T:
    data = read_bytes(path)
    where = str(path)

    def parse() -> object:
        return build(parse_toml(_decode(data, where), where), kind, where)

    model = _LOADED.get((kind, where, hashlib.sha256(data).digest()), parse)
    assert isinstance(model, kind)
    return model


def load_formulation(path: str | Path) -> Formulation:
    """Read a formulation TOML file; :class:`InputError` lists every problem."""
    return _load(path, Formulation)


def load_patient(path: str | Path) -> Patient:
    """Read a patient TOML file; :class:`InputError` lists every problem."""
    return _load(path, Patient)
