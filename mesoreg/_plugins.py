"""The plugin manager, and calling hooks one implementation at a time.

No plugin is discovered at import: :func:`make_plugin_manager` registers the
built-in plugins (the core pack and the four checks) and nothing else.  Each
hook implementation is called on its own by :func:`collect`, so a plugin that
raises or returns malformed records is named in :class:`PluginFailure` while
the others keep working.  ``MESOREG_STRICT_PLUGINS=1`` re-raises instead.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from types import ModuleType
from typing import Any

import attrs
import pluggy

from mesoreg import hookspecs
from mesoreg._errors import PluginError

#: the modules that make up mesoreg's own features, registered as plugins
BUILTIN_PLUGINS = (
    "mesoreg._core",
    "mesoreg._check_contraindication",
    "mesoreg._check_interaction",
    "mesoreg._check_dose",
    "mesoreg._check_technique",
)


@attrs.frozen(order=True)
class PluginFailure:
    """A plugin that raised or returned something malformed, in one hook."""

    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"plugin '{self.plugin}' failed in {self.hook}: {self.error}"


def is_strict() -> bool:
    """True when MESOREG_STRICT_PLUGINS asks for plugin failures to be raised."""
    return os.environ.get("MESOREG_STRICT_PLUGINS", "") not in ("", "0", "false", "no")


def make_plugin_manager(
    plugins: Sequence[ModuleType | object] | None = None,
) -> pluggy.PluginManager:
    """A plugin manager with the hookspecs and the built-in plugins (or ``plugins``)."""
    import importlib

    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    if plugins is None:
        plugins = [importlib.import_module(name) for name in BUILTIN_PLUGINS]
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


def collect(
    pm: pluggy.PluginManager, hook: str, kind: type[Any]
) -> tuple[list[tuple[str, Any]], list[PluginFailure]]:
    """Call every implementation of ``hook`` on its own; records of ``kind`` and failures.

    Results come back sorted by plugin name, so they never depend on load order.
    """
    results: list[tuple[str, Any]] = []
    failures: list[PluginFailure] = []
    for impl in getattr(pm.hook, hook).get_hookimpls():
        try:
            value = impl.function()
            if not isinstance(value, list | tuple):
                raise TypeError(f"must return a list of {kind.__name__} (got {value!r:.60})")
            bad = [v for v in value if not isinstance(v, kind)]
            if bad:
                raise TypeError(f"returned {bad[0]!r:.60}, not a {kind.__name__}")
        except Exception as exc:
            if is_strict():
                raise PluginError(f"plugin '{impl.plugin_name}' failed in {hook}: {exc}") from exc
            failures.append(PluginFailure(impl.plugin_name, hook, f"{type(exc).__name__}: {exc}"))
            continue
        results.extend((impl.plugin_name, v) for v in value)
    results.sort(key=lambda pair: pair[0])
    return results, sorted(failures)
