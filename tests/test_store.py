"""The versioned store: ids, immutable versions, ledger, statuses, verify, recovery."""

from __future__ import annotations

import shutil

import pytest
from conftest import FORMULATIONS, ROOT

import mesoreg
from mesoreg.documents._dump import dump_formulation
from mesoreg.documents._model import Status
from mesoreg.store._ledger import parse_ledger
from mesoreg.store._publish import new_draft, publish, set_status
from mesoreg.store._store import Store, StoreError, parse_ref, sha256, validate_id
from mesoreg.testing import formulation

F = formulation([("lidocaine", "1 %", "1 mL")], id="demo")


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "Demo",
        "a/b",
        "..",
        "../etc",
        "/abs",
        "a--b",
        "-a",
        "con",
        "index",
        "a" * 65,
        "a b",
        "lpt1",
    ],
)
def test_bad_ids_are_refused(bad):
    with pytest.raises(mesoreg.InputError):
        validate_id(bad)


def test_good_ids_and_references():
    assert validate_id("lipo-abdomen-2") == "lipo-abdomen-2"
    assert parse_ref("lipo-abdomen@3") == ("lipo-abdomen", 3)
    assert parse_ref("lipo-abdomen") == ("lipo-abdomen", None)
    with pytest.raises(mesoreg.InputError, match="has no valid version after '@'"):
        parse_ref("lipo-abdomen@x")


def test_publish_assigns_versions_and_never_overwrites(store):
    first = store.publish(F, "alice")
    second = store.publish(F, "bob")
    assert (first.version, second.version, second.supersedes) == (1, 2, 1)
    path = store.version_path("demo", 1)
    before = path.read_bytes()
    from mesoreg.store._store import write_new

    with pytest.raises(StoreError, match="exists; a stored file is never overwritten"):
        write_new(path, b"changed", lambda raw: None)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["index.toml", "v1.toml", "v2.toml"]
    assert sha256(before) == first.sha256


def test_published_file_is_canonical_and_has_no_status(store):
    store.publish(F, "alice")
    text = store.version_path("demo", 1).read_text()
    assert text.startswith("#:schema ../../schemas/formulation-1.schema.json\n")
    assert "status" not in text
    loaded, entry = store.read("demo")
    assert dump_formulation(loaded, with_status=False) == text
    assert entry.status is Status.DRAFT


@pytest.mark.parametrize("path", FORMULATIONS, ids=lambda p: p.parent.name)
def test_every_shipped_file_round_trips_byte_for_byte(path):
    loaded = mesoreg.load_formulation(path)
    assert dump_formulation(loaded, with_status=False) == path.read_text(encoding="utf-8")


def test_shipped_store_verifies(tmp_path):
    copy = tmp_path / "formulations"
    shutil.copytree(ROOT / "formulations", copy)
    problems, notes = Store(copy).verify()
    assert (problems, notes) == ([], [])


def test_status_transitions_are_ledger_events(store, registry):
    publish(F, store, author="alice", registry=registry)
    file_before = store.version_path("demo", 1).read_bytes()
    set_status(store, "demo@1", Status.APPROVED, "carol")
    entry = set_status(store, "demo@1", Status.RETIRED, "dave")
    assert [(e.action, e.by) for e in entry.events] == [
        ("published", "alice"),
        ("approved", "carol"),
        ("retired", "dave"),
    ]
    assert store.version_path("demo", 1).read_bytes() == file_before
    with pytest.raises(StoreError, match="demo@1 is retired; it cannot become approved"):
        set_status(store, "demo@1", Status.APPROVED, "carol")


