"""The versioned formulation store: immutable version files and a ledger per formulation.

Layout: ``<root>/<id>/v<N>.toml`` (one canonical file per version, never
changed) and ``<root>/<id>/index.toml`` (the ledger).  Writers take a file lock
on the store (the filelock package), so concurrent publishers are serialised.

Every use of a stored version (:meth:`Store.read`, :meth:`Store.read_file`)
and ``verify`` make one check (:meth:`Store.check_version`): the file exists,
its sha256 is the ledger's, and it is exactly the canonical file of ``ID@N``.
Ledgers are validated against their folder, and each version's status against
its events (see :func:`~mesoreg.store._ledger.ledger_problems`); names are one
printable line.  Symbolic links and special files are refused
(:mod:`mesoreg.store._store_io`).

A publish first checks that the formulation reads back identically from its
canonical text, so nothing that cannot round-trip is ever written.  A brand-new
formulation gets an empty ledger before its first version, so a version file
beside a *missing* ledger always means damage: mesoreg never rebuilds a ledger
from files it cannot verify.  The version file is the commit point: a publisher
killed after linking it but before updating the ledger leaves ONE canonical
version the ledger lacks, the number the publish took (one past the ledger's
last and every other ``vN.toml``).  Only a writable ``verify`` records it, as
``recovered`` with no author and no check, and says loudly that it was recorded
from the file itself, unverified; every other change (publish, approve, retire,
recorded re-check) refuses until then.  Any other canonical version of the
formulation that the ledger lacks (two, a gap, one below the ledger's last)
means the ledger lost entries (emptied or rolled back): it is damage, reported
and never recorded, and it blocks changes until the ledger is restored.  A
foreign or damaged ``vN.toml`` is never recorded either: later publishes take
the next free number, and ``verify`` reports the file until someone moves it
out of the store.

What this protects against, and what not: the ledger is not signed.  A changed,
swapped or foreign version file, a ledger that lost entries, a status without
its event and a hand-edited verdict (approval re-checks the version) are all
caught.  Someone who rewrites a version file *and* its ledger entry
consistently (a new hash, matching events) is not: git history, with reviewed
commits, is the safeguard for that.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import attrs
from filelock import FileLock, Timeout

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.documents._dump import dump_formulation
from mesoreg.documents._load import build, parse_toml
from mesoreg.documents._model import Formulation, Status
from mesoreg.documents._roundtrip import check_round_trip
from mesoreg.store._ledger import (
    LEDGER_SCHEMA_VERSION,
    CheckRecord,
    Entry,
    Event,
    Ledger,
    dump_appended,
    dump_ledger,
    ledger_problems,
    name_problem,
    parse_appended,
    parse_ledger,
    utc_now,
)
from mesoreg.store._store_io import (
    TEMPORARY,
    StoreError,
    decode,
    is_link,
    names,
    read_regular,
    refuse_link,
    why,
    write_new,
    write_replace,
)
from mesoreg.store._store_memo import is_canonical, read_ledger, remember_ledger

__all__ = [
    "Store",
    "StoreError",
    "parse_ref",
    "sha256",
    "validate_id",
    "validate_name",
    "write_new",
]

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_VERSION_FILE = re.compile(r"v([1-9][0-9]*)\.toml")
_NUMBER = re.compile(r"[1-9][0-9]{0,9}")  # one more digit than a vN.toml counted
_RESERVED = {"con", "prn", "aux", "nul", "index", "schemas", "formulations"} | {
    f"{d}{n}" for d in ("com", "lpt") for n in range(1, 10)
}
LEDGER = "index.toml"
LOCK = ".mesoreg.lock"
GITATTRIBUTES = "# written by mesoreg: store files are text with LF endings\n*.toml text eol=lf\n"
GITIGNORE = (
    f"# written by mesoreg: the writers' lock and dead writers' temporary files\n{LOCK}\n.*.tmp-*\n"
)
#: verdicts of the check at approval that let a version be approved without an override
PASSING = ("pass", "warn")
#: the author of a version recorded from an unfinished publish: nobody vouches for it
RECOVERED_AUTHOR = "unknown"


def validate_id(value: str, where: str = "id") -> str:
    """A formulation id: a lowercase slug; path separators, '..' and reserved names refused."""
    if not isinstance(value, str) or not _ID.fullmatch(value) or len(value) > 64:
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
    if not _NUMBER.fullmatch(version):
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


class Recorded(Protocol):
    """What :meth:`Store.check_version` reads of a ledger entry: its version and sha256."""

    @property
    def version(self) -> int:
        """The version number."""

    @property
    def sha256(self) -> str:
        """The sha256 the ledger records for the version's file."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file" if not stat.S_ISREG(mode) else "a file"


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

    def _existing_folder(self, formulation_id: str) -> Path | None:
        """The formulation's folder, None when absent; a link or a file is a StoreError."""
        folder = self.folder(formulation_id)
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"{folder}: cannot be inspected ({why(exc)})") from exc
        if stat.S_ISLNK(mode):
            raise refuse_link(folder)
        if not stat.S_ISDIR(mode):
            raise StoreError(f"{folder}: is {_kind(mode)}, not a formulation's folder")
        return folder

    def ledger(self, formulation_id: str) -> Ledger:
        """The formulation's validated ledger (empty when nothing is published yet).

        A missing ledger beside version files is a :class:`StoreError`: a ledger is
        never rebuilt from files whose hashes nothing records.
        """
        empty = Ledger(LEDGER_SCHEMA_VERSION, formulation_id)
        folder = self._existing_folder(formulation_id)
        if folder is None:
            return empty
        path = folder / LEDGER
        data = read_regular(path)
        if data is None:
            files = self._version_files(folder)
            if files:
                names = ", ".join(f"v{n}.toml" for n in sorted(files))
                raise StoreError(
                    f"{path}: missing, but the folder holds version files ({names}); the "
                    "ledger is never rebuilt from files it cannot verify. Restore it from git "
                    f"(git checkout -- {path}) or a backup"
                )
            return empty
        return read_ledger(data, path, formulation_id)

    def _version_files(self, folder: Path) -> dict[int, Path]:
        """Every ``vN.toml`` in a folder, by N (whatever the ledger says)."""
        found: dict[int, Path] = {}
        for name in names(folder):
            match = _VERSION_FILE.fullmatch(name)
            if match and len(match[1]) < 10:
                found[int(match[1])] = folder / name
        return found

    def ids(self) -> list[str]:
        """Every formulation in the store, sorted (links included: using one is an error)."""
        if not self.root.is_dir():
            return []
        try:
            with os.scandir(self.root) as children:
                return sorted(
                    e.name
                    for e in children
                    if _ID.fullmatch(e.name)
                    and e.name not in _RESERVED
                    and (e.is_symlink() or e.is_dir())
                )
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot be listed ({why(exc)})") from exc

    def read_file(self, formulation_id: str, version: int | None = None) -> tuple[bytes, Entry]:
        """A version's bytes (the latest when None), checked like :meth:`read`."""
        data, entry, _ = self._read(formulation_id, version)
        return data, entry

    def read(self, formulation_id: str, version: int | None = None) -> tuple[Formulation, Entry]:
        """A verified version (the latest when None) and its ledger entry.

        A version the ledger lacks, a missing file, a file changed after
        publishing, or one that is not the canonical file of ``ID@N`` (see
        :meth:`check_version`) is a :class:`StoreError`: nothing uses an
        unverified version.
        """
        _, entry, formulation = self._read(formulation_id, version)
        return formulation, entry

    def _read(self, formulation_id: str, version: int | None) -> tuple[bytes, Entry, Formulation]:
        ledger = self.ledger(formulation_id)
        if version is None:
            if not ledger.versions:
                raise StoreError(f"'{formulation_id}' has no published version in {self.root}")
            version = ledger.latest
        entry = ledger.entry(version)
        if entry is None:
            known = ", ".join(str(e.version) for e in ledger.versions) or "none"
            raise StoreError(
                f"{formulation_id}@{version} is not in the store {self.root} (versions: {known})"
            )
        data, formulation = self.read_entry(formulation_id, entry)
        return data, entry, formulation

    def read_entry(
        self, formulation_id: str, entry: Entry, folder: Path | None = None
    ) -> tuple[bytes, Formulation]:
        """The verified file of a ledger entry already in hand (no second ledger read).

        ``folder`` is the formulation's folder when the caller has it already
        (:meth:`_existing_folder`'s answer), so that its id is not validated again.
        """
        if folder is None:
            folder = self.folder(formulation_id)
        path = folder / f"v{entry.version}.toml"
        data = read_regular(path)
        try:
            formulation = self._checked(formulation_id, entry, data, path)
        except StoreError as exc:
            raise StoreError(
                f"{exc}; {formulation_id}@{entry.version} is not used. Restore it from git; "
                "'mesoreg verify' lists every damaged file"
            ) from exc
        assert data is not None  # check_version refuses a missing file
        return data, formulation

    def check_version(
        self, formulation_id: str, entry: Recorded, data: bytes | None
    ) -> Formulation:
        """The formulation in a recorded version's file, or a one-line :class:`StoreError`.

        The one check that every reader and ``verify`` make: the file exists, its
        sha256 is the ledger's, and it is exactly the canonical file mesoreg writes
        for ``ID@N`` (so a file copied over another with its hash, or hand-written
        to match an edited hash, is refused).
        """
        return self._checked(
            formulation_id, entry, data, self.version_path(formulation_id, entry.version)
        )

    def _checked(
        self, formulation_id: str, entry: Recorded, data: bytes | None, path: Path
    ) -> Formulation:
        """:meth:`check_version`, the file's ``path`` given."""
        if data is None:
            raise StoreError(
                f"{path}: missing; the ledger records {formulation_id}@{entry.version}"
            )
        if sha256(data) != entry.sha256:
            raise StoreError(f"{path}: changed after publishing (sha256 does not match the ledger)")
        return self._version(data, path, formulation_id, entry.version)

    def _version(self, data: bytes, path: Path, formulation_id: str, version: int) -> Formulation:
        """``data`` as the canonical file of ``formulation_id@version``, else StoreError."""
        try:
            stored = self._build(data, path)
        except MesoregError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(f"{path}: not a valid version file ({first})") from exc
        if (stored.id, stored.version) != (formulation_id, version):
            raise StoreError(
                f"{path}: holds {stored.id}@{stored.version}, not {formulation_id}@{version}"
            )
        if dump_formulation(stored, with_status=False).encode("utf-8") != data:
            raise StoreError(f"{path}: not a file mesoreg wrote (not in its canonical form)")
        return stored

    @staticmethod
    def _build(data: bytes, path: Path) -> Formulation:
        return build(parse_toml(decode(data, path), str(path)), Formulation, str(path))

    # -- writing (always under the store's lock) --------------------------------------

    def lock(self) -> FileLock:
        """The store-wide lock that serialises writers (creates the store's folder)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: the store cannot be created ({why(exc)})") from exc
        path = self.root / LOCK
        try:
            mode = os.lstat(path).st_mode
        except FileNotFoundError:
            mode = stat.S_IFREG
        except OSError as exc:
            raise StoreError(f"{path}: cannot be inspected ({why(exc)})") from exc
        if not stat.S_ISREG(mode):
            raise StoreError(
                f"{path}: the store's lock is {_kind(mode)}, not a file; remove it "
                "(it holds no data) and try again"
            )
        return FileLock(str(path), timeout=120)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the store's lock; failures to take it are one-line StoreErrors."""
        lock = self.lock()
        try:
            lock.acquire()
        except Timeout as exc:
            raise StoreError(
                f"{lock.lock_file}: another writer has held the store's lock for "
                f"{lock.timeout:g} s; try again"
            ) from exc
        except OSError as exc:
            raise StoreError(
                f"{lock.lock_file}: the store's lock cannot be taken ({why(exc)})"
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def publish(
        self,
        formulation: Formulation,
        author: str,
        *,
        supersedes: int | None = None,
        check: CheckRecord | None = None,
    ) -> Entry:
        """Store ``formulation`` as the next version of its id; returns its ledger entry.

        A formulation that would not read back identically from its canonical text
        is an :class:`~mesoreg.InputError` before anything is written, as is an
        author that is not one printable line.  The next version is one past both
        the ledger's latest and every ``vN.toml`` present.  A version file of this
        formulation that the ledger lacks (an unfinished publish, or lost ledger
        entries) refuses the publish: see :meth:`unrecorded`.
        """
        formulation_id = validate_id(formulation.id)
        author = validate_name(author, "author")
        first = attrs.evolve(formulation, version=1, status=Status.DRAFT, origin=None)
        text = dump_formulation(first, with_status=False).encode()
        check_round_trip(text, first, self.version_path(formulation_id, 1), formulation.origin)
        with self._locked():
            self._clean_root()
            self._ensure_gitattributes()
            folder = self.folder(formulation_id)
            if self._existing_folder(formulation_id) is None:
                self._mkdir(folder)
            ledger = self._current(formulation_id)
            if read_regular(folder / LEDGER) is None:
                # an empty ledger first: a version file beside no ledger is then always damage
                self._write_ledger(formulation_id, ledger)
            if supersedes is not None and ledger.entry(supersedes) is None:
                raise StoreError(f"{formulation_id}@{supersedes} does not exist to supersede")
            version = max([ledger.latest, *self._version_files(folder)]) + 1
            stored = attrs.evolve(formulation, version=version, status=Status.DRAFT, origin=None)
            data = dump_formulation(stored, with_status=False).encode("utf-8")
            path = self.version_path(formulation_id, version)
            write_new(
                path,
                data,
                lambda raw: check_round_trip(raw, stored, path, formulation.origin),
            )
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
            self._append_ledger(formulation_id, ledger, entry)
            return entry

    def set_status(
        self,
        formulation_id: str,
        version: int,
        status: Status,
        by: str,
        *,
        override_reason: str | None = None,
        check: CheckRecord | None = None,
    ) -> Entry:
        """Record a status change (approve, retire) in the ledger; the file is untouched.

        The version's file must pass :meth:`check_version`.  Approving needs
        ``check``, the result of checking the version *now* (``mesoreg.set_status``
        and ``mesoreg approve`` run it), to be in :data:`PASSING`, or an
        ``override_reason``, recorded in the approval event with who gave it.  The
        check recorded in the ledger is never trusted for an approval: the ledger
        is not signed, and a hand-edited verdict must not approve anything.
        ``check`` is recorded as the version's last check.
        """
        by = validate_name(by, "--by")
        with self._locked():
            ledger = self._current(formulation_id)
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
            self.read(formulation_id, version)  # refuses a missing, changed or foreign file
            action = "approved" if status is Status.APPROVED else "retired"
            if status is Status.APPROVED:
                action = _approval(formulation_id, entry, check, override_reason)
            elif override_reason is not None:
                raise InputError(
                    [Problem("--override-reason", "only an approval can override a check")]
                )
            entry = attrs.evolve(
                entry,
                status=status,
                events=(*entry.events, Event(action, by, utc_now())),
                last_check=check or entry.last_check,
            )
            self._write_ledger(formulation_id, ledger.replace(entry))
            return entry

    def record_check(self, formulation_id: str, version: int, check: CheckRecord) -> None:
        """Record the result of a re-check in the ledger."""
        with self._locked():
            ledger = self._current(formulation_id)
            entry = ledger.entry(version)
            if entry is None:
                raise StoreError(f"{formulation_id}@{version} is not in the store {self.root}")
            entry = attrs.evolve(entry, last_check=check)
            self._write_ledger(formulation_id, ledger.replace(entry))

    def _current(self, formulation_id: str) -> Ledger:
        """Under the lock: the ledger, once dead writers' temporary files are gone.

        A version file of this formulation that the ledger lacks refuses every
        change: an unfinished publish is recorded only by ``mesoreg verify``,
        which says so; any other is damage to repair by hand.
        """
        folder = self._existing_folder(formulation_id)
        if folder is None:
            return Ledger(LEDGER_SCHEMA_VERSION, formulation_id)
        for path in _temporaries(folder):
            self._remove(path)
        ledger = self.ledger(formulation_id)
        pending, lost = self.unrecorded(formulation_id, ledger)
        if lost:
            raise StoreError(lost[0])
        if pending is not None:
            path = self.version_path(formulation_id, pending[0])
            raise StoreError(
                f"{path}: {formulation_id}@{pending[0]} is not in the ledger (left by a publish "
                "that did not finish, or put there by hand); nothing is changed until "
                "'mesoreg verify' records it (from the file itself: review it then) or it is "
                "moved out of the store"
            )
        from mesoreg.store._records import refuse_unrecorded

        refuse_unrecorded(self, formulation_id, ledger)
        return ledger

    def recover(self, formulation_id: str) -> tuple[Ledger, list[str]]:
        """Under the lock (``verify`` only): record an unfinished publish; (ledger, notes).

        Drops dead writers' temporary files.  At most one version is recorded:
        see :meth:`unrecorded`.  Its entry names no author ('unknown'), has a
        ``recovered`` event and no check, and the note says it was recorded from
        the file itself, unverified.
        """
        folder = self._existing_folder(formulation_id)
        if folder is None:
            return Ledger(LEDGER_SCHEMA_VERSION, formulation_id), []
        for path in _temporaries(folder):
            self._remove(path)
        ledger = self.ledger(formulation_id)
        pending, _lost = self.unrecorded(formulation_id, ledger)
        if pending is None:
            return ledger, []
        version, data = pending
        when = utc_now()
        entry = Entry(
            version=version,
            file=f"v{version}.toml",
            sha256=sha256(data),
            author=RECOVERED_AUTHOR,
            published=when,
            supersedes=ledger.latest or None,
            events=(Event("recovered", "mesoreg", when),),
        )
        ledger = attrs.evolve(ledger, versions=(*ledger.versions, entry))
        self._write_ledger(formulation_id, ledger)
        return ledger, [recovery_note(self.version_path(formulation_id, version), version, True)]

    def unrecorded(
        self, formulation_id: str, ledger: Ledger
    ) -> tuple[tuple[int, bytes] | None, list[str]]:
        """(the unfinished publish, problems) among the version files the ledger lacks.

        A killed publisher leaves at most one version the ledger lacks: the next
        number after the ledger's last and every ``vN.toml`` present, holding
        exactly the canonical file of ``ID@N``.  That one is returned with its
        bytes.  Any *other* canonical file of this formulation that the ledger
        lacks (two of them, a gap, one below the ledger's last) means the ledger
        lost entries, e.g. it was emptied or rolled back: each is a problem, and
        then nothing is returned as an unfinished publish either.  Foreign or
        damaged files are left to ``verify`` (see :meth:`unrecorded_reason`).
        """
        folder = self.folder(formulation_id)
        recorded = {e.version for e in ledger.versions}
        files = self._version_files(folder)
        ours: dict[int, bytes] = {}
        for version, path in sorted(files.items()):
            if version in recorded:
                continue
            data = read_regular(path)
            if data is not None and self.unrecorded_reason(path, formulation_id, version) is None:
                ours[version] = data
        if not ours:
            return None, []
        if len(ours) == 1:
            (version,) = ours
            # the number a publish would have taken, given every other file and the ledger
            if version == max([ledger.latest, *(n for n in files if n != version)]) + 1:
                return (version, ours[version]), []
        return None, [
            f"{files[n]}: a version of {formulation_id} that the ledger does not record, and "
            "not one a publish left unfinished (a killed publish leaves only the last version "
            "file, and only one); the ledger has lost entries. Restore the ledger from git "
            "(or a backup), or move the file out of the store"
            for n in sorted(ours)
        ]

    def unrecorded_reason(self, path: Path, formulation_id: str, version: int) -> str | None:
        """Why a version file the ledger lacks is not a version of this id (None if it is)."""
        data = read_regular(path)
        if data is None:
            return "it is gone"
        try:
            self._version(data, path, formulation_id, version)
        except StoreError as exc:
            why = str(exc).removeprefix(f"{path}: ")
            return f"it {why}" if why.startswith("holds") else f"it is {why}"
        return None

    def _append_ledger(self, formulation_id: str, ledger: Ledger, entry: Entry) -> None:
        """Write ``ledger`` plus ``entry``, at a cost that does not grow with its history.

        When the file holds the canonical dump of ``ledger`` (known from its sha256,
        see :mod:`mesoreg.store._store_memo`), the new file is the old bytes plus the new
        entry's text, and only that text is parsed back to validate the write; the
        file is still replaced atomically, exactly as :meth:`_write_ledger` does.
        Otherwise (a ledger merged or edited by hand) the whole ledger is rewritten.
        """
        new = attrs.evolve(ledger, versions=(*ledger.versions, entry))
        path = self.folder(formulation_id) / LEDGER
        old = read_regular(path)
        if old is None:
            return self._write_ledger(formulation_id, new)
        before = read_ledger(old, path, formulation_id)
        if before.versions != ledger.versions or not is_canonical(formulation_id, old, before):
            return self._write_ledger(formulation_id, new)
        problems = ledger_problems(new, formulation_id)
        if problems:  # what publish built is checked like any ledger it reads
            raise StoreError(f"{path}: the new entry would damage the ledger ({problems[0]})")
        data = old + dump_appended(before, entry).encode("utf-8")

        def check(raw: bytes) -> None:
            if (
                raw[: len(old)] != old
                or parse_appended(decode(raw[len(old) :], path), before, str(path)) != entry
            ):
                raise StoreError(f"{path}: the new entry does not read back as written")

        write_replace(path, data, check)
        remember_ledger(formulation_id, data, new)
        return None

    def _write_ledger(self, formulation_id: str, ledger: Ledger) -> None:
        if ledger.id != formulation_id:
            raise StoreError(f"the ledger of {ledger.id!r} is not written into {formulation_id!r}")
        path = self.folder(formulation_id) / LEDGER
        data = dump_ledger(ledger).encode("utf-8")
        write_replace(
            path, data, lambda raw: parse_ledger(decode(raw, path), str(path), formulation_id)
        )

    def _ensure_gitattributes(self) -> None:
        for name, text in ((".gitattributes", GITATTRIBUTES), (".gitignore", GITIGNORE)):
            path = self.root / name
            if not os.path.lexists(path):
                write_replace(path, text.encode(), lambda raw: None)

    def _clean_root(self) -> None:
        for path in _temporaries(self.root):
            self._remove(path)

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StoreError(f"{path}: cannot be removed ({why(exc)})") from exc

    @staticmethod
    def _mkdir(folder: Path) -> None:
        try:
            folder.mkdir()
        except OSError as exc:
            raise StoreError(f"{folder}: cannot be created ({why(exc)})") from exc

    # -- verifying -----------------------------------------------------------------

    def verify(self) -> tuple[list[str], list[str]]:
        """(problems, notes): every file matches its hash, every entry has its file.

        See :func:`mesoreg.store._verify.verify`: a writable store is repaired under the
        lock (notes say what was recorded); a read-only one is only reported on.
        """
        from mesoreg.store._verify import verify

        return verify(self)


def _temporaries(folder: Path) -> list[Path]:
    """Temporary files left by writers (regular files only; links are reported by verify)."""
    return [
        folder / name
        for name in names(folder)
        if TEMPORARY.fullmatch(name) and not is_link(folder / name)
    ]


def _approval(
    formulation_id: str, entry: Entry, check: CheckRecord | None, reason: str | None
) -> str:
    """The approval event's action; refuses a version without a passing check or a reason."""
    verdict = check.verdict if check else None
    if reason is not None:
        reason = " ".join(reason.split())
        if not reason or not reason.isprintable() or len(reason) > 500:
            raise InputError(
                [
                    Problem(
                        "--override-reason",
                        "must be printable text of 1 to 500 characters",
                        "Say why this version may be approved despite its check.",
                    )
                ]
            )
        return f"approved overriding check {verdict or 'none'}: {reason}"
    if verdict in PASSING:
        return "approved"
    codes = check.findings if check else ()
    found = f" ({', '.join(codes)})" if codes else ""
    checked = f"is {verdict}{found}" if verdict else "was not run for this approval"
    raise StoreError(
        f"{formulation_id}@{entry.version}: its check {checked}; only a version that checks "
        f"{' or '.join(PASSING)} when it is approved can be approved. Fix and publish it again, "
        "or approve it with --override-reason TEXT (recorded in the ledger with who approved it)"
    )


def validate_name(value: str, where: str) -> str:
    """A person's name for the ledger: one printable line (see :func:`name_problem`)."""
    problem = name_problem(value)
    if problem:
        raise InputError(
            [Problem(where, problem, "Give a name on one line, e.g. 'J. Martin, PharmD'.")]
        )
    return value


def recovery_note(path: Path, version: int, recorded: bool) -> str:
    """What ``verify`` says about an unfinished publish: loudly, that it is unverified."""
    formulation_id = path.parent.name
    if not recorded:
        return (
            f"{path}: {formulation_id}@{version} is not in the ledger (a publish that did not "
            "finish, or a file put there by hand); not recorded (read-only)"
        )
    return (
        f"{path}: recorded as {formulation_id}@{version} from the file itself: a publish that "
        "did not finish left it, or someone put it there. UNVERIFIED: it has no author and no "
        f"check; review it ('mesoreg show {formulation_id}@{version}') before using it, and "
        "retire it if it is not yours"
    )
