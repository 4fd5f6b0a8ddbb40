"""Ledgers: every problem that makes one untrustworthy is reported, all at once."""

from __future__ import annotations

import pytest

import mesoreg
from mesoreg.store._ledger import parse_ledger

SHA = "0" * 64
HEAD = 'schema_version = 1\nid = "demo"\n'


def version(number: str, file: str = "", sha: str = SHA, extra: str = "") -> str:
    file = file or f"v{number}.toml"
    return (
        f'[[versions]]\nversion = {number}\nfile = "{file}"\nsha256 = "{sha}"\n'
        f'author = "a"\npublished = 2026-11-22 00:00:00Z\n{extra}'
    )


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            HEAD.replace("demo", "other") + version("1"),
            [
                "id: 'other' does not match its folder 'demo'. A ledger describes the formulation "
                "of its own folder; restore it from git."
            ],
        ),
        (
            HEAD + version("1") + version("1"),
            [
                "versions[1].version: version 1 is listed twice (also versions[0]). Two publishes "
                "of one version were merged: keep the entry whose sha256 matches the file, and "
                "publish the other formulation again."
            ],
        ),
        (
            HEAD + version("1", file="../other/v1.toml"),
            [
                "versions[0].file: must be 'v1.toml' (got '../other/v1.toml'). A version's file is "
                "always vN.toml in its formulation's folder."
            ],
        ),
        (
            HEAD + version("-3"),
            ["versions[0].version: must be a positive whole number (got -3)"],
        ),
        (
            HEAD + version("1", sha="abc") + version("2", extra="supersedes = 7\n"),
            [
                "versions[0].sha256: must be 64 hex digits (got 'abc')",
                "versions[1].supersedes: version 7 is not another version in this ledger",
            ],
        ),
        (
            HEAD.replace("= 1", "= 2") + version("1"),
            [
                "schema_version: ledger schema version 2 is not supported (supported: 1). Use the "
                "mesoreg version that wrote this store, or restore it from git."
            ],
        ),
    ],
    ids=["id", "duplicate", "file", "negative", "sha-and-supersedes", "schema"],
)
def test_damaged_ledgers_are_refused_with_every_problem(text, problems):
    with pytest.raises(mesoreg.InputError) as info:
        parse_ledger(text, "demo/index.toml", "demo")
    assert [str(p) for p in info.value.problems] == [f"demo/index.toml: {p}" for p in problems]


def test_a_good_ledger_parses():
    ledger = parse_ledger(HEAD + version("1") + version("2", extra="supersedes = 1\n"), "x", "demo")
    assert [e.version for e in ledger.versions] == [1, 2]
    assert ledger.latest == 2


EVENT = "{{ action = {action!r}, by = {by!r}, at = 2026-11-22 00:00:00Z }}"


def events(status: str, *actions: str, by: str = "a") -> str:
    listed = ", ".join(EVENT.format(action=a, by=by).replace("'", '"') for a in actions)
    return f'status = "{status}"\nevents = [{listed}]\n'


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (events("approved", "published"), "versions[0].status: is 'approved', but its events "
         "make it 'draft' (a status changed by hand, without its event)"),
        (events("retired", "published", "approved"), "versions[0].status: is 'retired', but "
         "its events make it 'approved' (a status changed by hand, without its event)"),
        (events("draft", "published", "approved"), "versions[0].status: is 'draft', but its "
         "events make it 'approved' (a status changed by hand, without its event)"),
        (events("approved", "published", "retired", "approved"),
         "versions[0].events[2].action: a retired version cannot be approved"),
        (events("approved", "approved"),
         "versions[0].events[0].action: must be 'published' or 'recovered' (got 'approved')"),
        (events("draft", "published", "recovered"),
         "versions[0].events[1].action: 'recovered' can only be the first event"),
        (events("draft", "published", "vetted"), "versions[0].events[1].action: unknown "
         "action 'vetted'"),
        (events("draft", "published", by="x\nv9  approved"), "versions[0].events[0].by: must "
         "be one line of printable text (got 'x\\nv9  approved')"),
    ],
    ids=["approved", "retired", "revoked", "after-retired", "first", "recovered-later",
         "unknown", "by-newline"],
)  # fmt: skip
def test_a_status_is_what_its_events_make_it(extra, problem):
    with pytest.raises(mesoreg.InputError) as info:
        parse_ledger(HEAD + version("1", extra=extra), "x", "demo")
    assert str(info.value.problems[0]).startswith(f"x: {problem}")
    assert str(info.value.problems[0]).endswith(
        "Restore the ledger from git; mesoreg records every change as an event."
    )


def test_every_status_reached_through_its_events_parses():
    for extra in (
        events("draft", "published"),
        events("draft", "recovered"),
        events("approved", "published", "approved"),
        events("approved", "recovered", "approved overriding check none: reviewed"),
        events("retired", "published", "approved", "retired"),
        events("retired", "published", "retired"),
        "",  # no events at all: a draft
    ):
        parse_ledger(HEAD + version("1", extra=extra), "x", "demo")


