"""Verifying a damaged store: every kind of damage is a problem, never "ok"."""

from __future__ import annotations

import errno
import os
import shutil

import attrs
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesoreg._dump import dump_formulation
from mesoreg._errors import MesoregError
from mesoreg._ledger import dump_ledger
from mesoreg._store import Store
from mesoreg.testing import formulation

F = formulation([("lidocaine", "1 %", "1 mL")], id="demo")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "store")
    store.publish(F, "alice")
    store.publish(F, "alice")
    return store


def ledger_text(store: Store) -> str:
    return (store.folder("demo") / "index.toml").read_text()


def test_a_deleted_ledger_is_a_problem_and_never_rebuilt(store):
    folder = store.folder("demo")
    v1 = folder / "v1.toml"
    v1.write_text(v1.read_text().replace("lidocaine", "bupivacaine"))  # tampered, then ...
    (folder / "index.toml").unlink()  # ... its ledger deleted
    for _ in range(2):  # a second verify must not find a laundered ledger
        problems, notes = store.verify()
        assert problems == [
            f"{folder / 'index.toml'}: missing, but the folder holds version files "
            "(v1.toml, v2.toml); the ledger is never rebuilt from files it cannot verify. "
            f"Restore it from git (git checkout -- {folder / 'index.toml'}) or a backup"
        ]
        assert notes == []
        assert not (folder / "index.toml").exists()


def test_merged_duplicate_versions_are_a_problem(store):
    text = ledger_text(store)
    blocks = text.split("[[versions]]")
    merged = text + "[[versions]]" + blocks[2]  # another branch's v2, both blocks kept
    (store.folder("demo") / "index.toml").write_text(merged)
    problems, _ = store.verify()
    assert problems == [
        f"{store.folder('demo') / 'index.toml'}: versions[2].version: version 2 is listed twice "
        "(also versions[1]). Two publishes of one version were merged: keep the entry whose "
        "sha256 matches the file, and publish the other formulation again."
    ]


def test_a_ledger_naming_another_formulation_is_a_problem(store):
    other = attrs.evolve(F, id="other")
    store.publish(other, "bob")
    (store.folder("demo") / "index.toml").write_text(
        ledger_text(store).replace('id = "demo"', 'id = "other"')
    )
    before = (store.folder("other") / "index.toml").read_bytes()
    problems, _ = store.verify()
    assert problems == [
        f"{store.folder('demo') / 'index.toml'}: id: 'other' does not match its folder 'demo'. "
        "A ledger describes the formulation of its own folder; restore it from git."
    ]
    assert (store.folder("other") / "index.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ('file = "v1.toml"', 'file = "../../../etc/hostname"'),
            "versions[0].file: must be 'v1.toml' (got '../../../etc/hostname')",
        ),
        (
            ("\nversion = 1\n", '\nversion = "1/../../outside"\n'),
            "versions[0].version: must be an integer (got '1/../../outside')",
        ),
        (
            ("\nversion = 1\n", "\nversion = 0\n"),
            "versions[0].version: must be a positive whole number (got 0)",
        ),
    ],
    ids=["file", "version-path", "version-zero"],
)
def test_ledger_paths_cannot_leave_the_folder(store, edit, expected):
    path = store.folder("demo") / "index.toml"
    path.write_text(ledger_text(store).replace(*edit, 1))
    problems, _ = store.verify()
    assert problems[0].startswith(f"{path}: {expected}")
    assert all(p.startswith(f"{path}: versions[") for p in problems)


