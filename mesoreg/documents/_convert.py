"""The one cattrs converter, and turning its errors into one-line problems.

The converter is strict: ``"10"`` does not become ``10``, a bool is not an
int, a date must be a TOML date, unknown keys are errors, and every problem is
reported at once with its key path (``preparations[0].components[1].strength``).
Once built, a model's numbers and facts are checked by :mod:`mesoreg.documents._validate`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import functools
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from mesoreg._errors import InputError, Problem, UnitError
from mesoreg.documents._quantity import Quantity, parse_quantity
from mesoreg.documents._validate import problems_in
from mesoreg.documents._vocabulary import Term, closest, normalize

T = TypeVar("T")

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


class _TypeProblem(TypeError):
    """A value of the wrong type; the message is shown to the user as is."""


def _strict(kind: type[Any]) -> Any:
    def structure(value: Any, _: type[Any]) -> Any:
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            raise _TypeProblem(f"must be {_TYPE_NAMES[kind]} (got {value!r})")
        return value

    return structure


def _structure_date(value: Any, _: type[Any]) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise _TypeProblem(f"must be a TOML date like 2026-11-22, without quotes (got {value!r})")


def _structure_datetime(value: Any, _: type[Any]) -> dt.datetime:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    raise _TypeProblem(
        f"must be a TOML date-time with its offset, like 2026-11-22T10:00:00Z (got {value!r})"
    )


def _structure_quantity(value: Any, _: type[Any]) -> Quantity:
    if not isinstance(value, str):
        raise _TypeProblem(
            f"must be a quantity with its unit, as a string like '5 mL' (got {value!r})"
        )
    return parse_quantity(value)


@functools.cache
def _enum_table(kind: type[enum.Enum]) -> dict[str, enum.Enum]:
    """An enum's members by their exact and their normalised value, worked out once."""
    table = {normalize(str(m.value)): m for m in kind}
    table.update({str(m.value): m for m in kind})
    return table


def _structure_enum(value: Any, kind: type[enum.Enum]) -> enum.Enum:
    """A vocabulary value: normalised (case, accents, separators), then matched exactly."""
    if isinstance(value, str):
        found = _enum_table(kind).get(value)
        if found is not None:
            return found
        if issubclass(kind, Term):
            try:
                return kind(value)  # normalised, and the vocabulary's other spellings
            except ValueError:
                pass
        else:
            found = _enum_table(kind).get(normalize(value))
            if found is not None:
                return found
    allowed = [str(m.value) for m in kind]
    close = closest(str(value), allowed) if isinstance(value, str) else []
    if close:
        guess = " or ".join(f"'{c}'" for c in close)
        raise _TypeProblem(f"unknown value {value!r}. Did you mean {guess}?")
    raise _TypeProblem(f"must be one of {', '.join(allowed)} (got {value!r})")


def _is_tuple(kind: Any) -> bool:
    return getattr(kind, "__origin__", None) is tuple


def _tuple_hook(kind: Any) -> Any:
    """Tuples come from TOML arrays only: a string is not a list of characters."""
    args = kind.__args__
    fixed = not (len(args) == 2 and args[1] is Ellipsis)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _TypeProblem(f"must be a list (got {value!r})")
        if fixed and len(value) != len(args):
            raise _TypeProblem(f"must be a list of {len(args)} items (got {len(value)})")
        items, errors = [], []
        for index, item in enumerate(value):
            item_kind = args[index] if fixed else args[0]
            try:
                items.append(converter.structure(item, item_kind))
            except Exception as exc:
                exc.__notes__ = [IterableValidationNote(f"@ index {index}", index, item_kind)]
                errors.append(exc)
        if errors:
            raise IterableValidationError("invalid list", errors, kind)
        return tuple(items)

    return structure


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    for kind in (str, int, float, bool):
        conv.register_structure_hook(kind, _strict(kind))
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(dt.datetime, _structure_datetime)
    conv.register_unstructure_hook(dt.datetime, lambda d: d)
    conv.register_structure_hook_factory(_is_tuple, _tuple_hook)
    conv.register_structure_hook(Quantity, _structure_quantity)
    conv.register_unstructure_hook(Quantity, str)
    conv.register_unstructure_hook(dt.date, lambda d: d)
    # StrEnum subclasses str, so it needs its own hook ahead of the strict str one
    conv.register_structure_hook(enum.StrEnum, _structure_enum)
    conv.register_structure_hook(enum.Enum, _structure_enum)
    # ``origin`` records where a record came from; it is never read from or written to files.
    conv.register_structure_hook_factory(
        lambda t: attrs.has(t) and any(a.name == "origin" for a in attrs.fields(t)),
        lambda t: make_dict_structure_fn(t, conv, origin=override(omit=True)),
    )
    conv.register_unstructure_hook_factory(
        lambda t: attrs.has(t) and any(a.name == "origin" for a in attrs.fields(t)),
        lambda t: make_dict_unstructure_fn(t, conv, origin=override(omit=True)),
    )
    return conv


