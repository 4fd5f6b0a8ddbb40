"""The compose and bud command functions, text and JSON, against their schemas."""

from __future__ import annotations

import argparse
import json

import jsonschema
import pytest
from conftest import ROOT

from mesoreg._errors import InputError
from mesoreg._exit import ExitCode
from mesoreg.compounding._args import COMMANDS, add_arguments
from mesoreg.compounding._cli import run
from mesoreg.documents._load import load_formulation

EXAMPLE = str(ROOT / "examples" / "compose" / "face-lidocaine.toml")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    for name in COMMANDS:
        add_arguments(name, sub.add_parser(name))
    return parser.parse_args(argv)


def schema(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((ROOT / "schemas" / name).read_text())


def test_compose_json_matches_its_schema_and_writes_the_draft(registry, tmp_path, capsys):
    out = tmp_path / "draft.toml"
    code = run(parse("compose", EXAMPLE, "-o", str(out), "--format", "json"), lambda: registry)
    assert code == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema("compose-1.schema.json"))
    draws = data["syringes"][0]["draws"]
    assert [(d["product"], d["volume"], d["result"]) for d in draws] == [
        ("lidocaine_2pct_5ml_vial", "1.2 mL", "4.8 mg/mL"),
        ("sodium_chloride_0_9pct_10ml_vial", "3.8 mL", None),
    ]
    assert load_formulation(out).id == "face-lidocaine"
    assert data["draft"] == out.read_text(encoding="utf-8")


def test_compose_text_and_no_overwrite(registry, tmp_path, capsys):
    assert run(parse("compose", EXAMPLE), lambda: registry) == ExitCode.OK
    text = capsys.readouterr().out
    assert "draw 1.2 mL of lidocaine_2pct_5ml_vial" in text
    assert "rounding error -4.0 %" in text
    out = tmp_path / "draft.toml"
    out.write_text("mine")
    with pytest.raises(InputError, match="exists; not overwritten"):
        run(parse("compose", EXAMPLE, "-o", str(out)), lambda: registry)
    assert out.read_text() == "mine"


def test_list_products(registry, capsys):
    assert run(parse("compose", "--list-products", "--format", "json"), lambda: registry) == 0
    ids = [row["id"] for row in json.loads(capsys.readouterr().out)]
    assert "lidocaine_2pct_5ml_vial" in ids


def test_bud_json_matches_its_schema(capsys):
    args = parse(
        "bud",
        "--environment",
        "segregated_compounding_area",
        "--storage",
        "refrigerator",
        "--compounded-at",
        "2026-11-22T10:00+01:00",
        "--lot",
        "lidocaine_2pct_5ml_vial:A123:2027-03-31",
        "--format",
        "json",
    )
    assert run(args, lambda: None) == ExitCode.OK  # type: ignore[arg-type,return-value]
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema("bud-1.schema.json"))
    assert (data["bud"], data["rule"], data["hours"]) == (
        "2026-11-23T10:00:00+01:00",
        "category_1",
        24,
    )


def test_bud_not_assigned_exits_3(capsys):
    args = parse(
        "bud",
        "--environment",
        "cleanroom_suite",
        "--storage",
        "refrigerator",
        "--compounded-at",
        "2026-11-22T10:00+01:00",
    )
    assert run(args, lambda: None) == ExitCode.NOT_VALIDATED  # type: ignore[arg-type,return-value]
    assert capsys.readouterr().out.startswith("NO BUD ASSIGNED (category_2): cannot be assigned")


def test_bud_refuses_a_time_without_offset(capsys):
    with pytest.raises(SystemExit):
        parse(
            "bud",
            "--environment",
            "cleanroom_suite",
            "--storage",
            "freezer",
            "--compounded-at",
            "2026-11-22T10:00",
        )
    assert "with its offset" in capsys.readouterr().err
