"""Replay: a recorded run is printed again only while every input it read is unchanged."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from mesoreg import _cache
from mesoreg.command import _replay

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "formulations" / "face-revitalisation" / "v1.toml"
PATIENT = ROOT / "examples" / "patients" / "anna.toml"


@pytest.fixture(autouse=True)
def _cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own; files written by the test count as old enough."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(folder))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    monkeypatch.setattr(_replay, "MARGIN_NS", 0)
    return folder


class Command:
    """A stand-in command: reads ``inputs``, prints, offers itself; counts its runs."""

    def __init__(self, *inputs: Path, code: int = 0, offered: Sequence[int] = (0,)) -> None:
        self.inputs = inputs
        self.code = code
        self.offered = offered
        self.runs = 0
        self.extra: Callable[[], object] = lambda: None
        self.absent: tuple[str, ...] = ()

    def __call__(self, args: Sequence[str]) -> int:
        self.runs += 1
        texts = [p.read_text() if p.exists() else "-" for p in self.inputs]
        print(f"read {' '.join(texts)}")
        print("a note", file=sys.stderr)
        self.extra()
        _replay.offer(self.offered, self.absent)
        return self.code


ARGS = ["check", "some.toml"]


def _twice(command: Command, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    first = _replay.run(ARGS, command)
    out1 = capsys.readouterr()
    second = _replay.run(ARGS, command)
    out2 = capsys.readouterr()
    assert first == second == command.code
    assert (out1.out, out1.err) == (out2.out, out2.err)
    return out2.out, out2.err


def test_a_recorded_run_is_replayed_with_its_output_and_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data.txt"
    data.write_text("one")
    command = Command(data, code=3, offered=(0, 3))
    out, err = _twice(command, capsys)
    assert command.runs == 1
    assert out == "read one\n" and err == "a note\n"


def test_a_changed_input_is_a_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.txt"
    data.write_text("one")
    command = Command(data)
    _twice(command, capsys)
    data.write_text("two")
    assert _replay.run(ARGS, command) == 0
    assert capsys.readouterr().out == "read two\n"
    assert command.runs == 2


def test_a_removed_input_is_a_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data.txt"
    data.write_text("one")
    command = Command(data)
    _twice(command, capsys)
    data.unlink()
    _replay.run(ARGS, command)
    assert capsys.readouterr().out == "read -\n"


def test_an_offered_absent_input_that_appears_is_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "mesoreg.toml"
    command = Command(config)
    command.inputs = ()  # only checked for presence, never opened: as configuration search
    command.absent = (str(config),)
    _twice(command, capsys)
    config.write_text("")
    _replay.run(ARGS, command)
    assert command.runs == 2


def test_a_file_only_looked_for_that_appears_is_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whether a file is there decides things too (``Path.exists`` is no audited event)."""
    marker = tmp_path / "marker"
    command = Command()
    command.extra = lambda: print(marker.exists(), os.path.isfile(tmp_path / "other"))  # noqa: PTH113
    _twice(command, capsys)
    marker.write_text("")
    _replay.run(ARGS, command)
    assert capsys.readouterr().out.endswith("True False\n")
    (tmp_path / "other").write_text("")
    _replay.run(ARGS, command)
    assert capsys.readouterr().out.endswith("True True\n")
    assert command.runs == 3


