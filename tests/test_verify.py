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

from mesoreg._errors import MesoregError
from mesoreg.documents._dump import dump_formulation
from mesoreg.store._ledger import dump_ledger
from mesoreg.store._store import Store
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
    from mesoreg.store._publish import publish

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


# -- a ledger that lost entries is never refilled from the files ---------------------------


def canonical(store: Store, version: int, strength: str = "1 %") -> str:
    """What mesoreg would write for demo@version (so hashes are the only tell)."""
    f = formulation([("lidocaine", strength, "1 mL")], id="demo", version=version)
    return dump_formulation(f, with_status=False)


def empty_ledger(store: Store) -> None:
    (store.folder("demo") / "index.toml").write_text(
        dump_ledger(attrs.evolve(store.ledger("demo"), versions=()))
    )


LOST = (
    ": a version of demo that the ledger does not record, and not one a publish left "
    "unfinished (a killed publish leaves only the last version file, and only one); the "
    "ledger has lost entries. Restore the ledger from git (or a backup), or move the file "
    "out of the store"
)


def test_an_emptied_ledger_beside_tampered_versions_is_damage_never_recorded(store, registry):
    """v2 approved; v1 and v2 rewritten as mesoreg would write them; the ledger emptied."""
    from mesoreg.documents._model import Status
    from mesoreg.store._publish import set_status

    set_status(store, "demo@2", Status.APPROVED, "boss", registry=registry)
    folder = store.folder("demo")
    for n in (1, 2):
        (folder / f"v{n}.toml").write_text(canonical(store, n, "9 %"))
    empty_ledger(store)
    ledger_before = (folder / "index.toml").read_bytes()
    for _ in range(2):
        problems, notes = store.verify()
        assert problems == [f"{folder / 'v1.toml'}{LOST}", f"{folder / 'v2.toml'}{LOST}"]
        assert notes == []
        assert (folder / "index.toml").read_bytes() == ledger_before


@pytest.mark.parametrize(
    ("files", "latest", "lost"),
    [
        ([3], 2, []),  # the next version: an unfinished publish
        ([4], 2, [4]),  # a gap: a publish never skips a number that no file takes
        ([3, 4], 2, [3, 4]),  # two: a killed publisher leaves one
        ([1], 2, [1]),  # below the ledger's last: a lost entry
    ],
    ids=["next", "gap", "two", "below"],
)
def test_at_most_the_next_version_is_an_unfinished_publish(store, files, latest, lost):
    folder = store.folder("demo")
    ledger = store.ledger("demo")
    if 1 in files:  # v1 drops out of the ledger, v2 stays
        (folder / "index.toml").write_text(
            dump_ledger(
                attrs.evolve(ledger, versions=(attrs.evolve(ledger.versions[1], supersedes=None),))
            )
        )
    for n in files:
        if n != 1:
            (folder / f"v{n}.toml").write_text(canonical(store, n))
    problems, notes = store.verify()
    assert problems == [f"{folder / f'v{n}.toml'}{LOST}" for n in lost]
    recorded = [e.version for e in store.ledger("demo").versions]
    if lost:
        assert notes == [] and recorded == sorted(set(range(1, latest + 1)) - set(lost))
    else:
        assert len(notes) == 1 and "UNVERIFIED" in notes[0]
        assert recorded == [1, 2, 3]


def test_a_foreign_file_does_not_hide_the_unfinished_publish_after_it(store):
    """A publish after a foreign v3 writes v4; killed before the ledger, v4 is still next."""
    folder = store.folder("demo")
    foreign = folder / "v3.toml"
    foreign.write_text(canonical(store, 3).replace('id = "demo"', 'id = "other"'))
    (folder / "v4.toml").write_text(canonical(store, 4))
    problems, notes = store.verify()
    assert len(problems) == 1 and problems[0].startswith(f"{foreign}: extra file")
    assert [n.split(": ")[0] for n in notes] == [str(folder / "v4.toml")]
    assert [e.version for e in store.ledger("demo").versions] == [1, 2, 4]


# -- verify reads what it vouches for: the readers' own check ------------------------------


