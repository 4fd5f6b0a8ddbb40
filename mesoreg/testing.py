"""Helpers for testing mesoreg and plugins: build inputs inline, check with given plugins.

Builders go through the same strict converter as files, so a test input is
validated exactly like a TOML file would be::

    from mesoreg.testing import formulation, patient, check_with

    f = formulation([("lidocaine", "2 %", "5 mL")], per_session=2)
    report = check_with(f, patient(weight="55 kg"), plugins=[my_plugin])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

import attrs

from mesoreg._convert import structure
from mesoreg._engine import check
from mesoreg._model import Formulation, Patient
from mesoreg._plugins import BUILTIN_PLUGINS
from mesoreg._registry import Registry
from mesoreg._report import Report

#: a session date far from any birthday used in the tests
DEFAULT_DATE = dt.date(2026, 11, 22)

Component = tuple[str, str, str] | dict[str, Any]


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
    return attrs.evolve(structure(data, Formulation, path=where), origin=where)


def patient(**fields: Any) -> Patient:
    """A patient with every fact known and nothing wrong, changed by ``fields``.

    Pass a field as ``None`` to leave it out (unknown).
    """
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": "test-patient",
        "birth_date": dt.date(1985, 4, 12),
        "sex": "female",
        "weight": "70 kg",
        "pregnant": False,
        "breastfeeding": False,
        "conditions": [],
        "medications": [],
        "allergies": [],
    }
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    where = "<test patient>"
    return attrs.evolve(structure(data, Patient, path=where), origin=where)


def make_registry(
    plugins: Iterable[ModuleType | object] = (), *, builtins: bool = True
) -> Registry:
    """A registry of the built-in plugins (unless ``builtins=False``) plus ``plugins``.

    Nothing installed in the environment is discovered.
    """
    import importlib

    base = [importlib.import_module(name) for name in BUILTIN_PLUGINS] if builtins else []
    return Registry.from_plugins([*base, *plugins])


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
