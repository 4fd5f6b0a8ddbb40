"""Re-checking a store: changed verdicts and why."""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import json
import os
import sys
import threading

import attrs
import pytest
from test_plugins import PACK, install, site  # noqa: F401 - site is a fixture

from mesoreg.command import cli
from mesoreg.documents._model import Status
from mesoreg.store import _recheck
from mesoreg.store._ledger import CheckRecord, utc_now
from mesoreg.store._publish import publish, set_status
from mesoreg.store._recheck import explain, recheck, record
from mesoreg.store._store import Store
from mesoreg.testing import formulation


def test_only_approved_versions_and_changes_with_reasons(tmp_path, registry):
    store = Store(tmp_path / "s")
    publish(
        formulation([("lidocaine", "1 %", "1 mL")], id="a"), store, author="x", registry=registry
    )
    publish(
        formulation([("lidocaine", "1 %", "1 mL")], id="b"), store, author="x", registry=registry
    )
    set_status(store, "a@1", Status.APPROVED, "y")
    # pretend "a" was recorded as failing under an older pack
    entry = store.ledger("a").entry(1)
    old = CheckRecord("fail", utc_now(), "0.0.1", ("mesoreg-core 0.0.9",), "", ("MR-OLD-RULE",))
    store.record_check("a", 1, old)
    results = recheck(store, registry)
    assert [(r.id, r.version, r.changed) for r in results] == [("a", 1, True)]
    assert results[0].reasons == (
        "finding MR-OLD-RULE gone",
        "pack mesoreg-core: 0.0.9 → 0.1.0",
    )
    record(store, results)
    assert store.ledger("a").entry(1).last_check.verdict == "pass"
    assert entry is not None


def test_parallel_and_serial_agree(tmp_path, registry):
    store = Store(tmp_path / "s")
    for i in range(6):
        f = formulation([("lidocaine", f"{i + 1} %", "1 mL")], id=f"f{i}")
        publish(f, store, author="x", registry=registry)
        set_status(store, f"f{i}@1", Status.APPROVED, "y")
    serial = recheck(store, registry, workers=1)
    parallel = recheck(store, registry, workers=2)
    strip = [
        attrs.evolve(r, after=attrs.evolve(r.after, at=utc_now().replace(year=2000)))
        for r in serial
    ]
    strip2 = [
        attrs.evolve(r, after=attrs.evolve(r.after, at=utc_now().replace(year=2000)))
        for r in parallel
    ]
    assert strip == strip2


def test_explain_region_change():
    now = utc_now()
    a = CheckRecord("pass", now, "0.1.0", (), "", ())
    b = CheckRecord("fail", now, "0.1.0", (), "FR", ("MR-X",))
    assert explain(a, b) == ("new finding MR-X", "region none → FR")
    assert explain(None, b) == ("no check was recorded",)


@pytest.mark.parametrize("damaged", ["a", "c"], ids=["checked-first-here", "in-a-worker"])
def test_a_changed_approved_version_is_refused_serial_and_parallel(tmp_path, registry, damaged):
    from mesoreg.store._store import StoreError

    store = Store(tmp_path / "s")
    for name in ("a", "b", "c"):
        f = formulation([("lidocaine", "1 %", "1 mL")], id=name)
        publish(f, store, author="x", registry=registry)
        set_status(store, f"{name}@1", Status.APPROVED, "y")
    path = store.version_path(damaged, 1)
    path.write_text(path.read_text().replace("1 %", "4 %"))
    messages = []
    for workers in (1, 2):
        with pytest.raises(
            StoreError, match=rf"{damaged}/v1\.toml: changed after publishing"
        ) as info:
            recheck(store, registry, workers=workers)
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# -- workers get exactly the parent's settings (issue 10, section 4) ------------------------

FAILS = """
import mesoreg

def run(subject):
    yield mesoreg.Finding(
        severity=mesoreg.Severity.MAJOR, code="MR-TEST-FAILS", rule="x", message="m",
        advice="a", evidence="e", evidence_level=mesoreg.Evidence.LABEL,
    )

@mesoreg.hookimpl
def mesoreg_checks():
    return [mesoreg.Check("test-fails", "fails everything", run)]
"""


@pytest.fixture
def approved(tmp_path, registry):
    """A store of three approved versions, and a pack with a rule for region YY."""
    store = Store(tmp_path / "store")
    for i in range(3):
        f = formulation([("lidocaine", "1 %", "1 mL")], id=f"f{i}")
        publish(f, store, author="x", registry=registry)
        set_status(store, f"f{i}@1", Status.APPROVED, "y")
    pack = tmp_path / "pack.toml"
    pack.write_text(PACK)
    return store, str(pack)


