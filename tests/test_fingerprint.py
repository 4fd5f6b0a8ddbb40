"""A registry's fingerprint changes with everything a check can depend on."""

from __future__ import annotations

import os
import sys

import attrs

from mesoreg import _fingerprint
from mesoreg._config import Settings
from mesoreg._registry import Registry


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


def test_a_pack_file_is_named_by_its_bytes(tmp_path):
    pack = tmp_path / "p.toml"
    pack.write_text("a")
    before = _fingerprint._file_bytes(pack)
    pack.write_text("b")
    assert _fingerprint._file_bytes(pack) != before


def test_a_changed_plugin_file_is_another_print(tmp_path, monkeypatch):
    package = tmp_path / "mesoreg_test_print"
    package.mkdir()
    (package / "__init__.py").write_text("X = 1\n")
    (package / "data.toml").write_text("x = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        prints = [_fingerprint._package_files("mesoreg_test_print")]
        (package / "__init__.py").write_text("X = 22\n")  # another size
        prints.append(_fingerprint._package_files("mesoreg_test_print"))
        os.utime(package / "data.toml", ns=(1, 1))  # same size, another time
        prints.append(_fingerprint._package_files("mesoreg_test_print"))
        assert len(set(prints)) == 3
    finally:
        sys.modules.pop("mesoreg_test_print", None)