def test_verify_reports_tampering_missing_and_extra_files(store):
    store.publish(F, "alice")
    store.publish(F, "alice")
    folder = store.folder("demo")
    (folder / "v1.toml").write_text((folder / "v1.toml").read_text() + "# edited\n")
    (folder / "v2.toml").unlink()
    (folder / "notes.txt").write_text("hello")
    (store.root / "stray.toml").write_text("x = 1")
    problems, _ = store.verify()
    assert problems == [
        f"{folder / 'v1.toml'}: changed after publishing (sha256 does not match the ledger)",
        f"{folder / 'v2.toml'}: missing; the ledger records demo@2",
        f"{folder / 'notes.txt'}: extra file, not recorded in the ledger",
        f"{store.root / 'stray.toml'}: extra file, not part of the store",
    ]


def test_interrupted_publish_is_recovered_not_lost(store):
    """A writer killed after linking v2 but before the ledger: the file is recorded later."""
    store.publish(F, "alice")
    folder = store.folder("demo")
    import attrs

    v2 = dump_formulation(attrs.evolve(F, version=2), with_status=False)
    (folder / "v2.toml").write_text(v2)
    (folder / ".v3.toml.tmp-999-dead").write_text("half written")
    problems, notes = store.verify()
    assert problems == []
    assert notes == [
        f"{folder / 'v2.toml'}: recorded as demo@2 from the file itself: a publish that did not "
        "finish left it, or someone put it there. UNVERIFIED: it has no author and no check; "
        "review it ('mesoreg show demo@2') before using it, and retire it if it is not yours"
    ]
    assert not list(folder.glob(".*.tmp-*"))
    entry = store.ledger("demo").entry(2)
    assert entry is not None and entry.author == "unknown" and entry.last_check is None
    assert [(e.action, e.by) for e in entry.events] == [("recovered", "mesoreg")]
    assert store.ledger("demo").latest == 2
    assert store.publish(F, "bob").version == 3


def test_publish_validates_against_the_catalog(store, registry):
    bad = formulation([("lidocane", "1 %", "1 mL")], id="demo")
    with pytest.raises(mesoreg.InputError, match="unknown ingredient 'lidocane'"):
        publish(bad, store, author="alice", registry=registry)
    assert not store.folder("demo").exists() or not list(store.folder("demo").iterdir())


def test_publish_records_the_check(store, registry):
    entry = publish(F, store, author="alice", registry=registry)
    assert entry.last_check is not None
    assert entry.last_check.verdict == "pass"
    assert entry.last_check.packs == ("mesoreg-core 0.1.0",)
    ledger_text = (store.folder("demo") / "index.toml").read_text()
    assert parse_ledger(ledger_text, "x") == store.ledger("demo")


def test_new_draft_from_template_and_from_a_version(store, registry):
    text = new_draft("fresh", store)
    assert 'id = "fresh"' in text
    publish(F, store, author="alice", registry=registry)
    copy = new_draft("demo-copy", store, "demo@1")
    assert 'id = "demo-copy"' in copy and "lidocaine" in copy


def test_gitattributes_and_gitignore_written(store):
    store.publish(F, "alice")
    assert "*.toml text eol=lf" in (store.root / ".gitattributes").read_text()
    assert ".mesoreg.lock" in (store.root / ".gitignore").read_text()


def test_old_schema_version_migrates(tmp_path):
    old = tmp_path / "old.toml"
    old.write_text(
        'schema_version = 0\nid = "old"\nversion = 1\ntitle = "t"\n'
        '[use]\narea = "face"\ntechnique = "nappage"\ndepth_mm = 2\n'
        '[[preparations]]\nname = "s"\nper_session = 1\n'
        '[[preparations.components]]\ningredient = "lidocaine"\nconcentration = "1 %"\n'
        'volume = "1 mL"\n'
    )
    loaded = mesoreg.load_formulation(old)
    assert loaded.schema_version == 1
    assert str(loaded.use.depth) == "2 mm"
    assert str(loaded.preparations[0].components[0].strength) == "1 %"


def test_newer_schema_version_is_refused(tmp_path):
    new = tmp_path / "new.toml"
    new.write_text(F and 'schema_version = 9\nid = "x"\n')
    with pytest.raises(
        mesoreg.InputError,
        match=r"schema version 9 is not supported "
        r"\(supported: 0, 1\)",
    ):
        mesoreg.load_formulation(new)


