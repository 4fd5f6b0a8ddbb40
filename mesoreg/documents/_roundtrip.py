"""A formulation is stored only if its canonical text reads back as exactly what was checked.

Stored files are canonical TOML that leaves out empty values, so a value such
as ``title = ""`` or ``route = ""`` would not survive a publish: it would be
checked as written, then read back as missing or as a default.  Publishing
asks this module first and refuses such a formulation with an
:class:`~mesoreg.InputError` naming the keys, before anything is written.
"""

from __future__ import annotations

import enum
from pathlib import Path

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg.documents._load import build, parse_toml
from mesoreg.documents._model import Formulation


def check_round_trip(raw: bytes, expected: Formulation, path: Path, source: str | None) -> None:
    """Refuse (InputError) a formulation whose canonical text reads back differently.

    The problems name the keys of the formulation being published (``source``),
    e.g. an empty ``title`` that the canonical text leaves out.
    """
    try:
        loaded = build(parse_toml(raw.decode("utf-8"), str(path)), Formulation, str(path))
    except InputError as exc:
        raise InputError(
            [
                Problem(
                    p.key_path,
                    f"cannot be stored: it would read back from the store as '{p.message}'",
                    "Give it a value that is kept as written; nothing was written.",
                )
                for p in exc.problems
            ],
            path=source,
        ) from exc
    loaded = attrs.evolve(loaded, origin=None)
    if loaded != expected:
        raise InputError(
            [
                Problem(
                    key,
                    f"cannot be stored: it would read back from the store as {_shown(new)} "
                    f"instead of {_shown(old)}",
                    "Give it a value that is kept as written (stored files leave out empty "
                    "values); nothing was written.",
                )
                for key, old, new in _differences(expected, loaded) or [("", "", "")]
            ],
            path=source,
        )


def _shown(value: object) -> str:
    """A value as the user wrote it: vocabulary terms by their text."""
    return repr(str(value) if isinstance(value, enum.Enum) else value)


def _differences(old: object, new: object, key: str = "") -> list[tuple[str, object, object]]:
    """The key paths where two models differ, with both values (deepest first found)."""
    if old == new:
        return []
    if attrs.has(type(old)) and type(old) is type(new):
        found = [
            d
            for f in attrs.fields(type(old))  # type: ignore[arg-type]
            if f.eq
            for d in _differences(
                getattr(old, f.name), getattr(new, f.name), f"{key}.{f.name}".lstrip(".")
            )
        ]
        return found or [(key, old, new)]
    if isinstance(old, tuple) and isinstance(new, tuple) and len(old) == len(new):
        return [
            d
            for i, (a, b) in enumerate(zip(old, new, strict=True))
            for d in _differences(a, b, f"{key}[{i}]")
        ]
    return [(key, old, new)]
