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
from mesoreg._field import doc
from mesoreg._load import parse_toml
from mesoreg._model import Status

#: ledger file format this version writes
LEDGER_SCHEMA_VERSION = 1
LEDGER_SCHEMA_LINE = f"#:schema ../../schemas/ledger-{LEDGER_SCHEMA_VERSION}.schema.json\n"


@attrs.frozen
class Event:
    """A status change: what, who, when."""

    action: str = attrs.field(
        metadata=doc("What happened: published, recovered, approved or retired."),
    )
    by: str = attrs.field(
        metadata=doc("Who did it (the person, or 'mesoreg' for a recovery)."),
    )
    at: dt.datetime = attrs.field(
        metadata=doc("When, as a date-time with its offset (UTC)."),
    )


@attrs.frozen
class CheckRecord:
    """The verdict of the last check of a version, and what it was checked with."""

    verdict: str = attrs.field(
        metadata=doc("The verdict of the check: pass, warn, fail or not-validated."),
    )
    at: dt.datetime = attrs.field(
        metadata=doc("When the check ran, as a date-time with its offset (UTC)."),
    )
    mesoreg_version: str = attrs.field(
        metadata=doc("The mesoreg version that ran the check."),
    )
    packs: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("The packs (name and version) the check used."),
    )
    region: str = attrs.field(
        default="",
        metadata=doc("The region code checked against; empty for none."),
    )
    findings: tuple[str, ...] = attrs.field(
        default=(),
        metadata=doc("The finding codes of the check."),
    )


@attrs.frozen
class Entry:
    """One published version of a formulation."""

    version: int = attrs.field(
        metadata=doc("The version number (1, 2, ...)."),
    )
    file: str = attrs.field(
        metadata=doc("The version's file name in the formulation's folder, e.g. 'v1.toml'."),
    )
    sha256: str = attrs.field(
        metadata=doc("SHA-256 of the version file's bytes, in hex; verify compares it."),
    )
    author: str = attrs.field(
        metadata=doc("Who published the version."),
    )
    published: dt.datetime = attrs.field(
        metadata=doc("When the version was published, as a date-time with its offset (UTC)."),
    )
    status: Status = attrs.field(
        default=Status.DRAFT,
        metadata=doc("The version's status: draft, approved or retired."),
    )
    supersedes: int | None = attrs.field(
        default=None,
        metadata=doc("The version this one replaces, if any."),
    )
    events: tuple[Event, ...] = attrs.field(
        default=(),
        metadata=doc("Every status change, in order: what, who, when."),
    )
    last_check: CheckRecord | None = attrs.field(
        default=None,
        metadata=doc("The result of the last check of this version."),
    )


@attrs.frozen
class Ledger:
    """Every version of one formulation, in order."""

    schema_version: int = attrs.field(
        metadata=doc("Version of the ledger file format; this mesoreg writes 1."),
    )
    id: str = attrs.field(
        metadata=doc("The formulation id; it must match the ledger's folder."),
    )
    versions: tuple[Entry, ...] = attrs.field(
        default=(),
        metadata=doc("Every published version of the formulation, in order."),
    )

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
