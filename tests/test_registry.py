"""The registry's merged catalog through the on-disk cache, and its fingerprint.

Each test has a cache folder of its own; ``built`` counts the merges that really ran, so a
test can tell a hit (no merge) from a miss.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mesoreg import _cache
from mesoreg.host import _registry
from mesoreg.host._config import Settings
from mesoreg.host._registry import Registry

PACK = """
schema_version = 1

[pack]
name = "cache-test"
version = "1.0"
licence = "CC0-1.0"

[[sources]]
id = "test_source"
title = "A test source"
issuer = "Tests"
date = "2026"
kind = "expert_opinion"

[[regulations]]
id = "yy_rule"
code = "MR-REG-YY-TEST"
regions = ["YY"]
severity = "{severity}"
evidence = "expert_opinion"
sources = ["test_source"]
message = "A test rule."
advice = "None."
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(where))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    return where


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a catalog was really merged."""
    runs: list[int] = []
    real = _registry.build_catalog

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_registry, "build_catalog", counting)
    return runs


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    path = tmp_path / "pack.toml"
    path.write_text(PACK.format(severity="minor"))
    return path


def _settings(pack: Path, **changes: object) -> Settings:
    return Settings(no_plugins=True, packs=(str(pack),), **changes)  # type: ignore[arg-type]


def _severity(registry: Registry) -> str:
    (rule,) = [r for r in registry.catalog.regulations if r.id == "yy_rule"]
    return str(rule.severity.value)


def test_second_registry_reads_the_catalog_from_the_cache(cache, built, pack) -> None:  # type: ignore[no-untyped-def]
    first = Registry.from_settings(_settings(pack))
    again = Registry.from_settings(_settings(pack))
    assert again.catalog == first.catalog
    assert len(built) == 1
    assert again.pack_labels == first.pack_labels
    assert again.statuses == first.statuses


def test_an_edited_pack_is_a_miss(cache, built, pack) -> None:  # type: ignore[no-untyped-def]
    assert _severity(Registry.from_settings(_settings(pack))) == "minor"
    pack.write_text(PACK.format(severity="major"))
    assert _severity(Registry.from_settings(_settings(pack))) == "major"
    assert len(built) == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"allow_weakening": ("cache-test:regulations.yy_rule",)},
        {"plugin_timeout": 5.0},
        {"deny": ("someone",)},
        {"allow": ("cache-test",)},
        {"require": ()},
    ],
    ids=["allow_weakening", "timeout", "deny", "allow", "require-same"],
)
def test_settings_are_part_of_the_key(cache, built, pack, changes) -> None:  # type: ignore[no-untyped-def]
    Registry.from_settings(_settings(pack)).catalog  # noqa: B018
    Registry.from_settings(_settings(pack, **changes)).catalog  # noqa: B018
    # "require-same" is the same settings: a hit
    assert len(built) == (1 if changes == {"require": ()} else 2)


def test_no_plugins_is_part_of_the_key(cache, built, pack) -> None:  # type: ignore[no-untyped-def]
    Registry.from_settings(_settings(pack)).catalog  # noqa: B018
    Registry.from_settings(Settings(no_plugins=False, allow=(), packs=(str(pack),))).catalog  # noqa: B018
    assert len(built) == 2


def test_another_mesoreg_version_is_a_miss(cache, built, pack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    Registry.from_settings(_settings(pack)).catalog  # noqa: B018
    monkeypatch.setattr(_cache, "__version__", "99.0.0")
    Registry.from_settings(_settings(pack)).catalog  # noqa: B018
    assert len(built) == 2


def test_a_changed_core_file_is_a_miss(cache, built, pack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from mesoreg.knowledge import _pack

    Registry.from_settings(_settings(pack)).catalog  # noqa: B018
    files = _pack.core_files()
    changed = [(files[0][0], files[0][1] + "\n# edited\n"), *files[1:]]
    monkeypatch.setattr(_pack, "core_files", lambda: changed)
    monkeypatch.setattr(_pack, "_CORE_CACHE", {})
    Registry.from_settings(_settings(pack)).catalog  # noqa: B018
    assert len(built) == 2


def test_a_damaged_entry_is_a_miss(cache, built, pack) -> None:  # type: ignore[no-untyped-def]
    first = Registry.from_settings(_settings(pack)).catalog
    for entry in (cache / "catalog").glob("*.pickle"):
        entry.write_bytes(entry.read_bytes()[:-50])
    assert Registry.from_settings(_settings(pack)).catalog == first
    assert len(built) == 2


def test_an_entry_of_the_wrong_shape_is_a_miss(cache, built, pack) -> None:  # type: ignore[no-untyped-def]
    registry = Registry.from_settings(_settings(pack))
    registry.catalog  # noqa: B018
    _cache.put("catalog", registry._key, b"not a pickle")
    assert _severity(Registry.from_settings(_settings(pack))) == "minor"
    assert len(built) == 2


def test_cache_off_merges_every_time_and_writes_nothing(cache, built, pack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MESOREG_CACHE", "0")
    first = Registry.from_settings(_settings(pack)).catalog
    assert Registry.from_settings(_settings(pack)).catalog == first
    assert len(built) == 2
    assert not cache.exists()


def test_a_refused_merge_is_never_cached(cache, built, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a pack taking the core pack's name: the merge is refused, every time
    path = tmp_path / "core.toml"
    path.write_text(PACK.format(severity="minor").replace("cache-test", "mesoreg-core"))
    settings = Settings(no_plugins=True, packs=(str(path),))
    for _ in range(2):
        with pytest.raises(_registry.InputError):
            Registry.from_settings(settings).catalog  # noqa: B018
    assert len(built) == 2


def test_code_plugin_packs_are_asked_every_time(cache, built, pack) -> None:  # type: ignore[no-untyped-def]
    """A plugin object's packs are part of the key: what it returns now decides."""
    from mesoreg.documents._knowledge import Pack
    from mesoreg.hookspecs import hookimpl
    from mesoreg.testing import make_registry

    class Plugin:
        def __init__(self, version: str) -> None:
            self.version = version

        @hookimpl
        def mesoreg_rule_packs(self) -> list[Pack]:
            return [Pack(name="code-pack", version=self.version)]

    def labels(version: str) -> set[str]:
        registry = make_registry([Plugin(version)])
        registry.catalog  # noqa: B018
        return registry.pack_labels["Plugin"]

    assert labels("1.0") == {"code-pack 1.0"}
    assert labels("1.0") == {"code-pack 1.0"}
    assert labels("2.0") == {"code-pack 2.0"}
    assert len(built) == 2


def test_fingerprint_is_stable_and_follows_the_data(cache, pack) -> None:  # type: ignore[no-untyped-def]
    first = Registry.from_settings(_settings(pack)).fingerprint
    assert Registry.from_settings(_settings(pack)).fingerprint == first
    assert type(first) is str and first
    pack.write_text(PACK.format(severity="major"))
    assert Registry.from_settings(_settings(pack)).fingerprint != first


def test_fingerprint_of_an_unlocatable_plugin_is_none(cache, pack) -> None:  # type: ignore[no-untyped-def]
    class Plugin:  # defined here: its code is this test module, not a package folder
        pass

    Plugin.__module__ = "nowhere_at_all"
    assert Registry.from_settings(_settings(pack)).fingerprint is not None
    registry = Registry.from_settings(_settings(pack))
    registry.pm.register(Plugin(), name="nowhere")
    assert registry.fingerprint is None


def test_fingerprint_without_cache_still_follows_the_data(cache, pack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MESOREG_CACHE", "0")
    first = Registry.from_settings(_settings(pack)).fingerprint
    assert Registry.from_settings(_settings(pack)).fingerprint == first
