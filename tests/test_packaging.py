"""The distributions: the sdist and wheel carry the licence and everything they need."""

from __future__ import annotations

import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT
from hatchling.builders.sdist import SdistBuilder
from hatchling.builders.wheel import WheelBuilder

from mesoreg import __version__


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Member names of the sdist and the wheel, built from this checkout as pip would."""
    out = tmp_path_factory.mktemp("dist")
    sdist = Path(next(SdistBuilder(str(ROOT)).build(directory=str(out))))
    wheel = Path(next(WheelBuilder(str(ROOT)).build(directory=str(out))))
    with tarfile.open(sdist) as tar:
        sdist_names = [m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name]
    with zipfile.ZipFile(wheel) as zf:
        wheel_names = zf.namelist()
    return {"sdist": sdist_names, "wheel": wheel_names}


def test_licence_is_the_apache_2_text_and_matches_the_metadata():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]


def test_sdist_carries_licence_package_data_and_no_tests(built):
    names = built["sdist"]
    assert {"LICENSE", "pyproject.toml", "README.md", "mesoreg/__init__.py"} <= set(names)
    catalog = {n for n in names if n.startswith("mesoreg/knowledge/data/") and n.endswith(".toml")}
    assert catalog == {
        f"mesoreg/knowledge/data/{p.name}"
        for p in (ROOT / "mesoreg" / "knowledge" / "data").glob("*.toml")
    }
    assert {f"schemas/{p.name}" for p in (ROOT / "schemas").glob("*.json")} <= set(names)
    # the tests need the repository (formulations, examples, plugins): they are not shipped
    assert not [n for n in names if n.startswith("tests/")]


def test_wheel_carries_licence_package_data_and_type_marker(built):
    names = set(built["wheel"])
    assert f"mesoreg-{__version__}.dist-info/licenses/LICENSE" in names
    assert "mesoreg/py.typed" in names
    data = [
        p
        for folder in ("knowledge/data", "compounding/data", "web/templates", "web/static")
        for p in (ROOT / "mesoreg" / folder).iterdir()
        if p.is_file()
    ]
    assert len(data) > 20
    for path in data:
        assert path.relative_to(ROOT).as_posix() in names
    assert not [n for n in names if n.startswith("tests/")]


def test_ci_tests_the_lowest_versions_the_dependency_ranges_allow():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lower = {}
    for text in project["dependencies"]:
        requirement = Requirement(text)
        bounds = [s.version for s in requirement.specifier if s.operator == ">="]
        assert len(bounds) == 1, f"{text}: give one lower bound (>=)"
        lower[requirement.name] = bounds[0]
    pinned = {}
    for line in (ROOT / ".ci" / "lowest.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.strip()] = version.strip()
    assert pinned == lower
    assert "-c .ci/lowest.txt" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
