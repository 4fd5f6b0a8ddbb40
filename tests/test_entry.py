"""The command's entry point: --version costs an interpreter start, nothing more."""

from __future__ import annotations

import subprocess
import sys

from mesoreg import __version__
from mesoreg.command._entry import main


def test_version_is_answered_without_importing_the_cli() -> None:
    code = (
        "import sys; from mesoreg.command._entry import main; rc = main(['--version']); "
        "print(sorted(m for m in sys.modules if m.startswith(('mesoreg', 'attr', 'cattrs', "
        "'pluggy')))); raise SystemExit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, loaded = out.stdout.splitlines()
    assert first == f"mesoreg {__version__}"
    assert loaded == (
        "['mesoreg', 'mesoreg._version', 'mesoreg.command', 'mesoreg.command._entry']"
    )


def test_everything_else_goes_to_the_cli(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--no-plugins", "catalog", "vocab", "route"]) == 0
    assert capsys.readouterr().out.startswith("route (3)\n")


def test_the_command_flushes_its_output_and_keeps_its_exit_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run as the command, the process ends without teardown: nothing may be lost."""
    many = subprocess.run(
        [sys.executable, "-m", "mesoreg", "--no-plugins", "catalog", "rules", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert many.returncode == 0
    assert many.stdout.rstrip().endswith("}")  # the whole JSON document, to its last brace
    import json

    assert json.loads(many.stdout)
    bad = subprocess.run(
        [sys.executable, "-m", "mesoreg", "--no-plugins", "check", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: ") and bad.stderr.endswith("\n")
