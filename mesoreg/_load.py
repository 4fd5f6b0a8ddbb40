"""Reading formulation and patient files: TOML in, models out, clean errors.

Every problem in a file is reported at once, each as one line naming the file
and the key path.  A file written for a newer schema version is refused with
the versions this mesoreg supports.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs
import tomli  # tomllib's upstream, compiled: ~3x faster than the stdlib's pure-Python copy

from mesoreg._convert import structure
from mesoreg._errors import InputError, Problem
from mesoreg._migrate import migrate
from mesoreg._model import SCHEMA_VERSION, Formulation, Patient

T = TypeVar("T")

#: schema versions each kind of file can be read from (older ones through mesoreg._migrate)
SUPPORTED: dict[str, tuple[int, ...]] = {"formulation": (0, 1), "patient": (1,), "pack": (1,)}


def read_text(path: str | Path) -> str:
    """A UTF-8 text file's contents; a missing or unreadable file is an :class:`InputError`."""
    where = str(path)
    try:
        return Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError([Problem("", "file not found; check the path")], path=where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem("", f"cannot read file: {exc}")], path=where) from exc


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning a missing file or bad syntax into :class:`InputError`."""
    return parse_toml(read_text(path), str(path))


def parse_toml(text: str, path: str = "<string>") -> dict[str, Any]:
    """Parse TOML text; a syntax error names the line and column."""
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as exc:
        raise InputError(
            [Problem("", f"not valid TOML: {exc}.", "Fix the syntax at that line.")], path=path
        ) from exc


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
    """Structure parsed TOML into ``kind`` after checking its schema version."""
    check_schema_version(data, kind.__name__.lower(), path)
    if kind is Formulation:
        data = migrate(dict(data), SCHEMA_VERSION)
    value = structure(data, kind, path=path)
    return attrs.evolve(value, origin=path)  # type: ignore[misc]


def load_formulation(path: str | Path) -> Formulation:
    """Read a formulation TOML file; :class:`InputError` lists every problem."""
    return build(read_toml(path), Formulation, str(path))


def load_patient(path: str | Path) -> Patient:
    """Read a patient TOML file; :class:`InputError` lists every problem."""
    return build(read_toml(path), Patient, str(path))
