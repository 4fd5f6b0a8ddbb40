"""Settings: which plugins and packs to use, from the CLI, the environment and project files.

Precedence, highest first: command-line options, environment variables, then
project configuration (``mesoreg.toml``, or ``[tool.mesoreg]`` in
``pyproject.toml``, in the current directory or the nearest parent that has one,
never above the project root: the nearest folder holding ``.git`` or ``.hg``, or
the user's home folder, whichever comes first; outside any project only the
current directory is read).

========================  ==========================  ===========================
setting                   environment                 configuration key
========================  ==========================  ===========================
``--no-plugins``          ``MESOREG_NO_PLUGINS=1``    ``no_plugins = true``
``--allow NAME``          ``MESOREG_ALLOW=a,b``       ``allow = ["a", "b"]``
``--deny NAME``           ``MESOREG_DENY=a,b``        ``deny = ["a"]``
``--require NAME``        ``MESOREG_REQUIRE=a,b``     ``require = ["a"]``
``--pack PATH``           ``MESOREG_PACKS=p1:p2``     ``packs = ["packs/x.toml"]``
``--store DIR``           ``MESOREG_STORE=dir``       ``store = "formulations"``
``--allow-weakening K``   (none, on purpose)          ``allow_weakening = ["p:k.id"]``
``--plugin-timeout S``    ``MESOREG_PLUGIN_TIMEOUT``  ``plugin_timeout = 30``
``--region CC``           (none)                      ``region = "FR"``
``--fail-on SEVERITY``    (none)                      ``fail_on = "moderate"``
``--author``, ``--by``    ``MESOREG_USER``            ``author = "Dr Roy"``
========================  ==========================  ===========================

``store`` and ``packs`` are relative to the file that names them.  ``region``,
``fail_on`` and ``author`` are defaults of the commands that take them (``check``,
``export``, ``recheck``; ``check``; ``publish``, ``approve``, ``retire``).

``allow_weakening`` names overrides that may weaken another pack's record, as
``pack:kind.id`` (:mod:`mesoreg.knowledge._override`); it has no environment variable, so
that a weakening is only ever allowed where someone wrote it down.

``plugin_timeout`` is the time limit, in seconds, of every call into plugin
code (default 30; see :mod:`mesoreg.host._guard`): a call that overruns it makes
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
from mesoreg.documents._knowledge import RECORD_KINDS, Severity
from mesoreg.host._guard import DEFAULT_TIMEOUT, check_timeout

_LISTS = ("allow", "deny", "require", "packs", "allow_weakening")
#: defaults of command options, each one string
_STRINGS = ("region", "fail_on", "author")
_SEVERITIES = tuple(s.value for s in Severity)
#: folders whose presence marks a project's root: configuration is never read above it
_VCS_MARKERS = (".git", ".hg")


@attrs.frozen
class Settings:
    """Where plugins and packs come from; ``allow = None`` allows every plugin."""

    no_plugins: bool = False
    allow: tuple[str, ...] | None = None
    deny: tuple[str, ...] = ()
    require: tuple[str, ...] = ()
    packs: tuple[str, ...] = ()
    store: str | None = None
    #: overrides allowed to weaken another pack's record, as ``pack:kind.id``
    allow_weakening: tuple[str, ...] = ()
    #: the configuration file read, if any, for messages
    config_file: str | None = None
    #: seconds any one call into plugin code may take
    plugin_timeout: float = DEFAULT_TIMEOUT
    #: default ``--region`` (an ISO 3166 code, checked where it is used)
    region: str | None = None
    #: default ``--fail-on`` (a severity)
    fail_on: str | None = None
    #: default ``--author`` and ``--by``, below ``MESOREG_USER``
    author: str | None = None

    def is_allowed(self, name: str) -> bool:
        """True unless the plugin is denied or an allow-list leaves it out."""
        return name not in self.deny and (self.allow is None or name in self.allow)


def _read_toml(path: Path) -> dict[str, Any]:
    # imported here: `plugins list` and `--version`-like paths read no file and need no
    # converter, and mesoreg.documents._load brings the models and cattrs with it
    from mesoreg.documents._load import read_toml

    return read_toml(path)


def _walk(start: Path, home: Path | None) -> tuple[list[Path], bool]:
    """The folders from ``start`` (resolved) up to its project root, and whether a root was
    found (else every folder up to ``/``)."""
    start = start.resolve()
    home = home.resolve() if home is not None else None
    folders: list[Path] = []
    for folder in (start, *start.parents):
        folders.append(folder)
        if folder == home or any((folder / m).exists() for m in _VCS_MARKERS):
            return folders, True
    return folders, False


def search_folders(start: Path, home: Path | None = None) -> list[Path]:
    """The folders searched for configuration: ``start`` up to its project root, never above.

    The root is the nearest folder (``start`` included) holding ``.git`` or
    ``.hg``, or ``home``, whichever comes first.  Outside any project, only ``start``.
    """
    folders, rooted = _walk(start, home)
    return folders if rooted else folders[:1]


def config_inputs(start: Path, home: Path | None = None) -> list[str]:
    """Every path whose presence or content decides what :func:`find_config` finds: in each
    folder it may look at, the project markers and both configuration files."""
    names = (*_VCS_MARKERS, "mesoreg.toml", "pyproject.toml")
    return [str(folder / n) for folder in _walk(start, home)[0] for n in names]


def find_config(start: Path, home: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest ``mesoreg.toml`` or ``pyproject.toml`` with ``[tool.mesoreg]`` in the project."""
    for folder in search_folders(start, home):
        own = folder / "mesoreg.toml"
        if own.is_file():
            return own, _read_toml(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {}).get("mesoreg")
            if isinstance(tool, dict):
                return pyproject, tool
    return None


