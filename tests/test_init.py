"""The public API: exported names, no side effects at import."""

from __future__ import annotations

import subprocess
import sys

import mesoreg


def test_lazy_names_resolve():
    assert mesoreg.check.__module__ == "mesoreg._engine"
    assert mesoreg.Store.__name__ == "Store"


def test_all_names_exist_and_are_documented():
    for name in mesoreg.__all__:
        value = getattr(mesoreg, name)
        if name != "__version__":
            assert value.__doc__, f"mesoreg.{name} has no docstring"


def test_all_is_complete_and_sorted():
    public = {n for n in vars(mesoreg) if not n.startswith("_")} - {
        "hookspecs",
        "cli",
        "testing",
        "compounding",  # a subpackage, not a public name: set on mesoreg once imported
    }
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
        "import mesoreg, mesoreg._registry as r\n"
        "assert r.get_registry.cache_info().currsize == 0\n"
        "assert 'mesoreg._core' not in sys.modules, 'built-in plugins imported'\n"
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
