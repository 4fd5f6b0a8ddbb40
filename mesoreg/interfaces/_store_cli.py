"""The store's commands: new, publish, history, show, diff, approve, retire, verify, recheck."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from mesoreg._errors import InputError, Problem
from mesoreg._exit import ExitCode

COMMANDS = ("new", "publish", "history", "show", "diff", "approve", "retire", "verify", "recheck")


def add_commands(sub: Any, add: Any, with_format: Any) -> None:
    """Add the store's subcommands to the CLI parser.

    ``add(sub, name)`` makes a subcommand's parser with its help and the global
    options; ``with_format(parser, *choices)`` adds its ``--format``.
    """

    def command(name: str, *formats: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = add(sub, name)
        parser.add_argument(
            "--store",
            metavar="DIR",
            help="the store (default: MESOREG_STORE, configuration, or ./formulations)",
        )
        with_format(parser, *(formats or ("text", "json")))
        return parser

    new = command("new")
    new.add_argument("id", metavar="ID", help="the new formulation's id, e.g. lipo-flank")
    new.add_argument("--from", dest="source", metavar="ID@N", help="start from a stored version")
    new.add_argument("-o", "--output", metavar="FILE", help="the draft's file (default: ./ID.toml)")

    publish = command("publish")
    publish.add_argument("file", metavar="FILE", help="the formulation file to publish")
    publish.add_argument(
        "--author", help="default: $MESOREG_USER, the configuration's author, or the login name"
    )
    publish.add_argument(
        "--supersedes", type=int, metavar="N", help="the version this one replaces"
    )

    history = command("history")
    history.add_argument("id", metavar="ID", help="the formulation's id")

    show = command("show", "text", "toml", "json")
    show.add_argument("ref", metavar="ID[@N]", help="a formulation and version (default: latest)")

    diff = command("diff")
    diff.add_argument("old", metavar="ID@A", help="the older version")
    diff.add_argument("new", metavar="ID@B", help="the newer version")

    for name in ("approve", "retire"):
        status = command(name)
        status.add_argument("ref", metavar="ID@N", help="the version to " + name)
        status.add_argument(
            "--by", help="default: $MESOREG_USER, the configuration's author, or the login name"
        )
        if name == "approve":
            status.add_argument(
                "--override-reason",
                metavar="TEXT",
                help="approve although the recorded check did not pass (recorded with --by)",
            )

    command("verify")

    recheck = command("recheck")
    recheck.add_argument("--region", metavar="CC", help="ISO 3166 code (default: configuration)")
    recheck.add_argument(
        "--record", action="store_true", help="write the new checks into the ledgers"
    )


def open_store(given: str | None, console: Any, *, create: bool = False) -> Any:
    """The store at ``given`` (or ./formulations); a missing one is an error unless ``create``.

    Only ``publish`` creates a store (``create=True``), and it says so: a typo in
    ``--store`` never silently starts a second store.
    """
    from mesoreg.store._publish import DEFAULT_STORE
    from mesoreg.store._store import Store

    store = Store(given or DEFAULT_STORE)
    console.info(f"store: {store.root}")
    if store.root.is_dir():
        return store
    if not create:
        where = "" if given else " (the default)"
        raise InputError(
            [
                Problem(
                    "",
                    f"no store at {store.root}{where}",
                    "Check --store, MESOREG_STORE or 'store' in mesoreg.toml; "
                    "'mesoreg publish' creates a store with its first version.",
                )
            ]
        )
    console.note(f"{store.root} does not exist: creating a new store there")
    return store


def given_options(args: argparse.Namespace) -> str:
    """The store and plugin options given on this command line, for a hint to repeat."""
    import shlex

    words: list[str] = []
    if getattr(args, "store", None):
        words += ["--store", args.store]
    if getattr(args, "no_plugins", None):
        words.append("--no-plugins")
    for dest, flag in (
        ("pack", "--pack"),
        ("allow", "--allow"),
        ("deny", "--deny"),
        ("require", "--require"),
        ("allow_weakening", "--allow-weakening"),
    ):
        for value in getattr(args, dest, None) or ():
            words += [flag, value]
    if getattr(args, "plugin_timeout", None) is not None:
        words += ["--plugin-timeout", str(args.plugin_timeout)]
    return "".join(f" {shlex.quote(w)}" for w in words)


def _iso(value: Any) -> Any:
    """Dates and times as ISO 8601 in JSON."""
    import datetime as dt

    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _entry_dict(entry: Any) -> dict[str, Any]:
    from mesoreg.documents._convert import unstructure

    data: dict[str, Any] = json.loads(json.dumps(unstructure(entry), default=_iso))
    return data


def run(args: argparse.Namespace, registry_factory: Any, settings: Any, console: Any) -> int:
    """Run one store command; returns the exit code.

    Operating-system errors (a full disk, a folder that cannot be written) end
    as one-line :class:`~mesoreg.StoreError` messages, never tracebacks.  A
    closed output pipe is not one: it reaches the CLI, which exits 141 like
    every other command (:data:`~mesoreg._exit.ExitCode.BROKEN_PIPE`).
    """
    from mesoreg.store._store_io import StoreError, why

    try:
        return _run(args, registry_factory, settings, console)
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise StoreError(f"{where}{why(exc)}") from exc


def _who(given: str | None, settings: Any) -> str | None:
    """``--author``/``--by``, else $MESOREG_USER, else the configuration's author (else the
    login name, chosen by :func:`mesoreg.store._publish.who`)."""
    if given or os.environ.get("MESOREG_USER"):
        return given
    author: str | None = settings.author
    return author


def _print(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    from mesoreg.checks._render import printable

    if args.format == "json":
        print(json.dumps(data, indent=2, ensure_ascii=False, default=_iso))
    else:
        print(printable(text))


def _run(args: argparse.Namespace, registry_factory: Any, settings: Any, console: Any) -> int:
    from mesoreg.documents._model import Status
    from mesoreg.store import _publish

    command = args.command
    given = args.store or settings.store
    if command == "new":
        store = open_store(given, console) if args.source else None
        target = Path(args.output or f"{args.id}.toml")
        if target.exists():
            raise InputError(
                [Problem("", f"{target} exists; not overwritten", "Choose another file with -o.")]
            )
        from mesoreg.store._store import Store

        source = store or Store(given or _publish.DEFAULT_STORE)  # only read with --from
        draft = _publish.new_draft(args.id, source, args.source)
        target.write_text(draft, encoding="utf-8")
        step = f"mesoreg publish {target}{given_options(args)}"
        _print(
            args,
            {"id": args.id, "file": str(target), "from": args.source, "next": step},
            f"wrote {target}",
        )
        if args.format != "json":
            console.hint(f"edit it, then: {step}")
        return ExitCode.OK
    if command == "publish":
        from mesoreg.documents._load import load_formulation

        formulation = load_formulation(args.file)
        store = open_store(given, console, create=True)
        before = store.ledger(formulation.id).latest if store.root.is_dir() else 0
        entry = _publish.publish(
            formulation,
            store,
            author=_who(args.author, settings),
            supersedes=args.supersedes,
            registry=registry_factory(),
        )
        verdict = entry.last_check.verdict if entry.last_check else None
        skipped_files = []
        for skipped in range(before + 1, entry.version):
            path = store.version_path(formulation.id, skipped)
            if os.path.lexists(path):  # a foreign file: publish never records one
                skipped_files.append(str(path))
                console.warning(
                    f"v{skipped} skipped: {path} is not in the ledger; "
                    "'mesoreg verify' reports it until it is moved out of the store"
                )
        data = {
            "id": formulation.id,
            "version": entry.version,
            "sha256": entry.sha256,
            "store": str(store.root),
            "status": entry.status.value,
            "check": verdict,
            "author": entry.author,
            "published": entry.published,
            "skipped": skipped_files,
        }
        _print(
            args,
            data,
            f"published {formulation.id}@{entry.version} ({entry.sha256[:12]}) in "
            f"{store.root}, status draft, check: {verdict or 'not checked'}",
        )
        if args.format != "json":
            options = given_options(args)
            console.hint(f"approve it: mesoreg approve {formulation.id}@{entry.version}{options}")
        return ExitCode.OK
    store = open_store(given, console)
    if command in ("approve", "retire"):
        status = Status.APPROVED if command == "approve" else Status.RETIRED
        entry = _publish.set_status(
            store,
            args.ref,
            status,
            _who(args.by, settings),
            override_reason=getattr(args, "override_reason", None),
            registry=registry_factory() if status is Status.APPROVED else None,
        )
        name = args.ref.split("@")[0]
        last = entry.events[-1] if entry.events else None
        data = {
            "id": name,
            "version": entry.version,
            "status": entry.status.value,
            "by": last.by if last else None,
            "at": last.at if last else None,
            "action": last.action if last else None,
            "check": entry.last_check.verdict if entry.last_check else None,
        }
        _print(args, data, f"{name}@{entry.version} is {entry.status.value}")
        return ExitCode.OK
    if command == "history":
        return _history(store, args)
    if command == "show":
        return _show(store, args)
    if command == "diff":
        return _diff(store, args, registry_factory)
    if command == "verify":
        return _verify(store, args)
    return _recheck(store, args, registry_factory, settings)


def _verify(store: Any, args: argparse.Namespace) -> int:
    from mesoreg.checks._render import plural, printable

    problems, notes = store.verify()
    from mesoreg.store._verify import counted

    ids, count = counted(store) if not problems else ([], 0)
    code = ExitCode.INPUT if problems else ExitCode.OK
    if args.format == "json":
        data = {
            "store": str(store.root),
            "ok": not problems,
            "formulations": len(ids),
            "versions": count,
            "problems": [str(p) for p in problems],
            "notes": list(notes),
            "exit_code": int(code),
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return code
    for note in notes:
        print(f"note: {printable(note)}")
    for problem in problems:
        print(f"error: {printable(str(problem))}", file=sys.stderr)
    if not problems:
        what = f"{plural(len(ids), 'formulation')}, {plural(count, 'version')}"
        print(f"ok: {store.root}: {what} verified")
    return code


def _history(store: Any, args: argparse.Namespace) -> int:
    from mesoreg.checks._render import printable

    ledger = store.ledger(args.id)
    if not ledger.versions:
        raise InputError([Problem("", f"'{args.id}' has no published version in {store.root}")])
    if args.format == "json":
        print(json.dumps([_entry_dict(e) for e in ledger.versions], indent=2))
        return ExitCode.OK
    for entry in ledger.versions:
        check = entry.last_check.verdict if entry.last_check else "-"
        after = f", supersedes v{entry.supersedes}" if entry.supersedes else ""
        # names are one line when recorded; escaped again here, whatever the ledger holds
        print(
            printable(
                f"v{entry.version}  {entry.status.value:<9} {entry.published:%Y-%m-%d %H:%M}Z  "
                f"{entry.author}  sha256 {entry.sha256[:12]}  check {check}{after}"
            )
        )
        for i, event in enumerate(entry.events):
            if i or event.action != "published":  # the first is the line above
                note = " (from the file itself, unverified)" if event.action == "recovered" else ""
                print(
                    printable(
                        f"    {event.action} by {event.by} at {event.at:%Y-%m-%d %H:%M}Z{note}"
                    )
                )
    return ExitCode.OK


def _show(store: Any, args: argparse.Namespace) -> int:
    from mesoreg.checks._render import printable
    from mesoreg.store._store import parse_ref

    formulation_id, version = parse_ref(args.ref)
    formulation, entry = store.read(formulation_id, version)
    data, _ = store.read_file(formulation_id, entry.version)  # verified, like read()
    text = data.decode("utf-8")
    if args.format == "toml":
        print(printable(text, newlines=True), end="")
    elif args.format == "json":
        from mesoreg.documents._convert import unstructure

        data = {"formulation": unstructure(formulation), "ledger": _entry_dict(entry)}
        print(json.dumps(data, indent=2, default=str))
    else:
        print(printable(f"{formulation.id}@{entry.version}: {formulation.title}"))
        print(
            printable(
                f"status {entry.status.value}, published by {entry.author} "
                f"{entry.published:%Y-%m-%d %H:%M}Z, sha256 {entry.sha256}"
            )
        )
        print()
        print(printable(text, newlines=True), end="")
    return ExitCode.OK


def _diff(store: Any, args: argparse.Namespace, registry_factory: Any) -> int:
    from mesoreg.store._diff import diff_formulations
    from mesoreg.store._store import parse_ref

    refs = [parse_ref(args.old), parse_ref(args.new)]
    (old, _), (new, _) = (store.read(i, v) for i, v in refs)
    from mesoreg.checks._render import printable

    lines = diff_formulations(old, new, registry_factory().catalog)
    if args.format == "json":
        data = {"old": args.old, "new": args.new, "differences": list(lines)}
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return ExitCode.OK
    print(f"{args.old} → {args.new}")
    for line in lines or ["no clinical difference"]:
        print(f"  {printable(line)}")
    return ExitCode.OK


def _recheck(store: Any, args: argparse.Namespace, registry_factory: Any, settings: Any) -> int:
    from mesoreg.checks._render import plural, printable
    from mesoreg.checks._report import Verdict
    from mesoreg.store._recheck import recheck, record

    def progress(done: int, total: int) -> None:
        print(f"\rrechecked {done}/{total}", end="", file=sys.stderr, flush=True)

    results = recheck(
        store,
        registry_factory(),
        region=args.region or settings.region,
        progress=progress if sys.stderr.isatty() and not getattr(args, "quiet", False) else None,
    )
    if sys.stderr.isatty() and results and not getattr(args, "quiet", False):
        print(file=sys.stderr)
    if args.record:
        record(store, results)
    changed = [r for r in results if r.changed]
    if args.format == "json":
        rows = [
            {
                "id": r.id,
                "version": r.version,
                "changed": r.changed,
                "before": r.before.verdict if r.before else None,
                "after": r.after.verdict,
                "reasons": list(r.reasons),
            }
            for r in results
        ]
        print(
            json.dumps(
                {"rechecked": len(results), "changed": len(changed), "results": rows}, indent=2
            )
        )
    else:
        print(
            f"rechecked {plural(len(results), 'approved version')}; {len(changed)} changed "
            "(verdict or findings)"
        )
        for r in changed:
            before = r.before.verdict if r.before else "none"
            print(f"  {r.id}@{r.version}: {before} → {r.after.verdict}")
            for reason in r.reasons:
                print(f"    {printable(reason)}")
    if changed:
        return ExitCode.FINDINGS
    # an approved version that can no longer be fully checked is not a pass either
    unvalidated = any(r.after.verdict == Verdict.NOT_VALIDATED.value for r in results)
    return ExitCode.NOT_VALIDATED if unvalidated else ExitCode.OK
