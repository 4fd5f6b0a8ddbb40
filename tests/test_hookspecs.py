"""Meta-tests: every hook is documented in docs/plugins.md and exercised by a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from mesoreg import hookspecs
from mesoreg.host._plugins import HOOK_NAMES

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
TESTS = "\n".join(
    p.read_text(encoding="utf-8")
    for p in [*ROOT.glob("tests/test_*.py"), *ROOT.glob("plugins/*/tests/test_*.py")]
    if p.name != "test_hookspecs.py"
)


def section(hook: str) -> str:
    match = re.search(rf"^### `{hook}`\n(.*?)(?=^##)", DOCS, re.S | re.M)
    return match.group(1) if match else ""


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_has_a_docs_section_with_its_signature(hook):
    body = section(hook)
    assert body, f"docs/plugins.md has no section for {hook}"
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"def {hook}({params}" in body.replace(": str", "").replace(": mesoreg.Catalog", "")


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_every_hook_is_implemented_in_some_test(hook):
    assert re.search(rf"def {hook}\(", TESTS), f"no test implements {hook}"


def test_every_hook_is_documented_in_the_module():
    for hook in HOOK_NAMES:
        assert getattr(hookspecs, hook).__doc__


def test_only_the_lookup_hook_is_firstresult():
    firsts = [h for h in HOOK_NAMES if getattr(hookspecs, h).mesoreg_spec["firstresult"]]
    assert firsts == ["mesoreg_resolve_ingredient"]
