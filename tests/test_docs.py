"""The documentation site: every public name in the API reference, every page in the nav.

The site itself is built with warnings as errors by .ci/run (``mkdocs build --strict``,
``pip install '.[docs]'``); these tests keep its sources complete without needing mkdocs.
"""

from __future__ import annotations

import enum
import inspect
import re
from pathlib import Path

import mesoreg
import mesoreg.hookspecs
import mesoreg.testing

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_the_api_reference_lists_every_public_name() -> None:
    listed = re.findall(r"^::: mesoreg\.(\w+)$", (DOCS / "api.md").read_text("utf-8"), re.M)
    assert len(listed) == len(set(listed)), "a name is listed twice"
    assert set(listed) == set(mesoreg.__all__) - {"__version__"}


def test_every_page_is_in_the_site_navigation() -> None:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    nav = set(re.findall(r"^  - [^:]+: (\S+\.md)$", config, re.M))
    assert nav == {p.name for p in DOCS.glob("*.md")}


def _undocumented(owner: str, namespace: dict[str, object], module: str | None) -> list[str]:
    missing = []
    for name, value in namespace.items():
        if name.startswith("_") or isinstance(value, enum.Enum):
            continue
        if module is not None and getattr(value, "__module__", None) != module:
            continue  # imported, documented where it is defined
        target = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if (callable(target) or isinstance(value, property)) and not inspect.getdoc(target):
            missing.append(f"{owner}.{name}")
    return missing


def test_everything_public_has_a_docstring() -> None:
    missing = []
    for name in mesoreg.__all__:
        value = getattr(mesoreg, name)
        if isinstance(value, type):
            missing += _undocumented(f"mesoreg.{name}", dict(vars(value)), None)
    for module in (mesoreg.testing, mesoreg.hookspecs):
        missing += _undocumented(module.__name__, dict(vars(module)), module.__name__)
    assert not missing, f"no docstring: {missing}"