@pytest.mark.parametrize(
    "options",
    [["--deny", "test-fails"], ["--no-plugins"], ["--allow", "test-pack"]],
    ids=["deny", "no-plugins", "allow"],
)
def test_workers_honour_the_plugin_settings(site, approved, monkeypatch, capsys, options):  # noqa: F811
    install(site, "mesoreg-test-fails", module="mesoreg_test_fails", code=FAILS)
    store, pack = approved
    # every store is "large", and there are two cores: the work goes to worker processes
    monkeypatch.setattr(_recheck, "PARALLEL_FROM", 1)
    monkeypatch.setattr(_recheck.os, "cpu_count", lambda: 2)
    started = []
    monkeypatch.setattr(
        _recheck.concurrent.futures,
        "ProcessPoolExecutor",
        functools.partial(_counting_pool, started),
    )
    argv = [*options, "--pack", pack, "recheck", "--store", str(store.root), "--region", "YY"]
    cli.main([*argv, "--format", "json"])
    assert started == [2]
    rows = json.loads(capsys.readouterr().out)["results"]
    # the pack's minor rule for YY applies (--pack reached the workers); the denied or
    # disallowed plugin's failing check does not
    assert [(r["id"], r["after"]) for r in rows] == [("f0", "warn"), ("f1", "warn"), ("f2", "warn")]


_POOL = concurrent.futures.ProcessPoolExecutor


def _counting_pool(started, workers, **kwargs):  # type: ignore[no-untyped-def]
    started.append(workers)
    return _POOL(workers, **kwargs)


@contextlib.contextmanager
def _another_thread():  # type: ignore[no-untyped-def]
    """A second thread alive for the duration (as a plugin call the guard abandoned)."""
    release = threading.Event()
    thread = threading.Thread(target=release.wait, daemon=True)
    thread.start()
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_workers_are_forked_only_on_linux_while_no_other_thread_is_alive():
    linux = sys.platform.startswith("linux")
    assert _recheck.can_fork() is linux  # this test runs alone in its process
    with _another_thread():
        assert not _recheck.can_fork()
    assert _recheck.can_fork() is linux


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_workers_are_never_forked_off_linux(monkeypatch, platform):
    monkeypatch.setattr(_recheck.sys, "platform", platform)
    assert not _recheck.can_fork()


def _methods_pool(methods, workers, **kwargs):  # type: ignore[no-untyped-def]
    methods.append(kwargs["mp_context"].get_start_method())
    return _POOL(workers, **kwargs)


@pytest.fixture
def methods(monkeypatch):
    """The start method of every worker pool the test makes."""
    started: list[str] = []
    monkeypatch.setattr(
        _recheck.concurrent.futures,
        "ProcessPoolExecutor",
        functools.partial(_methods_pool, started),
    )
    return started


def test_forked_workers_use_the_parents_registry(approved, registry, methods):
    """Forked, a registry made from plugin objects is used by the workers too."""
    store, _ = approved
    assert registry.settings is None
    serial = recheck(store, registry, workers=1)
    parallel = recheck(store, registry, workers=2, parallel_from=1)
    assert methods == (["fork"] if sys.platform.startswith("linux") else [])
    assert _same(parallel) == _same(serial)
    assert [r.id for r in parallel] == ["f0", "f1", "f2"]
    assert _recheck._worker is None  # the parent keeps nothing for the next pool


def test_with_another_thread_alive_workers_are_spawned_from_the_settings(
    approved, methods, monkeypatch
):
    from mesoreg.host._config import Settings
    from mesoreg.host._registry import Registry

    monkeypatch.setenv("MESOREG_CACHE", "0")  # the second run checks again: nothing is kept
    store, pack = approved
    registry = Registry.from_settings(Settings(no_plugins=True, packs=(pack,)))
    serial = recheck(store, registry, region="YY", workers=1)
    with _another_thread():
        spawned = recheck(store, registry, region="YY", workers=2, parallel_from=1)
    assert methods == ["spawn"]
    # the pack's minor rule for YY applies in the spawned workers: --pack reached them
    assert [r.after.verdict for r in spawned] == ["warn", "warn", "warn"]
    assert _same(spawned) == _same(serial)


def test_with_another_thread_alive_a_registry_of_plugin_objects_is_never_split(
    approved, registry, methods
):
    store, _ = approved
    assert registry.settings is None
    with _another_thread():
        results = recheck(store, registry, workers=2, parallel_from=1)
    assert methods == []  # it cannot be rebuilt in a spawned process: checked here
    assert [r.id for r in results] == ["f0", "f1", "f2"]


