"""The command line: exit codes, text and JSON output, one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FORMULATIONS, PATIENTS, ROOT

from mesoreg import __version__
from mesoreg._exit import EPILOG, ExitCode
from mesoreg.command import cli
from mesoreg.command.cli import main

ANNA = str(PATIENTS / "anna.toml")
DATE = "2026-11-22"
BY_NAME = {p.parent.name: str(p) for p in FORMULATIONS}
#: a test case that fails by default (a major finding, whatever the patient)
BY_NAME["lidocaine-overdose"] = str(ROOT / "tests" / "data" / "lidocaine-overdose.toml")

BAD_FORMULATION = """\
schema_version = 1
id = "x"
version = 1
title = "t"

[use]
area = "face"
technique = "nappage"

[[preparations]]
name = "syringe"
per_session = 1

[[preparations.components]]
ingredient = "lidocane"
strength = "1 %"
volume = "1 mL"
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def check_anna(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> tuple[int, str, str]:
    return run(capsys, "check", BY_NAME[name], "--patient", ANNA, "--date", DATE, *extra)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("face-revitalisation", 0),
        ("hair-scalp", 0),
        ("lipo-abdomen", 3),  # KYBELLA's limits are not checked on a mixture: not validated
        ("cellulite-thighs", 3),  # aminophylline's dose has no sourced limit: not validated
    ],
)
def test_check_exit_codes(capsys: pytest.CaptureFixture[str], name: str, code: int) -> None:
    exit_code, out, err = check_anna(capsys, name)
    assert exit_code == code
    assert err == ""
    assert f"{name}@1 for anna" in out.splitlines()[0]