def swap_hash(store: Store, version: int, data: bytes) -> None:
    """Write ``data`` as v<version> and put its sha256 in the ledger (a consistent edit)."""
    from mesoreg.store._store import sha256

    folder = store.folder("demo")
    old = store.ledger("demo").entry(version).sha256
    (folder / f"v{version}.toml").write_bytes(data)
    text = ledger_text(store).replace(old, sha256(data))
    (folder / "index.toml").write_text(text)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (lambda s: s.version_path("demo", 1).read_bytes(), "holds demo@1, not demo@2"),
        (
            lambda s: canonical(s, 2).replace('id = "demo"', 'id = "other"').encode(),
            "holds other@2, not demo@2",
        ),
        (lambda s: canonical(s, 2).encode() + b"# note\n", "not a file mesoreg wrote"),
        (lambda s: b"schema_version = 1\n", "not a valid version file ("),
    ],
    ids=["copy-of-v1", "other-id", "not-canonical", "invalid"],
)
def test_a_version_file_with_a_matching_hash_is_still_read(store, content, expected):
    swap_hash(store, 2, content(store))
    path = store.version_path("demo", 2)
    problems, _ = store.verify()
    assert len(problems) == 1 and problems[0].startswith(f"{path}: {expected}")
    with pytest.raises(MesoregError, match=r"demo@2 is not used"):
        store.read("demo", 2)
    assert store.read("demo", 1)[1].version == 1  # the rest of the formulation still works


# -- a status is only what its events make it -------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ('status = "draft"', 'status = "approved"'),
            "versions[0].status: is 'approved', but its events make it 'draft'",
        ),
        (
            ('status = "draft"', 'status = "retired"'),
            "versions[0].status: is 'retired', but its events make it 'draft'",
        ),
        (
            ('action = "published"', 'action = "approved"'),
            "versions[0].events[0].action: must be 'published' or 'recovered' (got 'approved')",
        ),
    ],
    ids=["approved-without-event", "retired-without-event", "first-event"],
)
def test_a_status_without_its_event_is_a_problem(store, edit, expected):
    path = store.folder("demo") / "index.toml"
    path.write_text(ledger_text(store).replace(*edit, 1))
    problems, _ = store.verify()
    assert problems[0].startswith(f"{path}: {expected}")
    with pytest.raises(MesoregError, match=r"Restore the ledger from git"):
        store.read("demo", 1)


# -- what verify remembers (mesoreg.store._store_memo): never a reason to miss damage


@QUICK
@given(mutation=MUTATION)
def test_a_change_after_a_clean_verify_is_still_caught(tmp_path_factory, mutation):
    # the first verify remembers that v1's bytes are canonical; the change is caught anyway
    store = Store(tmp_path_factory.mktemp("s"))
    store.publish(F, "alice")
    assert store.verify() == ([], [])
    path = store.version_path("demo", 1)
    original = path.read_bytes()
    changed = mutate(original, mutation)
    path.write_bytes(changed)
    problems, _ = store.verify()
    if changed == original:
        assert problems == []
    else:
        assert problems == [f"{path}: changed after publishing (sha256 does not match the ledger)"]


def test_a_remembered_canonical_file_does_not_vouch_for_another_version(store):
    # v1 and v2 hold different bytes (their version numbers differ); copying v1 over v2 and
    # its hash into v2's entry must still fail the id@N check, although v1's bytes are known
    assert store.verify() == ([], [])
    folder = store.folder("demo")
    v1 = (folder / "v1.toml").read_bytes()
    ledger = store.ledger("demo")
    forged = ledger.replace(attrs.evolve(ledger.entry(2), sha256=ledger.entry(1).sha256))
    (folder / "v2.toml").write_bytes(v1)
    (folder / "index.toml").write_text(dump_ledger(forged))
    problems, _ = store.verify()
    assert problems == [f"{folder / 'v2.toml'}: holds demo@1, not demo@2"]


def test_verify_parses_an_unchanged_store_once(store, monkeypatch):
    from mesoreg.store import _store_memo

    assert store.verify() == ([], [])
    _store_memo.forget()  # as a new process: only the on-disk table remains
    parsed = []
    monkeypatch.setattr(Store, "_build", lambda *a: parsed.append(a) or pytest.fail("parsed"))
    monkeypatch.setattr(_store_memo, "parse_ledger", lambda *a: pytest.fail("ledger parsed"))
    assert store.verify() == ([], [])
    assert parsed == []


def test_without_the_cache_verify_parses_everything(store, monkeypatch):
    from mesoreg.store import _store_memo

    assert store.verify() == ([], [])
    _store_memo.forget()
    monkeypatch.setenv("MESOREG_CACHE", "0")
    built = []
    real = Store._build
    monkeypatch.setattr(Store, "_build", staticmethod(lambda *a: built.append(1) or real(*a)))
    assert store.verify() == ([], [])
    assert len(built) == 2  # both versions, although the table knows them
