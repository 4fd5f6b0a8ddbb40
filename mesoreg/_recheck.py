"""Re-checking a store: every approved version against the current catalog and plugins.

A verdict that differs from the one recorded in the ledger is reported with
why: the finding codes that appeared or went away, and the packs whose
versions changed since the recorded check.  Large stores are checked in
several processes.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
from collections.abc import Callable, Iterable, Sequence

import attrs

from mesoreg._engine import check
from mesoreg._knowledge import Severity
from mesoreg._ledger import CheckRecord, utc_now
from mesoreg._load import build, parse_toml
from mesoreg._model import Formulation, Status
from mesoreg._registry import Registry
from mesoreg._report import Report
from mesoreg._store import Store
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
        """True when the verdict differs from the recorded one (or none was recorded)."""
        return self.before is None or self.before.verdict != self.after.verdict


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


def _approved(store: Store) -> list[tuple[str, int, CheckRecord | None]]:
    return [
        (formulation_id, entry.version, entry.last_check)
        for formulation_id in store.ids()
        for entry in store.ledger(formulation_id).versions
        if entry.status is Status.APPROVED
    ]


def _check_one(
    store: Store,
    registry: Registry,
    item: tuple[str, int, CheckRecord | None],
    region: str | None,
    day: dt.date,
) -> Recheck:
    formulation_id, version, before = item
    path = store.version_path(formulation_id, version)
    formulation = build(
        parse_toml(path.read_text(encoding="utf-8"), str(path)), Formulation, str(path)
    )
    after = check_record(check(formulation, region=region, date=day, registry=registry))
    return Recheck(formulation_id, version, before, after, explain(before, after))


_worker: tuple[Store, Registry] | None = None


def _init_worker(root: str) -> None:
    global _worker
    from mesoreg._registry import get_registry

    _worker = (Store(root), get_registry())


def _work(
    batch: Sequence[tuple[str, int, CheckRecord | None]], region: str | None, day: dt.date
) -> list[Recheck]:
    assert _worker is not None
    store, registry = _worker
    return [_check_one(store, registry, item, region, day) for item in batch]


def recheck(
    store: Store,
    registry: Registry,
    *,
    region: str | None = None,
    date: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[Recheck]:
    """Re-check every approved version; results in id and version order.

    ``workers`` processes share the work for large stores (default: every core
    from :data:`PARALLEL_FROM` versions up); each builds its registry from the
    same settings, so results do not depend on how the work was split.
    """
    items = _approved(store)
    day = date or dt.date.today()
    if workers is None:
        workers = (os.cpu_count() or 1) if len(items) >= PARALLEL_FROM else 1
    results: list[Recheck] = []
    if workers <= 1:
        for done, item in enumerate(items, 1):
            results.append(_check_one(store, registry, item, region, day))
            if progress:
                progress(done, len(items))
        return results
    size = max(1, len(items) // (workers * 8))
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    with concurrent.futures.ProcessPoolExecutor(
        workers, initializer=_init_worker, initargs=(str(store.root),)
    ) as pool:
        for batch_result in pool.map(_work, batches, [region] * len(batches), [day] * len(batches)):
            results.extend(batch_result)
            if progress:
                progress(len(results), len(items))
    return results


def record(store: Store, results: Iterable[Recheck]) -> None:
    """Write each new check into the ledger."""
    for result in results:
        store.record_check(result.id, result.version, result.after)
