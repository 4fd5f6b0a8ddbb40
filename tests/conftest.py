"""Shared fixtures: the built-in registry only, never plugins from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesoreg import Catalog
from mesoreg._registry import Registry
from mesoreg.testing import make_registry

ROOT = Path(__file__).resolve().parent.parent
FORMULATIONS = sorted(ROOT.glob("formulations/*/v*.toml"))
PATIENTS = ROOT / "examples" / "patients"


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The built-in plugins, built once for the whole run (it is immutable)."""
    return make_registry()


@pytest.fixture(scope="session")
def catalog(registry: Registry) -> Catalog:
    """The built-in catalog."""
    return registry.catalog


@pytest.fixture(autouse=True)
def _no_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never pick up plugins installed in the environment by accident."""
    from mesoreg._registry import get_registry

    monkeypatch.setenv("MESOREG_NO_PLUGINS", "1")
    monkeypatch.delenv("MESOREG_STRICT_PLUGINS", raising=False)
    get_registry.cache_clear()