# -- damaged stores: nothing uses an unverified version ---------------------------------


def failing_formulation():  # type: ignore[no-untyped-def]
    """A lidocaine overdose (tests/data; fails its check whoever the patient) as 'demo'."""
    import attrs

    shipped = mesoreg.load_formulation(ROOT / "tests/data/lidocaine-overdose.toml")
    return attrs.evolve(shipped, id="demo", origin=None)


@pytest.fixture
def approved_ready(store, registry):
    """demo@1 published with a passing check; its file then tampered with."""
    publish(F, store, author="alice", registry=registry)
    return store.version_path("demo", 1)


def tamper(path) -> None:  # type: ignore[no-untyped-def]
    path.write_text(path.read_text().replace("lidocaine", "bupivacaine"))


@pytest.mark.parametrize(
    "use",
    [
        lambda s: s.read("demo", 1),
        lambda s: s.read("demo"),
        lambda s: s.read_file("demo", 1),
        lambda s: new_draft("copy", s, "demo@1"),
        lambda s: set_status(s, "demo@1", Status.APPROVED, "carol"),
        lambda s: set_status(s, "demo@1", Status.RETIRED, "carol"),
    ],
    ids=["read", "read-latest", "read-file", "new-from", "approve", "retire"],
)
def test_a_changed_or_missing_version_is_refused(approved_ready, store, use):
    ledger_before = (store.folder("demo") / "index.toml").read_bytes()
    tamper(approved_ready)
    with pytest.raises(StoreError, match=r"v1.toml: changed after publishing \(sha256"):
        use(store)
    approved_ready.unlink()
    with pytest.raises(StoreError, match=r"v1\.toml: missing; the ledger records demo@1"):
        use(store)
    assert (store.folder("demo") / "index.toml").read_bytes() == ledger_before


def test_approve_needs_a_passing_check(store, registry):
    failing = failing_formulation()
    entry = publish(failing, store, author="alice", registry=registry)
    assert entry.last_check is not None and entry.last_check.verdict == "fail"
    with pytest.raises(StoreError, match=r"demo@1: its check is fail \(MR-") as info:
        set_status(store, "demo@1", Status.APPROVED, "carol")
    assert "--override-reason TEXT" in str(info.value)
    assert store.ledger("demo").entry(1).status is Status.DRAFT


def test_approval_checks_the_version_now_not_the_ledgers_verdict(store, registry):
    """The ledger is not signed: a verdict edited to 'pass' never approves a failing version."""
    publish(failing_formulation(), store, author="alice", registry=registry)
    path = store.folder("demo") / "index.toml"
    path.write_text(path.read_text().replace('verdict = "fail"', 'verdict = "pass"'))
    assert store.ledger("demo").entry(1).last_check.verdict == "pass"
    with pytest.raises(StoreError, match=r"demo@1: its check is fail \(MR-"):
        set_status(store, "demo@1", Status.APPROVED, "carol", registry=registry)
    # a version with no recorded check (recovered, or published through Store) is checked now
    store.publish(F, "alice")
    entry = set_status(store, "demo@2", Status.APPROVED, "carol", registry=registry)
    assert entry.status is Status.APPROVED and entry.last_check.verdict == "pass"
    # Store.set_status itself never approves on the ledger's word: it needs the check
    store.publish(F, "alice")
    with pytest.raises(StoreError, match="demo@3: its check was not run for this approval"):
        store.set_status("demo", 3, Status.APPROVED, "carol")


def test_an_override_is_recorded_with_who_and_why(store, registry):
    failing = failing_formulation()
    publish(failing, store, author="alice", registry=registry)
    entry = set_status(
        store, "demo@1", Status.APPROVED, "carol", override_reason="  reviewed:\tsplit dose  "
    )
    assert entry.status is Status.APPROVED
    assert (entry.events[-1].action, entry.events[-1].by) == (
        "approved overriding check fail: reviewed: split dose",
        "carol",
    )
    assert store.ledger("demo").entry(1) == entry