def test_check_an_overdose_reports_a_major_finding(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check_anna(capsys, "lidocaine-overdose", "--format", "json")
    report = json.loads(out)
    assert code == 1
    assert any(f["severity"] in ("major", "contraindicated") for f in report["findings"])


@pytest.mark.parametrize("path", FORMULATIONS, ids=lambda p: p.parent.name)
def test_check_json(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    argv = ["check", str(path), "--patient", ANNA, "--date", DATE, "--format", "json"]
    code, out, err = run(capsys, *argv)
    assert code in (0, 1, 3)
    assert err == ""
    report = json.loads(out)
    assert {"report_schema_version", "verdict", "findings", "unchecked", "not_run"} <= set(report)
    assert report["report_schema_version"] == 2
    assert report["date"] == DATE
    assert report["formulation"] == f"{path.parent.name}@1"
    for finding in report["findings"]:
        assert finding["fhir_severity"] in ("high", "moderate", "low")
        assert finding["cds_indicator"] in ("critical", "warning", "info")
        expected_fhir = {"contraindicated": "high", "major": "high", "moderate": "moderate"}
        assert finding["fhir_severity"] == expected_fhir.get(finding["severity"], "low")


def test_fail_on_minor(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_anna(capsys, "cellulite-thighs")[0] == 3  # not validated, below major
    code, out, _ = check_anna(capsys, "cellulite-thighs", "--fail-on", "minor")
    assert code == 1
    assert "MR-IX-LIPOLYTIC-ANAESTHETIC" in out


def test_fail_on_contraindicated_lets_lower_findings_pass(
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra = ["--fail-on", "contraindicated", "--format", "json"]
    code, out, _ = check_anna(capsys, "lidocaine-overdose", *extra)
    severities = {f["severity"] for f in json.loads(out)["findings"]}
    assert "major" in severities
    assert "contraindicated" not in severities
    assert code == 0


def test_unknown_ingredient(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD_FORMULATION, encoding="utf-8")
    code, out, err = run(capsys, "check", str(path), "--date", DATE)
    assert code == 2
    assert out == ""
    assert err == (
        f"error: {path}: preparations[0].components[0].ingredient: unknown ingredient "
        "'lidocane'. Did you mean 'lidocaine' (local anaesthetic)? "
        "Run 'mesoreg catalog search lidoc'.\n"
    )


def test_malformed_toml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('schema_version = 1\nid = "x\n', encoding="utf-8")
    code, out, err = run(capsys, "check", str(path))
    assert code == 2
    assert "Traceback" not in out + err
    assert err == (
        f"error: {path}: not valid TOML: Illegal character '\\n' (at line 2, column 8). "
        "Fix the syntax at that line.\n"
    )


def test_several_problems_one_line_each(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        BAD_FORMULATION.replace("\nversion = 1", '\nversion = "1"').replace(
            'volume = "1 mL"', "volume = 1"
        ),
        encoding="utf-8",
    )
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    lines = err.splitlines()
    # two that stop the file becoming a model, and the typo beside them
    assert [line.split(": ")[2] for line in lines] == [
        "version",
        "preparations[0].components[0].volume",
        "preparations[0].components[0].ingredient",
    ]
    assert all(line.startswith(f"error: {path}: ") for line in lines)


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert err == f"error: {path}: file not found; check the path\n"


def test_bad_region(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", BY_NAME["hair-scalp"], "--region", "USA")
    assert code == 2
    assert (
        err == "error: --region: 'USA' is not an ISO 3166 code. "
        "Use two letters A to Z, e.g. US, FR or BR.\n"
    )


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", BY_NAME["hair-scalp"], "--date", "22/11/2026"])
    assert info.value.code == 2
    assert "'22/11/2026' is not a date like 2026-11-22" in capsys.readouterr().err


# -- catalog -------------------------------------------------------------------


def test_catalog_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "list")
    assert code == 0
    ids = [line.split()[0] for line in out.splitlines()]
    assert ids == sorted(ids)
    assert {"lidocaine", "deoxycholic_acid", "cyanocobalamin"} <= set(ids)


def test_catalog_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "list", "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert all(set(row) == {"id", "name", "classes", "aliases"} for row in rows)
    assert "lignocaine" in next(r for r in rows if r["id"] == "lidocaine")["aliases"]


def test_catalog_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "lidocaine")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Lidocaine hydrochloride (lidocaine)"
    assert "  identifiers: UNII 98PI200987, CAS 137-58-6, ATC N01BB02, C01BB01" in lines
    assert any("MR-DOSE-LIDOCAINE-PER-KG" in line for line in lines)
    assert any(line.startswith("    xylocaine_pi: ") for line in lines)


def test_catalog_show_by_alias_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "LIGNOCAINE", "--format", "json")
    detail = json.loads(out)
    assert code == 0
    assert detail["id"] == "lidocaine"
    assert detail["identifiers"]["cas"] == "137-58-6"
    assert all(set(detail["sources"]) >= set(rule["sources"]) for rule in detail["rules"])


def test_catalog_show_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "catalog", "show", "lidocane")
    assert code == 2
    assert out == ""
    assert err == (
        "error: lidocane: unknown ingredient 'lidocane'. "
        "Did you mean 'lidocaine' (local anaesthetic)? "
        "Run 'mesoreg catalog search lidoc'.\n"
    )


def test_catalog_search(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "search", "deoxychol")
    assert code == 0
    assert out == "ingredient  deoxycholic_acid  Deoxycholic acid  [lipolytic, bile_acid]\n"


@pytest.mark.parametrize(
    ("text", "kind", "record"),
    [
        ("Previscan", "drug", "fluindione"),
        ("B01AF02", "drug", "apixaban"),
        ("B01AA", "medication_class", "anticoagulant"),
        ("sulfite", "allergen", "sulfite"),
    ],
)
def test_catalog_search_every_kind(
    capsys: pytest.CaptureFixture[str], text: str, kind: str, record: str
) -> None:
    code, out, _ = run(capsys, "catalog", "search", text, "--format", "json")
    assert code == 0
    assert (kind, record) in {(r["kind"], r["id"]) for r in json.loads(out)}


@pytest.mark.parametrize(
    ("name", "kind", "record"),
    [
        ("Sintrom", "drug", "acenocoumarol"),
        ("ATC:B01AF02", "drug", "apixaban"),
        ("anticoagulant", "medication_class", "anticoagulant"),
    ],
)
def test_catalog_show_drug_and_class(
    capsys: pytest.CaptureFixture[str], name: str, kind: str, record: str
) -> None:
    code, out, _ = run(capsys, "catalog", "show", name, "--format", "json")
    detail = json.loads(out)
    assert code == 0
    assert (detail["kind"], detail["id"]) == (kind, record)
    assert "MR-CI-ANTICOAGULANT" in {r["code"] for r in detail["rules"]}


def test_catalog_show_condition(capsys: pytest.CaptureFixture[str]) -> None:
    from mesoreg.host._registry import get_catalog

    condition = next(iter(get_catalog().conditions.values()))
    code, out, _ = run(
        capsys, "catalog", "show", condition.id, "--kind", "condition", "--format", "json"
    )
    assert code == 0
    assert (json.loads(out)["kind"], json.loads(out)["id"]) == ("condition", condition.id)


def test_catalog_search_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "search", "deoxychol", "--format", "json")
    rows = json.loads(out)
    assert code == 0
    assert [r["id"] for r in rows] == ["deoxycholic_acid"]
    assert "Kybella" in rows[0]["aliases"]


