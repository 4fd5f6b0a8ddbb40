"""Helpers for testing mesoreg and plugins: build inputs inline, check with given plugins.

Builders go through the same strict converter as files, so a test input is
validated exactly like a TOML file would be::

    from mesoreg.testing import HEALTHY, check_with, formulation, patient

    f = formulation([("lidocaine", "2 %", "5 mL")], per_session=2)
    report = check_with(f, patient(HEALTHY, weight="55 kg"), plugins=[my_plugin])

A patient's facts are unknown unless given: ``patient(weight="55 kg")`` knows
only the weight, so the rules that need other facts are reported as not
checked.  :data:`HEALTHY` gives every fact, known and nothing wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import Any

from mesoreg.checks._report import Report
from mesoreg.documents._convert import structure
from mesoreg.documents._model import Formulation, Patient
from mesoreg.host._engine import check
from mesoreg.host._guard import DEFAULT_TIMEOUT
from mesoreg.host._plugins import BUILTIN_PLUGINS
from mesoreg.host._registry import Registry

#: a session date far from any birthday used in the tests
DEFAULT_DATE = dt.date(2026, 11, 22)

Component = tuple[str, str, str] | dict[str, Any]

#: the facts of an adult patient with every fact known and nothing wrong, for tests that
#: need them all known, given explicitly: ``patient(HEALTHY, pregnant=True)``
HEALTHY: Mapping[str, Any] = MappingProxyType(
    {
        "birth_date": dt.date(1985, 4, 12),
        "sex": "female",
        "weight": "70 kg",
        "pregnant": False,
        "breastfeeding": False,
        "conditions": (),
        "medications": (),
        "allergies": (),
    }
)


def _component(value: Component) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    ingredient, strength, volume = value
    return {"ingredient": ingredient, "strength": strength, "volume": volume}


def formulation(
    *preparations: Sequence[Component],
    per_session: float = 1,
    use: dict[str, Any] | None = None,
    **fields: Any,
) -> Formulation:
    """A formulation with one preparation per argument, each a list of components.

    A component is ``(ingredient, strength, volume)`` or a dict with the TOML keys.
    """
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": "test",
        "version": 1,
        "title": "test formulation",
        "use": {
            "area": "face",
            "technique": "nappage",
            "depth": "2 mm",
            "points": 10,
            **(use or {}),
        },
        "preparations": [
            {
                "name": f"syringe {i + 1}",
                "per_session": per_session,
                "components": [_component(c) for c in prep],
            }
            for i, prep in enumerate(preparations)
        ],
        **fields,
    }
    where = "<test formulation>"
    return structure(data, Formulation, path=where, origin=where)


def patient(facts: Mapping[str, Any] | None = None, /, **fields: Any) -> Patient:
    """A patient with the facts given; every fact not given is unknown.

    ``facts`` is a mapping of facts to start from (e.g. :data:`HEALTHY`), and
    ``fields`` add to it or change it: ``patient(HEALTHY, pregnant=True)``.  A
    fact not given is unknown, never "none": a rule that needs it is reported
    as not checked, as for a patient file without that key.  A field given as
    ``None`` is left out (unknown).  Built through the same strict converter as
    a file, so a bad value is an :class:`~mesoreg.InputError`.
    """
    data: dict[str, Any] = {"schema_version": 1, "id": "test-patient", **(facts or {}), **fields}
    data = {k: v for k, v in data.items() if v is not None}
    where = "<test patient>"
    return structure(data, Patient, path=where, origin=where)


def make_registry(
    plugins: Iterable[ModuleType | object] = (),
    *,
    builtins: bool = True,
    plugin_timeout: float = DEFAULT_TIMEOUT,
) -> Registry:
    """A registry of the built-in plugins (unless ``builtins=False``) plus ``plugins``.

    Nothing installed in the environment is discovered.  ``plugin_timeout`` is
    the time limit of each plugin call, in seconds: give a tiny one to test
    what happens to a plugin that never returns.
    """
    import importlib

    base = [importlib.import_module(name) for name in BUILTIN_PLUGINS] if builtins else []
    return Registry.from_plugins([*base, *plugins], timeout=plugin_timeout)


def check_with(
    formulation: Formulation,
    patient: Patient | None = None,
    *,
    plugins: Iterable[ModuleType | object] = (),
    registry: Registry | None = None,
    **kwargs: Any,
) -> Report:
    """Check with the built-ins and ``plugins``; the date defaults to :data:`DEFAULT_DATE`."""
    kwargs.setdefault("date", DEFAULT_DATE)
    return check(formulation, patient, registry=registry or make_registry(plugins), **kwargs)


# -- pytest fixtures (opt-in: ``pytest_plugins = ["mesoreg.testing"]`` in conftest.py) ---------

try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixtures
    pass
else:

    @pytest.fixture
    def mesoreg_pm() -> Any:
        """A fresh plugin manager with the hookspecs and the built-ins; nothing discovered."""
        from mesoreg.host._plugins import make_plugin_manager

        return make_plugin_manager()

    @pytest.fixture
    def mesoreg_registry() -> Any:
        """A factory: ``mesoreg_registry(plugin, pack_path, ...)`` -> Registry with the built-ins.

        Arguments are plugin objects or modules, or paths to data-only pack files.
        """
        from pathlib import Path

        from mesoreg.host._plugins import PackPlugin
        from mesoreg.knowledge._pack import load_pack_document

        def factory(*items: object) -> Registry:
            plugins = [
                PackPlugin(load_pack_document(i)) if isinstance(i, str | Path) else i for i in items
            ]
            return make_registry(plugins)

        return factory

    @pytest.fixture
    def mesoreg_check(mesoreg_registry: Any) -> Any:
        """``mesoreg_check(formulation, patient=None, plugins=(...), **context) -> Report``."""

        def run(
            formulation: Formulation,
            patient: Patient | None = None,
            plugins: Sequence[object] = (),
            **kwargs: Any,
        ) -> Report:
            return check_with(formulation, patient, registry=mesoreg_registry(*plugins), **kwargs)

        return run

    @pytest.fixture(autouse=True)
    def _mesoreg_no_discovery(monkeypatch: pytest.MonkeyPatch) -> None:
        """Tests never use plugins installed in the environment by accident."""
        from mesoreg.host._registry import get_registry

        monkeypatch.setenv("MESOREG_NO_PLUGINS", "1")
        get_registry.cache_clear()
