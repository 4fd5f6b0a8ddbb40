"""Re-checking a store: every approved version against the current catalog and plugins.

A verdict or a set of findings (codes above info) that differs from the
check recorded in the ledger is reported with why: the finding codes that
appeared or went away, and the packs whose versions changed since the
recorded check.  Large stores are checked in
several processes.  Where it is safe (no other thread alive, see :func:`can_fork`)
they are forked from this one and use its very registry, already built; otherwise
they are spawned, each with a registry built from exactly the parent's settings
(``--no-plugins``, ``--pack``, ``--allow``, ``--deny``, ``--require``,
``--plugin-timeout``) and importing from the parent's ``sys.path``, and a
registry made from plugin objects (``Registry.from_plugins``), which cannot be
rebuilt in another process, is used in this one alone.  Either way the result
never depends on the store's size or on how the work is split.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import functools
import gc
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Sequence

import attrs

from mesoreg import _cache
from mesoreg._errors import MesoregError
from mesoreg._version import __version__
from mesoreg.checks._report import Report
from mesoreg.documents._knowledge import Severity
from mesoreg.documents._model import Status
from mesoreg.host._config import Settings
from mesoreg.host._engine import check
from mesoreg.host._plugins import child_path
from mesoreg.host._registry import Registry
from mesoreg.store._ledger import CheckRecord, utc_now
from mesoreg.store._store import LEDGER, Store, StoreError, sha256
from mesoreg.store._store_io import read_regular
from mesoreg.store._store_memo import (
    CANONICAL,
    CHECKS,
    LEDGERS,
    Table,
    item_key,
    kept_summary,
    last_check,
    read_ledger,
    remember_summary,
    shared,
    table_for,
    version_key,
)

_APPROVED = Status.APPROVED.value
#: below this many versions one process is faster than starting more
PARALLEL_FROM = 400
#: how many batches each worker gets, about (the work is split, never the results)
BATCHES_PER_WORKER = 32


def check_record(report: Report, at: dt.datetime | None = None) -> CheckRecord:
    """What the ledger keeps of a check: verdict, packs, region and finding codes; ``at``
    is when it ran (default: now)."""
    codes = sorted({f.code for f in report.findings if f.severity is not Severity.INFO})
    return CheckRecord(
        verdict=shared(report.verdict.value),
        at=at or utc_now(),
        mesoreg_version=__version__,
        packs=shared(tuple(report.packs)),
        region=shared(report.region or ""),
        findings=shared(tuple(codes)),
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
    if (before.findings, before.packs, before.region) == (
        after.findings,
        after.packs,
        after.region,
    ):
        return ()  # what the lines below would give, without their work
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


#: what a cached check keeps: verdict, packs, region, finding codes (``at`` is the run's)
_Kept = tuple[str, tuple[str, ...], str, tuple[str, ...]]


@functools.lru_cache(maxsize=16)
def result_base(fingerprint: str, region: str | None, day: dt.date) -> str:
    """What every kept check of one run shares: the registry, the region and the date."""
    return _cache.key("recheck", fingerprint, region or "", day.isoformat())


def result_key(base: str, formulation_id: str, version: int, sha: str) -> str:
    """The table key of a version's check: its file's bytes and :func:`result_base`."""
    return item_key(base, formulation_id, str(version), sha)


def _keepable(report: Report, registry: Registry) -> bool:
    """Only a check no plugin failure touched is kept: a time-out may not happen next time."""
    return (
        not registry.failures
        and all(s.status not in ("failed", "incompatible") for s in registry.statuses)
        and all(u.rule != "*" and u.check != "plugins" for u in report.unchecked)
    )


def _kept(value: object) -> _Kept | None:
    """A kept check, or None for anything else (entries are digest-checked, in a private
    folder, under keys naming this mesoreg version: this guards the shape, cheaply)."""
    if (
        type(value) is tuple
        and len(value) == 4
        and type(value[0]) is str
        and type(value[1]) is tuple
        and type(value[2]) is str
        and type(value[3]) is tuple
    ):
        return value
    return None


def _known(
    store: Store, formulation_id: str, base: str, table: Table, now: dt.datetime
) -> list[Recheck] | None:
    """The re-checks of one formulation from ``table``, or None to check it in full.

    Every approved version's file is read and hashed, and must match its ledger
    entry; its check is served only under a key naming those bytes, the registry's
    fingerprint, the region and the date (``base``).  Anything unusual (a missing,
    changed or linked file or folder, a damaged ledger, a miss) is None: the full
    path reports it.  Paths are plain text here: this runs once per formulation.
    """
    results: list[Recheck] = []
    folder = f"{os.fspath(store.root)}/{formulation_id}"
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):  # a link or a file: reported in full
            return None
        data = read_regular(f"{folder}/{LEDGER}")
        if data is None:
            return None
        summary = kept_summary(data, formulation_id, table)
        if summary is None:  # parsed by whoever checks this formulation
            return None
        for recorded in summary:
            version, file, sha, status, _ = recorded
            if status != _APPROVED:
                continue
            raw = read_regular(f"{folder}/{file}")
            if raw is None or sha256(raw) != sha:
                return None
            kept = _kept(table.get(CHECKS, result_key(base, formulation_id, version, sha)))
            if kept is None:
                return None
            # a kept check was made of this very file, once it proved canonical
            table.put(CANONICAL, version_key(formulation_id, version, sha), True)
            verdict, packs, checked_region, findings = kept
            after = CheckRecord(verdict, now, __version__, packs, checked_region, findings)
            before = last_check(recorded)
            results.append(Recheck(formulation_id, version, before, after, explain(before, after)))
    except (MesoregError, OSError):
        return None
    return results


def _check_id(
    store: Store,
    registry: Registry,
    formulation_id: str,
    region: str | None,
    day: dt.date,
    table: Table | None = None,
) -> list[Recheck]:
    """Every approved version of one formulation, re-checked.

    The ledger is read once; each version through :meth:`Store.read_entry`, which
    refuses a missing or changed file; the error is a picklable :class:`StoreError`
    so that a worker's failure reaches the caller as the same one-line error as a
    serial run's.  With ``table``, what was established is remembered there: the
    ledger, that each version file is canonical, and each check no plugin failure
    touched (see :func:`result_key`).
    """
    results: list[Recheck] = []
    fingerprint = registry.fingerprint if table is not None else None
    base = result_base(fingerprint, region, day) if fingerprint is not None else ""
    now = utc_now()  # to the second: one reading serves every version of the formulation
    try:
        folder = store._existing_folder(formulation_id)
        path = folder / LEDGER if folder is not None else None
        data = read_regular(path) if path is not None else None
        if data is None or path is None:
            ledger = store.ledger(formulation_id)  # empty, or the error for a missing ledger
        else:
            ledger = read_ledger(data, path, formulation_id)
            if table is not None:
                remember_summary(table, formulation_id, data, ledger)
        for entry in ledger.versions:
            if entry.status is not Status.APPROVED:
                continue
            _, formulation = store.read_entry(formulation_id, entry, folder)
            report = check(formulation, region=region, date=day, registry=registry)
            after = check_record(report, now)
            if table is not None and fingerprint is not None:
                table.put(CANONICAL, version_key(formulation_id, entry.version, entry.sha256), True)
                if _keepable(report, registry):
                    key = result_key(base, formulation_id, entry.version, entry.sha256)
                    kept = (after.verdict, after.packs, after.region, after.findings)
                    table.put(CHECKS, key, kept)
            before = entry.last_check
            results.append(
                Recheck(formulation_id, entry.version, before, after, explain(before, after))
            )
    except MesoregError as exc:
        raise StoreError(str(exc)) from None
    return results


_worker: tuple[Store, Registry, Table | None] | None = None


def _init_worker(root: str, settings: Settings, path: list[str], keep: bool) -> None:
    """A spawned worker: the registry rebuilt from exactly the parent's settings."""
    global _worker
    sys.path[:] = path
    store = Store(root)
    _worker = (
        store,
        Registry.from_settings(settings),
        Table(None) if keep else None,
    )