def test_a_folder_only_looked_at_is_compared_by_what_a_look_tells(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A busy folder on the way to an input (``/tmp``) may change; the run did not read it.
    Replaced by a link, it is another input."""
    folder = tmp_path / "on-the-way"
    folder.mkdir()
    command = Command()
    command.extra = lambda: print(folder.is_dir())
    _twice(command, capsys)
    (folder / "unrelated").write_text("")
    _replay.run(ARGS, command)
    assert command.runs == 1
    folder.rename(tmp_path / "elsewhere")
    folder.symlink_to(tmp_path / "elsewhere")
    _replay.run(ARGS, command)
    assert command.runs == 2


def test_a_new_file_in_a_listed_folder_is_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    command = Command()
    command.extra = lambda: print(sorted(os.listdir(folder)))  # noqa: PTH208
    _twice(command, capsys)
    (folder / "new.toml").write_text("")
    _replay.run(ARGS, command)
    assert "new.toml" in capsys.readouterr().out


def test_an_edited_module_source_is_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module imported by the run counts by its source, even when a compiled copy is read."""
    (tmp_path / "modules").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    module = tmp_path / "modules" / "replay_probe_module.py"
    module.write_text("VALUE = 1\n")

    def use() -> None:
        sys.modules.pop("replay_probe_module", None)
        import replay_probe_module  # type: ignore[import-not-found]

        print(replay_probe_module.VALUE)

    use()  # compiled once, as an installed module is (a run that writes bytecode is not kept)
    capsys.readouterr()
    command = Command()
    command.extra = use
    _twice(command, capsys)
    module.write_text("VALUE = 22\n")
    _replay.run(ARGS, command)
    assert "22" in capsys.readouterr().out
    assert command.runs == 2


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.setenv("MESOREG_FAIL_ON", "minor"),
        lambda m: m.delenv("HOME"),
        lambda m: m.setattr(_replay, "_today", lambda: "2100-01-01"),
        lambda m: m.setattr(sys, "path", [*sys.path, "/elsewhere"]),
    ],
    ids=["environment variable", "HOME", "date", "import path"],
)
def test_what_the_key_names_is_a_miss(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[pytest.MonkeyPatch], object],
) -> None:
    command = Command()
    _twice(command, capsys)
    change(monkeypatch)
    _replay.run(ARGS, command)
    assert command.runs == 2


def test_other_arguments_or_folder_are_a_miss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    command = Command()
    _twice(command, capsys)
    _replay.run([*ARGS, "--region", "US"], command)
    assert command.runs == 2
    monkeypatch.chdir(tmp_path)
    _replay.run(ARGS, command)
    assert command.runs == 3


@pytest.mark.parametrize(
    "code, offered",
    [(0, ()), (2, (0, 1, 3)), (4, (0,))],
    ids=["not offered", "an input error", "an internal error"],
)
def test_a_run_not_offered_with_its_code_is_not_kept(
    capsys: pytest.CaptureFixture[str], code: int, offered: Sequence[int]
) -> None:
    command = Command(code=code, offered=offered)
    _replay.run(ARGS, command)
    _replay.run(ARGS, command)
    assert command.runs == 2


def _write_outside(tmp_path: Path) -> Callable[[], object]:
    return lambda: (tmp_path / "out.txt").write_text("x")


def _connect() -> None:
    with socket.socket() as s, pytest.raises(OSError):
        s.connect(("127.0.0.1", 9))


def _run_process() -> None:
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.parametrize(
    "extra",
    [
        _write_outside,
        lambda _: _connect,
        lambda _: _run_process,
        lambda _: lambda: sys.stdout.buffer,
        lambda tmp: lambda: os.makedirs(tmp / "made", exist_ok=True),  # noqa: PTH103
    ],
    ids=["a write", "a socket", "a subprocess", "binary output", "a folder made"],
)
def test_a_run_that_does_more_than_read_is_not_kept(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: Callable[[Path], Callable[[], object]],
) -> None:
    command = Command()
    command.extra = extra(tmp_path)
    _replay.run(ARGS, command)
    _replay.run(ARGS, command)
    assert command.runs == 2


def test_an_input_changed_just_before_the_run_is_not_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Timestamps are coarser than the clock: a file written just before may be half-seen."""
    monkeypatch.setattr(_replay, "MARGIN_NS", 3600 * 10**9)
    data = tmp_path / "data.txt"
    data.write_text("one")
    command = Command(data)
    _replay.run(ARGS, command)
    _replay.run(ARGS, command)
    assert command.runs == 2


def test_a_date_that_turns_during_the_run_is_not_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def today() -> str:  # the 1st on the first call, then the 2nd
        calls.append(1)
        return "2026-12-01" if len(calls) == 1 else "2026-12-02"

    monkeypatch.setattr(_replay, "_today", today)
    command = Command()
    _replay.run(ARGS, command)  # keyed on the 1st, ended on the 2nd: not kept
    _replay.run(ARGS, command)  # the 2nd: runs, kept
    assert command.runs == 2


def test_the_cache_switch_turns_replay_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESOREG_CACHE", "0")
    command = Command()
    _replay.run(ARGS, command)
    _replay.run(ARGS, command)
    assert command.runs == 2


def test_other_commands_are_never_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    command = Command()
    for _ in range(2):
        _replay.run(["catalog", "rules"], command)
    assert command.runs == 2


def test_a_damaged_entry_is_a_miss(capsys: pytest.CaptureFixture[str], _cache_folder: Path) -> None:
    command = Command()
    _replay.run(ARGS, command)
    (entry,) = (_cache_folder / _replay.KIND).iterdir()
    entry.write_bytes(entry.read_bytes()[:-3])
    _replay.run(ARGS, command)
    assert command.runs == 2
    assert _cache.get_bytes(_replay.KIND, entry.stem) is not None  # written again whole


# -- the real command ------------------------------------------------------------------

#: the command as installed, but for the margin (the test's files are seconds old) and a
#: line in a side file for each replay
DRIVER = """
import sys
from mesoreg.command import _entry, _replay
_replay.MARGIN_NS = 0
shown = _replay.replay
where = sys.argv[1]
def replay(chunks):
    with open(where, "a") as log:
        log.write("replayed\\n")
    shown(chunks)