def test_symbolic_links_are_refused(store, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copytree(store.folder("demo"), outside / "demo")
    (store.root / "linked").symlink_to(outside / "demo")
    (store.folder("demo") / "v3.toml").symlink_to(outside / "demo" / "v1.toml")
    problems, _ = store.verify()
    refused = "is a symbolic link; the store refuses links so that nothing outside it is read"
    assert [p.split(": ", 1)[0] for p in problems] == [
        str(store.folder("demo") / "v3.toml"),
        str(store.root / "linked"),
    ]
    assert all(refused in p for p in problems)


def test_a_linked_version_file_is_refused_even_when_its_hash_matches(store, tmp_path):
    v1 = store.folder("demo") / "v1.toml"
    copy = tmp_path / "copy.toml"
    shutil.copy(v1, copy)
    v1.unlink()
    v1.symlink_to(copy)
    problems, _ = store.verify()
    assert problems == [
        f"{v1}: is a symbolic link; the store refuses links so that nothing outside it is read "
        "or written. Replace the link with the real file or folder (or restore it from git)"
    ]


def test_invalid_utf8_in_a_ledger_is_a_problem(store):
    path = store.folder("demo") / "index.toml"
    path.write_bytes(path.read_bytes() + b"# \xff\xfe\n")
    problems, _ = store.verify()
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: not valid UTF-8 (byte ")


def test_a_lock_that_is_a_folder_is_a_problem_and_nothing_is_repaired(store):
    (store.root / ".mesoreg.lock").unlink()
    (store.root / ".mesoreg.lock").mkdir()
    leftover = store.folder("demo") / ".v3.toml.tmp-1-abcdef12"
    leftover.write_text("half")
    problems, notes = store.verify()
    assert problems == [
        f"{store.root / '.mesoreg.lock'}: the store's lock is a folder, not a file; remove it "
        "(it holds no data) and try again"
    ]
    assert notes == [
        f"{store.root}: verified without the lock; nothing was repaired",
        f"{leftover}: temporary file left by an interrupted writer; not removed (read-only)",
    ]
    assert leftover.exists()


def test_leftovers_of_a_publish_killed_in_a_new_store_are_cleaned(tmp_path):
    """Killed while writing .gitattributes: the root's temporary file does not break verify."""
    store = Store(tmp_path / "new")
    store.root.mkdir()
    for name in ("..gitattributes.tmp-77-0a1b2c3d", "..gitignore.tmp-77-0a1b2c3d"):
        (store.root / name).write_text("half")
    (store.root / "demo").mkdir()  # killed after creating the folder, before its ledger
    assert store.verify() == ([], [])
    assert sorted(p.name for p in store.root.iterdir()) == [".mesoreg.lock", "demo"]
    assert store.publish(F, "alice").version == 1
    assert store.verify() == ([], [])


def test_a_first_publish_killed_after_linking_is_recovered(tmp_path):
    store = Store(tmp_path / "new")
    store.publish(attrs.evolve(F, id="other"), "alice")
    folder = store.root / "demo"
    folder.mkdir()
    (folder / "index.toml").write_text(dump_ledger(store.ledger("demo")))  # written first
    (folder / "v1.toml").write_text(dump_formulation(F, with_status=False))
    problems, notes = store.verify()
    assert problems == [] and len(notes) == 1
    assert notes[0].startswith(f"{folder / 'v1.toml'}: recorded as demo@1 from the file itself")
    assert [e.events[0].action for e in store.ledger("demo").versions] == ["recovered"]


def test_a_foreign_version_file_is_reported_and_skipped(store, registry):
    from mesoreg._publish import publish

    foreign = store.folder("demo") / "v3.toml"
    foreign.write_text(dump_formulation(attrs.evolve(F, id="other", version=3), with_status=False))
    problems, _ = store.verify()
    assert problems == [
        f"{foreign}: extra file, not recorded in the ledger (it holds other@3, not demo@3); "
        "later publishes skip its number. Move it out of the store, or restore its ledger "
        "entry from git"
    ]
    assert publish(F, store, author="bob", registry=registry).version == 4
    assert foreign.read_text().count('id = "other"') == 1
    assert [e.version for e in store.ledger("demo").versions] == [1, 2, 4]
    foreign.unlink()
    assert store.verify() == ([], [])


def _refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def _read_only_open(real):  # type: ignore[no-untyped-def]
    def open_(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC):
            _refuse()
        return real(path, flags, *args, **kwargs)

    return open_


def make_read_only(patch) -> None:  # type: ignore[no-untyped-def]
    """Simulate a read-only file system (chmod does not stop root): writes fail with EROFS."""
    patch.setattr(os, "open", _read_only_open(os.open))
    for name in ("unlink", "remove", "replace", "rename", "link", "mkdir", "rmdir"):
        patch.setattr(os, name, _refuse)


@pytest.fixture
def read_only(monkeypatch):
    make_read_only(monkeypatch)


def test_a_read_only_store_is_verified_without_writing(store, read_only):
    folder = store.folder("demo")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    problems, notes = store.verify()
    assert problems == []
    assert notes == [
        f"{store.root}: cannot be written here (Read-only file system); verified read-only: "
        "nothing was repaired (interrupted publishes are not recorded, temporary files not "
        "removed)"
    ]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_read_only_store_still_reports_damage_and_pending_repairs(tmp_path, monkeypatch):
    store = Store(tmp_path / "store")
    store.publish(F, "alice")
    folder = store.folder("demo")
    (folder / "v2.toml").write_text(dump_formulation(attrs.evolve(F, version=2), with_status=False))
    (folder / ".v3.toml.tmp-9-deadbeef").write_text("half")
    other = attrs.evolve(F, id="other")
    store.publish(other, "alice")
    v1 = store.folder("other") / "v1.toml"
    v1.write_text(v1.read_text() + "# edited\n")
    with monkeypatch.context() as patch:
        make_read_only(patch)
        problems, notes = store.verify()
    assert problems == [f"{v1}: changed after publishing (sha256 does not match the ledger)"]
    assert notes[1:] == [
        f"{folder / '.v3.toml.tmp-9-deadbeef'}: temporary file left by an interrupted writer; "
        "not removed (read-only)",
        f"{folder / 'v2.toml'}: demo@2 is not in the ledger (a publish that did not finish, "
        "or a file put there by hand); not recorded (read-only)",
    ]
    assert (folder / ".v3.toml.tmp-9-deadbeef").exists()
    assert store.ledger("demo").latest == 1
    # once writable, the same verify repairs what it reported
    problems, notes = store.verify()
    assert [n.split(":")[0] for n in notes] == [str(folder / "v2.toml")]
    assert "recorded as demo@2 from the file itself" in notes[0]
    assert not (folder / ".v3.toml.tmp-9-deadbeef").exists()


def test_shipped_store_verifies_read_only(read_only):
    problems, notes = Store(ROOT / "formulations").verify()
    assert problems == []
    assert len(notes) == 1 and "verified read-only" in notes[0]


QUICK = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
MUTATION = st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=3), st.integers(0, 3))