#: the one converter mesoreg uses, for every file format
converter = _make_converter()


def _walk(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """Yield (key path, message) for every leaf error inside a cattrs error group."""
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub, note in exc.group_exceptions()[0]:
            step = (
                f"[{note.index}]" if isinstance(note, IterableValidationNote) else f".{note.name}"
            )
            yield from _walk(sub, path + step)
        for sub in exc.group_exceptions()[1]:
            yield from _walk(sub, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        known = list(field_names(exc.cl)) if attrs.has(exc.cl) else []
        for key in sorted(exc.extra_fields):
            close = difflib.get_close_matches(key, known, n=1)
            hint = (
                f" Did you mean '{close[0]}'?" if close else f" Allowed keys: {', '.join(known)}."
            )
            yield (f"{path}.{key}".lstrip("."), f"unknown key '{key}'.{hint}")
    elif isinstance(exc, KeyError):
        # the attribute note has already added the key to the path
        yield (path.lstrip("."), "required key is missing")
    elif isinstance(exc, _TypeProblem | UnitError):
        yield (path.lstrip("."), str(exc))
    elif isinstance(exc, InputError):
        for p in exc.problems:
            yield (".".join(x for x in (path.lstrip("."), p.key_path) if x), p.message)
    else:
        yield (path.lstrip("."), f"invalid value: {exc}")


def structure(
    data: Mapping[str, Any],
    kind: type[T],
    path: str | None = None,
    *,
    origin: str | None = None,
    validate: bool = True,
) -> T:
    """Build ``kind`` from parsed TOML, or raise :class:`InputError` listing every problem.

    ``origin`` sets the model's ``origin`` field (where it was read from) before the model is
    validated, so the model validated is the model returned.  ``validate=False`` leaves out
    :func:`~mesoreg.documents._validate.problems_in`, for kinds it can find nothing in (no
    number that may be a float, no model it has rules for: a test proves it of each)."""
    if not isinstance(data, Mapping):
        raise InputError([Problem("", f"expected a table (got {data!r})")], path=path)
    try:
        value = converter.structure(data, kind)
    except (ClassValidationError, IterableValidationError, ForbiddenExtraKeysError) as exc:
        problems = [Problem(key, msg) for key, msg in _walk(exc, "")]
        raise InputError(problems, path=path) from exc
    if origin is not None:
        value = attrs.evolve(value, origin=origin)  # type: ignore[misc]
    # numbers, dimensions and facts: mesoreg.documents._validate
    problems = problems_in(value) if validate else []
    if problems:
        raise InputError(problems, path=path)
    return value


@functools.cache
def field_names(kind: type[Any]) -> tuple[str, ...]:
    """The TOML keys an attrs class accepts."""
    return tuple(a.name for a in attrs.fields(kind) if a.name != "origin")


def unstructure(value: Any) -> Any:
    """Plain data (dicts, lists, strings, dates) for TOML or JSON output."""
    return converter.unstructure(value)