def _init_forked(keep: bool) -> None:
    """A forked worker: the parent's store and registry (see :func:`_inherit`), a fresh table."""
    global _worker
    assert _worker is not None
    store, registry, _ = _worker
    _worker = (store, registry, Table(None) if keep else None)


def can_fork() -> bool:
    """Whether worker processes may be forked from this one, inheriting its registry.

    Only on Linux (elsewhere system libraries may not survive a fork: Python itself
    spawns there), and only while this is the only thread alive: a fork copies every
    lock as it is, so a lock held by another thread (a plugin call the guard abandoned,
    :mod:`mesoreg.host._guard`) would stay held in the child forever.  Otherwise
    workers are spawned and rebuild the registry from its settings.
    """
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


#: a re-check as a worker sends it: id, version, the recorded and the new check's fields
#: (in :class:`CheckRecord` order), reasons; plain tuples of shared texts pickle compactly
_Row = tuple[str, int, tuple[object, ...] | None, tuple[object, ...], tuple[str, ...]]


def _fields(record: CheckRecord) -> tuple[object, ...]:
    return (
        shared(record.verdict),
        record.at,
        shared(record.mesoreg_version),
        shared(record.packs),
        shared(record.region),
        shared(record.findings),
    )


def _row(result: Recheck) -> _Row:
    before = None if result.before is None else _fields(result.before)
    return (result.id, result.version, before, _fields(result.after), result.reasons)


