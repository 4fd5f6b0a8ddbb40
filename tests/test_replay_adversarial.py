"""Replay, attacked: every test is a way a replayed run printed what a fresh run would not.

Each test compares a replayed run with a fresh one (``MESOREG_CACHE=0``, or a run whose
key cannot match) over the same inputs, and asserts that they print the same: each fails
while the replay serves a stale answer.  The real command runs in a subprocess, through
the same driver as ``tests/test_replay.py`` (the 2-second margin set to 0, each replay
logged), so a replay is told from a run without any timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_replay import DRIVER

from mesoreg.command import _replay

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "formulations" / "face-revitalisation" / "v1.toml"
PATIENT = ROOT / "examples" / "patients" / "anna.toml"
#: a dose a hundred times stronger: an input error (exit 2) for a fresh run
STRONGER = ('"100 mg/mL"', '"10000 mg/mL"')


class Runner:
    """Runs the command in ``work``; the replay log lives in a folder of its own, made
    before the first run (a file made later in a folder the run looked at is a miss)."""

    def __init__(self, tmp_path: Path, work: Path) -> None:
        self.work = work
        logs = tmp_path / "logs"
        logs.mkdir()
        self.log = logs / "replays.log"
        self.log.write_text("")

    def __call__(self, *args: str, **env: str) -> tuple[int, str, str, int]:
        """(exit code, stdout, stderr, how many replays so far)."""
        done = subprocess.run(
            [sys.executable, "-c", DRIVER, str(self.log), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.work,
            env={**os.environ, **env},
        )
        return done.returncode, done.stdout, done.stderr, self.replays()

    def replays(self) -> int:
        return len(self.log.read_text().splitlines())

    def settled(self, *args: str, **env: str) -> tuple[int, str, str, int]:
        """Run until a run is replayed (a run that compiled bytecode or filled another
        cache is not kept); every run must print the same."""
        runs = [self(*args, **env)]
        while runs[-1][3] == runs[0][3] and len(runs) < 6:
            runs.append(self(*args, **env))
        assert runs[-1][3] == runs[0][3] + 1, "never replayed"
        assert {r[:3] for r in runs} == {runs[0][:3]}
        return runs[-1]


def _fresh(work: Path, *args: str, **env: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "mesoreg", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
        env={**os.environ, **env, "MESOREG_CACHE": "0"},
    )
    return done.returncode, done.stdout, done.stderr


# -- 1. the cache folder's own exemption hides inputs ------------------------------------


@pytest.mark.parametrize(
    "layout",
    ["cache is the project folder", "a path through the cache folder"],
)
def test_an_input_under_the_cache_folder_is_still_an_input(tmp_path: Path, layout: str) -> None:
    """Reads inside the cache folder are not recorded (``_Recorder._cached``, a prefix test
    on the text of the path), so a formulation that lies below it, or is named through it,
    is never compared: an edit that a fresh run rejects is replayed as the old PASS.

    ``MESOREG_CACHE_DIR=$PWD`` (or ``.``, or ``$HOME``) is a plausible setting; the folder
    is private (0700/0755, the user's), so the cache accepts it."""
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    formulation = work / "f.toml"
    formulation.write_text(EXAMPLE.read_text())
    if layout == "cache is the project folder":
        env, name = {"MESOREG_CACHE_DIR": str(work)}, str(formulation)
    else:
        (work / "cache").mkdir(mode=0o700)
        env = {"MESOREG_CACHE_DIR": str(work / "cache")}
        name = str(work / "cache" / ".." / "f.toml")
    run = Runner(tmp_path, work)
    args = ("check", name, "--patient", str(PATIENT))
    first = run.settled(*args, **env)
    assert first[0] == 0
    formulation.write_text(EXAMPLE.read_text().replace(*STRONGER))
    again = run(*args, **env)
    fresh = _fresh(work, *args, **env)
    assert fresh[0] == 2  # the edited file is refused
    assert again[:3] == fresh, "the edited formulation was replayed as the old report"
    assert again[3] == first[3]  # and no replay happened


# -- 2. a listing served by another cache: that cache's blind spots become replay's ------


def _site(tmp_path: Path, helper: str) -> Path:
    """An installed code plugin whose package imports a top-level helper module that
    lives beside it (a shared ``utils`` module; a dependency installed on its own)."""
    site = tmp_path / "site"
    (site / "probe_plugin").mkdir(parents=True, exist_ok=True)
    (site / "probe_plugin" / "__init__.py").write_text("import probe_helper  # noqa: F401\n")
    (site / "probe_helper.py").write_text(helper)
    info = site / "probe_plugin-1.0.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: probe-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[mesoreg]\nprobe = probe_plugin\n")
    return site


def test_plugins_list_sees_a_broken_module_the_plugin_imports(tmp_path: Path) -> None:
    """``plugins list`` is recorded on a run served by the listing's own cache, whose key
    names the plugin's package folder only (``_plugin_admin._listing_key``): the replay
    depends on nothing else the plugin loads, and reports a plugin that no longer loads
    as ``ok``."""
    site = _site(tmp_path, "VALUE = 1\n")
    (tmp_path / "work").mkdir()
    run = Runner(tmp_path, tmp_path / "work")
    env = {"PYTHONPATH": str(site), "MESOREG_NO_PLUGINS": "0", "MESOREG_ALLOW": "probe"}
    listed = run.settled("plugins", "list", **env)
    assert "probe" in listed[1] and "failed" not in listed[1]
    (site / "probe_helper.py").write_text("raise RuntimeError('broken on purpose')\n")
    again = run("plugins", "list", **env)
    fresh = _fresh(tmp_path / "work", "plugins", "list", **env)
    assert "broken on purpose" in fresh[1]
    assert again[:3] == fresh, "a plugin that cannot be loaded was replayed as ok"


