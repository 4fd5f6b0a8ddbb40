"""The mfr and label commands: outputs, exit codes, refusals, schemas, and a light parser."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT

from mesoreg._errors import InputError
from mesoreg._exit import ExitCode
from mesoreg.command.cli import main

STORE = str(ROOT / "formulations")
LABEL = [
    "--store", STORE, "--lot", "L-1", "--environment", "segregated_compounding_area",
    "--storage", "refrigerator", "--compounded-at", "2026-11-22T10:00+01:00",
]  # fmt: skip


def schema(name: str) -> dict:  # type: ignore[type-arg]
    return json.loads((ROOT / "schemas" / name).read_text())


@pytest.fixture(autouse=True)
def _builtin_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No installed plugin and no configuration file: the outcome is the built-ins'."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESOREG_NO_PLUGINS", "1")


@pytest.mark.parametrize(
    ("ref", "code"),
    [
        ("face-revitalisation@1", ExitCode.OK),
        ("lipo-abdomen@1", ExitCode.NOT_VALIDATED),  # rules not checked: not a pass
    ],
)
def test_mfr_writes_html_and_exits_with_the_checks_verdict(ref, code, tmp_path, capsys) -> None:
    out = tmp_path / "mfr.html"
    assert main(["mfr", ref, "--store", STORE, "-o", str(out)]) == code
    assert capsys.readouterr().err == f"wrote {out}\n"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and f"{ref}" in page
    # never over an existing file
    assert main(["mfr", ref, "--store", STORE, "-o", str(out)]) == ExitCode.INPUT
    assert "exists; not overwritten" in capsys.readouterr().err


def test_mfr_json_matches_its_schema(capsys) -> None:
    argv = ["mfr", "face-revitalisation@1", "--store", STORE, "--format", "json"]
    argv += ["--environment", "segregated_compounding_area", "--storage", "refrigerator"]
    assert main(argv) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema("mfr-1.schema.json"))
    assert (data["bud"]["hours"], data["bud"]["storage"]) == (24, "refrigerator")
    assert data["strength"][1]["concentration"] == "20 mg/mL"


def test_mfr_asks_for_both_environment_and_storage(capsys) -> None:
    argv = ["mfr", "face-revitalisation@1", "--store", STORE, "--storage", "refrigerator"]
    assert main(argv) == ExitCode.INPUT
    assert "--environment: is needed with the other" in capsys.readouterr().err


def test_mfr_of_an_unknown_version_is_a_clean_error(capsys) -> None:
    assert main(["mfr", "face-revitalisation@9", "--store", STORE]) == ExitCode.INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_label_json_matches_its_schema(capsys) -> None:
    argv = ["label", "cellulite-thighs@1", *LABEL, "--patient", "Anna", "--format", "json"]
    assert main(argv) == ExitCode.OK
    data = json.loads(capsys.readouterr().out)
    jsonschema.validate(data, schema("label-1.schema.json"))
    (label,) = data["labels"]
    assert label["bud"] == "2026-11-23 10:00+01:00" and label["patient"] == "Anna"
    assert label["ingredients"][0] == {
        "ingredient": "Aminophylline",
        "concentration": "8.3333 mg/mL",
    }


def test_label_without_a_determined_bud_says_so_and_exits_3(tmp_path, capsys) -> None:
    argv = ["label", "hair-scalp@1", *LABEL, "-o", str(tmp_path / "l.html")]
    argv[argv.index("segregated_compounding_area")] = "cleanroom_suite"  # Category 2: no hours
    assert main(argv) == ExitCode.NOT_VALIDATED
    assert "BUD NOT ASSIGNED" in (tmp_path / "l.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--component-lot", "lidocaine_2pct_5ml_vial:A1:2026-11-01"], "expired on 2026-11-01"),
        (["--component-lot", "lidocaine_2pct_5ml_vial:A1:2026-11-22"], "a BUD may not exceed"),
        (["--patient", "Anna\x1b[2J"], "--patient: 'Anna\\\\x1b[2J' is not one printable line"),
    ],
    ids=["expired-lot", "bud-after-expiry", "control-character"],
)
def test_label_refusals(extra, message, capsys) -> None:
    assert main(["label", "cellulite-thighs@1", *LABEL, *extra]) == ExitCode.INPUT
    assert message in capsys.readouterr().err


def test_label_pdf_is_written_to_a_file(tmp_path, capsys) -> None:
    out = tmp_path / "labels.pdf"
    argv = ["label", "face-revitalisation@1", *LABEL, "--format", "pdf", "-o", str(out)]
    assert main(argv) == ExitCode.OK
    assert out.read_bytes().startswith(b"%PDF-")


def test_pdf_without_reportlab_says_how_to_install_it(monkeypatch) -> None:
    from mesoreg.compounding import _pdf

    monkeypatch.setitem(sys.modules, "reportlab", None)
    with pytest.raises(InputError, match=r"pip install 'mesoreg\[pdf\]'"):
        _pdf._reportlab()


def test_the_parser_loads_no_record_or_pdf_code() -> None:
    code = (
        "import sys; from mesoreg.command import cli; cli._parser(); "
        "print(sorted(m for m in sys.modules "
        "if m.startswith(('mesoreg.compounding', 'reportlab'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "['mesoreg.compounding', 'mesoreg.compounding._args', "
        "'mesoreg.compounding._batch_args', 'mesoreg.compounding._record_cli', "
        "'mesoreg.compounding._terms']"
    )
