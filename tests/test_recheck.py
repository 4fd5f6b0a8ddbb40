"""Re-checking a store: changed verdicts and why."""

from __future__ import annotations

import concurrent.futures
import functools
import json

import attrs
import pytest
from test_plugins import PACK, install, site  # noqa: F401 - site is a fixture

from mesoreg import _recheck, cli
from mesoreg._ledger import CheckRecord, utc_now
from mesoreg._model import Status
from mesoreg._publish import publish, set_status
from mesoreg._recheck import explain, recheck, record
from mesoreg._store import Store
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


def test_a_changed_approved_version_is_refused_serial_and_parallel(tmp_path, registry):
    import pytest

    from mesoreg._store import StoreError

    store = Store(tmp_path / "s")
    for name in ("a", "b"):
        f = formulation([("lidocaine", "1 %", "1 mL")], id=name)
        publish(f, store, author="x", registry=registry)
        set_status(store, f"{name}@1", Status.APPROVED, "y")
    path = store.version_path("b", 1)
    path.write_text(path.read_text().replace("1 %", "4 %"))
    messages = []
    for workers in (1, 2):
        with pytest.raises(StoreError, match=r"b/v1\.toml: changed after publishing") as info:
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


def test_a_registry_of_plugin_objects_is_never_split(approved, registry):
    store, _ = approved
    assert registry.settings is None
    results = recheck(store, registry, workers=2, parallel_from=1)
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
