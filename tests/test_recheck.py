"""Re-checking a store: changed verdicts and why."""

from __future__ import annotations

import attrs

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
