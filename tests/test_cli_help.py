"""Every subcommand's --help teaches: description, arguments explained, example, exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FORMULATIONS

from mesoreg._exit import MEANINGS, ExitCode, exit_codes_text
from mesoreg.command import cli
from mesoreg.command._cli_help import HELP
from mesoreg.command.cli import main


def _subcommands(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                here = f"{path} {name}".strip()
                yield here, child
                yield from _subcommands(child, here)


SUBCOMMANDS = dict(_subcommands(cli._parser()))
LEAVES = {
    path: parser
    for path, parser in SUBCOMMANDS.items()
    if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
}


def test_every_subcommand_is_walked_and_has_its_help_text() -> None:
    assert {"check", "publish", "plugins check", "catalog show", "completion"} <= set(LEAVES)
    assert set(SUBCOMMANDS) == set(HELP)


@pytest.mark.parametrize("path", sorted(SUBCOMMANDS))
def test_help_has_description_example_and_exit_codes(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*path.split(), "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    text = HELP[path]
    assert text.description.split()[0] in out.split("\n\n")[1]  # right after the usage
    assert "\nexample:\n  mesoreg " in out or "\nexamples:\n  mesoreg " in out
    assert all(e.startswith("mesoreg ") for e in text.examples)
    assert exit_codes_text(text.codes) in out
    for code in (ExitCode.INPUT, ExitCode.INTERNAL, ExitCode.INTERRUPTED):
        assert f"\n  {int(code):<4} " in out


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_every_argument_is_explained(path: str) -> None:
    for action in LEAVES[path]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and len(action.help) > 8, f"{path}: {action.dest} has no help"


# completion prints a shell script; serve runs a service, whose answers are JSON documents
@pytest.mark.parametrize("path", sorted(set(LEAVES) - {"completion", "serve"}))
def test_every_command_has_format_json(path: str) -> None:
    (fmt,) = [a for a in LEAVES[path]._actions if "--format" in a.option_strings]
    assert fmt.choices is None or "json" in fmt.choices  # check: any format a plugin adds


def test_exit_codes_text_gives_each_code_once_with_its_meaning() -> None:
    text = exit_codes_text({ExitCode.OK: "done"})
    assert text.splitlines() == [
        "exit codes:",
        "  0    done",
        f"  2    {MEANINGS[ExitCode.INPUT]}",
        f"  4    {MEANINGS[ExitCode.INTERNAL]}",
        "  130  interrupted",
        "  141  output pipe closed",
    ]


# -- global options are accepted after the subcommand ---------------------------------

HAIR = str(next(p for p in FORMULATIONS if p.parent.name == "hair-scalp"))


@pytest.mark.parametrize(
    "argv",
    [
        ["--require", "no-such-plugin", "check", HAIR],
        ["check", HAIR, "--require", "no-such-plugin"],
        ["catalog", "list", "--require", "no-such-plugin"],
    ],
    ids=["before", "after", "after-nested"],
)
def test_global_options_work_before_or_after_the_subcommand(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == ExitCode.INPUT
    assert "no-such-plugin" in capsys.readouterr().err


def test_a_pack_after_the_subcommand_is_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "x.toml"
    pack.write_text("not = [valid", encoding="utf-8")
    assert main(["check", HAIR, "--pack", str(pack)]) == ExitCode.NOT_VALIDATED
    assert f"plugins: x: plugin failed: {pack}: not valid TOML" in capsys.readouterr().out


# -- -q and -v -------------------------------------------------------------------------


def test_quiet_silences_hints_and_verbose_names_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "demo", "-q"]) == 0
    assert capsys.readouterr() == ("wrote demo.toml\n", "")
    assert main(["new", "other", "--store", "st", "--pack", "p q.toml"]) == 0
    assert capsys.readouterr().err == (
        "hint: edit it, then: mesoreg publish other.toml --store st --pack 'p q.toml'\n"
    )
    main(["check", HAIR, "-v"])
    assert "info: configuration: none\n" in capsys.readouterr().err
    main(["check", HAIR])
    assert "info:" not in capsys.readouterr().err


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["catalog", "list", "-q", "-v"])
    assert info.value.code == ExitCode.INPUT
    assert "not allowed with argument" in capsys.readouterr().err


# -- shell completion ----------------------------------------------------------------------


def test_completion_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    out = capsys.readouterr().out
    assert "complete " in out and "mesoreg" in out


@pytest.mark.parametrize(
    ("line", "expected"),
    [("mesoreg che", {"check"}), ("mesoreg plugins ", {"list", "check"})],
)
def test_completion_completes_commands(
    line: str,
    expected: set[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argcomplete.io
    from argcomplete.finders import CompletionFinder

    def to_stderr(self: object) -> None:  # not fd 9, which may be one of pytest's own
        monkeypatch.setattr(argcomplete.io, "debug_stream", sys.stderr)

    monkeypatch.setattr(CompletionFinder, "_init_debug_stream", to_stderr)
    out = tmp_path / "completions"
    monkeypatch.setenv("_ARGCOMPLETE", "1")
    monkeypatch.setenv("_ARGCOMPLETE_IFS", "\n")
    monkeypatch.setenv("_ARGCOMPLETE_STDOUT_FILENAME", str(out))
    monkeypatch.setenv("COMP_LINE", line)
    monkeypatch.setenv("COMP_POINT", str(len(line)))
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 0
    assert expected <= {w.strip() for w in out.read_text().split("\n")}


def test_completion_without_argcomplete_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "argcomplete", None)
    monkeypatch.setitem(sys.modules, "argcomplete.shell_integration", None)
    assert main(["completion", "bash"]) == ExitCode.INPUT
    assert capsys.readouterr().err == (
        "error: completion: shell completion needs argcomplete, which is not installed. "
        "Run: pip install 'mesoreg[completion]'.\n"
    )


def test_version_does_not_import_argcomplete() -> None:
    import subprocess

    code = (
        "import sys; from mesoreg.command._entry import main; main(['--version']); "
        "print('argcomplete' in sys.modules, 'mesoreg.command.cli' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines()[-1] == "False False"
