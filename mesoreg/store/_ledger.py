"""The per-formulation ledger: ``<store>/<id>/index.toml``.

The ledger records, for each published version, its file's sha256, who
published it and when, its status (draft, approved, retired) with every
transition, the version it supersedes, and the last recorded check.  Version
files never change; the ledger is the only file that does, and it is replaced
atomically.
"""

from __future__ import annotations

import datetime as dt
import re

import attrs
import tomli_w

from mesoreg._errors import InputError, Problem
from mesoreg.documents._convert import structure, unstructure
from mesoreg.documents._dump import _clean
from mesoreg.documents._field import doc
from mesoreg.documents._load import parse_toml
from mesoreg.documents._model import Status

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


def dump_appended(ledger: Ledger, entry: Entry) -> str:
    """The text that, appended to ``dump_ledger(ledger)``, makes the dump of ``ledger`` plus
    ``entry`` as its last version: a publish writes only the new entry's text, so its cost
    does not grow with the ledger's history (tests/test_ledger.py proves the equality)."""
    bare = attrs.evolve(ledger, versions=())
    return dump_ledger(attrs.evolve(bare, versions=(entry,)))[len(dump_ledger(bare)) :]


def parse_appended(text: str, ledger: Ledger, path: str) -> Entry:
    """The one entry in ``text``, the :func:`dump_appended` text of a ledger like ``ledger``.

    Only the appended text is parsed; :class:`~mesoreg.InputError` if it is not
    exactly one version entry.
    """
    bare = dump_ledger(attrs.evolve(ledger, versions=()))
    parsed = structure(parse_toml(bare + text, path), Ledger, path=path)
    if len(parsed.versions) != 1 or attrs.evolve(parsed, versions=()) != attrs.evolve(
        ledger, versions=()
    ):
        raise InputError(
            [Problem("versions", "the appended text is not exactly one version entry")], path=path
        )
    return parsed.versions[0]


def parse_ledger(text: str, path: str, formulation_id: str | None = None) -> Ledger:
    """Read a ledger; :class:`~mesoreg.InputError` lists every problem of a damaged one.

    With ``formulation_id`` (the ledger's folder) the ledger must also describe
    that formulation (see :func:`ledger_problems`).
    """
    data = parse_toml(text, path)
    version = data.get("schema_version")
    if version != LEDGER_SCHEMA_VERSION or isinstance(version, bool):
        raise InputError(
            [
                Problem(
                    "schema_version",
                    f"ledger schema version {version!r} is not supported "
                    f"(supported: {LEDGER_SCHEMA_VERSION})",
                    "Use the mesoreg version that wrote this store, or restore it from git.",
                )
            ],
            path=path,
        )
    # no float and no model with number rules in a ledger: problems_in has nothing to find
    # (tests/test_ledger.py proves it of every type a ledger holds); ledger_problems checks it
    ledger = structure(data, Ledger, path=path, validate=False)
    problems = ledger_problems(ledger, ledger.id if formulation_id is None else formulation_id)
    if problems:
        raise InputError(problems, path=path)
    return ledger


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second (TOML keeps the offset)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


_SHA256 = re.compile(r"^[0-9a-f]{64}$")
#: the longest name (an author, who approved) and the longest event action
MAX_NAME = 200
MAX_ACTION = 600
#: an approval's action: plain, or with the check it overrode and why
APPROVED = "approved"
OVERRIDE = "approved overriding check "
#: a compounding record's action: ``compounded records/v<N>-<K>.toml sha256 <hex>``; the
#: record is hashed here as versions are, in an event so that ledger-1 holds it unchanged
COMPOUNDED = "compounded "
_COMPOUNDED = re.compile(
    r"^compounded (records/v([1-9][0-9]{0,8})-([1-9][0-9]{0,8})\.toml) sha256 ([0-9a-f]{64})$"
)


@attrs.frozen
class RecordRef:
    """A compounding record as its version's ledger entry records it."""

    file: str
    sha256: str
    version: int
    number: int
    by: str
    at: dt.datetime


def record_refs(entry: Entry) -> list[RecordRef]:
    """The compounding records an entry's ``compounded`` events name, in order."""
    found = []
    for event in entry.events:
        match = _COMPOUNDED.match(event.action)
        if match:
            found.append(
                RecordRef(match[1], match[4], int(match[2]), int(match[3]), event.by, event.at)
            )
    return found


def compounded_action(file: str, digest: str) -> str:
    """The action of the event that records a compounding record's file and sha256."""
    return f"{COMPOUNDED}{file} sha256 {digest}"


def name_problem(value: object, limit: int = MAX_NAME) -> str | None:
    """Why ``value`` cannot be a name or an action in a ledger (None when it can).

    One printable line of 1 to ``limit`` characters with no surrounding spaces:
    a newline or a control character in a name would forge lines in
    ``history`` and ``show``.
    """
    if not isinstance(value, str):
        return f"must be text (got {value!r})"
    if not value or value != value.strip() or len(value) > limit:
        return f"must be 1 to {limit} characters with no surrounding spaces (got {value!r})"
    if not value.isprintable():
        return f"must be one line of printable text (got {value!r})"
    return None