_replay.replay = replay
sys.argv = ["mesoreg", *sys.argv[2:]]
_entry.main()
"""


def _command(work: Path, *args: str, **env: str) -> tuple[int, str, str, int]:
    """(exit code, stdout, stderr, how many replays so far), run in ``work``: a folder
    of its own, as ``python -c`` puts the current folder on the import path."""
    log = work.parent / "replays.log"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(log), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
        env={**os.environ, **env},
    )
    replays = len(log.read_text().splitlines()) if log.exists() else 0
    return done.returncode, done.stdout, done.stderr, replays


def _settled(work: Path, *args: str, **env: str) -> tuple[int, str, str, int]:
    """Run the command until it replays (a run that compiled bytecode or filled another
    cache is not kept; how many that takes depends on the environment); every run must
    print the same.  The last run."""
    runs = [_command(work, *args, **env)]
    while runs[-1][3] == runs[0][3] and len(runs) < 6:
        runs.append(_command(work, *args, **env))
    assert runs[-1][3] == runs[0][3] + 1, "never replayed"
    assert {r[:3] for r in runs} == {runs[0][:3]}
    return runs[-1]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


def test_the_command_replays_a_check_and_sees_every_edit(work: Path) -> None:
    formulation = work / "f.toml"
    formulation.write_text(EXAMPLE.read_text())
    args = ("check", "f.toml", "--patient", str(PATIENT))
    first = _settled(work, *args)
    assert first[0] == 0 and "PASS" in first[1]
    # a dose a hundred times stronger: what the checker says now, not what it said
    text = EXAMPLE.read_text()
    assert '"100 mg/mL"' in text
    formulation.write_text(text.replace('"100 mg/mL"', '"10000 mg/mL"'))
    third = _command(work, *args)
    fresh = _command(work, *args, MESOREG_CACHE="0")
    assert third[3] == first[3] and third[:3] == fresh[:3] != first[:3]


def test_the_command_sees_a_new_configuration(work: Path) -> None:
    (work / ".git").mkdir()  # the project's root: configuration is read here
    (work / "f.toml").write_text(EXAMPLE.read_text())
    args = ("check", "f.toml", "--patient", str(PATIENT))
    first = _settled(work, *args)
    (work / "mesoreg.toml").write_text('fail_on = "info"\n')
    again = _command(work, *args)
    assert again[3] == first[3]  # no new replay
    assert first[0] == 0 and again[0] == 1  # its one info finding now fails the check
    assert again[:3] == _command(work, *args, MESOREG_CACHE="0")[:3]


PACK = """schema_version = 1

[pack]
name = "replay-probe"
version = "1.0.0"
licence = "CC0-1.0"
requires_mesoreg = ">=0.1"