def weakening_problems(keys: Any, key: str = "allow_weakening") -> list[Problem]:
    """Problems with ``allow_weakening`` entries: each must read ``pack:kind.id``."""
    problems = []
    for i, value in enumerate(keys):
        if not isinstance(value, str):
            continue  # reported as "must be a list of strings"
        pack, _, rest = value.partition(":")
        kind, _, record = rest.partition(".")
        if not (pack and record and kind in RECORD_KINDS):
            problems.append(
                Problem(
                    f"{key}[{i}]",
                    f"must read 'pack:kind.id', e.g. 'my-pack:limits.x_max' (got {value!r})",
                    f"kind is one of {', '.join(RECORD_KINDS)}; "
                    "a refusal message gives the exact name.",
                )
            )
    return problems


def _from_config(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    known = {"no_plugins", "store", "plugin_timeout", *_STRINGS, *_LISTS}
    if isinstance(data.get("allow_weakening"), list):
        problems += weakening_problems(data["allow_weakening"])
    for key, value in data.items():
        if key not in known:
            problems.append(
                Problem(
                    key, f"unknown setting '{key}'", f"Known settings: {', '.join(sorted(known))}."
                )
            )
        elif key == "no_plugins" and not isinstance(value, bool):
            problems.append(Problem(key, f"must be true or false (got {value!r})"))
        elif key in ("store", *_STRINGS) and not (isinstance(value, str) and value.strip()):
            problems.append(Problem(key, f"must be a non-empty string (got {value!r})"))
        elif key == "fail_on" and value not in _SEVERITIES:
            problems.append(
                Problem(
                    key,
                    f"unknown severity {value!r}",
                    f"Use one of: {', '.join(_SEVERITIES)}.",
                )
            )
        elif key == "region" and (wrong := _region_problems(value)):
            problems += wrong
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
    if "store" in values:  # so is the store, wherever mesoreg runs from below it
        values["store"] = str(path.parent / values["store"])
    return values


def _region_problems(value: str) -> list[Problem]:
    from mesoreg.documents._validate import context_problems  # only when a configuration sets one

    return context_problems(None, value)


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
    home = environ.get("HOME")
    found = find_config(cwd or Path.cwd(), Path(home) if home else None)
    values: dict[str, Any] = {}
    if found:
        values.update(_from_config(*found))
        values["config_file"] = str(found[0])
    values.update(_from_environment(environ))
    given = {k: v for k, v in (cli or {}).items() if v is not None}
    problems = weakening_problems(given.get("allow_weakening", ()), "--allow-weakening")
    if problems:
        raise InputError(problems)
    values.update(given)
    for key in _LISTS:
        if key in values:
            values[key] = tuple(values[key])
    if "plugin_timeout" in values:
        values["plugin_timeout"] = float(values["plugin_timeout"])
    return Settings(**values)