# -- appending one entry (publish) ------------------------------------------------------------


def _entries(n: int):  # type: ignore[no-untyped-def]
    import datetime as dt

    from mesoreg.store._ledger import CheckRecord, Entry, Event

    at = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
    check = CheckRecord("warn", at, "0.1.0", ("mesoreg-core 0.1.0",), "FR", ("MR-A", "MR-B"))
    return [
        Entry(
            i,
            f"v{i}.toml",
            f"{i:064x}",
            f"author {i}",
            at,
            supersedes=i - 1 or None,
            events=(Event("published", f"author {i}", at),),
            last_check=check if i % 2 else None,
        )
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize("before", [0, 1, 2, 5])
def test_appending_an_entry_gives_the_ledgers_canonical_text(before):
    from mesoreg.store._ledger import Ledger, dump_appended, dump_ledger, parse_appended

    *old, new = _entries(before + 1)
    ledger = Ledger(1, "demo", tuple(old))
    text = dump_ledger(ledger) + dump_appended(ledger, new)
    grown = Ledger(1, "demo", (*old, new))
    assert text == dump_ledger(grown)  # byte for byte what a full rewrite writes
    assert parse_ledger(text, "index.toml", "demo") == grown
    assert parse_appended(dump_appended(ledger, new), ledger, "index.toml") == new


def test_appended_text_that_is_not_one_entry_is_refused():
    from mesoreg.store._ledger import Ledger, dump_appended, parse_appended

    one, two = _entries(2)
    ledger = Ledger(1, "demo", (one,))
    twice = dump_appended(ledger, two) * 2
    with pytest.raises(mesoreg.InputError, match="not exactly one version entry"):
        parse_appended(twice.replace("version = 2", "version = 3", 1), ledger, "index.toml")


SHA = "0" * 64


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (events("retired", "published", "retired", f"compounded records/v1-1.toml sha256 {SHA}"),
         "versions[0].events[2].action: a retired version cannot be compounded"),
        (events("draft", "published", "compounded records/v1-1.toml sha256 12"),
         "versions[0].events[1].action: not 'compounded records/vN-K.toml sha256 HEX'"),
        (events("draft", "published", f"compounded records/v1-2.toml sha256 {SHA}"),
         "versions[0].events: compounding record records/v1-2.toml is not "
         "'records/v1-1.toml'"),
        (events("draft", "published", f"compounded records/v2-1.toml sha256 {SHA}"),
         "versions[0].events: compounding record records/v2-1.toml is not "
         "'records/v1-1.toml'"),
    ],
    ids=["after-retired", "bad-hash", "gap", "other-version"],
)  # fmt: skip
def test_compounded_events_are_checked(extra, problem):
    with pytest.raises(mesoreg.InputError) as info:
        parse_ledger(HEAD + version("1", extra=extra), "x", "demo")
    assert str(info.value.problems[0]).startswith(f"x: {problem}")


def test_compounded_events_leave_the_status_and_name_their_records():
    from mesoreg.store._ledger import record_refs

    extra = events(
        "approved",
        "published",
        f"compounded records/v1-1.toml sha256 {SHA}",
        "approved",
        f"compounded records/v1-2.toml sha256 {'a' * 64}",
    )
    ledger = parse_ledger(HEAD + version("1", extra=extra), "x", "demo")
    refs = record_refs(ledger.versions[0])
    assert [(r.file, r.sha256, r.number) for r in refs] == [
        ("records/v1-1.toml", SHA, 1),
        ("records/v1-2.toml", "a" * 64, 2),
    ]


def _types_within(kind, seen):  # type: ignore[no-untyped-def]
    """Every type a value of ``kind`` may hold, at any depth."""
    import typing

    import attrs as _attrs

    if kind in seen:
        return
    seen.add(kind)
    args = typing.get_args(kind)
    if args:
        for arg in args:
            if arg is not Ellipsis:
                _types_within(arg, seen)
        return
    if isinstance(kind, type) and _attrs.has(kind):
        for hint in typing.get_type_hints(kind).values():
            _types_within(hint, seen)


def test_a_ledger_holds_nothing_the_number_rules_could_refuse():
    """parse_ledger leaves out problems_in: no float, quantity or ruled model in a ledger."""
    from mesoreg.documents import _validate
    from mesoreg.documents._quantity import Quantity
    from mesoreg.store._ledger import CheckRecord, Event, Ledger

    seen: set[object] = set()
    _types_within(Ledger, seen)
    assert {Ledger, Event, CheckRecord} <= seen  # the walk reached the nested models
    assert float not in seen and Quantity not in seen
    assert not seen & set(_validate._RULES)
