"""Shared fixtures: the built-in registry only, never plugins from the environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from mesoreg import Catalog
from mesoreg.host._registry import Registry

#: mesoreg's own test fixtures, as plugin authors use them; they switch off plugin discovery
pytest_plugins = ["mesoreg.testing"]

# Property tests are part of CI: the same examples every run (derandomize), no example
# database carried between runs, and no deadline (a slow or busy machine is not a failure).
# HYPOTHESIS_PROFILE=fuzz explores new examples, for a longer run by hand.
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("fuzz", deadline=None, max_examples=5_000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
FORMULATIONS = sorted(ROOT.glob("formulations/*/v*.toml"))
PATIENTS = ROOT / "examples" / "patients"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The run's own on-disk cache (also for the commands it runs): never the user's."""
    os.environ["MESOREG_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache") / "mesoreg")


@pytest.fixture(scope="session")
def registry() -> Registry:
    """The built-in plugins, built once for the whole run (it is immutable)."""
    from mesoreg.testing import make_registry

    return make_registry()


@pytest.fixture(scope="session")
def catalog(registry: Registry) -> Catalog:
    """The built-in catalog."""
    return registry.catalog
