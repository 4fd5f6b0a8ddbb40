"""Every command's --format json output, and every JSON error, matches its committed schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import ROOT

from mesoreg._exit import ExitCode
from mesoreg.command import cli
from mesoreg.command.cli import main
from mesoreg.interfaces._cli_schema import CLI_SCHEMAS, COMMAND_SCHEMAS

SCHEMAS = ROOT / "schemas"


def validate(name: str, data: Any) -> None:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main([*argv, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESOREG_USER", "pharmacist")
    main(["new", "demo", "--store", "st"])
    draft = tmp_path / "demo.toml"
    main(["publish", "demo.toml", "--store", "st"])
    draft.write_text(draft.read_text().replace("saline", "lidocaine").replace("0.9 %", "1 %"))
    main(["publish", "demo.toml", "--store", "st"])
    main(["approve", "demo@1", "--store", "st", "--by", "chief"])
    capsys.readouterr()
    return tmp_path


def _iso(text: str) -> dt.datetime:
    assert "T" in text
    return dt.datetime.fromisoformat(text)


def test_every_command_with_json_has_a_schema() -> None:
    from test_cli_help import LEAVES

    documented = set(COMMAND_SCHEMAS)
    # FHIR is documented by HL7; serve's answers are described by its OpenAPI document
    # (tests/test_web_api.py)
    assert set(LEAVES) - documented == {"export", "completion", "serve"}
    written_by_hand = {"report-2.schema.json", "compose-1.schema.json", "bud-1.schema.json"}
    written_by_hand |= {"mfr-1.schema.json", "label-1.schema.json"}
    written_by_hand |= {"cli-compound-1.schema.json", "cli-records-1.schema.json"}
    assert set(COMMAND_SCHEMAS.values()) - written_by_hand <= set(CLI_SCHEMAS)
    for name in written_by_hand:
        assert (ROOT / "schemas" / name).is_file(), name


def test_store_commands(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "new", "other", "--store", "st", "--from", "demo@2")
    assert code == 0
    validate("cli-new-1.schema.json", data)
    assert data["next"] == "mesoreg publish other.toml --store st"

    code, data = run_json(capsys, "publish", "other.toml", "--store", "st", "--author", "Roy")
    assert code == 0
    validate("cli-publish-1.schema.json", data)
    assert (data["id"], data["version"], data["author"]) == ("other", 1, "Roy")
    assert _iso(data["published"]).tzinfo is not None

    for command in ("approve", "retire"):
        code, data = run_json(capsys, command, "other@1", "--store", "st", "--by", "chief")
        assert code == 0
        validate("cli-status-1.schema.json", data)
        assert data["status"] == {"approve": "approved", "retire": "retired"}[command]
        _iso(data["at"])

    code, data = run_json(capsys, "history", "demo", "--store", "st")
    validate("cli-history-1.schema.json", data)
    assert [e["status"] for e in data] == ["approved", "draft"]
    _iso(data[0]["published"])
    _iso(data[0]["events"][1]["at"])

    code, data = run_json(capsys, "show", "demo@2", "--store", "st")
    validate("cli-show-1.schema.json", data)

    code, data = run_json(capsys, "diff", "demo@1", "demo@2", "--store", "st")
    validate("cli-diff-1.schema.json", data)
    assert data["differences"]

    code, data = run_json(capsys, "verify", "--store", "st")
    assert code == 0
    validate("cli-verify-1.schema.json", data)
    assert (data["ok"], data["formulations"], data["versions"]) == (True, 2, 3)

    code, data = run_json(capsys, "recheck", "--store", "st")
    validate("cli-recheck-1.schema.json", data)
    assert data["rechecked"] == 1


def test_verify_of_a_damaged_store_is_json_too(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = store / "st" / "demo" / "v1.toml"
    path.write_text(path.read_text().replace("saline", "lidocaine"))
    code, data = run_json(capsys, "verify", "--store", "st")
    assert code == ExitCode.INPUT
    validate("cli-verify-1.schema.json", data)
    assert not data["ok"] and data["exit_code"] == 2
    assert "changed after publishing" in data["problems"][0]


@pytest.mark.parametrize(
    ("argv", "schema"),
    [
        (["catalog", "list"], "cli-catalog-list-1.schema.json"),
        (["catalog", "search", "a"], "cli-catalog-search-1.schema.json"),
        (["catalog", "rules"], "cli-catalog-rules-1.schema.json"),
        (["catalog", "vocab"], "cli-catalog-vocab-1.schema.json"),
        (["catalog", "conditions"], "cli-catalog-conditions-1.schema.json"),
        (["catalog", "docs"], "cli-catalog-docs-1.schema.json"),
        (["plugins", "list"], "cli-plugins-list-1.schema.json"),
        (
            ["plugins", "check", str(ROOT / "plugins/mesoreg-pack-trichology")],
            "cli-plugins-check-1.schema.json",
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_other_commands(argv: list[str], schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, *argv)
    assert code == 0
    validate(schema, data)


def test_schema_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "schema", "export", str(tmp_path))
    assert code == 0
    validate("cli-schema-export-1.schema.json", data)
    assert str(tmp_path / "cli-error-1.schema.json") in data["written"]


def test_a_bad_plugin_check_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_plugins import PACK

    clash = PACK + '[[ingredients]]\nid = "lidocaine"\nname = "Lidocaine again"\n'
    clash += 'classes = ["local_anaesthetic"]\nsources = ["test_source"]\n'
    pack = tmp_path / "clash.toml"
    pack.write_text(clash, encoding="utf-8")
    code, data = run_json(capsys, "plugins", "check", str(pack))
    assert code == ExitCode.INPUT
    validate("cli-plugins-check-1.schema.json", data)
    assert not data["ok"] and data["exit_code"] == 2
    assert "duplicate id 'lidocaine'" in data["problems"][0]


# -- errors are a JSON document on stdout with --format json ---------------------------------


def test_an_input_error_is_json_on_stdout_and_a_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.toml"
    code = main(["check", str(missing), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == ExitCode.INPUT
    assert err == f"error: {missing}: file not found; check the path\n"
    data = json.loads(out)
    validate("cli-error-1.schema.json", data)
    assert data["command"] == "check" and data["kind"] == "input" and data["exit_code"] == 2
    assert data["errors"] == [
        {
            "path": str(missing),
            "key_path": "",
            "message": "file not found; check the path",
            "hint": "",
            "text": f"{missing}: file not found; check the path",
        }
    ]


def test_a_missing_store_is_a_json_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, data = run_json(capsys, "history", "demo", "--store", "nowhere")
    assert code == ExitCode.INPUT
    validate("cli-error-1.schema.json", data)
    assert data["errors"][0]["message"] == "no store at nowhere"
    assert not (tmp_path / "nowhere").exists()


def test_a_usage_error_is_json(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["catalog", "list", "--format", "json", "--bogus"])
    assert info.value.code == ExitCode.INPUT
    data = json.loads(capsys.readouterr().out)
    validate("cli-error-1.schema.json", data)
    assert data["kind"] == "usage" and data["command"] is None
    assert "--bogus" in data["errors"][0]["message"]


def test_an_internal_error_is_json(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_run_catalog", fail)
    code, data = run_json(capsys, "catalog", "list")
    assert code == ExitCode.INTERNAL
    validate("cli-error-1.schema.json", data)
    assert (data["kind"], data["exit_code"]) == ("internal", 4)
    assert data["errors"][0]["message"] == "internal error: RuntimeError: boom"


def test_without_format_json_errors_stay_off_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(tmp_path / "nope.toml")]) == ExitCode.INPUT
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("lignocaine", "ingredient"),
        ("Coumadin", "drug"),
        ("anticoagulant", "medication_class"),
        ("acne", "condition"),
    ],
)
def test_catalog_show_of_every_kind(
    capsys: pytest.CaptureFixture[str], name: str, kind: str
) -> None:
    code, data = run_json(capsys, "--no-plugins", "catalog", "show", name, "--kind", kind)
    assert code == 0
    validate("cli-catalog-show-1.schema.json", data)
    assert data["kind"] == kind
    wrong = {**data, "kind": "drug" if kind != "drug" else "ingredient"}
    with pytest.raises(jsonschema.ValidationError):
        validate("cli-catalog-show-1.schema.json", wrong)
