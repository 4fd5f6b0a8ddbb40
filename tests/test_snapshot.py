"""Cache keys from the installed environment and files; values with read-only mappings."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import MappingProxyType

import attrs
import pytest

from mesoreg import _snapshot


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
    assert _snapshot.environment() == _snapshot.environment()


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
    before = _snapshot.environment()
    change(site)
    assert _snapshot.environment() != before


def test_environment_changes_with_the_path(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _snapshot.environment()
    monkeypatch.syspath_prepend(str(site / "elsewhere"))
    assert _snapshot.environment() != before


def test_pth_edited_in_place_is_seen(site: Path) -> None:
    pth = site / "editable.pth"
    pth.write_text("/one\n")
    before = _snapshot.environment()
    pth.write_text("/two/longer\n")
    assert _snapshot.environment() != before


def test_folder_sees_every_file_below(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("x = 1\n")
    (package / "sub" / "data.toml").write_text("a = 1\n")
    (package / "__pycache__").mkdir()
    before = _snapshot.folder(str(package))
    (package / "__pycache__" / "x.pyc").write_bytes(b"")  # compiled files are not sources
    assert _snapshot.folder(str(package)) == before
    (package / "sub" / "data.toml").write_text("a = 22\n")
    after = _snapshot.folder(str(package))
    assert after != before
    (package / "sub" / "more.py").write_text("")
    assert _snapshot.folder(str(package)) != after


def test_signature_of_a_missing_file(tmp_path: Path) -> None:
    assert _snapshot.signature(str(tmp_path / "nothing")) == "-"
    assert _snapshot.signature(str(tmp_path)) != "-"


def test_digest_is_length_prefixed() -> None:
    assert _snapshot.digest(["ab", "c"]) != _snapshot.digest(["a", "bc"])
    assert _snapshot.digest(["ab", "c"]) == _snapshot.digest([b"ab", b"c"])


def test_read_only_mappings_round_trip() -> None:
    value = {"outer": MappingProxyType({"a": (1, 2), "b": MappingProxyType({"c": 3})})}
    again = pickle.loads(_snapshot.dumps(value))
    assert type(again["outer"]) is MappingProxyType
    assert type(again["outer"]["b"]) is MappingProxyType
    assert again["outer"]["b"]["c"] == 3 and again["outer"]["a"] == (1, 2)


def test_catalog_round_trips(catalog) -> None:  # type: ignore[no-untyped-def]
    again = pickle.loads(_snapshot.dumps(catalog))
    assert again == catalog
    assert type(again.ingredients) is MappingProxyType
    assert again.find_ingredient("lidocaine") == catalog.find_ingredient("lidocaine")


def test_environment_reads_the_current_folder_for_an_empty_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend("")
    before = _snapshot.environment()
    (tmp_path / "x-1.0.dist-info").mkdir()
    assert _snapshot.environment() != before


@attrs.frozen
class Leaf:
    name: str
    size: float = 1.0


@attrs.frozen
class Node:
    name: str
    children: tuple[Node, ...] = ()
    leaf: Leaf | None = None


def test_records_are_written_in_batches_and_keep_their_identity() -> None:
    shared = Leaf("shared")
    leaves = tuple(Leaf(f"l{i}", float(i)) for i in range(50))
    value = {"all": leaves, "again": MappingProxyType({"x": leaves[3]}), "s": (shared, shared)}
    data = _snapshot.dumps(value)
    assert b"_build_many" in data
    again = pickle.loads(data)
    assert again == {**value, "again": {"x": leaves[3]}}
    assert again["again"]["x"] is again["all"][3]  # one record, not two copies
    assert again["s"][0] is again["s"][1]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        again["all"][0].name = "changed"  # type: ignore[misc]
    assert hash(again["all"][7]) == hash(leaves[7])


def test_a_class_nesting_itself_is_written_record_by_record() -> None:
    deep = Node("a", (Node("b", (Node("c", leaf=Leaf("x")),)),))
    again = pickle.loads(_snapshot.dumps(deep))
    assert again == deep


def test_a_reshaped_class_is_a_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    _snapshot.put("things", "abc", (Leaf("a"), Leaf("b")))
    assert _snapshot.get("things", "abc") == (Leaf("a"), Leaf("b"))
    # the entry was written when Leaf had another field
    monkeypatch.setattr(_snapshot, "_slots", lambda cls: (("name",), (Leaf.__dict__["name"],)))
    assert _snapshot.get("things", "abc") is None


def test_a_value_that_cannot_be_pickled_is_not_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    _snapshot.put("things", "abc", lambda: None)
    assert _snapshot.get("things", "abc") is None
