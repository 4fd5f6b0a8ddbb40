"""Settings: which plugins and packs to use, from the CLI, the environment and project files.

Precedence, highest first: command-line options, environment variables, then
project configuration (``mesoreg.toml``, or ``[tool.mesoreg]`` in
``pyproject.toml``, in the current directory or the nearest parent that has one).

========================  ==========================  ===========================
setting                   environment                 configuration key
========================  ==========================  ===========================
``--no-plugins``          ``MESOREG_NO_PLUGINS=1``    ``no_plugins = true``
``--allow NAME``          ``MESOREG_ALLOW=a,b``       ``allow = ["a", "b"]``
``--deny NAME``           ``MESOREG_DENY=a,b``        ``deny = ["a"]``
``--require NAME``        ``MESOREG_REQUIRE=a,b``     ``require = ["a"]``
``--pack PATH``           ``MESOREG_PACKS=p1:p2``     ``packs = ["packs/x.toml"]``
``--store DIR``           ``MESOREG_STORE=dir``       ``store = "formulations"``
``--plugin-timeout S``    ``MESOREG_PLUGIN_TIMEOUT``  ``plugin_timeout = 30``
========================  ==========================  ===========================

``plugin_timeout`` is the time limit, in seconds, of every call into plugin
code (default 30; see :mod:`mesoreg._guard`): a call that overruns it makes
the report not-validated, naming the plugin.

``--no-plugins`` turns off third-party code plugins and installed packs; the
built-in plugins and packs given with ``--pack`` still load.  Lists do not
merge across levels: the highest level that sets a list wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg._guard import DEFAULT_TIMEOUT, check_timeout
from mesoreg._load import read_toml

_LISTS = ("allow", "deny", "require", "packs")


@attrs.frozen
class Settings:
    """Where plugins and packs come from; ``allow = None`` allows every plugin."""

    no_plugins: bool = False
    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    packs: tuple[str, ...] = ()
    store: str | None = None
    #: the configuration file read, if any, for messages
    config_file: str | None = None
    #: seconds any one call into plugin code may take
    plugin_timeout: float = DEFAULT_TIMEOUT

    def is_allowed(self, name: str) -> bool:
        """True unless the plugin is denied or an allow-list leaves it out."""
        return name not in self.deny and (self.allow is None or name in self.allow)


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``mesoreg.toml`` or ``pyproject.toml`` with ``[tool.mesoreg]``."""
    for folder in (start, *start.parents):
        own = folder / "mesoreg.toml"
        if own.is_file():
            return own, read_toml(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = read_toml(pyproject).get("tool", {}).get("mesoreg")
            if isinstance(tool, dict):
                return pyproject, tool
    return None


def _from_config(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    known = {"no_plugins", "store", "plugin_timeout", *_LISTS}
    for key, value in data.items():
        if key not in known:
            problems.append(
                Problem(
                    key, f"unknown setting '{key}'", f"Known settings: {', '.join(sorted(known))}."
                )
            )
        elif key == "no_plugins" and not isinstance(value, bool):
            problems.append(Problem(key, f"must be true or false (got {value!r})"))
        elif key == "store" and not isinstance(value, str):
            problems.append(Problem(key, f"must be a string (got {value!r})"))
        elif key == "plugin_timeout" and (why := _timeout_problem(value)):
            problems.append(Problem(key, why, "Give seconds, e.g. plugin_timeout = 30."))
        elif key in _LISTS and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            problems.append(Problem(key, f"must be a list of strings (got {value!r})"))
        else:
            values[key] = tuple(value) if key in _LISTS else value
    if problems:
        raise InputError(problems, path=str(path))
    if "packs" in values:  # relative to the file that names them
        values["packs"] = tuple(str(path.parent / p) for p in values["packs"])
    return values


def _timeout_problem(value: Any) -> str:
    try:
        check_timeout(value)
    except ValueError as exc:
        return str(exc)
    return ""


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    raw_timeout = environ.get("MESOREG_PLUGIN_TIMEOUT")
    if raw_timeout is not None:
        try:
            values["plugin_timeout"] = check_timeout(float(raw_timeout))
        except ValueError:
            problem = Problem(
                "MESOREG_PLUGIN_TIMEOUT",
                f"must be a finite number of seconds above 0 (got {raw_timeout!r})",
                "Set it to e.g. 30, or unset it.",
            )
            raise InputError([problem]) from None
    flag = environ.get("MESOREG_NO_PLUGINS")
    if flag is not None:
        values["no_plugins"] = flag.strip().lower() not in ("", "0", "false", "no")
    for key in ("allow", "deny", "require"):
        raw = environ.get(f"MESOREG_{key.upper()}")
        if raw is not None:
            values[key] = tuple(x.strip() for x in raw.split(",") if x.strip())
    raw = environ.get("MESOREG_PACKS")
    if raw is not None:
        values["packs"] = tuple(p for p in raw.split(os.pathsep) if p)
    if environ.get("MESOREG_STORE"):
        values["store"] = environ["MESOREG_STORE"]
    return values


def load_settings(
    cli: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Settings from CLI values (None means not given), the environment and project files."""
    environ = os.environ if environ is None else environ
    found = find_config(cwd or Path.cwd())
    values: dict[str, Any] = {}
    if found:
        values.update(_from_config(*found))
        values["config_file"] = str(found[0])
    values.update(_from_environment(environ))
    values.update({k: v for k, v in (cli or {}).items() if v is not None})
    for key in _LISTS:
        if key in values:
            values[key] = tuple(values[key])
    if "plugin_timeout" in values:
        values["plugin_timeout"] = float(values["plugin_timeout"])
    return Settings(**values)
