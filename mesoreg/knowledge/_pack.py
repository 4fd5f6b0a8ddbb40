"""Reading packs: TOML files of ingredients, drugs, conditions, rules and sources.

The built-in core pack is a folder of TOML files inside the package
(``mesoreg/knowledge/data/``), one per ingredient class, each opening with a comment
header that documents its fields and units.  It is read with
:mod:`importlib.resources` on first use, never at import.

A data-only pack file is read like any input (regular files only, nesting at
most ``mesoreg.documents._load.MAX_NESTING_DEPTH``) and is at most :data:`MAX_PACK_BYTES`
(8 MiB) with at most :data:`MAX_PACK_RECORDS` (20,000) records; the core pack
is about 0.3 MB and 500 records, so a pack that size is refused as a named pack
failure instead of costing every run seconds and gigabytes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from mesoreg import _cache, _snapshot
from mesoreg._errors import InputError, Problem
from mesoreg._snapshot import core_files, core_key
from mesoreg._version import __version__
from mesoreg.documents._convert import structure
from mesoreg.documents._knowledge import Pack
from mesoreg.documents._load import check_schema_version, parse_toml

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
                    "(mesoreg.knowledge._pack.MAX_PACK_RECORDS)",
                    "Split it into several packs, or check that this is the file you meant.",
                )
            ],
            path,
        )


def tag_records(pack: Pack, origin: str) -> Pack:
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
    return tag_records(structure(data, Pack, path=path), f"{name} {version} ({path})")


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


#: a pack name: lowercase ASCII letters and digits, in words joined by single hyphens
PACK_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
#: a pack version: ASCII letters, digits and . + ! - (PEP 440 and semantic versions)
PACK_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+!-]*")
#: longest pack name or version
MAX_PACK_NAME = 64

#: characters that look alike in a name, folded to one before names are compared
_LOOK_ALIKE = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"))


def pack_name_problems(name: object, version: object) -> list[str]:
    """Why a pack's name or version cannot be used (none when both can), one line each.

    Every pack, from a file or from a code plugin, follows the same rule, so a
    name prints as itself: no capitals, spaces, invisible or non-ASCII letters.
    """
    problems = []
    if not (type(name) is str and len(name) <= MAX_PACK_NAME and PACK_NAME.fullmatch(name)):
        shown = ascii(name) if type(name) is str else f"a {type(name).__name__}"
        problems.append(
            f"pack name {shown} must be lowercase ASCII letters and digits in words joined "
            f"by single hyphens, like 'my-pack', at most {MAX_PACK_NAME} characters"
        )
    if not (
        type(version) is str and len(version) <= MAX_PACK_NAME and PACK_VERSION.fullmatch(version)
    ):
        shown = ascii(version) if type(version) is str else f"a {type(version).__name__}"
        problems.append(
            f"pack version {shown} must be ASCII letters, digits and '.+!-', like '1.0.2'"
        )
    return problems


def name_skeleton(name: str) -> str:
    """``name`` as it looks: case, separators and look-alike letters folded.

    Two pack names with one skeleton ('mesoreg-core', 'mesoreg_c0re',
    'mesoregcore') would be told apart by nobody reading a report.
    """
    folded = "".join(c for c in unicodedata.normalize("NFKC", name).casefold() if c.isalnum())
    for look, like in _LOOK_ALIKE:
        folded = folded.replace(look, like)
    return folded


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
    name, version = header.get("name", ""), header.get("version", "")
    if name and version:
        for line in pack_name_problems(name, version):
            key = "pack.name" if line.startswith("pack name") else "pack.version"
            problems.append(Problem(key, line))
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
    return tag_records(pack, f"{pack.name} {pack.version} ({path})")


def load_pack_document(path: str | Path) -> Pack:
    """Read a data-only pack file (``--pack PATH``)."""
    return pack_from_text(read_pack_text(path), str(path))


def read_pack_text(path: str | Path) -> str:
    """A data-only pack file's text, refused over :data:`MAX_PACK_BYTES`."""
    from mesoreg.documents._load import read_text

    return read_text(path, MAX_PACK_BYTES, "mesoreg.knowledge._pack.MAX_PACK_BYTES")


def text_token(text: str, path: str) -> str:
    """What a pack read from ``text`` at ``path`` is a pure function of (its cache key)."""
    return _cache.key("pack", path, text)


def pack_from_text(text: str, path: str) -> Pack:
    """:func:`parse_pack_document`, through the on-disk cache keyed by the file's content.

    A large pack costs seconds to structure and an unpickle of milliseconds to read back;
    the key is the text itself (with the path, which the records' origins name), so an
    edited file is parsed again.  A pack that fails to parse is never cached.
    """
    token = text_token(text, path)
    cached = _snapshot.get("pack", token)
    if type(cached) is Pack:
        return cached
    pack = parse_pack_document(text, path)
    _snapshot.put("pack", token, pack)
    return pack


def core_token() -> str:
    """The cache key of the core pack: its version and its catalog files' contents."""
    return core_key(core_files(), __version__)


#: the core pack by its token: a file that changes is read again, so the cache cannot
#: serve a stale pack (MESOREG_CACHE=0 turns it off)
_CORE_CACHE: dict[str, Pack] = {}


def load_core_pack() -> Pack:
    """The built-in pack, read from ``mesoreg/knowledge/data/*.toml`` (parsed once per content)."""
    files = core_files()
    key = core_key(files, __version__)
    use_cache = _cache.enabled()
    if use_cache and key in _CORE_CACHE:
        return _CORE_CACHE[key]
    stored = _snapshot.get("core", key)
    if type(stored) is Pack:
        _CORE_CACHE.clear()
        _CORE_CACHE[key] = stored
        return stored
    problems: list[Problem] = []
    found: list[Pack] = []
    for name, text in files:
        try:
            found.append(
                parse_pack_file(text, f"mesoreg/knowledge/data/{name}", CORE_PACK, __version__)
            )
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    pack = merge_files(found, CORE_PACK, __version__)
    if use_cache:
        _CORE_CACHE.clear()  # one version of the core at a time
        _CORE_CACHE[key] = pack
        _snapshot.put("core", key, pack)
    return pack