def status_from_events(events: tuple[Event, ...]) -> tuple[Status, list[tuple[str, str]]]:
    """The status a version's events lead to, and (key, why) for each event that cannot be.

    The first event is ``published`` or ``recovered``; then an approval (``approved``,
    or ``approved overriding check ...``) only from draft, ``retired`` from draft or
    approved, ``compounded ...`` (a compounding record) while not retired; it leaves the
    status as it is.  A status with no event behind it (an edit of the ledger) is damage.
    """
    status = Status.DRAFT
    problems: list[tuple[str, str]] = []
    for i, event in enumerate(events):
        key, action = f"events[{i}].action", event.action
        if action in ("published", "recovered"):
            if i:
                problems.append((key, f"'{action}' can only be the first event"))
        elif not i:
            problems.append((key, f"must be 'published' or 'recovered' (got {action!r})"))
        elif action == APPROVED or action.startswith(OVERRIDE):
            if status is not Status.DRAFT:
                problems.append((key, f"a {status.value} version cannot be approved"))
            status = Status.APPROVED
        elif action.startswith(COMPOUNDED):
            if not _COMPOUNDED.match(action):
                problems.append(
                    (key, f"not 'compounded records/vN-K.toml sha256 HEX' ({action!r})")
                )
            elif status is Status.RETIRED:
                problems.append((key, "a retired version cannot be compounded"))
        elif action == "retired":
            if status is Status.RETIRED:
                problems.append((key, "the version was already retired"))
            status = Status.RETIRED
        else:
            problems.append((key, f"unknown action {action!r}"))
    return status, problems


def ledger_problems(ledger: Ledger, formulation_id: str) -> list[Problem]:
    """Everything that makes ``ledger`` unusable as the ledger of folder ``formulation_id``.

    The id names the folder; each version is a positive whole number listed
    once (a merge that kept two publishes of one version is caught here); its
    ``file`` is exactly ``v<version>.toml``, so nothing outside the folder can be
    named; its sha256 is a hex digest; what it supersedes is in the ledger.
    """
    problems: list[Problem] = []
    if ledger.id != formulation_id:
        problems.append(
            Problem(
                "id",
                f"{ledger.id!r} does not match its folder {formulation_id!r}",
                "A ledger describes the formulation of its own folder; restore it from git.",
            )
        )
    numbers = {e.version for e in ledger.versions}
    first: dict[int, int] = {}
    for i, entry in enumerate(ledger.versions):
        where = f"versions[{i}]"
        number = entry.version
        if type(number) is not int or number < 1:
            problems.append(
                Problem(f"{where}.version", f"must be a positive whole number (got {number!r})")
            )
            continue
        if number in first:
            problems.append(
                Problem(
                    f"{where}.version",
                    f"version {number} is listed twice (also versions[{first[number]}])",
                    "Two publishes of one version were merged: keep the entry whose sha256 "
                    "matches the file, and publish the other formulation again.",
                )
            )
        first.setdefault(number, i)
        if entry.file != f"v{number}.toml":
            problems.append(
                Problem(
                    f"{where}.file",
                    f"must be 'v{number}.toml' (got {entry.file!r})",
                    "A version's file is always vN.toml in its formulation's folder.",
                )
            )
        if not isinstance(entry.sha256, str) or not _SHA256.match(entry.sha256):
            problems.append(
                Problem(f"{where}.sha256", f"must be 64 hex digits (got {entry.sha256!r})")
            )
        if entry.supersedes is not None and (
            entry.supersedes not in numbers or entry.supersedes == number
        ):
            problems.append(
                Problem(
                    f"{where}.supersedes",
                    f"version {entry.supersedes!r} is not another version in this ledger",
                )
            )
        problems += _entry_problems(entry, where)
    return problems


def _entry_problems(entry: Entry, where: str) -> list[Problem]:
    """Names that would forge output, and a status that its events do not lead to."""
    problems: list[Problem] = []
    fix = "Restore the ledger from git; mesoreg records every change as an event."
    bad = name_problem(entry.author)
    if bad:
        problems.append(Problem(f"{where}.author", bad, fix))
    for j, event in enumerate(entry.events):
        for field, value, limit in (
            ("by", event.by, MAX_NAME),
            ("action", event.action, MAX_ACTION),
        ):
            bad = name_problem(value, limit)
            if bad:
                problems.append(Problem(f"{where}.events[{j}].{field}", bad, fix))
    if any(p.key_path.startswith(f"{where}.events") for p in problems):
        return problems
    for k, ref in enumerate(record_refs(entry), start=1):
        if (ref.version, ref.number) != (entry.version, k):
            problems.append(
                Problem(
                    f"{where}.events",
                    f"compounding record {ref.file} is not 'records/v{entry.version}-{k}.toml': "
                    f"a version's records are numbered 1, 2, ... in order",
                    fix,
                )
            )
    status, wrong = status_from_events(entry.events)
    problems += [Problem(f"{where}.{key}", why, fix) for key, why in wrong]
    if not wrong and status is not entry.status:
        problems.append(
            Problem(
                f"{where}.status",
                f"is {entry.status.value!r}, but its events make it {status.value!r} (a status "
                "changed by hand, without its event)",
                fix,
            )
        )
    return problems