def mutate(data: bytes, mutation: tuple[int, bytes, int]) -> bytes:
    at, insert, cut = mutation
    at %= len(data) + 1
    return data[:at] + insert + data[at + cut :]


@QUICK
@given(mutation=MUTATION)
def test_any_change_to_a_version_file_is_caught(tmp_path_factory, mutation):
    store = Store(tmp_path_factory.mktemp("s"))
    store.publish(F, "alice")
    path = store.version_path("demo", 1)
    original = path.read_bytes()
    changed = mutate(original, mutation)
    path.write_bytes(changed)
    problems, _ = store.verify()
    if changed == original:
        assert problems == []
        return
    assert problems == [f"{path}: changed after publishing (sha256 does not match the ledger)"]
    with pytest.raises(MesoregError, match="changed after publishing"):
        store.read("demo", 1)


@QUICK
@given(mutation=MUTATION)
def test_a_mutated_ledger_gives_problems_or_a_valid_ledger_never_a_crash(
    tmp_path_factory, mutation
):
    store = Store(tmp_path_factory.mktemp("s"))
    store.publish(F, "alice")
    ledger = store.folder("demo") / "index.toml"
    ledger.write_bytes(mutate(ledger.read_bytes(), mutation))
    problems, _ = store.verify()  # never raises
    try:
        formulation, entry = store.read("demo", 1)
    except MesoregError:
        return
    # what is used is exactly what was published, whatever the ledger says otherwise
    assert problems == [] and entry.file == "v1.toml"
    assert formulation == attrs.evolve(F, version=1)
