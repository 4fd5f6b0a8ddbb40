"""The store's commands, and sharing a store through git."""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from conftest import ROOT

from mesoreg.command import cli


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
    run("new", "demo")
    run("publish", "demo.toml")
    capsys.readouterr()
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
    # the catalog has learnt since these checks were recorded: aminophylline's dose has no
    # sourced limit, so cellulite-thighs@1 is no longer "warn" but not validated
    assert run("recheck", "--format", "json") == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["rechecked"], data["changed"]) == (4, 1)
    changed = [r for r in data["results"] if r["changed"]]
    assert [(r["id"], r["before"], r["after"]) for r in changed] == [
        ("cellulite-thighs", "warn", "not-validated")
    ]
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
    assert "1 formulation, 1 version verified" in capsys.readouterr().out


def test_recheck_that_cannot_validate_exits_3(work, capsys):
    shutil.copytree(ROOT / "formulations", work / "formulations")
    deep = work / "deep.toml"
    deep.write_text("schema_version = 1\nx = " + "[" * 400 + "]" * 400 + "\n")
    # the broken pack leaves something unchecked: every verdict becomes not-validated
    assert run("--pack", str(deep), "recheck", "--record") == 1
    capsys.readouterr()
    # recorded, so nothing changes now; still not a pass
    assert run("--pack", str(deep), "recheck") == 3
    assert "0 changed (verdict or findings)" in capsys.readouterr().out
    assert run("recheck", "--record") == 1  # without the broken pack they validate again


def published(work) -> None:  # type: ignore[no-untyped-def]
    assert run("new", "demo") == 0
    assert run("publish", "demo.toml") == 0


def test_damage_ends_as_one_line_errors(work, capsys):
    published(work)
    v1 = work / "formulations/demo/v1.toml"
    v1.write_text(v1.read_text().replace("saline", "lidocaine"))
    capsys.readouterr()
    for argv in (
        ["show", "demo@1"],
        ["approve", "demo@1"],
        ["new", "copy", "--from", "demo@1"],
        ["diff", "demo@1", "demo@1"],
        ["export", "--fhir", "demo@1"],
        ["verify"],
    ):
        assert run(*argv) == 2, argv
        captured = capsys.readouterr()
        assert captured.out == "" and "Traceback" not in captured.err
        assert captured.err.count("\n") == 1, captured.err
        assert "v1.toml: changed after publishing" in captured.err
    assert not (work / "copy.toml").exists()


def test_approve_with_an_override_reason(work, capsys):
    shutil.copy(ROOT / "tests/data/lidocaine-overdose.toml", work / "overdose.toml")
    assert run("publish", "overdose.toml") == 0
    assert run("approve", "lidocaine-overdose@1") == 2
    assert "its check is fail" in capsys.readouterr().err
    argv = ["--by", "chief", "--override-reason", "reviewed"]
    assert run("approve", "lidocaine-overdose@1", *argv) == 0
    assert run("history", "lidocaine-overdose") == 0
    out = capsys.readouterr().out
    assert "approved overriding check fail: reviewed by chief" in out


def test_a_full_disk_is_one_line(work, capsys, monkeypatch):
    import errno
    import os

    published(work)
    capsys.readouterr()

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    assert run("publish", "demo.toml") == 2
    err = capsys.readouterr().err
    assert err.endswith(
        "could not be written (No space left on device); the store was not changed\n"
    )
    assert err.count("\n") == 1
    monkeypatch.undo()
    assert run("verify") == 0


def test_verify_with_a_lock_folder_in_a_child_process(work):
    import sys

    published(work)
    lock = work / "formulations/.mesoreg.lock"
    lock.unlink()
    lock.mkdir()
    for argv in (["verify"], ["publish", "demo.toml"]):
        done = subprocess.run(
            [sys.executable, "-m", "mesoreg", *argv], cwd=work, capture_output=True, text=True
        )
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert "the store's lock is a folder, not a file" in done.stderr


# -- names cannot forge lines; a closed pipe is 141 -------------------------------------------


FORGED = "J. Martin\nv9  approved  2026-12-01 14:57Z  Chief Pharmacist  check pass"


@pytest.mark.parametrize(
    "argv",
    [
        ["publish", "demo.toml", "--author", FORGED],
        ["approve", "demo@1", "--by", "x\n    retired by nobody"],
        ["retire", "demo@1", "--by", "x\r    retired by nobody"],
    ],
    ids=["author", "approve-by", "retire-by"],
)
def test_names_that_would_forge_lines_are_refused(work, capsys, argv):
    published(work)
    ledger = (work / "formulations/demo/index.toml").read_bytes()
    capsys.readouterr()
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert (work / "formulations/demo/index.toml").read_bytes() == ledger


