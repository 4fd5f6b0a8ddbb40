"""Stat signatures of the installed environment, folders and files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mesoreg import _stat


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path holding one installed distribution."""
    info = tmp_path / "dist_a-1.0.dist-info"
    info.mkdir()
    (info / "entry_points.txt").write_text("[mesoreg]\na = dist_a\n")
    (info / "METADATA").write_text("Name: dist-a\nVersion: 1.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_environment_is_stable(site: Path) -> None:
    assert _stat.environment() == _stat.environment()


def _touch_entry_points(site: Path) -> None:
    # same size, so only the stat's times and inode tell the difference
    path = site / "dist_a-1.0.dist-info" / "entry_points.txt"
    text = path.read_text()
    path.unlink()
    path.write_text(text.replace("a = dist_a", "a = dist_b"))


@pytest.mark.parametrize(
    "change",
    [
        lambda s: (s / "dist_b-2.0.dist-info").mkdir(),  # installed
        lambda s: (s / "dist_a-1.0.dist-info" / "METADATA").unlink(),  # being removed
        lambda s: (s / "dist_a-1.0.dist-info").rename(s / "dist_a-1.1.dist-info"),  # upgraded
        lambda s: (s / "editable.pth").write_text("/somewhere\n"),  # an editable install
        lambda s: (s / "dist_a.egg-link").write_text("/somewhere\n"),
        _touch_entry_points,  # metadata edited in place
        lambda s: (s / "new_module.py").write_text(""),  # anything new on the path
    ],
    ids=["install", "remove", "upgrade", "pth", "egg-link", "entry-points", "module"],
)
def test_environment_changes_with_the_installed_distributions(site: Path, change) -> None:  # type: ignore[no-untyped-def]
    before = _stat.environment()
    change(site)
    assert _stat.environment() != before


def test_environment_changes_with_the_path(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _stat.environment()
    monkeypatch.syspath_prepend(str(site / "elsewhere"))
    assert _stat.environment() != before


def test_pth_edited_in_place_is_seen(site: Path) -> None:
    pth = site / "editable.pth"
    pth.write_text("/one\n")
    before = _stat.environment()
    pth.write_text("/two/longer\n")
    assert _stat.environment() != before


def test_folder_sees_every_file_below(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("x = 1\n")
    (package / "sub" / "data.toml").write_text("a = 1\n")
    (package / "__pycache__").mkdir()
    before = _stat.folder(str(package))
    (package / "__pycache__" / "x.pyc").write_bytes(b"")  # compiled files are not sources
    assert _stat.folder(str(package)) == before
    (package / "sub" / "data.toml").write_text("a = 22\n")
    after = _stat.folder(str(package))
    assert after != before
    (package / "sub" / "more.py").write_text("")
    assert _stat.folder(str(package)) != after


def test_signature_of_a_missing_file(tmp_path: Path) -> None:
    assert _stat.signature(str(tmp_path / "nothing")) == "-"
    assert _stat.signature(str(tmp_path)) != "-"


def test_environment_reads_the_current_folder_for_an_empty_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")
    before = _stat.environment()
    (tmp_path / "x-1.0.dist-info").mkdir()
    assert _stat.environment() != before


def test_presence_tells_what_a_look_tells(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    assert _stat.presence(str(folder)) == "folder"
    (folder / "new").write_text("")  # a folder's own times are no part of a look
    assert _stat.presence(str(folder)) == "folder"
    assert _stat.presence(str(tmp_path / "none")) == "-"
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert _stat.presence(str(link)) == f"link {folder} folder"
    file = folder / "new"
    assert _stat.presence(str(file)) == _stat.signature(str(file))
