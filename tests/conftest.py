"""Shared fixtures: the built-in registry only, never plugins from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesoreg import Catalog
from mesoreg._registry import Registry

#: mesoreg's own test fixtures, as plugin authors use them; they switch off plugin discovery
pytest_plugins = ["mesoreg.testing"]

ROOT = Path(__file__).resolve().parent.parent
FORMULATIONS = sorted(ROOT.glob("formulations/*/v*.toml"))
PATIENTS = ROOT / "examples" / "patients"


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The built-in plugins, built once for the whole run (it is immutable)."""
    from mesoreg.testing import make_registry

    return make_registry()


@pytest.fixture(scope="session")
def catalog(registry: Registry) -> Catalog:
    """The built-in catalog."""
    return registry.catalog
