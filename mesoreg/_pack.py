"""Reading packs: TOML files of ingredients, drugs, conditions, rules and sources.

The built-in core pack is a folder of TOML files inside the package
(``mesoreg/catalog/``), one per ingredient class, each opening with a comment
header that documents its fields and units.  It is read with
:mod:`importlib.resources` on first use, never at import.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from typing import Any

import attrs

from mesoreg._convert import structure
from mesoreg._errors import InputError, Problem
from mesoreg._knowledge import Pack
from mesoreg._load import parse_toml
from mesoreg._version import __version__

#: name of the pack built into mesoreg
CORE_PACK = "mesoreg-core"


def _tag(pack: Pack, origin: str) -> Pack:
    """Stamp every record with the file it came from."""
    changes: dict[str, Any] = {}
    for field in attrs.fields(Pack):
        value = getattr(pack, field.name)
        if isinstance(value, tuple) and value and hasattr(value[0], "origin"):
            changes[field.name] = tuple(attrs.evolve(r, origin=origin) for r in value)
    return attrs.evolve(pack, **changes)


def parse_pack_file(text: str, path: str, name: str, version: str) -> Pack:
    """One pack file's records; ``name`` and ``version`` are the pack's."""
    data = parse_toml(text, path)
    data = {"name": name, "version": version, **data}
    return _tag(structure(data, Pack, path=path), f"{name} {version} ({path})")


def merge_files(parts: Iterable[Pack], name: str, version: str) -> Pack:
    """Join the files of one pack into a single pack."""
    merged: dict[str, list[Any]] = {}
    for part in parts:
        for field in attrs.fields(Pack):
            value = getattr(part, field.name)
            if isinstance(value, tuple):
                merged.setdefault(field.name, []).extend(value)
    return Pack(name=name, version=version, **{k: tuple(v) for k, v in merged.items()})


def load_core_pack() -> Pack:
    """The built-in pack, read from ``mesoreg/catalog/*.toml``."""
    folder = importlib.resources.files("mesoreg") / "catalog"
    parts: list[Pack] = []
    problems: list[Problem] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            parts.append(
                parse_pack_file(
                    entry.read_text(encoding="utf-8"),
                    f"mesoreg/catalog/{entry.name}",
                    CORE_PACK,
                    __version__,
                )
            )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return merge_files(parts, CORE_PACK, __version__)
