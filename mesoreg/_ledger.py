"""The per-formulation ledger: ``<store>/<id>/index.toml``.

The ledger records, for each published version, its file's sha256, who
published it and when, its status (draft, approved, retired) with every
transition, the version it supersedes, and the last recorded check.  Version
files never change; the ledger is the only file that does, and it is replaced
atomically.
"""

from __future__ import annotations

import datetime as dt

import attrs
import tomli_w

from mesoreg._convert import structure, unstructure
from mesoreg._dump import _clean
from mesoreg._load import parse_toml
from mesoreg._model import Status

#: ledger file format this version writes
LEDGER_SCHEMA_VERSION = 1
LEDGER_SCHEMA_LINE = f"#:schema ../../schemas/ledger-{LEDGER_SCHEMA_VERSION}.schema.json\n"


@attrs.frozen
class Event:
    """A status change: what, who, when."""

    action: str
    by: str
    at: dt.datetime


@attrs.frozen
class CheckRecord:
    """The verdict of the last check of a version, and what it was checked with."""

    verdict: str
    at: dt.datetime
    mesoreg_version: str
    packs: tuple[str, ...] = ()
    region: str = ""
    findings: tuple[str, ...] = ()


@attrs.frozen
class Entry:
    """One published version of a formulation."""

    version: int
    file: str
    sha256: str
    author: str
    published: dt.datetime
    status: Status = Status.DRAFT
    supersedes: int | None = None
    events: tuple[Event, ...] = ()
    last_check: CheckRecord | None = None


@attrs.frozen
class Ledger:
    """Every version of one formulation, in order."""

    schema_version: int
    id: str
    versions: tuple[Entry, ...] = ()

    def entry(self, version: int) -> Entry | None:
        """The ledger entry of ``version``, or None."""
        return next((e for e in self.versions if e.version == version), None)

    @property
    def latest(self) -> int:
        """The highest version published, 0 when none."""
        return max((e.version for e in self.versions), default=0)

    def replace(self, entry: Entry) -> Ledger:
        """A ledger with ``entry`` in place of the entry of the same version."""
        return attrs.evolve(
            self,
            versions=tuple(entry if e.version == entry.version else e for e in self.versions),
        )


def dump_ledger(ledger: Ledger) -> str:
    """The ledger as canonical TOML text."""
    return LEDGER_SCHEMA_LINE + tomli_w.dumps(_clean(unstructure(ledger)))


def parse_ledger(text: str, path: str) -> Ledger:
    """Read a ledger; :class:`~mesoreg.InputError` for a damaged one."""
    return structure(parse_toml(text, path), Ledger, path=path)


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second (TOML keeps the offset)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
