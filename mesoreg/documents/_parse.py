"""Formulations and patients held in memory: TOML text, dicts and models built in code.

Everything goes through the file pipeline (:func:`mesoreg.documents._load.build`: schema
version, size limits, migration, the one strict converter, the number and fact
checks of :mod:`mesoreg.documents._validate`), so data held in memory gets exactly the
errors and key paths a file gets.  There is no second loader here, only the
argument handling in front of it.

Which argument means what never depends on its content:

* :func:`parse_formulation` and :func:`parse_patient` take TOML **text** (a
  ``str``) or a **mapping** (a ``dict`` as ``tomllib.loads`` returns it);
  a ``str`` there is always TOML text, never a path.
* :func:`mesoreg.check` (through :func:`as_formulation` and :func:`as_patient`)
  takes a **model**, a **mapping** or a **path** (``str`` or
  ``os.PathLike``); a ``str`` there is always a path, so a missing file still
  says "file not found" (with a hint when the string looks like TOML text).

A model built in code (``Formulation(**data)``, ``Patient(sex="femal")``) is
checked the same way: attrs does not check types, so a model whose every value
has its declared type exactly is used as it is (its numbers and facts are
checked when it is checked), and any other is turned back into plain data and
read through the converter, as a file would be.  Nested dicts and strings such
as ``weight="60 kg"`` are then read as in a file; a value a file could not hold
is an :class:`~mesoreg.InputError` problem naming its key path.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import os
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg.documents._load import (
    MAX_ARRAY_ITEMS,
    MAX_COMPONENTS,
    MAX_NESTING_DEPTH,
    build,
    load_formulation,
    load_patient,
    parse_toml,
    read_toml,
)
from mesoreg.documents._model import SCHEMA_VERSION, Formulation, Patient
from mesoreg.documents._quantity import Dimension, Quantity

T = TypeVar("T")

#: how in-memory data is named in messages when no ``origin`` is given
FORMULATION_ORIGIN: Final = "<formulation>"
PATIENT_ORIGIN: Final = "<patient>"

# plain data deeper than this is left as it is: check_shape has refused it by then
_MAX_PLAIN_DEPTH: Final = MAX_NESTING_DEPTH + 2


def parse_formulation(source: str | Mapping[str, Any], *, origin: str | None = None) -> Formulation:
    """Read a formulation from TOML text or from a mapping, as if it were a file.

    ``source`` is the text of a formulation file (a ``str`` is always TOML text,
    never a path: use :func:`mesoreg.load_formulation` for a file) or a mapping
    with the file's keys, as ``tomllib.loads`` returns it (dates as
    ``datetime.date``, quantities as strings such as ``"2 %"``).  ``origin``
    names the data in messages and becomes the model's ``origin``; it defaults
    to ``"<formulation>"``.

    Raises :class:`~mesoreg.InputError` listing every problem with its key path,
    exactly as for a file.  Ingredient names are looked up only by
    :func:`mesoreg.check`.

    >>> f = mesoreg.parse_formulation({"schema_version": 1, "id": "x", ...})
    """
    return _parse(source, Formulation, origin or FORMULATION_ORIGIN)


def parse_patient(source: str | Mapping[str, Any], *, origin: str | None = None) -> Patient:
    """Read a patient from TOML text or from a mapping, as if it were a file.

    As :func:`parse_formulation`; ``origin`` defaults to ``"<patient>"``.  A
    fact left out is unknown (the rules that need it are reported as not
    checked), never "none".
    """
    return _parse(source, Patient, origin or PATIENT_ORIGIN)


def _parse(source: object, kind: type[T], origin: str) -> T:
    if isinstance(source, str):
        return build(parse_toml(source, origin), kind, origin)
    if isinstance(source, Mapping):
        return build(plain_data(source, origin), kind, origin)
    name = kind.__name__.lower()
    raise InputError(
        [
            Problem(
                "",
                f"a {name} must be given as TOML text or a dict (got {type(source).__name__})",
                f"Use mesoreg.load_{name}(path) for a file.",
            )
        ],
        path=origin,
    )


# -- check()'s arguments: a model, a mapping or a path ---------------------------------------


def as_formulation(value: object) -> Formulation:
    """The formulation ``value`` stands for: a model (checked), a mapping or a path.

    Raises :class:`~mesoreg.InputError` for anything else or bad data.
    """
    if isinstance(value, Formulation):
        return _model(value, FORMULATION_ORIGIN)
    if isinstance(value, Mapping):
        return parse_formulation(value)
    path = _path_of(value)
    if path is not None:
        return _from_path(path, load_formulation, "formulation")
    raise _wrong_argument("formulation", value)


def as_patient(value: object) -> Patient:
    """The patient ``value`` stands for: a model (checked), a mapping or a path."""
    if isinstance(value, Patient):
        return _model(value, PATIENT_ORIGIN)
    if isinstance(value, Mapping):
        return parse_patient(value)
    path = _path_of(value)
    if path is not None:
        return _from_path(path, load_patient, "patient")
    raise _wrong_argument("patient", value)


def formulation_data(value: object) -> tuple[dict[str, Any], str] | None:
    """The plain data of what :func:`as_formulation` refused, and where it came from,
    so that its ingredient names can still be looked up; None when there is none."""
    try:
        if isinstance(value, Formulation):
            return _plain_model(value), value.origin or FORMULATION_ORIGIN
        if isinstance(value, Mapping):
            return plain_data(value, FORMULATION_ORIGIN), FORMULATION_ORIGIN
        path = _path_of(value)
        if path is not None:
            return read_toml(path), path
    except InputError:
        return None
    return None


def _wrong_argument(name: str, value: object) -> InputError:
    return InputError(
        [
            Problem(
                name,
                f"must be a {name.capitalize()}, a dict or the path of a TOML file "
                f"(got {type(value).__name__})",
                f"For TOML text, use mesoreg.parse_{name}(text).",
            )
        ]
    )


def _path_of(value: object) -> str | None:
    """A ``str`` or ``os.PathLike`` as a path (a ``str`` is always a path), else None."""
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        return path if isinstance(path, str) else None
    return None


def _looks_like_toml(text: str) -> bool:
    return "\n" in text or "=" in text


def _from_path(path: str, load: Callable[[str], T], name: str) -> T:
    try:
        return load(path)
    except InputError as exc:
        if not _looks_like_toml(path):
            raise
        # a str is always a path; when it looks like TOML text, say how to pass text
        hint = f"A str is a path; to check TOML text, pass mesoreg.parse_{name}(text)."
        shown = path if len(path) <= 60 and "\n" not in path else path[:40].split("\n")[0] + "..."
        problems = [
            attrs.evolve(p, path=repr(shown), hint=hint) if not p.key_path else p
            for p in exc.problems
        ]
        raise InputError(problems) from None


# -- models built in code ---------------------------------------------------------------------


def _model(value: T, label: str) -> T:
    """A model built in code, exactly typed, or read again from its plain data."""
    if _conforms(value, type(value)) and _within_limits(value):
        return value
    origin = getattr(value, "origin", None)
    built = build(_plain_model(value), type(value), origin or label)
    return attrs.evolve(built, origin=origin)  # type: ignore[misc]


def _within_limits(value: object) -> bool:
    """Schema version and size limits the loader would hold the model to."""
    if getattr(value, "schema_version", None) != SCHEMA_VERSION:
        return False
    if isinstance(value, Formulation):
        count = sum(1 + len(c.co_ingredients) for p in value.preparations for c in p.components)
        return count <= MAX_COMPONENTS
    return True


@functools.cache
def _field_types(kind: type) -> tuple[tuple[str, Any], ...] | None:
    """Each field's type, resolved without changing the class (None if one cannot be)."""
    try:
        hints = typing.get_type_hints(kind)
    except (NameError, TypeError):
        return None
    return tuple((f.name, hints[f.name]) for f in attrs.fields(kind) if f.name != "origin")


