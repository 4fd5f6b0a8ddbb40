"""Migrations: older formulation files read as the current schema version.

Each migration takes the parsed TOML of version N and returns version N+1;
:func:`migrate` applies them in turn.  A file newer than this mesoreg knows is
refused by the loader with the versions supported.

Version 0 (mesoreg before 0.1) named a component's stock strength
``concentration`` and gave the injection depth as a bare number of millimetres,
``depth_mm = 2``; version 1 says ``strength`` and ``depth = "2 mm"``, since a
number never stands without its unit.

Each migration first checks the shape it rewrites (tables where tables go, a
finite number of millimetres) and raises :class:`~mesoreg.InputError` with every
problem, named by its key path in the *old* file, so a bad old file gets the
same one-line errors as a current one, never a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mesoreg._errors import InputError, Problem

Migration = Callable[[dict[str, Any]], dict[str, Any]]

_TABLE_HINT = "Write [[preparations]] and [[preparations.components]] tables, as in version 1."


def _type_name(value: Any) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _tables(data: dict[str, Any], key: str, where: str, problems: list[Problem]) -> list[Any]:
    """The array of tables at ``key`` ([] if absent); a problem if it is anything else."""
    value = data.get(key, [])
    if not isinstance(value, list):
        problems.append(Problem(where, f"must be an array of tables (got {_type_name(value)})"))
        return []
    tables = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            tables.append(item)
        else:
            problems.append(
                Problem(f"{where}[{i}]", f"must be a table (got {_type_name(item)})", _TABLE_HINT)
            )
    return tables


def _check_v0(data: dict[str, Any]) -> list[Problem]:
    """What in a version-0 file the migration could not rewrite faithfully."""
    problems: list[Problem] = []
    use = data.get("use", {})
    if not isinstance(use, dict):
        problems.append(Problem("use", f"must be a table (got {_type_name(use)})"))
    elif "depth_mm" in use:
        depth = use["depth_mm"]
        if "depth" in use:
            problems.append(
                Problem("use.depth_mm", "give the depth once", "Remove 'depth_mm' or 'depth'.")
            )
        elif isinstance(depth, bool) or not isinstance(depth, int | float):
            problems.append(
                Problem(
                    "use.depth_mm",
                    f"must be a number of millimetres (got {depth!r})",
                    "Write e.g. 'depth_mm = 2', or 'depth = \"2 mm\"' with schema_version = 1.",
                )
            )
        elif not math.isfinite(depth) or depth < 0:
            problems.append(
                Problem("use.depth_mm", f"must be a finite, positive number (got {depth!r})")
            )
    for i, prep in enumerate(_tables(data, "preparations", "preparations", problems)):
        where = f"preparations[{i}].components"
        for j, comp in enumerate(_tables(prep, "components", where, problems)):
            if "concentration" in comp and "strength" in comp:
                problems.append(
                    Problem(
                        f"{where}[{j}].concentration",
                        "give the strength once",
                        "Remove 'concentration' (schema 0) or 'strength' (schema 1).",
                    )
                )
    return problems


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    use = dict(data.get("use", {}))
    if "depth_mm" in use:
        depth = use.pop("depth_mm")
        use["depth"] = f"{depth} mm" if isinstance(depth, int | float) else depth
    data["use"] = use
    preparations = []
    for prep in data.get("preparations", []):
        prep = dict(prep)
        components = []
        for comp in prep.get("components", []):
            comp = dict(comp)
            if "concentration" in comp and "strength" not in comp:
                comp["strength"] = comp.pop("concentration")
            components.append(comp)
        prep["components"] = components
        preparations.append(prep)
    data["preparations"] = preparations
    data["schema_version"] = 1
    return data


#: schema version -> the migration that lifts a file of that version by one
MIGRATIONS: dict[int, Migration] = {0: _v0_to_v1}


#: schema version -> what must hold before its migration runs
CHECKS: dict[int, Callable[[dict[str, Any]], list[Problem]]] = {0: _check_v0}


def migrate(data: dict[str, Any], current: int, path: str | None = None) -> dict[str, Any]:
    """Apply migrations until the data is at version ``current``.

    Each migration's input is checked first; :class:`~mesoreg.InputError` lists
    every problem, attributed to ``path``.
    """
    version = data.get("schema_version")
    while (
        isinstance(version, int)
        and not isinstance(version, bool)
        and version < current
        and version in MIGRATIONS
    ):
        problems = CHECKS[version](data) if version in CHECKS else []
        if problems:
            raise InputError(problems, path=path)
        data = MIGRATIONS[version](data)
        version = data.get("schema_version")
    return data