[[sources]]
id = "replay_probe_label"
title = "A label"
issuer = "Nobody"
date = "2024-01-01"
kind = "label"
url = "https://example.org/label"
"""


def test_the_command_sees_an_edited_pack(work: Path) -> None:
    (work / "f.toml").write_text(EXAMPLE.read_text())
    (work / "pack.toml").write_text(PACK)
    args = ("--pack", "pack.toml", "check", "f.toml", "--patient", str(PATIENT))
    first = _settled(work, *args)
    assert first[0] == 0 and "replay-probe 1.0.0" in first[1]
    (work / "pack.toml").write_text(PACK.replace('version = "1.0.0"', 'version = "1.0.1"'))
    again = _command(work, *args)
    assert again[3] == first[3] and "replay-probe 1.0.1" in again[1]


def _site(tmp_path: Path, body: str) -> Path:
    """A folder holding one installed code plugin, for PYTHONPATH."""
    site = tmp_path / "site"
    (site / "probe_plugin").mkdir(parents=True, exist_ok=True)
    (site / "probe_plugin" / "__init__.py").write_text(body)
    info = site / "probe_plugin-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mesoreg]\nprobe = probe_plugin\n")
    return site


def test_the_command_sees_an_edited_plugin(tmp_path: Path, work: Path) -> None:
    """``plugins list`` tries a plugin's code in another process: a run that does so is not
    kept (what that process read is not seen); a later one, served by the listing's own
    cache, is (how many runs that takes depends on whether Python writes bytecode)."""
    site = _site(tmp_path, "import mesoreg\n")
    env = {"PYTHONPATH": str(site), "MESOREG_NO_PLUGINS": "0", "MESOREG_ALLOW": "probe"}
    listed = _settled(work, "plugins", "list", **env)
    assert listed[0] == 0 and "probe" in listed[1] and "ok" in listed[1]
    _site(tmp_path, "raise RuntimeError('broken on purpose')\n")
    broken = _command(work, "plugins", "list", **env)
    assert broken[3] == listed[3] and "broken on purpose" in broken[1]  # not one replay more
    assert broken[:3] == _command(work, "plugins", "list", MESOREG_CACHE="0", **env)[:3]


class Counting:
    """The real command line, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, args: Sequence[str]) -> int:
        from mesoreg.command.cli import main

        self.runs += 1
        return main(list(args))


CHECK = ["--no-plugins", "check", str(EXAMPLE), "--patient", str(PATIENT)]


@pytest.mark.parametrize("extra", [[], ["--format", "json"]], ids=["text", "json"])
def test_the_check_command_offers_its_report(
    capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    command = Counting()
    assert _replay.run([*CHECK, *extra], command) == 0
    first = capsys.readouterr()
    assert _replay.run([*CHECK, *extra], command) == 0
    assert capsys.readouterr() == first
    assert command.runs == 1


def test_a_check_with_plugin_code_in_it_is_not_offered(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mesoreg.host import _engine

    monkeypatch.setattr(_engine, "replayable", lambda registry, region: False)
    command = Counting()
    _replay.run(CHECK, command)
    _replay.run(CHECK, command)
    assert command.runs == 2


def test_an_input_error_is_not_offered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace("pyridoxine", "unobtainium"))
    command = Counting()
    args = ["--no-plugins", "check", str(bad)]
    assert _replay.run(args, command) == 2
    assert _replay.run(args, command) == 2
    assert command.runs == 2


@pytest.mark.parametrize(
    "args, expected",
    [
        (["check", "f.toml"], True),
        (["--pack", "p.toml", "-q", "check", "f.toml"], True),
        (["--no-plugins", "plugins", "list", "--format", "json"], True),
        (["verify", "--store", "check"], False),
        (["--pack", "check", "verify"], False),
        (["plugins", "check", "list"], False),
        (["recheck"], False),
    ],
)
def test_only_check_and_plugins_list_are_recorded(args: list[str], expected: bool) -> None:
    assert _replay.wanted(args) is expected


def test_the_global_options_with_a_value_are_known() -> None:
    """:func:`_replay.wanted` skips their values: the list is the parser's."""
    from mesoreg.command.cli import _common

    valued = {
        option
        for action in _common()._actions
        if action.nargs != 0
        for option in action.option_strings
    }
    assert valued == _replay._VALUED


class _GoneReader:
    """A stdout whose reader went away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError

    def flush(self) -> None:
        raise BrokenPipeError


def test_a_replay_to_a_reader_that_went_away_ends_quietly(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mesoreg._exit import ExitCode

    command = Command()
    _replay.run(ARGS, command)
    monkeypatch.setattr(sys, "stdout", _GoneReader())
    assert _replay.run(ARGS, command) == ExitCode.BROKEN_PIPE
    assert command.runs == 1