@pytest.mark.parametrize("reason", ["", "   ", "a\x1b[2Kb", "x" * 501])
def test_an_override_reason_must_be_printable_text(store, registry, reason):
    publish(failing_formulation(), store, author="a", registry=registry)
    with pytest.raises(mesoreg.InputError, match="--override-reason: must be printable text"):
        set_status(store, "demo@1", Status.APPROVED, "carol", override_reason=reason)


def test_a_ledger_naming_another_formulation_is_never_written_over_it(store, registry):
    import attrs

    publish(F, store, author="alice", registry=registry)
    publish(attrs.evolve(F, id="other"), store, author="alice", registry=registry)
    other = store.folder("other") / "index.toml"
    before = other.read_bytes()
    demo = store.folder("demo") / "index.toml"
    demo.write_text(demo.read_text().replace('id = "demo"', 'id = "other"'))
    with pytest.raises(mesoreg.InputError, match="id: 'other' does not match its folder 'demo'"):
        set_status(store, "demo@1", Status.APPROVED, "carol")
    assert other.read_bytes() == before


def test_an_empty_title_is_refused_before_anything_is_written(tmp_path, registry):
    import attrs

    store = Store(tmp_path / "never-created")
    with pytest.raises(
        mesoreg.InputError,
        match="title: cannot be stored: it would read back from the store as 'required key",
    ):
        publish(attrs.evolve(F, title=""), store, author="alice", registry=registry)
    assert not store.root.exists()


