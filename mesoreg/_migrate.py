"""Migrations: older formulation files read as the current schema version.

Each migration takes the parsed TOML of version N and returns version N+1;
:func:`migrate` applies them in turn.  A file newer than this mesoreg knows is
refused by the loader with the versions supported.

Version 0 (mesoreg before 0.1) named a component's stock strength
``concentration`` and gave the injection depth as a bare number of millimetres,
``depth_mm = 2``; version 1 says ``strength`` and ``depth = "2 mm"``, since a
number never stands without its unit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Migration = Callable[[dict[str, Any]], dict[str, Any]]


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


def migrate(data: dict[str, Any], current: int) -> dict[str, Any]:
    """Apply migrations until the data is at version ``current``."""
    version = data.get("schema_version")
    while isinstance(version, int) and version < current and version in MIGRATIONS:
        data = MIGRATIONS[version](data)
        version = data.get("schema_version")
    return data
