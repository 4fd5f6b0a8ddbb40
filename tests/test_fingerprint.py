"""A registry's fingerprint changes with everything a check can depend on."""

from __future__ import annotations

import attrs

from mesoreg.host._config import Settings
from mesoreg.host._registry import Registry


def test_a_registry_of_plugin_objects_has_none(registry):
    assert registry.fingerprint is None


def test_settings_and_plugins_are_named():
    base = Registry.from_settings(Settings(no_plugins=True))
    assert base.fingerprint == Registry.from_settings(Settings(no_plugins=True)).fingerprint
    other = Registry.from_settings(Settings(no_plugins=True, plugin_timeout=3.0))
    assert other.fingerprint != base.fingerprint
    status = base.statuses[-1]
    newer = attrs.evolve(status, info=attrs.evolve(status.info, version="9"))
    twin = Registry(base.pm, [*base.statuses[:-1], newer], settings=base.settings)
    assert twin.fingerprint != base.fingerprint
