"""The store's commands, and sharing a store through git."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import ROOT

from mesoreg import cli


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MESOREG_USER", "pharmacist")
    return tmp_path


def run(*argv: str) -> int:
    return cli.main(list(argv))


def test_new_publish_history_show_diff_approve(work, capsys):
    assert run("new", "demo") == 0
    draft = work / "demo.toml"
    assert draft.is_file()
    assert run("publish", "demo.toml") == 0
    draft.write_text(draft.read_text().replace("saline", "lidocaine").replace("0.9 %", "1 %"))
    assert run("publish", "demo.toml") == 0
    assert run("approve", "demo@2", "--by", "chief") == 0
    capsys.readouterr()
    assert run("history", "demo", "--format", "json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["version"], r["status"], r["supersedes"]) for r in rows] == [
        (1, "draft", None),
        (2, "approved", 1),
    ]
    assert rows[1]["events"][1]["by"] == "chief"
    assert run("diff", "demo@1", "demo@2") == 0
    out = capsys.readouterr().out
    assert "+ Lidocaine hydrochloride 1 % (1 mL) added to 'syringe 1'" in out
    assert "Lidocaine hydrochloride per session: none → 10 mg" in out
    assert run("show", "demo@1", "--format", "toml") == 0
    assert capsys.readouterr().out == (work / "formulations/demo/v1.toml").read_text()
    assert run("verify") == 0


def test_store_from_environment(work, monkeypatch, capsys):
    monkeypatch.setenv("MESOREG_STORE", str(work / "elsewhere"))
    run("new", "demo")
    assert run("publish", "demo.toml") == 0
    assert (work / "elsewhere" / "demo" / "v1.toml").is_file()


def test_errors_are_one_line(work, capsys):
    assert run("new", "Bad/Id") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: id: 'Bad/Id' is not a valid formulation id.")
    assert "Traceback" not in err
    assert run("show", "nothing@1") == 2
    assert "is not in the store" in capsys.readouterr().err


def test_verify_fails_on_tampering(work, capsys):
    run("new", "demo")
    run("publish", "demo.toml")
    path = work / "formulations/demo/v1.toml"
    path.write_text(path.read_text().replace("saline", "lidocaine"))
    assert run("verify") == 2
    assert "changed after publishing" in capsys.readouterr().err


def test_recheck_text_and_json(work, capsys):
    shutil.copytree(ROOT / "formulations", work / "formulations")
    assert run("recheck", "--format", "json") == 0  # the recorded verdicts still hold
    data = json.loads(capsys.readouterr().out)
    assert (data["rechecked"], data["changed"]) == (4, 0)
    assert {r["id"] for r in data["results"]} == {
        "cellulite-thighs",
        "face-revitalisation",
        "hair-scalp",
        "submental-deoxycholic",
    }


def git(*args: str, cwd) -> str:  # type: ignore[no-untyped-def]
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_share_a_store_through_git(work, capsys):
    repo = work / "pharmacy"
    repo.mkdir()
    git("init", "-q", "-b", "main", cwd=repo)
    git("config", "user.email", "p@example.org", cwd=repo)
    git("config", "user.name", "Pharmacist", cwd=repo)
    run("new", "demo")
    assert run("publish", "demo.toml", "--store", str(repo / "formulations")) == 0
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "publish demo@1", cwd=repo)
    assert ".mesoreg.lock" not in git("ls-files", cwd=repo)
    clone = work / "clone"
    git("clone", "-q", str(repo), str(clone), cwd=work)
    assert run("verify", "--store", str(clone / "formulations")) == 0
    assert "1 formulations, 1 versions verified" in capsys.readouterr().out


def test_recheck_that_cannot_validate_exits_3(work, capsys):
    shutil.copytree(ROOT / "formulations", work / "formulations")
    deep = work / "deep.toml"
    deep.write_text("schema_version = 1\nx = " + "[" * 400 + "]" * 400 + "\n")
    # the broken pack leaves something unchecked: every verdict becomes not-validated
    assert run("--pack", str(deep), "recheck", "--record") == 1
    capsys.readouterr()
    # recorded, so nothing changes now; still not a pass
    assert run("--pack", str(deep), "recheck") == 3
    assert "0 changed verdict" in capsys.readouterr().out
    assert run("recheck", "--record") == 1  # without the broken pack they validate again