Checker = Callable[[object], bool]
_NONE: Final = type(None)


def _conforms(value: object, kind: type) -> bool:
    """Whether ``value`` has exactly the type ``kind`` declares, at every depth."""
    return _checker(kind)(value)


@functools.cache
def _checker(kind: Any) -> Checker:
    """A test that a value has exactly the type ``kind``, worked out once per type.

    Only the types mesoreg's models use are known; anything else does not conform,
    and the model is then read through the converter (the safe way round).  The
    models' types are not recursive, so neither are the tests.
    """
    if isinstance(kind, types.UnionType):
        args = kind.__args__
        if len(args) == 2 and _NONE in args:
            other = _checker(args[0] if args[1] is _NONE else args[1])
            return lambda v: v is None or other(v)
        parts = tuple(_checker(k) for k in args)
        return lambda v: any(part(v) for part in parts)
    if getattr(kind, "__origin__", None) is tuple:
        args = kind.__args__
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            return lambda v: type(v) is tuple and len(v) <= MAX_ARRAY_ITEMS and all(map(item, v))
        items = tuple(_checker(k) for k in args)
        return lambda v: (
            type(v) is tuple
            and len(v) == len(items)
            and all(check(x) for check, x in zip(items, v, strict=True))
        )
    if kind is Quantity:
        return _is_quantity
    if kind is dt.datetime:
        return lambda v: type(v) is dt.datetime and v.tzinfo is not None
    if not isinstance(kind, type):
        return lambda v: False
    if kind in (str, int, bool, float, dt.date, _NONE) or issubclass(kind, enum.Enum):
        return lambda v: type(v) is kind
    fields = _field_types(kind) if attrs.has(kind) else None
    if fields is None:
        return lambda v: False
    checks = tuple((name, _checker(hint)) for name, hint in fields)

    def check_model(value: object) -> bool:
        if type(value) is not kind:
            return False
        return all(check(getattr(value, name)) for name, check in checks)

    return check_model