def _from_row(row: _Row) -> Recheck:
    formulation_id, version, before, after, reasons = row
    return Recheck(
        formulation_id,
        version,
        None if before is None else CheckRecord(*before),  # type: ignore[arg-type]
        CheckRecord(*after),  # type: ignore[arg-type]
        reasons,
    )


def _work(
    batch: Sequence[str], region: str | None, day: dt.date
) -> tuple[list[_Row], dict[str, dict[str, object]]]:
    assert _worker is not None
    store, registry, table = _worker
    rows = [
        _row(r)
        for formulation_id in batch
        for r in _check_id(store, registry, formulation_id, region, day, table)
    ]
    return rows, table.drain() if table is not None else {}


def _prepare(registry: Registry) -> None:
    """Collect, once and here, everything a check asks the registry for, so that forked
    workers inherit it rather than each collecting it again (each would ask the plugins)."""
    registry.catalog  # noqa: B018
    registry.checks  # noqa: B018
    registry.validators  # noqa: B018
    registry.formats  # noqa: B018
    if _cache.enabled():
        registry.fingerprint  # noqa: B018


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

    Versions whose file, registry (:attr:`Registry.fingerprint`), region and date
    are unchanged since a check no plugin failure touched are served from the
    store's table (:mod:`mesoreg.store._store_memo`; ``MESOREG_CACHE=0`` turns it off);
    every file is still read and its sha256 compared with the ledger.  The rest are
    checked; ``workers`` processes share the work when there are many (default:
    every core from ``parallel_from`` formulations to check, :data:`PARALLEL_FROM`
    unless given).  Workers are forked from this process and use this very registry
    when that is safe (:func:`can_fork`); otherwise they are spawned and each builds
    its registry from ``registry.settings`` (a registry made from plugin objects then
    stays in this process).  Each worker reads its own ledgers, so results do not
    depend on how the work was split.  A worker that dies is a :class:`StoreError`:
    nothing is returned.  ``progress(done, total)`` counts formulations.
    """
    ids = store.ids()
    day = date or dt.date.today()
    fingerprint = registry.fingerprint if _cache.enabled() else None
    table = table_for(store.root) if fingerprint is not None else None
    found: dict[str, list[Recheck]] = {}
    if table is not None and fingerprint is not None and not table.is_empty():
        base = result_base(fingerprint, region, day)
        now = utc_now()  # the time of this re-check, for every check served from the table
        for formulation_id in ids:
            known = _known(store, formulation_id, base, table, now)
            if known is not None:
                found[formulation_id] = known
    todo = [i for i in ids if i not in found]
    done = len(found)
    if progress and done:
        progress(done, len(ids))
    threshold = PARALLEL_FROM if parallel_from is None else parallel_from
    if workers is None:
        workers = (os.cpu_count() or 1) if len(todo) >= threshold else 1
    pooled = workers > 1 and len(todo) > 1
    if pooled:
        _prepare(registry)
        # one formulation here first: what a first check builds lazily (the converter's
        # generated code, the catalog's indexes) is built once, and inherited by the workers
        first = todo.pop(0)
        found[first] = _check_id(store, registry, first, region, day, table)
        done += 1
        if progress:
            progress(done, len(ids))
    fork = pooled and can_fork()  # after the check: a plugin call it abandoned is a thread
    settings = registry.settings
    if not pooled or (settings is None and not fork):
        for formulation_id in todo:
            found[formulation_id] = _check_id(store, registry, formulation_id, region, day, table)
            done += 1
            if progress:
                progress(done, len(ids))
    else:
        pool = _Pool(store, registry if fork else None, settings, table is not None)
        pool.run(todo, region, day, workers, found, table, progress, len(ids))
    if table is not None:
        table.save(swept=(LEDGERS, CHECKS))  # every ledger, every approved version
    return [r for formulation_id in ids for r in found[formulation_id]]


@attrs.frozen
class _Pool:
    """How workers start: forked with ``registry``, or spawned from ``settings``."""

    store: Store
    registry: Registry | None
    settings: Settings | None
    keep: bool

    def executor(self, workers: int) -> concurrent.futures.ProcessPoolExecutor:
        if self.registry is not None:
            return concurrent.futures.ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_forked,
                initargs=(self.keep,),
            )
        assert self.settings is not None  # a registry of plugin objects is never spawned
        return concurrent.futures.ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(str(self.store.root), self.settings, child_path(), self.keep),
        )

    def run(
        self,
        todo: list[str],
        region: str | None,
        day: dt.date,
        workers: int,
        found: dict[str, list[Recheck]],
        table: Table | None,
        progress: Callable[[int, int], None] | None,
        total: int,
    ) -> None:
        """Check ``todo`` in ``workers`` processes, into ``found``; a dead worker fails closed."""
        global _worker
        # small batches: the last one a worker takes is all the others may wait for
        size = max(1, len(todo) // (workers * BATCHES_PER_WORKER))
        batches = [todo[i : i + size] for i in range(0, len(todo), size)]
        done = total - len(todo)
        if self.registry is not None:
            _worker = (self.store, self.registry, None)  # what forked workers start from
            sys.stdout.flush()
            sys.stderr.flush()
            gc.freeze()  # the inherited heap stays shared: no collection writes to it
        try:
            with self.executor(workers) as pool:
                for batch, (batch_result, learnt) in zip(
                    batches,
                    pool.map(_work, batches, [region] * len(batches), [day] * len(batches)),
                    strict=True,
                ):
                    grouped: dict[str, list[Recheck]] = {i: [] for i in batch}
                    for row in batch_result:
                        grouped[row[0]].append(_from_row(row))
                    found.update(grouped)
                    if table is not None:
                        table.update(learnt)
                    done += len(batch)
                    if progress:
                        progress(done, total)
        except concurrent.futures.process.BrokenProcessPool:
            raise StoreError(
                f"{self.store.root}: a recheck worker process died; nothing was re-checked or "
                "recorded. Run 'mesoreg recheck' again"
            ) from None
        finally:
            if self.registry is not None:
                gc.unfreeze()
                _worker = None


def record(store: Store, results: Iterable[Recheck]) -> None:
    """Write each new check into the ledger."""
    for result in results:
        store.record_check(result.id, result.version, result.after)
