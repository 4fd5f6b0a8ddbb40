"""Reading packs: TOML files of ingredients, drugs, conditions, rules and sources.

The built-in core pack is a folder of TOML files inside the package
(``mesoreg/catalog/``), one per ingredient class, each opening with a comment
header that documents its fields and units.  It is read with
:mod:`importlib.resources` on first use, never at import.

A data-only pack file is read like any input (regular files only, nesting at
most ``mesoreg._load.MAX_NESTING_DEPTH``) and is at most :data:`MAX_PACK_BYTES`
(8 MiB) with at most :data:`MAX_PACK_RECORDS` (20,000) records; the core pack
is about 0.3 MB and 500 records, so a pack that size is refused as a named pack
failure instead of costing every run seconds and gigabytes.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from mesoreg._convert import structure
from mesoreg._errors import InputError, Problem
from mesoreg._knowledge import Pack
from mesoreg._load import check_schema_version, parse_toml
from mesoreg._version import __version__

#: name of the pack built into mesoreg
CORE_PACK = "mesoreg-core"
#: largest data-only pack file read, in bytes (8 MiB, about 30 times the core pack)
MAX_PACK_BYTES = 8 * 1024 * 1024
#: most records (ingredients, drugs, rules, sources, ...) in one pack file (40 times the core pack)
MAX_PACK_RECORDS = 20_000


def _check_record_count(data: dict[str, Any], path: str) -> None:
    count = sum(len(v) for k, v in data.items() if k != "pack" and isinstance(v, list))
    if count > MAX_PACK_RECORDS:
        raise InputError(
            [
                Problem(
                    "",
                    f"pack has {count:,} records; a pack may have at most {MAX_PACK_RECORDS:,} "
                    "(mesoreg._pack.MAX_PACK_RECORDS)",
                    "Split it into several packs, or check that this is the file you meant.",
                )
            ],
            path,
        )


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
    records: dict[str, Any] = {k: tuple(v) for k, v in merged.items()}
    return attrs.evolve(Pack(name=name, version=version), **records)


_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def parse_pack_document(text: str, path: str) -> Pack:
    """A data-only pack: one TOML file with a ``[pack]`` table and its records.

    The ``[pack]`` table declares ``name``, ``version``, ``licence`` and optionally
    ``requires_mesoreg`` and ``description``; the file declares ``schema_version``
    and at least one source.  No code is run.
    """
    data = dict(parse_toml(text, path))
    _check_record_count(data, path)
    check_schema_version(data, "pack", path)
    data.pop("schema_version")
    header = data.pop("pack", None)
    problems: list[Problem] = []
    if not isinstance(header, dict):
        raise InputError(
            [
                Problem(
                    "pack",
                    "required table is missing",
                    "Add a [pack] table with name, version and licence.",
                )
            ],
            path,
        )
    for key in ("name", "version", "licence"):
        if not header.get(key):
            problems.append(Problem(f"pack.{key}", "required key is missing"))
    name = header.get("name", "")
    if name and not (isinstance(name, str) and _SLUG.match(name)):
        problems.append(
            Problem("pack.name", f"must be a lowercase name like 'my-pack' (got {name!r})")
        )
    if not data.get("sources"):
        problems.append(
            Problem(
                "sources",
                "a pack needs at least one source",
                "Every fact it ships must name a public source.",
            )
        )
    if problems:
        raise InputError(problems, path)
    pack = structure({**header, **data}, Pack, path=path)
    return _tag(pack, f"{pack.name} {pack.version} ({path})")


def load_pack_document(path: str | Path) -> Pack:
    """Read a data-only pack file (``--pack PATH``)."""
    from mesoreg._load import read_text

    text = read_text(path, MAX_PACK_BYTES, "mesoreg._pack.MAX_PACK_BYTES")
    return parse_pack_document(text, str(path))


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
