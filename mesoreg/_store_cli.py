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


def add_commands(sub: Any) -> None:
    """Add the store's subcommands to the CLI parser."""

    def with_store(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
        parser.add_argument(
            "--store",
            metavar="DIR",
            help="the store (default: MESOREG_STORE, configuration, or ./formulations)",
        )
        return parser

    new = with_store(sub.add_parser("new", help="write a draft from a template or a version"))
    new.add_argument("id", metavar="ID")
    new.add_argument("--from", dest="source", metavar="ID@N")
    new.add_argument("-o", "--output", metavar="FILE", help="default: ./ID.toml")

    publish = with_store(sub.add_parser("publish", help="validate and store the next version"))
    publish.add_argument("file", metavar="FILE")
    publish.add_argument("--author", help="default: $MESOREG_USER or the login name")
    publish.add_argument("--supersedes", type=int, metavar="N")

    history = with_store(sub.add_parser("history", help="every version of a formulation"))
    history.add_argument("id", metavar="ID")
    history.add_argument("--format", default="text", choices=["text", "json"])

    show = with_store(sub.add_parser("show", help="a version and its ledger entry"))
    show.add_argument("ref", metavar="ID[@N]")
    show.add_argument("--format", default="text", choices=["text", "toml", "json"])

    diff = with_store(sub.add_parser("diff", help="clinical differences between two versions"))
    diff.add_argument("old", metavar="ID@A")
    diff.add_argument("new", metavar="ID@B")

    for name in ("approve", "retire"):
        status = with_store(sub.add_parser(name, help=f"{name} a version (in the ledger)"))
        status.add_argument("ref", metavar="ID@N")
        status.add_argument("--by", help="default: $MESOREG_USER or the login name")
        if name == "approve":
            status.add_argument(
                "--override-reason",
                metavar="TEXT",
                help="approve although the recorded check did not pass (recorded with --by)",
            )

    with_store(sub.add_parser("verify", help="every file matches its ledger; exit 2 if not"))

    recheck = with_store(sub.add_parser("recheck", help="re-check every approved version"))
    recheck.add_argument("--region", metavar="CC")
    recheck.add_argument("--format", default="text", choices=["text", "json"])
    recheck.add_argument(
        "--record", action="store_true", help="write the new checks into the ledgers"
    )


def _store(args: argparse.Namespace, store_setting: str | None) -> Any:
    from mesoreg._publish import DEFAULT_STORE
    from mesoreg._store import Store

    return Store(args.store or store_setting or DEFAULT_STORE)


def _entry_dict(entry: Any) -> dict[str, Any]:
    from mesoreg._convert import unstructure

    data: dict[str, Any] = json.loads(json.dumps(unstructure(entry), default=str))
    return data


def run(args: argparse.Namespace, registry_factory: Any, store_setting: str | None) -> int:
    """Run one store command; returns the exit code.

    Operating-system errors (a full disk, a folder that cannot be written) end
    as one-line :class:`~mesoreg.StoreError` messages, never tracebacks.  A
    closed output pipe is not one: it reaches the CLI, which exits 141 like
    every other command (:data:`~mesoreg._exit.ExitCode.BROKEN_PIPE`).
    """
    from mesoreg._store_io import StoreError, why

    try:
        return _run(args, registry_factory, store_setting)
    except BrokenPipeError:
        raise
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise StoreError(f"{where}{why(exc)}") from exc


def _run(args: argparse.Namespace, registry_factory: Any, store_setting: str | None) -> int:
    from mesoreg import _publish
    from mesoreg._model import Status
    from mesoreg._render import printable

    store = _store(args, store_setting)
    command = args.command
    if command == "new":
        target = Path(args.output or f"{args.id}.toml")
        if target.exists():
            raise InputError(
                [Problem("", f"{target} exists; not overwritten", "Choose another file with -o.")]
            )
        target.write_text(_publish.new_draft(args.id, store, args.source), encoding="utf-8")
        print(f"wrote {target}; edit it, then: mesoreg publish {target}")
        return ExitCode.OK
    if command == "publish":
        from mesoreg._load import load_formulation

        formulation = load_formulation(args.file)
        before = store.ledger(formulation.id).latest
        entry = _publish.publish(
            formulation,
            store,
            author=args.author,
            supersedes=args.supersedes,
            registry=registry_factory(),
        )
        verdict = entry.last_check.verdict if entry.last_check else "not checked"
        print(
            f"published {formulation.id}@{entry.version} ({entry.sha256[:12]}) in "
            f"{store.root}, status draft, check: {verdict}"
        )
        for skipped in range(before + 1, entry.version):
            path = store.version_path(formulation.id, skipped)
            if os.path.lexists(path):  # a foreign file: publish never records one
                print(
                    f"warning: v{skipped} skipped: {printable(str(path))} is not in the ledger; "
                    "'mesoreg verify' reports it until it is moved out of the store",
                    file=sys.stderr,
                )
        return ExitCode.OK
    if command in ("approve", "retire"):
        status = Status.APPROVED if command == "approve" else Status.RETIRED
        entry = _publish.set_status(
            store,
            args.ref,
            status,
            args.by,
            override_reason=getattr(args, "override_reason", None),
            registry=registry_factory() if status is Status.APPROVED else None,
        )
        print(f"{args.ref.split('@')[0]}@{entry.version} is {entry.status.value}")
        return ExitCode.OK
    if command == "history":
        return _history(store, args)
    if command == "show":
        return _show(store, args)
    if command == "diff":
        return _diff(store, args, registry_factory)
    if command == "verify":
        problems, notes = store.verify()
        for note in notes:
            print(f"note: {printable(note)}")
        for problem in problems:
            print(f"error: {printable(str(problem))}", file=sys.stderr)
        if not problems:
            from mesoreg._verify import counted

            ids, count = counted(store)
            print(f"ok: {store.root}: {len(ids)} formulations, {count} versions verified")
        return ExitCode.INPUT if problems else ExitCode.OK
    return _recheck(store, args, registry_factory)


def _history(store: Any, args: argparse.Namespace) -> int:
    from mesoreg._render import printable

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
    from mesoreg._render import printable
    from mesoreg._store import parse_ref

    formulation_id, version = parse_ref(args.ref)
    formulation, entry = store.read(formulation_id, version)
    data, _ = store.read_file(formulation_id, entry.version)  # verified, like read()
    text = data.decode("utf-8")
    if args.format == "toml":
        print(printable(text, newlines=True), end="")
    elif args.format == "json":
        from mesoreg._convert import unstructure

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
    from mesoreg._diff import diff_formulations
    from mesoreg._store import parse_ref

    refs = [parse_ref(args.old), parse_ref(args.new)]
    (old, _), (new, _) = (store.read(i, v) for i, v in refs)
    from mesoreg._render import printable

    lines = diff_formulations(old, new, registry_factory().catalog)
    print(f"{args.old} → {args.new}")
    for line in lines or ["no clinical difference"]:
        print(f"  {printable(line)}")
    return ExitCode.OK


def _recheck(store: Any, args: argparse.Namespace, registry_factory: Any) -> int:
    from mesoreg._recheck import recheck, record
    from mesoreg._render import printable
    from mesoreg._report import Verdict

    def progress(done: int, total: int) -> None:
        print(f"\rrechecked {done}/{total}", end="", file=sys.stderr, flush=True)

    results = recheck(
        store,
        registry_factory(),
        region=args.region,
        progress=progress if sys.stderr.isatty() else None,
    )
    if sys.stderr.isatty() and results:
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
            f"rechecked {len(results)} approved versions; {len(changed)} changed "
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