def test_an_empty_route_is_refused_before_writing(store, registry):
    import attrs

    publish(F, store, author="alice", registry=registry)
    files = sorted(p.name for p in store.folder("demo").iterdir())
    bad = attrs.evolve(F, use=attrs.evolve(F.use, route=""))
    # a model built in code is read like a file (mesoreg.documents._parse): '' is no route at all
    with pytest.raises(mesoreg.InputError, match=r"use.route: must be one of intraepidermal"):
        publish(bad, store, author="alice", registry=registry)
    assert sorted(p.name for p in store.folder("demo").iterdir()) == files
    assert store.verify() == ([], [])


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_a_full_disk_leaves_every_version_intact(store, registry, monkeypatch, call):
    import errno
    import os

    publish(F, store, author="alice", registry=registry)
    snapshot = {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()}

    def full(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(os, call, full)
        with pytest.raises(StoreError, match=r"could not be written \(No space left on device\)"):
            publish(F, store, author="alice", registry=registry)
        with pytest.raises(StoreError, match=r"index.toml: could not be written \(No space"):
            set_status(store, "demo@1", Status.APPROVED, "carol")
    assert {p: p.read_bytes() for p in store.root.rglob("*") if p.is_file()} == snapshot
    assert store.verify() == ([], [])


# -- a ledger that lost entries, an unfinished publish: nothing changes until repaired -----


def canonical(version: int, strength: str = "1 %") -> str:
    """What mesoreg itself would write for demo@version."""
    f = formulation([("lidocaine", strength, "1 mL")], id="demo", version=version)
    return dump_formulation(f, with_status=False)


def test_publish_never_records_tampered_versions_beside_an_emptied_ledger(store, registry):
    publish(F, store, author="alice", registry=registry)
    publish(F, store, author="alice", registry=registry)
    folder = store.folder("demo")
    for n in (1, 2):
        (folder / f"v{n}.toml").write_text(canonical(n, "9 %"))
    (folder / "index.toml").write_text(
        '#:schema ../../schemas/ledger-1.schema.json\nschema_version = 1\nid = "demo"\n'
    )
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for use in (
        lambda: publish(F, store, author="alice", registry=registry),
        lambda: store.publish(F, "alice"),
    ):
        with pytest.raises(StoreError, match=r"v1\.toml: a version of demo that the ledger"):
            use()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize(
    "use",
    [
        lambda s, r: publish(F, s, author="bob", registry=r),
        lambda s, r: set_status(s, "demo@1", Status.APPROVED, "carol", registry=r),
        lambda s, r: set_status(s, "demo@1", Status.RETIRED, "carol"),
        lambda s, r: s.record_check("demo", 1, s.ledger("demo").entry(1).last_check),
    ],
    ids=["publish", "approve", "retire", "record-check"],
)
def test_an_unfinished_publish_is_recorded_only_by_verify(store, registry, use):
    """Never silently inside another command: verify records it and says it is unverified."""
    publish(F, store, author="alice", registry=registry)
    orphan = store.version_path("demo", 2)
    orphan.write_text(canonical(2))
    ledger = (store.folder("demo") / "index.toml").read_bytes()
    with pytest.raises(
        StoreError, match=r"v2\.toml: demo@2 is not in the ledger .* 'mesoreg verify'"
    ):
        use(store, registry)
    assert (store.folder("demo") / "index.toml").read_bytes() == ledger
    problems, notes = store.verify()
    assert problems == [] and "recorded as demo@2 from the file itself" in notes[0]
    use(store, registry)  # and now it works


@pytest.mark.parametrize(
    "name",
    ["", " alice", "alice ", "J. Martin\nv9  approved", "x\r", "a\x1b[2Kb", "a\u202eb", "a" * 201],
    ids=["empty", "leading", "trailing", "newline", "cr", "escape", "bidi", "long"],
)
def test_names_are_one_printable_line(store, name):
    with pytest.raises(mesoreg.InputError, match="author: must be"):
        store.publish(F, name)
    assert not store.root.exists()
    store.publish(F, "J. Martin, PharmD")
    with pytest.raises(mesoreg.InputError, match="--by: must be"):
        store.set_status("demo", 1, Status.RETIRED, name)
    assert store.ledger("demo").entry(1).status is Status.DRAFT


# -- publishing appends to the ledger (issue 12) ------------------------------------------------


def test_publish_appends_and_the_ledger_stays_canonical(store, monkeypatch):
    from mesoreg.store import _store_memo
    from mesoreg.store._ledger import dump_ledger

    f = formulation([("lidocaine", "1 %", "1 mL")], id="grow")
    store.publish(f, "a")
    store.publish(f, "a")
    # the ledger the last publish wrote is known: the next publish parses none
    monkeypatch.setattr(_store_memo, "parse_ledger", lambda *a: pytest.fail("parsed"))
    store.publish(f, "a")
    monkeypatch.undo()
    path = store.folder("grow") / "index.toml"
    _store_memo.forget()
    assert path.read_text() == dump_ledger(store.ledger("grow"))
    assert [e.version for e in store.ledger("grow").versions] == [1, 2, 3]
    assert store.verify() == ([], [])


def test_a_ledger_rewritten_by_hand_is_rewritten_whole_on_publish(store):
    from mesoreg.store import _store_memo
    from mesoreg.store._ledger import dump_ledger

    f = formulation([("lidocaine", "1 %", "1 mL")], id="edited")
    store.publish(f, "a")
    path = store.folder("edited") / "index.toml"
    path.write_text("# merged by hand\n" + path.read_text())  # valid, not canonical
    _store_memo.forget()
    store.publish(f, "a")
    assert path.read_text() == dump_ledger(store.ledger("edited"))  # canonical again
    assert [e.version for e in store.ledger("edited").versions] == [1, 2]


def test_publish_with_the_cache_off_parses_the_ledger(store, monkeypatch):
    from mesoreg.store import _store_memo

    monkeypatch.setenv("MESOREG_CACHE", "0")
    f = formulation([("lidocaine", "1 %", "1 mL")], id="nocache")
    store.publish(f, "a")
    parsed = []
    real = _store_memo.parse_ledger
    monkeypatch.setattr(_store_memo, "parse_ledger", lambda *a: parsed.append(1) or real(*a))
    store.publish(f, "a")
    assert parsed  # nothing was served from memory
    assert [e.version for e in store.ledger("nocache").versions] == [1, 2]