# -- 3. the date the key names is not the date the run saw -------------------------------


def test_a_run_is_kept_under_the_date_it_was_run_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``key`` reads the date once, ``_Recorder`` again later: a run keyed on the 1st that
    began on the 2nd (midnight between the two reads) is kept, under the 1st's key, with
    the 2nd's output.  Whoever runs on the 1st again (a clock set back, a time zone
    changed through /etc/localtime, which the key does not name) is served the 2nd's."""
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    monkeypatch.setattr(_replay, "MARGIN_NS", 0)
    days = iter(["2026-12-01"])  # the key's read; every later read is the 2nd

    def today() -> str:
        return next(days, "2026-12-02")

    def command(args: Sequence[str]) -> int:  # as the checker: the date it runs on
        print(f"checked on {_replay._today()}")
        _replay.offer([0])
        return 0

    monkeypatch.setattr(_replay, "_today", today)
    _replay.run(["check", "f.toml"], command)
    assert capsys.readouterr().out == "checked on 2026-12-02\n"
    monkeypatch.setattr(_replay, "_today", lambda: "2026-12-01")
    _replay.run(["check", "f.toml"], command)
    assert capsys.readouterr().out == "checked on 2026-12-01\n"


# -- 4. the replay machinery itself may not change what a run ends with -------------------


def test_a_run_in_a_removed_folder_ends_as_a_fresh_run_does(tmp_path: Path) -> None:
    """``_replay.key`` calls ``os.getcwd()`` outside every guard: in a folder that has been
    removed (a shell left in a deleted build folder), the command dies with a traceback and
    exit code 1, which is "findings" (``ExitCode.FINDINGS``), instead of the internal
    error (exit 4) a fresh run reports."""
    gone = tmp_path / "gone"
    start = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "os.execv(sys.executable, [sys.executable, '-m', 'mesoreg', *sys.argv[2:]])"
    )

    def run(**env: str) -> tuple[int, str]:
        gone.mkdir()
        done = subprocess.run(
            [sys.executable, "-c", start, str(gone), "check", str(EXAMPLE)],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
            env={**os.environ, **env},
        )
        return done.returncode, done.stderr

    fresh = run(MESOREG_CACHE="0")
    cached = run()
    assert "Traceback" not in cached[1]
    assert cached[0] == fresh[0]


class Shown(str):
    """A str subclass, as a plugin may write one (a ``StrEnum`` member, ``Markup``)."""


def test_a_str_subclass_written_to_a_stream_does_not_end_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``_Tee`` keeps what is written as it is given, and ``marshal`` cannot write a str
    subclass: the recording raises ``ValueError`` after the run, out of ``_replay.run``,
    and the command ends with a traceback and exit code 1 ("findings") for a run that
    passed.  Code plugins' pack hooks run in replayable checks, and their threads'
    ``sys.stdout`` is ``sys.stderr``."""
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    monkeypatch.setattr(_replay, "MARGIN_NS", 0)

    def command(args: Sequence[str]) -> int:
        sys.stderr.write(Shown("a plugin's note\n"))
        print("PASS")
        _replay.offer([0])
        return 0

    assert _replay.run(["check", "f.toml"], command) == 0
    assert capsys.readouterr().out == "PASS\n"


# -- 5. a compiled module kept outside __pycache__ -----------------------------------------


def test_an_edited_module_is_a_miss_with_a_pycache_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module imported from its compiled copy is read through the ``.pyc`` alone (its
    source is only stat-ed by the import system, unseen); ``_Recorder.finish`` adds the
    source only for a ``.pyc`` inside a ``__pycache__`` folder.  With
    ``PYTHONPYCACHEPREFIX`` (or ``-X pycache_prefix``, ``sys.pycache_prefix``), compiled
    files live in a tree of their own, and an edited module -- mesoreg's own code in an
    editable install, a code plugin's pack hook -- is replayed as it was."""
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    monkeypatch.setattr(_replay, "MARGIN_NS", 0)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "compiled"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (tmp_path / "modules").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path / "modules"))
    module = tmp_path / "modules" / "replay_prefix_module.py"
    module.write_text("VALUE = 1\n")
    runs = []

    def command(args: Sequence[str]) -> int:
        runs.append(1)
        sys.modules.pop("replay_prefix_module", None)
        import replay_prefix_module  # type: ignore[import-not-found]

        print(replay_prefix_module.VALUE)
        _replay.offer([0])
        return 0

    command([])  # compiled once, as an installed module is
    assert list((tmp_path / "compiled").rglob("*.pyc"))
    # and not loaded when the command starts (a loaded module counts by its __file__)
    sys.modules.pop("replay_prefix_module")
    capsys.readouterr()
    for _ in range(2):
        _replay.run(["check", "f.toml"], command)
    assert len(runs) == 2  # the second was replayed
    module.write_text("VALUE = 22\n")
    _replay.run(["check", "f.toml"], command)
    assert capsys.readouterr().out.endswith("22\n")