def test_history_and_show_print_one_line_per_field(work, capsys):
    """A title with a newline (valid TOML) is escaped by show, never printed as two lines."""
    published(work)
    draft = work / "demo.toml"
    draft.write_text(draft.read_text().replace('title = "', 'title = "x\\nv9  approved  '))
    assert run("publish", "demo.toml") == 0
    capsys.readouterr()
    assert run("show", "demo@2") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("demo@2: x\\x0av9  approved  ")
    assert not any(line.startswith("v9") for line in out)
    assert run("history", "demo") == 0
    assert [line[:2] for line in capsys.readouterr().out.splitlines()] == ["v1", "v2"]


def test_history_says_a_version_was_recovered_unverified(work, capsys):
    published(work)
    folder = work / "formulations/demo"
    text = (folder / "v1.toml").read_text().replace("\nversion = 1\n", "\nversion = 2\n")
    (folder / "v2.toml").write_text(text)
    capsys.readouterr()
    assert run("verify") == 0
    out = capsys.readouterr().out
    assert out.startswith("note: formulations/demo/v2.toml: recorded as demo@2 from the file ")
    assert "UNVERIFIED" in out
    assert run("history", "demo") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("v2  draft")
    assert "  unknown  " in lines[1]
    assert lines[2].startswith("    recovered by mesoreg at ")
    assert lines[2].endswith("(from the file itself, unverified)")


class ClosedPipe(io.StringIO):
    """stdout whose reader went away (no file descriptor: nothing to redirect)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    "argv",
    [["show", "demo@1"], ["history", "demo"], ["verify"], ["recheck"], ["new", "copy"]],
)
def test_store_commands_exit_141_on_a_closed_pipe(work, capsys, monkeypatch, argv):
    import sys

    published(work)
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert run(*argv) == 141
    assert capsys.readouterr().err == ""


# -- a store is only created by publish, and it says so ---------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["history", "demo"],
        ["recheck"],
        ["verify"],
        ["show", "demo@1"],
        ["approve", "demo@1"],
        ["retire", "demo@1"],
        ["diff", "demo@1", "demo@2"],
        ["new", "x", "--from", "demo@1"],
        ["check", "demo@1"],
        ["export", "--fhir", "demo@1"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_missing_store_is_an_error_and_is_not_created(work, capsys, argv):
    assert run(*argv, "--store", "typo") == 2
    assert capsys.readouterr().err == (
        "error: no store at typo. Check --store, MESOREG_STORE or 'store' in mesoreg.toml; "
        "'mesoreg publish' creates a store with its first version.\n"
    )
    assert not (work / "typo").exists()


def test_publish_creates_a_store_with_a_message_and_hints_keep_the_options(work, capsys):
    assert run("new", "demo", "--store", "st") == 0
    assert capsys.readouterr() == (
        "wrote demo.toml\n",
        "hint: edit it, then: mesoreg publish demo.toml --store st\n",
    )
    assert run("publish", "demo.toml", "--store", "st") == 0
    out, err = capsys.readouterr()
    assert out.startswith("published demo@1 (")
    assert err == (
        "note: st does not exist: creating a new store there\n"
        "hint: approve it: mesoreg approve demo@1 --store st\n"
    )
    assert run("publish", "demo.toml", "--store", "st") == 0
    assert "note:" not in capsys.readouterr().err  # the store exists now
    assert not (work / "formulations").exists()  # the hint never sent anyone to the default


def test_check_a_stored_version(work, capsys):
    run("new", "demo", "--store", "st")
    run("publish", "demo.toml", "--store", "st")
    capsys.readouterr()
    assert run("check", "demo@1", "--store", "st", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["formulation"] == "demo@1"
    assert run("check", "demo@2", "--store", "st") == 2
    assert "demo@2 is not in the store st" in capsys.readouterr().err


def test_configuration_defaults_and_relative_store(work, capsys, monkeypatch):
    (work / ".git").mkdir()
    (work / "mesoreg.toml").write_text(
        'store = "st"\nauthor = "Dr Roy"\nregion = "FR"\nfail_on = "info"\n'
    )
    monkeypatch.delenv("MESOREG_USER")
    run("new", "demo")
    assert run("publish", "demo.toml") == 0
    assert (work / "st" / "demo" / "v1.toml").is_file()
    sub = work / "sub"
    sub.mkdir()
    monkeypatch.chdir(sub)  # the store is found from below the configuration's folder
    capsys.readouterr()
    assert run("history", "demo", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)[0]["author"] == "Dr Roy"
    code = run("check", "demo@1", "--format", "json")
    report = json.loads(capsys.readouterr().out)
    assert report["region"] == "FR"
    assert code == (1 if report["findings"] else 3)  # fail_on = "info": any finding fails
    monkeypatch.setenv("MESOREG_USER", "env-user")  # the environment beats the file
    assert run("approve", "demo@1", "--override-reason", "test", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["by"] == "env-user"
