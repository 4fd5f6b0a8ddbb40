"""Checking that a record a plugin built matches its declared types, all the way down.

attrs does not check types when a plugin builds a record in Python
(``Finding(severity="major", ...)`` is accepted), so every record that comes
from plugin code (packs, checks, validators, formats, findings) is checked
against its fields' annotations before it is used.  A wrong type would
otherwise crash rendering or catalog building later, far from the plugin.

Containers must be the immutable ones the annotations name (a tuple, not a
list), so nothing a plugin hands over can be changed afterwards; floats must
be finite; ``bool`` is not an ``int``.  Types must match exactly, never a
subclass: a subclass could run the plugin's code later (a property, an
``__eq__``), outside :func:`mesoreg.host._guard.call`.
"""

from __future__ import annotations

import collections.abc
import functools
import math
import types
import typing
from typing import Any

import attrs

from mesoreg.host._guard import type_name

#: problems listed per record before the rest are counted
_SHOWN = 3


def _describe(value: object) -> str:
    # a repr only of built-in values: another's __repr__ is the plugin's code
    if type(value) in (str, int, float, bool, type(None)):
        return f"{type(value).__name__} {value!r:.50}"
    return type_name(value)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    from mesoreg.checks import _region, _report, _subject
    from mesoreg.knowledge import _catalog

    names: dict[str, Any] = {}
    for module in (_catalog, _report, _region, _subject):
        names.update(vars(module))
    return typing.get_type_hints(cls, localns=names)


def _name(expected: Any) -> str:
    return getattr(expected, "__name__", None) or str(expected).replace("typing.", "")


def _problems(value: object, expected: Any, path: str, out: list[str]) -> None:
    origin = typing.get_origin(expected)
    args = typing.get_args(expected)
    if expected is Any or expected is object:
        return
    if origin in (typing.Union, types.UnionType):
        for arm in args:
            trial: list[str] = []
            _problems(value, arm, path, trial)
            if not trial:
                return
        out.append(f"{path}: must be {_name(expected)} (got {_describe(value)})")
        return
    if expected is None or expected is type(None):
        if value is not None:
            out.append(f"{path}: must be None (got {_describe(value)})")
        return
    if origin is collections.abc.Callable or expected is collections.abc.Callable:
        if not callable(value):
            out.append(f"{path}: must be callable (got {_describe(value)})")
        return
    if origin is tuple:
        if type(value) is not tuple:
            out.append(f"{path}: must be a tuple (got {_describe(value)})")
            return
        if len(args) == 2 and args[1] is Ellipsis:
            for i, item in enumerate(value):
                _problems(item, args[0], f"{path}[{i}]", out)
            return
        if len(value) != len(args):
            out.append(f"{path}: must hold {len(args)} items (got {len(value)})")
            return
        for i, (item, arm) in enumerate(zip(value, args, strict=True)):
            _problems(item, arm, f"{path}[{i}]", out)
        return
    if origin is frozenset:
        if type(value) is not frozenset:
            out.append(f"{path}: must be a frozenset (got {_describe(value)})")
            return
        for item in value:
            _problems(item, args[0], f"{path}[{item!r:.30}]", out)
        return
    if origin in (dict, collections.abc.Mapping):
        # exactly a dict: another mapping's items() and a dict subclass's are the plugin's code
        if type(value) is not dict:
            out.append(f"{path}: must be a dict (got {_describe(value)})")
            return
        for key, item in value.items():
            _problems(key, args[0], f"{path} key", out)
            _problems(item, args[1], f"{path}[{key!r:.30}]", out)
        return
    if origin is not None:  # another generic (Iterable[...] and the like): the container only
        expected = origin
    if not isinstance(expected, type):
        return
    if expected is float:
        ok = type(value) in (int, float)
        if not ok or not math.isfinite(value):  # type: ignore[arg-type]
            out.append(f"{path}: must be a finite number (got {_describe(value)})")
        return
    # exactly the type, not a subclass: a subclass could run its own code (a property, __eq__)
    # later, outside the guard; an enum member is exactly its enum
    if type(value) is not expected:
        out.append(f"{path}: must be {_name(expected)} (got {_describe(value)})")
        return
    if attrs.has(expected):
        cls: Any = expected
        hints = _hints(cls)
        for field in attrs.fields(cls):
            _problems(getattr(value, field.name), hints[field.name], f"{path}.{field.name}", out)


def shape_problems(value: object, expected: type[Any], what: str = "") -> list[str]:
    """Why ``value`` is not a well-formed ``expected`` (empty when it is), with key paths."""
    out: list[str] = []
    _problems(value, expected, what or expected.__name__, out)
    if len(out) > _SHOWN:
        out[_SHOWN:] = [f"and {len(out) - _SHOWN} more problems"]
    return out