def test_catalog_search_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "catalog", "search", "zzzz") == (0, "nothing matches 'zzzz'\n", "")


def test_catalog_search_nothing_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "search", "zzzz", "--format", "json")
    assert (code, json.loads(out)) == (0, [])


# -- version ---------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"mesoreg {__version__}\n"


def test_python_m_mesoreg_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mesoreg", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"mesoreg {__version__}\n", "")


# -- exit codes a script can trust ---------------------------------------------------


def test_exit_codes_are_documented_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert EPILOG in out
    for code in ExitCode:
        assert f"\n  {code.value:<4} " in EPILOG


def _anna_without_medications(tmp_path: Path) -> str:
    patient = tmp_path / "patient.toml"
    patient.write_text(
        (PATIENTS / "anna.toml").read_text(encoding="utf-8").replace("medications = []\n", ""),
        encoding="utf-8",
    )
    return str(patient)


def test_a_report_that_is_not_validated_exits_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patient = _anna_without_medications(tmp_path)
    code, out, err = run(capsys, "check", BY_NAME["hair-scalp"], "--patient", patient)
    assert code == ExitCode.NOT_VALIDATED == 3
    assert out.startswith("NOT VALIDATED  hair-scalp@1")
    assert err == ""


def test_findings_at_fail_on_win_over_not_validated(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patient = _anna_without_medications(tmp_path)
    argv = ["check", BY_NAME["lidocaine-overdose"], "--patient", patient, "--format", "json"]
    code, out, _ = run(capsys, *argv)
    assert json.loads(out)["unchecked"]  # something could not be checked ...
    assert code == ExitCode.FINDINGS  # ... but what was found already fails


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (RuntimeError("boom"), "internal error: RuntimeError: boom"),
        (KeyError("x"), "internal error: KeyError: 'x'"),
        (ValueError("two\nlines\x1b[2K"), "internal error: ValueError: two\\x0alines\\x1b[2K"),
        (AssertionError(), "internal error: AssertionError"),
        (SystemExit(0), "internal error: SystemExit: 0"),
    ],
    ids=["runtime", "key", "control-characters", "no-message", "system-exit-0"],
)
def test_an_unexpected_error_is_one_line_and_exit_4(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    line: str,
) -> None:
    def fail(args: object) -> int:
        raise exc

    monkeypatch.delenv("MESOREG_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_run_check", fail)
    code, out, err = run(capsys, "check", BY_NAME["hair-scalp"])
    assert code == ExitCode.INTERNAL == 4
    assert out == ""
    assert err.splitlines() == [
        line,
        "hint: this is a bug in mesoreg or a plugin; run again with MESOREG_DEBUG=1 "
        "and report the traceback",
    ]


def test_an_internal_error_shows_its_traceback_only_when_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_run_catalog", fail)
    monkeypatch.setenv("MESOREG_DEBUG", "1")
    code, _, err = run(capsys, "catalog", "list")
    assert code == 4
    lines = err.splitlines()
    assert lines[0] == "internal error: RuntimeError: boom"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: boom"


def test_stdout_is_restored_after_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    before = sys.stdout
    run(capsys, "catalog", "search", "zzzz")
    assert sys.stdout is before


# -- control characters from inputs are never printed raw -----------------------------

FORGED = "\x1b[2K\rPASS"


