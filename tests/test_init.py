"""The public API: exported names, no side effects at import."""

from __future__ import annotations

import subprocess
import sys
import types
import typing

import attrs

import mesoreg


def test_lazy_names_resolve():
    assert mesoreg.check.__module__ == "mesoreg.host._engine"
    assert mesoreg.Store.__name__ == "Store"


def test_all_names_exist_and_are_documented():
    for name in mesoreg.__all__:
        value = getattr(mesoreg, name)
        if name != "__version__":
            assert value.__doc__, f"mesoreg.{name} has no docstring"


def test_all_is_complete_and_sorted():
    import types

    # subpackages (documents, knowledge, checks, host, store, compounding, web, interfaces)
    # are set on mesoreg once imported; they are the layout, not public names
    subpackages = {n for n, v in vars(mesoreg).items() if isinstance(v, types.ModuleType)}
    public = {n for n in vars(mesoreg) if not n.startswith("_")} - subpackages
    assert public <= set(mesoreg.__all__)
    assert list(mesoreg.__all__) == sorted(mesoreg.__all__)


def test_every_error_derives_from_mesoreg_error():
    for name in ("InputError", "UnknownNameError", "UnitError", "PluginError"):
        assert issubclass(getattr(mesoreg, name), mesoreg.MesoregError)
    assert issubclass(mesoreg.UnknownNameError, KeyError)
    assert issubclass(mesoreg.UnitError, ValueError)


def test_import_reads_no_file_and_loads_no_plugin():
    code = (
        "import sys, pathlib, tomli, importlib.metadata as md\n"
        "def boom(*a, **k): raise AssertionError('read at import')\n"
        "tomli.loads = boom; pathlib.Path.read_bytes = boom; md.entry_points = boom\n"
        "import mesoreg, mesoreg.host._registry as r\n"
        "assert r.get_registry.cache_info().currsize == 0\n"
        "assert 'mesoreg.checks._core' not in sys.modules, 'built-in plugins imported'\n"
        "print('clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "clean"


def test_check_accepts_paths(tmp_path):
    report = mesoreg.check(
        "formulations/face-revitalisation/v1.toml", "examples/patients/anna.toml"
    )
    assert report.formulation == "face-revitalisation@1"
    assert report.patient == "anna"


def _public_types() -> dict[str, type]:
    return {n: v for n in mesoreg.__all__ if isinstance(v := getattr(mesoreg, n), type)}


def _named_types(hint: object) -> list[type]:
    """The classes a type hint names, at any depth (unions, tuples, callables)."""
    found: list[type] = []
    stack = [hint]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, types.UnionType) or typing.get_origin(item) is not None:
            stack.extend(typing.get_args(item))
        elif isinstance(item, type):
            found.append(item)
    return found


def test_every_model_type_a_public_type_refers_to_is_public():
    """Every class in a field of a public record (Use, Medication, Sex, Status, ...) can be
    imported from ``mesoreg``, not only from a private module."""
    import mesoreg.checks._subject

    names = {**_public_types(), **vars(mesoreg.checks._subject)}
    missing = set()
    seen: set[type] = set()
    todo = list(_public_types().values())
    while todo:
        kind = todo.pop()
        if kind in seen or not kind.__module__.startswith("mesoreg"):
            continue
        seen.add(kind)
        if getattr(mesoreg, kind.__name__, None) is not kind:
            missing.add(f"{kind.__module__}.{kind.__name__}")
        if attrs.has(kind):
            hints = typing.get_type_hints(kind, localns=names)
            for field in attrs.fields(kind):
                if not field.name.startswith("_"):  # private indexes are no one's API
                    todo.extend(_named_types(hints[field.name]))
    assert not missing, f"not exported from mesoreg: {sorted(missing)}"
    for name in ("Use", "Medication", "CoIngredient", "Sex", "Status", "Area", "Route"):
        assert name in mesoreg.__all__


def test_import_mesoreg_imports_no_model():
    code = (
        "import sys, mesoreg\n"
        "print(sorted(m for m in sys.modules if m.startswith(('mesoreg', 'attr', 'cattrs'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['mesoreg', 'mesoreg._version']"


def test_parse_functions_are_public():
    assert mesoreg.parse_formulation.__module__ == "mesoreg.documents._parse"
    assert mesoreg.parse_patient({"schema_version": 1}).conditions is None
