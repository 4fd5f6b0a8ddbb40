"""Re-checking a store: every approved version against the current catalog and plugins.

A verdict or a set of findings (codes above info) that differs from the
check recorded in the ledger is reported with why: the finding codes that
appeared or went away, and the packs whose versions changed since the
recorded check.  Large stores are checked in
several processes, each with a registry built from exactly the parent's
settings (``--no-plugins``, ``--pack``, ``--allow``, ``--deny``, ``--require``,
``--plugin-timeout``) and importing from the parent's ``sys.path``, so the
result never depends on the store's size.  A registry made from plugin
objects (``Registry.from_plugins``) cannot be rebuilt in another process; it
is always used in this one.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterable, Sequence

import attrs

from mesoreg._config import Settings
from mesoreg._engine import check
from mesoreg._errors import MesoregError
from mesoreg._knowledge import Severity
from mesoreg._ledger import CheckRecord, utc_now
from mesoreg._model import Status
from mesoreg._plugins import child_path
from mesoreg._registry import Registry
from mesoreg._report import Report
from mesoreg._store import Store, StoreError
from mesoreg._version import __version__

#: below this many versions one process is faster than starting more
PARALLEL_FROM = 400


def check_record(report: Report) -> CheckRecord:
    """What the ledger keeps of a check: verdict, packs, region and finding codes."""
    codes = sorted({f.code for f in report.findings if f.severity is not Severity.INFO})
    return CheckRecord(
        verdict=report.verdict.value,
        at=utc_now(),
        mesoreg_version=__version__,
        packs=report.packs,
        region=report.region or "",
        findings=tuple(codes),
    )


@attrs.frozen
class Recheck:
    """One version re-checked: the recorded check, the new one, and why they differ."""

    id: str
    version: int
    before: CheckRecord | None
    after: CheckRecord
    reasons: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the verdict or the findings differ from the recorded check.

        Findings count, not only the verdict: a version approved despite one
        failing finding that gains another (a new contraindication, a region's
        ban) keeps the verdict 'fail' but is a new reason to look at it.  Also
        True when no check was recorded.
        """
        if self.before is None:
            return True
        return self.before.verdict != self.after.verdict or set(self.before.findings) != set(
            self.after.findings
        )


def explain(before: CheckRecord | None, after: CheckRecord) -> tuple[str, ...]:
    """Why two checks differ: findings added or gone, packs changed."""
    if before is None:
        return ("no check was recorded",)
    reasons = [f"new finding {c}" for c in sorted(set(after.findings) - set(before.findings))]
    reasons += [f"finding {c} gone" for c in sorted(set(before.findings) - set(after.findings))]
    old = dict(p.rsplit(" ", 1) for p in before.packs if " " in p)
    new = dict(p.rsplit(" ", 1) for p in after.packs if " " in p)
    for name in sorted(old.keys() | new.keys()):
        if old.get(name) != new.get(name):
            reasons.append(f"pack {name}: {old.get(name, 'absent')} → {new.get(name, 'absent')}")
    if before.region != after.region:
        reasons.append(f"region {before.region or 'none'} → {after.region or 'none'}")
    return tuple(reasons)


def _check_id(
    store: Store, registry: Registry, formulation_id: str, region: str | None, day: dt.date
) -> list[Recheck]:
    """Every approved version of one formulation, re-checked.

    The ledger is read once; each version through :meth:`Store.read_entry`, which
    refuses a missing or changed file; the error is a picklable :class:`StoreError`
    so that a worker's failure reaches the caller as the same one-line error as a
    serial run's.
    """
    results: list[Recheck] = []
    try:
        for entry in store.ledger(formulation_id).versions:
            if entry.status is not Status.APPROVED:
                continue
            _, formulation = store.read_entry(formulation_id, entry)
            after = check_record(check(formulation, region=region, date=day, registry=registry))
            before = entry.last_check
            results.append(
                Recheck(formulation_id, entry.version, before, after, explain(before, after))
            )
    except MesoregError as exc:
        raise StoreError(str(exc)) from None
    return results


_worker: tuple[Store, Registry] | None = None


def _init_worker(root: str, settings: Settings, path: list[str]) -> None:
    global _worker
    sys.path[:] = path
    _worker = (Store(root), Registry.from_settings(settings))


def _work(batch: Sequence[str], region: str | None, day: dt.date) -> list[Recheck]:
    assert _worker is not None
    store, registry = _worker
    return [
        r
        for formulation_id in batch
        for r in _check_id(store, registry, formulation_id, region, day)
    ]


def recheck(
    store: Store,
    registry: Registry,
    *,
    region: str | None = None,
    date: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    parallel_from: int | None = None,
) -> list[Recheck]:
    """Re-check every approved version; results in id and version order.

    ``workers`` processes share the work for large stores (default: every core
    from ``parallel_from`` formulations up, :data:`PARALLEL_FROM` unless
    given); each reads its own ledgers and builds its registry from
    ``registry.settings``, so results do not depend on how the work was split.
    ``progress(done, total)`` counts formulations.
    """
    ids = store.ids()
    day = date or dt.date.today()
    threshold = PARALLEL_FROM if parallel_from is None else parallel_from
    if workers is None:
        workers = (os.cpu_count() or 1) if len(ids) >= threshold else 1
    settings = registry.settings
    if settings is None:  # made from plugin objects: only this process has them
        workers = 1
    results: list[Recheck] = []
    if workers <= 1 or settings is None:
        for done, formulation_id in enumerate(ids, 1):
            results.extend(_check_id(store, registry, formulation_id, region, day))
            if progress:
                progress(done, len(ids))
        return results
    size = max(1, len(ids) // (workers * 8))
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    done = 0
    with concurrent.futures.ProcessPoolExecutor(
        workers,
        initializer=_init_worker,
        initargs=(str(store.root), settings, child_path()),
    ) as pool:
        for batch, batch_result in zip(
            batches,
            pool.map(_work, batches, [region] * len(batches), [day] * len(batches)),
            strict=True,
        ):
            results.extend(batch_result)
            done += len(batch)
            if progress:
                progress(done, len(ids))
    return results


def record(store: Store, results: Iterable[Recheck]) -> None:
    """Write each new check into the ledger."""
    for result in results:
        store.record_check(result.id, result.version, result.after)
