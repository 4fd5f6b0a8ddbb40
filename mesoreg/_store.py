"""The versioned formulation store: immutable version files and a ledger per formulation.

Layout: ``<root>/<id>/v<N>.toml`` (one canonical file per version, never
changed) and ``<root>/<id>/index.toml`` (the ledger).  Writers take a file lock
on the store (the filelock package), so concurrent publishers are serialised.

A write goes to a temporary file in the same folder, is flushed to disk,
re-read and validated, then linked into place without overwriting (a version
file) or renamed over the old one (the ledger).  The version file is the commit
point: a publisher killed after linking it but before updating the ledger
leaves a valid next version that the ledger lacks; the next locked operation
(publish, status change or verify) records it, from the file itself, and
removes temporary files left by dead writers.  Nothing is ever lost or
half-written.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
from filelock import FileLock

from mesoreg._dump import dump_formulation
from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._ledger import (
    LEDGER_SCHEMA_VERSION,
    CheckRecord,
    Entry,
    Event,
    Ledger,
    dump_ledger,
    parse_ledger,
    utc_now,
)
from mesoreg._load import build, parse_toml
from mesoreg._model import Formulation, Status

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VERSION_FILE = re.compile(r"^v([1-9][0-9]*)\.toml$")
_RESERVED = {"con", "prn", "aux", "nul", "index", "schemas", "formulations"} | {
    f"{d}{n}" for d in ("com", "lpt") for n in range(1, 10)
}
LEDGER = "index.toml"
LOCK = ".mesoreg.lock"
GITATTRIBUTES = "# written by mesoreg: store files are text with LF endings\n*.toml text eol=lf\n"
GITIGNORE = (
    f"# written by mesoreg: the writers' lock and dead writers' temporary files\n{LOCK}\n.*.tmp-*\n"
)


class StoreError(MesoregError, RuntimeError):
    """A store operation that cannot be done (a missing version, a forbidden transition)."""


def validate_id(value: str, where: str = "id") -> str:
    """A formulation id: a lowercase slug; path separators, '..' and reserved names refused."""
    if not isinstance(value, str) or not _ID.match(value) or len(value) > 64:
        raise InputError(
            [
                Problem(
                    where,
                    f"'{value}' is not a valid formulation id",
                    "Use lowercase letters, digits and single hyphens, "
                    "e.g. 'lipo-abdomen' (at most 64 characters).",
                )
            ]
        )
    if value in _RESERVED:
        raise InputError([Problem(where, f"'{value}' is a reserved name", "Choose another id.")])
    return value


def parse_ref(ref: str) -> tuple[str, int | None]:
    """``'lipo-abdomen@3'`` -> ('lipo-abdomen', 3); ``'lipo-abdomen'`` -> (..., None)."""
    name, sep, version = ref.partition("@")
    validate_id(name, "reference")
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise InputError(
            [
                Problem(
                    "reference",
                    f"'{ref}' has no valid version after '@'",
                    "Write ID@N, e.g. lipo-abdomen@2.",
                )
            ]
        )
    return name, int(version)


def sha256(data: bytes) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(path: Path, data: bytes, check: Callable[[bytes], object]) -> Path:
    """Write ``data`` beside ``path``, flush it to disk, re-read and validate it."""
    tmp = path.parent / f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
    with tmp.open("xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    written = tmp.read_bytes()
    if written != data:
        tmp.unlink()
        raise StoreError(f"{path}: the file read back differs from what was written")
    check(written)
    return tmp


def write_new(path: Path, data: bytes, check: Callable[[bytes], object]) -> None:
    """Create ``path`` with ``data`` atomically; never overwrite (FileExistsError)."""
    tmp = _temporary(path, data, check)
    try:
        os.link(tmp, path)
    finally:
        tmp.unlink()
    _fsync_dir(path.parent)


def write_replace(path: Path, data: bytes, check: Callable[[bytes], object]) -> None:
    """Replace ``path`` with ``data`` atomically: readers see the old file or the new one."""
    tmp = _temporary(path, data, check)
    tmp.replace(path)
    _fsync_dir(path.parent)


@attrs.frozen
class Store:
    """A folder of versioned formulations."""

    root: Path = attrs.field(converter=Path)

    # -- reading -------------------------------------------------------------------

    def folder(self, formulation_id: str) -> Path:
        """The folder of one formulation."""
        return self.root / validate_id(formulation_id)

    def version_path(self, formulation_id: str, version: int) -> Path:
        """Where a version's file lives."""
        return self.folder(formulation_id) / f"v{version}.toml"

    def ledger(self, formulation_id: str) -> Ledger:
        """The formulation's ledger (empty when nothing is published yet)."""
        path = self.folder(formulation_id) / LEDGER
        if not path.is_file():
            return Ledger(LEDGER_SCHEMA_VERSION, formulation_id)
        return parse_ledger(path.read_text(encoding="utf-8"), str(path))

    def ids(self) -> list[str]:
        """Every formulation in the store, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_dir() and _ID.match(p.name) and p.name not in _RESERVED
        )

    def read(self, formulation_id: str, version: int | None = None) -> tuple[Formulation, Entry]:
        """A version (the latest when None) and its ledger entry."""
        ledger = self.ledger(formulation_id)
        version = version or ledger.latest
        entry = ledger.entry(version)
        if entry is None:
            known = ", ".join(str(e.version) for e in ledger.versions) or "none"
            raise StoreError(
                f"{formulation_id}@{version} is not in the store {self.root} (versions: {known})"
            )
        path = self.version_path(formulation_id, version)
        return build(
            parse_toml(path.read_text(encoding="utf-8"), str(path)), Formulation, str(path)
        ), entry

    # -- writing (always under the store's lock) --------------------------------------

    def lock(self) -> FileLock:
        """The store-wide lock that serialises writers."""
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / LOCK), timeout=120)

    def publish(
        self,
        formulation: Formulation,
        author: str,
        *,
        supersedes: int | None = None,
        check: CheckRecord | None = None,
    ) -> Entry:
        """Store ``formulation`` as the next version of its id; returns its ledger entry."""
        formulation_id = validate_id(formulation.id)
        with self.lock():
            self._remove_dead_temporaries(self.root)
            self._ensure_gitattributes()
            folder = self.folder(formulation_id)
            folder.mkdir(exist_ok=True)
            ledger = self.recover(formulation_id)
            version = ledger.latest + 1
            if supersedes is not None and ledger.entry(supersedes) is None:
                raise StoreError(f"{formulation_id}@{supersedes} does not exist to supersede")
            stored = attrs.evolve(formulation, version=version, status=Status.DRAFT, origin=None)
            data = dump_formulation(stored, with_status=False).encode("utf-8")
            path = self.version_path(formulation_id, version)
            write_new(path, data, lambda raw: self._check_version_file(raw, path, stored))
            now = utc_now()
            entry = Entry(
                version=version,
                file=path.name,
                sha256=sha256(data),
                author=author,
                published=now,
                supersedes=supersedes if supersedes is not None else (ledger.latest or None),
                events=(Event("published", author, now),),
                last_check=check,
            )
            self._write_ledger(attrs.evolve(ledger, versions=(*ledger.versions, entry)))
            return entry

    def set_status(self, formulation_id: str, version: int, status: Status, by: str) -> Entry:
        """Record a status change (approve, retire) in the ledger; the file is untouched."""
        with self.lock():
            ledger = self.recover(formulation_id)
            entry = ledger.entry(version)
            if entry is None:
                raise StoreError(f"{formulation_id}@{version} is not in the store {self.root}")
            allowed = {
                Status.APPROVED: {Status.DRAFT},
                Status.RETIRED: {Status.DRAFT, Status.APPROVED},
            }
            if entry.status not in allowed.get(status, set()):
                raise StoreError(
                    f"{formulation_id}@{version} is {entry.status.value}; "
                    f"it cannot become {status.value}"
                )
            action = "approved" if status is Status.APPROVED else "retired"
            entry = attrs.evolve(
                entry, status=status, events=(*entry.events, Event(action, by, utc_now()))
            )
            self._write_ledger(ledger.replace(entry))
            return entry

    def record_check(self, formulation_id: str, version: int, check: CheckRecord) -> None:
        """Record the result of a re-check in the ledger."""
        with self.lock():
            ledger = self.recover(formulation_id)
            entry = ledger.entry(version)
            if entry is not None:
                self._write_ledger(ledger.replace(attrs.evolve(entry, last_check=check)))

    def recover(self, formulation_id: str) -> Ledger:
        """Under the lock: drop dead writers' temporary files, record interrupted publishes."""
        self._remove_dead_temporaries(self.folder(formulation_id))
        ledger = self.ledger(formulation_id)
        for version, path in self._orphans(formulation_id, ledger):
            data = path.read_bytes()
            stored = build(parse_toml(data.decode("utf-8"), str(path)), Formulation, str(path))
            when = utc_now()
            author = stored.authors[0] if stored.authors else "unknown"
            entry = Entry(
                version=version,
                file=path.name,
                sha256=sha256(data),
                author=author,
                published=when,
                supersedes=ledger.latest or None,
                events=(Event("recovered", "mesoreg", when),),
            )
            ledger = attrs.evolve(ledger, versions=(*ledger.versions, entry))
            self._write_ledger(ledger)
        return ledger

    @staticmethod
    def _remove_dead_temporaries(folder: Path) -> None:
        """Under the lock: temporary files there belong to writers that died mid-write."""
        for tmp in folder.glob(".*.tmp-*") if folder.is_dir() else []:
            tmp.unlink()

    def _orphans(self, formulation_id: str, ledger: Ledger) -> Iterator[tuple[int, Path]]:
        """Version files just past the ledger's last, each valid for its id and version."""
        version = ledger.latest + 1
        while True:
            path = self.version_path(formulation_id, version)
            if not path.is_file():
                return
            try:
                stored = build(
                    parse_toml(path.read_text(encoding="utf-8"), str(path)), Formulation, str(path)
                )
            except (InputError, UnicodeDecodeError):
                return
            if stored.id != formulation_id or stored.version != version:
                return
            yield version, path
            version += 1

    def _write_ledger(self, ledger: Ledger) -> None:
        path = self.folder(ledger.id) / LEDGER
        data = dump_ledger(ledger).encode("utf-8")
        write_replace(path, data, lambda raw: parse_ledger(raw.decode("utf-8"), str(path)))

    def _check_version_file(self, raw: bytes, path: Path, expected: Formulation) -> None:
        loaded = build(parse_toml(raw.decode("utf-8"), str(path)), Formulation, str(path))
        if attrs.evolve(loaded, origin=None) != expected:
            raise StoreError(f"{path}: the file read back does not match the formulation")

    def _ensure_gitattributes(self) -> None:
        for name, text in ((".gitattributes", GITATTRIBUTES), (".gitignore", GITIGNORE)):
            path = self.root / name
            if not path.exists():
                write_replace(path, text.encode(), lambda raw: None)

    # -- verifying -----------------------------------------------------------------

    def verify(self) -> tuple[list[str], list[str]]:
        """(problems, notes): every file matches its hash, every entry has its file.

        Under the lock, interrupted publishes are recorded first and reported as
        notes; tampered, missing or extra files are problems.
        """
        problems: list[str] = []
        notes: list[str] = []
        if not self.root.is_dir():
            return [f"{self.root}: no such store"], notes
        with self.lock():
            self._remove_dead_temporaries(self.root)
            for child in sorted(self.root.iterdir()):
                if child.name == LOCK or child.name.startswith(".git"):
                    continue
                if not child.is_dir() or not _ID.match(child.name) or child.name in _RESERVED:
                    problems.append(f"{child}: extra file, not part of the store")
                    continue
                problems += self._verify_one(child.name, notes)
        return problems, notes

    def _verify_one(self, formulation_id: str, notes: list[str]) -> list[str]:
        folder = self.folder(formulation_id)
        problems: list[str] = []
        before = self.ledger(formulation_id) if (folder / LEDGER).is_file() else None
        try:
            ledger = self.recover(formulation_id)
        except InputError as exc:
            return [str(exc)]
        if before is not None and len(ledger.versions) > len(before.versions):
            added = [e.version for e in ledger.versions[len(before.versions) :]]
            notes.append(
                f"{formulation_id}: recorded interrupted publish of version(s) "
                f"{', '.join(map(str, added))}"
            )
        if not (folder / LEDGER).is_file():
            if not any(folder.iterdir()):
                folder.rmdir()  # a first publish that died before writing anything
                notes.append(f"{formulation_id}: removed the empty folder of a dead publish")
                return []
            return [f"{folder}: no ledger ({LEDGER}); files here are not recorded"]
        listed = set()
        for entry in ledger.versions:
            path = folder / entry.file
            listed.add(entry.file)
            if not path.is_file():
                problems.append(f"{path}: missing; the ledger records version {entry.version}")
            elif sha256(path.read_bytes()) != entry.sha256:
                problems.append(
                    f"{path}: changed after publishing (sha256 does not match the ledger)"
                )
        for path in sorted(folder.iterdir()):
            if path.name not in listed and path.name != LEDGER and not path.name.startswith("."):
                problems.append(f"{path}: extra file, not recorded in the ledger")
        return problems