CODE = "MR-DOSE-LIDOCAINE-SESSION"


@pytest.mark.parametrize(
    ("before", "after", "changed"),
    [
        (("fail", (CODE,)), ("fail", (CODE, "MR-REG-FR-ADIPOCYTE-LYSIS")), True),
        (("fail", (CODE, "MR-REG-FR-ADIPOCYTE-LYSIS")), ("fail", (CODE,)), True),
        (("warn", ("MR-A",)), ("warn", ("MR-B",)), True),
        (("pass", ()), ("warn", ("MR-A",)), True),
        (("fail", ("MR-B", CODE)), ("fail", (CODE, "MR-B")), False),
    ],
    ids=["new-finding", "finding-gone", "swapped", "verdict", "same"],
)
def test_a_change_of_findings_counts_even_under_the_same_verdict(before, after, changed):
    now = utc_now()
    old = CheckRecord(before[0], now, "0.1.0", findings=before[1])
    new = CheckRecord(after[0], now, "0.1.0", findings=after[1])
    assert _recheck.Recheck("demo", 1, old, new).changed is changed


def test_an_overridden_version_gaining_a_finding_is_reported_and_exits_1(
    tmp_path, registry, monkeypatch, capsys
):
    """Approved despite one failing finding, it gains another: the verdict stays 'fail'."""
    from conftest import ROOT

    store = Store(tmp_path / "s")
    publish(ROOT / "tests/data/lidocaine-overdose.toml", store, author="x", registry=registry)
    set_status(
        store,
        "lidocaine-overdose@1",
        Status.APPROVED,
        "y",
        override_reason="split",
        registry=registry,
    )
    after = store.ledger("lidocaine-overdose").entry(1).last_check
    assert after is not None and after.verdict == "fail"
    # the recorded check lacked one of today's findings (as before a new rule or region)
    store.record_check("lidocaine-overdose", 1, attrs.evolve(after, findings=after.findings[1:]))
    monkeypatch.setattr(cli, "_registry", lambda args: registry)
    assert cli.main(["recheck", "--store", str(store.root)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("rechecked 1 approved version; 1 changed (verdict or findings)\n")
    assert "  lidocaine-overdose@1: fail → fail\n" in out
    assert f"    new finding {after.findings[0]}\n" in out


# -- kept checks (mesoreg.store._store_memo): a hit is exactly what the check would say


def _same(results):  # type: ignore[no-untyped-def]
    """Results without the time of the check."""
    return [attrs.evolve(r, after=attrs.evolve(r.after, at=None)) for r in results]


@pytest.fixture
def kept(approved, monkeypatch):
    """The approved store, a registry from settings (it has a fingerprint), and a counter of
    the checks that really ran."""
    from mesoreg.host._config import Settings
    from mesoreg.host._registry import Registry

    store, pack = approved
    registry = Registry.from_settings(Settings(no_plugins=True, packs=(pack,)))
    assert registry.fingerprint is not None
    ran: list[str] = []
    real = _recheck.check

    def counted(formulation, **kwargs):  # type: ignore[no-untyped-def]
        ran.append(formulation.id)
        return real(formulation, **kwargs)

    monkeypatch.setattr(_recheck, "check", counted)
    return store, pack, registry, ran


def test_an_unchanged_store_is_not_checked_again_and_the_results_are_the_same(kept):
    store, _, registry, ran = kept
    first = recheck(store, registry, region="YY", workers=1)
    assert ran == ["f0", "f1", "f2"]
    again = recheck(store, registry, region="YY", workers=1)
    assert ran == ["f0", "f1", "f2"]  # nothing checked the second time
    assert _same(again) == _same(first)
    assert [r.after.findings for r in again] == [("MR-REG-YY-TEST",)] * 3


@pytest.mark.parametrize(
    "change",
    ["region", "date", "pack", "settings", "cache off", "formulation"],
)
def test_every_input_of_a_kept_check_is_a_miss_when_changed(kept, monkeypatch, change):
    import datetime as dt
    from pathlib import Path

    from mesoreg.host._config import Settings
    from mesoreg.host._registry import Registry

    store, pack, registry, ran = kept
    day = dt.date(2026, 1, 5)
    recheck(store, registry, region="YY", date=day, workers=1)
    ran.clear()
    region = "YY"
    if change == "region":
        region = "ZZ"
    elif change == "date":
        day = dt.date(2026, 1, 6)
    elif change == "pack":  # same name and version, another message
        Path(pack).write_text(Path(pack).read_text().replace("A test rule.", "Changed."))
        registry = Registry.from_settings(Settings(no_plugins=True, packs=(pack,)))
    elif change == "settings":
        registry = Registry.from_settings(
            Settings(no_plugins=True, packs=(pack,), allow_weakening=("x:y.z",))
        )
    elif change == "cache off":
        monkeypatch.setenv("MESOREG_CACHE", "0")
    else:  # a new approved version of f1: only it is checked
        publish(
            formulation([("lidocaine", "2 %", "1 mL")], id="f1"),
            store,
            author="x",
            registry=registry,
        )
        set_status(store, "f1@2", Status.APPROVED, "y")
        recheck(store, registry, region=region, date=day, workers=1)
        assert ran == ["f1", "f1"]  # f1@1 and f1@2: the ledger changed, f1 is read in full
        return
    recheck(store, registry, region=region, date=day, workers=1)
    assert ran == ["f0", "f1", "f2"]


def test_a_verify_between_two_rechecks_keeps_their_checks(kept):
    store, _, registry, ran = kept
    recheck(store, registry, workers=1)
    assert store.verify() == ([], [])
    ran.clear()
    recheck(store, registry, workers=1)
    assert ran == []


def test_a_changed_version_file_is_refused_although_its_check_was_kept(kept):
    from mesoreg.store._store import StoreError

    store, _, registry, _ = kept
    recheck(store, registry, workers=1)
    path = store.version_path("f1", 1)
    path.write_text(path.read_text().replace("1 %", "4 %"))
    with pytest.raises(StoreError, match=r"f1/v1\.toml: changed after publishing"):
        recheck(store, registry, workers=1)
    problems, _ = store.verify()
    assert problems == [f"{path}: changed after publishing (sha256 does not match the ledger)"]


def test_a_check_touched_by_a_plugin_failure_is_never_kept(kept, monkeypatch):
    from mesoreg.checks._report import Unchecked

    store, _, registry, _ = kept
    real = _recheck.check

    def timed_out(formulation, **kwargs):  # type: ignore[no-untyped-def]
        report = real(formulation, **kwargs)
        gap = Unchecked("slow-check", "*", "check failed: took longer than 10 s")
        return attrs.evolve(report, unchecked=(*report.unchecked, gap))

    monkeypatch.setattr(_recheck, "check", timed_out)
    first = recheck(store, registry, workers=1)
    assert {r.after.verdict for r in first} == {"not-validated"}
    monkeypatch.setattr(_recheck, "check", real)
    again = recheck(store, registry, workers=1)
    assert {r.after.verdict for r in again} == {"pass"}  # checked again, not served


def test_a_registry_of_plugin_objects_keeps_nothing(approved, registry, monkeypatch):
    store, _ = approved
    assert registry.fingerprint is None
    recheck(store, registry, workers=1)
    ran = []
    real = _recheck.check
    monkeypatch.setattr(_recheck, "check", lambda f, **k: ran.append(f.id) or real(f, **k))
    recheck(store, registry, workers=1)
    assert ran == ["f0", "f1", "f2"]


def test_workers_keep_their_checks_for_the_next_run(kept, monkeypatch):
    store, _, registry, ran = kept
    parallel = recheck(store, registry, workers=2, parallel_from=1)
    ran.clear()
    serial = recheck(store, registry, workers=1)
    assert ran == []  # what the workers learnt came back and was kept
    assert _same(serial) == _same(parallel)


def _die(*args):  # type: ignore[no-untyped-def]
    os._exit(1)


def test_a_worker_that_dies_fails_closed(kept, monkeypatch):
    from mesoreg.store._store import StoreError

    store, _, registry, _ = kept
    monkeypatch.setattr(_recheck, "_work", _die)  # forked workers inherit the patch
    with pytest.raises(StoreError) as info:
        recheck(store, registry, workers=2, parallel_from=1)
    assert str(info.value) == (
        f"{store.root}: a recheck worker process died; nothing was re-checked or recorded. "
        "Run 'mesoreg recheck' again"
    )


def test_a_workers_row_is_the_recheck_it_was_made_of():
    now = utc_now()
    before = CheckRecord("fail", now, "0.0.9", ("mesoreg-core 0.0.9",), "FR", ("MR-A",))
    after = CheckRecord("pass", now, "0.1.0", ("mesoreg-core 0.1.0",), "", ())
    for result in (
        _recheck.Recheck("a", 2, before, after, explain(before, after)),
        _recheck.Recheck("b", 1, None, after, explain(None, after)),
    ):
        assert _recheck._from_row(_recheck._row(result)) == result
