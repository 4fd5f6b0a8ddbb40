"""Migrations: old files read as the current version, and bad old files give one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesoreg import InputError, load_formulation
from mesoreg.documents._migrate import migrate
from mesoreg.documents._model import SCHEMA_VERSION

OLD = """\
schema_version = 0
id = "old"
version = 1
title = "t"

[use]
area = "face"
technique = "nappage"
depth_mm = 2

[[preparations]]
name = "syringe"
per_session = 1

[[preparations.components]]
ingredient = "lidocaine"
concentration = "1 %"
volume = "1 mL"
"""


def load_error(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "old.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_formulation(path)
    prefix = f"{path}: "
    lines = str(info.value).splitlines()
    assert all(line.startswith(prefix) for line in lines)
    return [line.removeprefix(prefix) for line in lines]


def test_version_0_reads_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "old.toml"
    path.write_text(OLD, encoding="utf-8")
    formulation = load_formulation(path)
    assert formulation.use.depth is not None
    assert formulation.use.depth.value == 2.0
    assert formulation.preparations[0].components[0].strength.value == 10.0


def test_migrate_leaves_current_data_alone() -> None:
    data = {"schema_version": SCHEMA_VERSION, "use": "anything"}
    assert migrate(data, SCHEMA_VERSION) is data


# (change to OLD, every problem after "<file>: ")
OLD_ERRORS = [
    pytest.param(
        ("[use]\n", "use = 5\n[other]\n"),
        "",
        ["use: must be a table (got int)"],
        id="use-not-a-table",
    ),
    pytest.param(
        ("depth_mm = 2", 'depth_mm = "deep"'),
        "",
        [
            "use.depth_mm: must be a number of millimetres (got 'deep'). "
            "Write e.g. 'depth_mm = 2', or 'depth = \"2 mm\"' with schema_version = 1."
        ],
        id="depth-a-string",
    ),
    pytest.param(
        ("depth_mm = 2", "depth_mm = true"),
        "",
        [
            "use.depth_mm: must be a number of millimetres (got True). "
            "Write e.g. 'depth_mm = 2', or 'depth = \"2 mm\"' with schema_version = 1."
        ],
        id="depth-a-boolean",
    ),
    pytest.param(
        ("depth_mm = 2", "depth_mm = nan"),
        "",
        ["use.depth_mm: must be a finite, positive number (got nan)"],
        id="depth-nan",
    ),
    pytest.param(
        ("depth_mm = 2", "depth_mm = -inf"),
        "",
        ["use.depth_mm: must be a finite, positive number (got -inf)"],
        id="depth-minus-inf",
    ),
    pytest.param(
        ("depth_mm = 2", 'depth_mm = 2\ndepth = "2 mm"'),
        "",
        ["use.depth_mm: give the depth once. Remove 'depth_mm' or 'depth'."],
        id="depth-twice",
    ),
    pytest.param(
        ('concentration = "1 %"', 'concentration = "1 %"\nstrength = "2 %"'),
        "",
        [
            "preparations[0].components[0].concentration: give the strength once. "
            "Remove 'concentration' (schema 0) or 'strength' (schema 1)."
        ],
        id="strength-twice",
    ),
    pytest.param(
        (OLD[OLD.index("[[preparations]]") :], ""),
        'preparations = "syringe"',
        ["preparations: must be an array of tables (got a string)"],
        id="preparations-a-string",
    ),
    pytest.param(
        (OLD[OLD.index("[[preparations]]") :], ""),
        "preparations = [1, 2]",
        [
            f"preparations[{i}]: must be a table (got int). Write [[preparations]] and "
            "[[preparations.components]] tables, as in version 1."
            for i in (0, 1)
        ],
        id="preparations-numbers",
    ),
    pytest.param(
        (OLD[OLD.index("[[preparations]]") :], ""),
        'preparations = [{ name = "s", per_session = 1, components = ["lidocaine"] }]',
        [
            "preparations[0].components[0]: must be a table (got a string). Write "
            "[[preparations]] and [[preparations.components]] tables, as in version 1."
        ],
        id="component-a-string",
    ),
]


@pytest.mark.parametrize(("change", "top", "lines"), OLD_ERRORS)
def test_bad_old_files_give_one_line_per_problem(
    tmp_path: Path, change: tuple[str, str], top: str, lines: list[str]
) -> None:
    assert change[0] in OLD
    text = OLD.replace(*change, 1).replace('title = "t"\n', f'title = "t"\n{top}\n')
    assert load_error(tmp_path, text) == lines


def test_every_problem_of_an_old_file_at_once(tmp_path: Path) -> None:
    text = OLD.replace("depth_mm = 2", "depth_mm = nan").replace(
        'concentration = "1 %"', 'concentration = "1 %"\nstrength = "2 %"'
    )
    assert len(load_error(tmp_path, text)) == 2
