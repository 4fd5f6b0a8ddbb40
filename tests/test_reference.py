"""The plugin guide's record reference: generated from the field help texts, kept current."""

from __future__ import annotations

import typing
from pathlib import Path

import attrs
import pytest

from mesoreg.checks._report import Report
from mesoreg.checks._subject import Subject
from mesoreg.documents._field import doc_of
from mesoreg.documents._knowledge import RECORD_KINDS, Pack
from mesoreg.documents._quantity import Quantity
from mesoreg.interfaces._reference import (
    BEGIN,
    CODE_RECORDS,
    END,
    PACK_RECORDS,
    documented_fields,
    main,
    record_table,
    rewrite,
    type_text,
)

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins.md"
RECORDS = [kind for _, kind in (*PACK_RECORDS, *CODE_RECORDS)]
#: attrs classes in record fields that no author supplies as a table: the arguments given
#: to plugin code, and quantities (written as strings such as '300 mg')
NOT_RECORDS = (Subject, Report, Quantity)


def test_the_plugin_guide_is_current() -> None:
    page = GUIDE.read_text(encoding="utf-8")
    assert rewrite(page) == page, (
        "docs/plugins.md is stale: run 'python -m mesoreg.interfaces._reference docs/plugins.md'"
    )


@pytest.mark.parametrize("kind", RECORDS, ids=lambda k: k.__name__)
def test_every_field_of_every_record_has_help_text(kind: type) -> None:
    missing = [f.name for f in documented_fields(kind) if not doc_of(f).strip()]
    assert not missing, f"{kind.__name__}: fields without metadata=doc(...): {missing}"


def test_every_kind_of_pack_record_has_a_table() -> None:
    pack_types = typing.get_type_hints(Pack)
    tabled = {kind for _, kind in PACK_RECORDS}
    for name in RECORD_KINDS:
        (record,) = typing.get_args(pack_types[name])[:1]
        assert record in tabled, f"Pack.{name} ({record.__name__}) has no table"


def test_every_record_inside_a_record_has_a_table() -> None:
    """A nested table (an ingredient's identifiers, a finding's sources) is documented too."""
    from mesoreg.interfaces._reference import _NAMES

    tabled = set(RECORDS)
    for kind in RECORDS:
        hints = typing.get_type_hints(kind, localns=_NAMES)
        for field in documented_fields(kind):
            stack = [hints[field.name]]
            while stack:
                hint = stack.pop()
                stack.extend(a for a in typing.get_args(hint) if not isinstance(a, list))
                if attrs.has(hint) and hint not in NOT_RECORDS:
                    assert hint in tabled, f"{kind.__name__}.{field.name}: {hint.__name__}"


def test_a_table_row_per_field_with_type_default_and_help() -> None:
    table = record_table(pack_types := Pack)
    assert table.splitlines()[0] == "| key | type | default | meaning |"
    assert "| `name` | string | required | Pack name, unique among installed packs" in table
    assert len(table.splitlines()) == 2 + len(attrs.fields(pack_types))


@pytest.mark.parametrize(
    ("hint", "text"),
    [
        (tuple[str, ...], "array of strings"),
        (int | None, "integer, optional"),
        (tuple[str, str], "array of 2: string, string"),
    ],
)
def test_types_in_words(hint: object, text: str) -> None:
    assert type_text(hint) == text


def test_the_command_rewrites_and_checks(tmp_path: Path) -> None:
    page = tmp_path / "guide.md"
    page.write_text(f"# Guide\n\n{BEGIN}\nold text\n{END}\n\nafter\n", encoding="utf-8")
    assert main(["--check", str(page)]) == 1
    assert main([str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert "old text" not in text and text.endswith(f"{END}\n\nafter\n")
    assert "#### `[[limits]]` (`Limit`)" in text and "#### `mesoreg.Finding`" in text
    assert main(["--check", str(page)]) == 0


def test_a_page_without_markers_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="markers not found"):
        rewrite("# no markers\n")