def _is_quantity(value: object) -> bool:
    if type(value) is not Quantity:
        return False
    assert isinstance(value, Quantity)
    dim = value.dimension
    return (
        type(value.value) in (int, float)
        and type(dim) is Dimension
        and type(dim.numerator) is str
        and type(dim.denominator) in (str, _NONE)
    )


def _plain_model(value: object) -> dict[str, Any]:
    data = _plain(value, 0)
    return data if isinstance(data, dict) else {}


def plain_data(data: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """A mapping as TOML would give it: dicts and lists, keys checked to be strings.

    Models, quantities and enums inside become what a file would hold (a table,
    ``"2 %"``, ``"female"``), so data built in code reads as a file does.
    """
    bad = _non_string_keys(data, "", 0)
    if bad:
        raise InputError(bad, path=origin)
    plain = _plain(data, 0)
    assert isinstance(plain, dict)
    return plain


def _non_string_keys(value: object, key_path: str, depth: int) -> list[Problem]:
    problems: list[Problem] = []
    if depth > _MAX_PLAIN_DEPTH:
        return problems
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                problems.append(
                    Problem(key_path, f"keys must be strings, as in TOML (got {key!r})")
                )
                continue
            where = f"{key_path}.{key}" if key_path else key
            problems += _non_string_keys(item, where, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problems += _non_string_keys(item, f"{key_path}[{index}]", depth + 1)
    return problems


def _plain(value: object, depth: int) -> object:
    """``value`` as plain TOML data; nesting past the limit is left for check_shape."""
    if depth > _MAX_PLAIN_DEPTH:
        return value
    if isinstance(value, Quantity):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {k: _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, depth + 1) for v in value]
    kind = type(value)
    if attrs.has(kind):
        return {
            f.name: _plain(getattr(value, f.name), depth + 1)
            for f in attrs.fields(kind)
            if f.name != "origin"
        }
    return value