def _patient_with_id(tmp_path: Path, patient_id: str) -> str:
    text = (PATIENTS / "anna.toml").read_text(encoding="utf-8")
    escaped = json.dumps(patient_id)  # a JSON string is a valid TOML basic string here
    path = tmp_path / "patient.toml"
    path.write_text(text.replace('id = "anna"', f"id = {escaped}"), encoding="utf-8")
    return str(path)


def test_a_patient_id_cannot_overwrite_the_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    patient = _patient_with_id(tmp_path, FORGED + "\nPASS")
    code, out, _ = run(capsys, "check", BY_NAME["lidocaine-overdose"], "--patient", patient)
    assert code == 1
    assert "\x1b" not in out and "\r" not in out
    first = out.splitlines()[0]
    assert first.startswith("FAIL  lidocaine-overdose@1 for \\x1b[2K\\x0dPASS\\x0aPASS, ")


@pytest.mark.parametrize("patient_id", [FORGED, "\x9b2K\u202eSSAP", "a\u2028b"])
def test_json_output_stays_valid_and_exact(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, patient_id: str
) -> None:
    patient = _patient_with_id(tmp_path, patient_id)
    argv = ["check", BY_NAME["hair-scalp"], "--patient", patient, "--format", "json"]
    _, out, _ = run(capsys, *argv)
    assert not any(c in out for c in "\x1b\r\x9b\u202e\u2028")
    assert json.loads(out)["patient"] == patient_id


def test_error_messages_escape_what_they_echo(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        BAD_FORMULATION.replace('"lidocane"', json.dumps("lido" + FORGED)), encoding="utf-8"
    )
    code, out, err = run(capsys, "check", str(path))
    assert code == 2
    assert out == ""
    assert "\x1b" not in err and "\r" not in err
    (line,) = err.splitlines()
    assert "lido\\x1b[2K\\x0dPASS" in line


def test_argparse_errors_escape_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["check", "f.toml", "--date", "\x1b[2J\rPASS"])
    assert info.value.code == ExitCode.INPUT
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\r" not in err
    assert "\\x1b[2J\\x0dPASS" in err


def test_a_look_alike_region_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", BY_NAME["lipo-abdomen"], "--region", "\uff26\uff32")
    assert (code, out) == (ExitCode.INPUT, "")
    assert "is not an ISO 3166 code" in err


# -- the text report on a terminal -------------------------------------------------------


class _Tty:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("no_color", "coloured"), [(None, True), ("1", False)])
def test_colours_on_a_terminal_unless_no_color(
    monkeypatch: pytest.MonkeyPatch, no_color: str | None, coloured: bool
) -> None:
    tty = _Tty()
    monkeypatch.setattr(sys, "stdout", tty)
    monkeypatch.delenv("TERM", raising=False)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert main(["check", BY_NAME["hair-scalp"], "--patient", ANNA, "--date", DATE]) == 0
    first = tty.text.splitlines()[0]
    assert first.startswith("\x1b[1;32mPASS\x1b[0m  hair-scalp@1" if coloured else "PASS  ")
    assert ("\x1b" in tty.text) is coloured


def test_text_report_starts_with_the_composition(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check_anna(capsys, "lipo-abdomen")
    assert code == 3
    lines = out.splitlines()
    assert lines[1] == "1 moderate finding, 3 rules not checked"
    assert lines[3:6] == [
        "COMPOSITION",
        "  PC/DC syringe: 10 mL, 2 per session",
        "    Phosphatidylcholine  50 mg/mL  (500 mg in 10 mL)",
    ]
    assert "\x1b" not in out  # not a terminal


def test_a_pack_that_is_not_there_is_bad_input(capsys, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    example = BY_NAME["face-revitalisation"]
    code, out, err = run(capsys, "check", example, "--pack", "nope.toml")
    assert (code, out) == (2, "")
    assert "error: --pack: nope.toml: no such file" in err
    (tmp_path / "mesoreg.toml").write_text('packs = ["packs/gone.toml"]\n')
    code, out, err = run(capsys, "check", example)
    assert (code, out) == (2, "")
    assert f"error: packs: {tmp_path / 'packs' / 'gone.toml'}: no such file" in err
