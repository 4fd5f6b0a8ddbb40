"""The ``mesoreg`` command line.

Exit codes (:class:`mesoreg._exit.ExitCode`): 0 pass (or findings below
``--fail-on``), 1 findings at or above ``--fail-on``, 2 bad input or usage (no
report), 3 report printed but not validated, 4 internal error.  Errors are
printed one line per problem, never as a traceback; an unexpected exception is
one line ``internal error: <type>: <message>`` (the traceback only with
``MESOREG_DEBUG=1``).  Control characters from inputs are escaped in
everything printed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from mesoreg import _store_cli
from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._exit import EPILOG, ExitCode
from mesoreg._knowledge import Severity
from mesoreg._render import INVISIBLE, printable
from mesoreg._report import Report, Verdict
from mesoreg._version import __version__

if TYPE_CHECKING:
    from mesoreg._catalog import Catalog
    from mesoreg._config import Settings
    from mesoreg._registry import Registry

#: set to 1 to get the traceback of an internal error
DEBUG_ENV = "MESOREG_DEBUG"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-22") from None


def _seconds(text: str) -> float:
    from mesoreg._guard import check_timeout

    try:
        return check_timeout(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a number of seconds above 0, e.g. 30"
        ) from None


class _Parser(argparse.ArgumentParser):
    """argparse with its error messages escaped: they echo what the user typed."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(ExitCode.INPUT, f"{self.prog}: error: {printable(message)}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mesoreg",
        description="Check mesotherapy formulations against sourced safety rules.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mesoreg {__version__}")
    plug = parser.add_argument_group(
        "plugins", "precedence: these options > environment > mesoreg.toml / [tool.mesoreg]"
    )
    plug.add_argument(
        "--no-plugins",
        action="store_const",
        const=True,
        default=None,
        help="use no installed plugin or pack (built-ins and --pack still load)",
    )
    plug.add_argument(
        "--pack",
        action="append",
        metavar="PATH",
        help="also use this data-only pack file (repeatable)",
    )
    plug.add_argument(
        "--allow",
        action="append",
        metavar="NAME",
        help="use only these installed plugins (repeatable)",
    )
    plug.add_argument(
        "--deny",
        action="append",
        metavar="NAME",
        help="never use this installed plugin (repeatable)",
    )
    plug.add_argument(
        "--require",
        action="append",
        metavar="NAME",
        help="fail unless this plugin loads (repeatable)",
    )
    plug.add_argument(
        "--allow-weakening",
        action="append",
        metavar="PACK:KIND.ID",
        help="let this pack override weaken another pack's record (repeatable; "
        "the refusal message names it)",
    )
    plug.add_argument(
        "--plugin-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="time limit of each call into plugin code (default: 30)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", help="check a formulation, optionally for a patient")
    check.add_argument("formulation", metavar="FORMULATION.toml")
    check.add_argument("--patient", metavar="PATIENT.toml")
    check.add_argument("--region", metavar="CC", help="ISO 3166 code, e.g. US, FR, BR")
    check.add_argument(
        "--date", type=_date, metavar="YYYY-MM-DD", help="session date (default: today)"
    )
    check.add_argument(
        "--previous-session",
        type=_date,
        metavar="YYYY-MM-DD",
        help="date of the patient's previous session",
    )
    check.add_argument(
        "--fail-on",
        default="major",
        choices=[s.value for s in Severity],
        help="exit 1 when a finding is at least this severe (default: major)",
    )
    check.add_argument(
        "--format",
        default="text",
        metavar="FORMAT",
        help="text (default), json, or one a plugin adds",
    )

    catalog = sub.add_parser(
        "catalog", help="list, show and search the catalog (ingredients, drugs, conditions...)"
    )
    csub = catalog.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_text in (
        ("list", "list every ingredient"),
        (
            "show",
            "show an ingredient, drug (name, brand or ATC code), medication class or "
            "condition with its rules and sources",
        ),
        (
            "search",
            "find ingredients, drugs (generic, brand, ATC), medication classes, conditions "
            "and allergens",
        ),
        ("rules", "list every rule with its type, severity, evidence and sources"),
        ("docs", "print the catalog as Markdown (docs/catalog.md)"),
        ("vocab", "list the vocabularies rules read (route, purpose, classes, conditions...)"),
        ("conditions", "list or find patient conditions by name, alias or ICD-10 code"),
    ):
        action = csub.add_parser(name, help=help_text)
        if name == "show":
            action.add_argument("name", metavar="NAME")
            action.add_argument(
                "--kind",
                choices=list(_SHOW_KINDS),
                help="what NAME is, when it names several things (default: the first of "
                "ingredient, drug, medication_class, condition that it names)",
            )
        if name == "search":
            action.add_argument("text", metavar="TEXT")
        if name == "rules":
            action.add_argument("--ingredient", metavar="ID")
        if name == "vocab":
            action.add_argument("vocabulary", nargs="?", metavar="NAME", help="one vocabulary")
        if name == "conditions":
            action.add_argument(
                "text", nargs="?", metavar="TEXT", help="part of a name, or an ICD-10 code"
            )
        if name != "docs":
            action.add_argument("--format", default="text", choices=["text", "json"])

    _store_cli.add_commands(sub)

    schema = sub.add_parser("schema", help="the JSON Schemas of mesoreg's files and report")
    ssub = schema.add_subparsers(dest="action", required=True, metavar="ACTION")
    export_schema = ssub.add_parser("export", help="write every JSON Schema into DIR")
    export_schema.add_argument("dir", nargs="?", default="schemas", metavar="DIR")

    export = sub.add_parser("export", help="export a stored version with its findings")
    export.add_argument(
        "--fhir",
        required=True,
        metavar="ID@N",
        help="write a FHIR R5 Bundle (Medication + DetectedIssues) as JSON",
    )
    export.add_argument("--patient", metavar="PATIENT.toml")
    export.add_argument("--region", metavar="CC")
    export.add_argument("--date", type=_date, metavar="YYYY-MM-DD")
    export.add_argument("--store", metavar="DIR")

    plugins = sub.add_parser("plugins", help="list and check plugins and packs")
    psub = plugins.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = psub.add_parser("list", help="every plugin with its status (imports none here)")
    listing.add_argument("--format", default="text", choices=["text", "json"])
    checking = psub.add_parser("check", help="validate a plugin or pack before shipping it")
    checking.add_argument(
        "target",
        metavar="PATH_OR_NAME",
        help="a pack .toml, a plugin's project folder, or an installed name",
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from mesoreg._config import load_settings

    return load_settings(
        {
            "no_plugins": args.no_plugins,
            "packs": args.pack,
            "allow": args.allow,
            "deny": args.deny,
            "require": args.require,
            "allow_weakening": args.allow_weakening,
            "plugin_timeout": args.plugin_timeout,
        }
    )


def _registry(args: argparse.Namespace) -> Registry:
    from mesoreg._registry import Registry

    return Registry.from_settings(_settings(args))


def _exit_code(report: Report, fail_on: Severity) -> int:
    if any(f.severity.is_at_least(fail_on) for f in report.findings):
        return ExitCode.FINDINGS
    if report.verdict is Verdict.NOT_VALIDATED:
        return ExitCode.NOT_VALIDATED
    return ExitCode.OK


def _run_check(args: argparse.Namespace) -> int:
    from mesoreg._engine import check
    from mesoreg._validate import context_problems

    region = args.region
    wrong = context_problems(None, region, prefix="--")
    if wrong:
        raise InputError(wrong)
    registry = _registry(args)
    formats = registry.formats
    if args.format not in formats:
        raise InputError(
            [
                Problem(
                    "--format",
                    f"unknown format '{args.format}'",
                    f"Use one of: {', '.join(formats)}.",
                )
            ]
        )
    report = check(
        args.formulation,
        args.patient,
        region=region,
        date=args.date,
        previous_session=args.previous_session,
        registry=registry,
    )
    print(registry.render(args.format, report))
    return _exit_code(report, Severity(args.fail_on))


_SHOW_KINDS = ("ingredient", "drug", "medication_class", "condition")


def _show(catalog: Catalog, name: str, kind: str | None) -> tuple[Any, str]:
    """The detail and text of what ``name`` names; an error with a hint when nothing."""
    from mesoreg import _listing

    found: dict[str, Any] = {
        "ingredient": catalog.find_ingredient(name),
        "drug": catalog.find_drug(name),
        "medication_class": catalog.class_records.get(catalog.find_medication_class(name) or ""),
        "condition": catalog.find_condition(name),
    }
    kinds = [k for k in _SHOW_KINDS if found[k] is not None and (kind is None or k == kind)]
    if not kinds and kind in (None, "ingredient"):
        # the ingredient message keeps its "did you mean"; search covers every kind
        catalog.get_ingredient(name, key_path=name)
    if not kinds:
        what = kind.replace("_", " ") if kind else "ingredient, drug, medication class or condition"
        word = name.split()[0][:5] if name.split() else name
        raise InputError(
            [
                Problem(
                    name, f"no {what} is named '{name}'.", f"Run 'mesoreg catalog search {word}'."
                )
            ]
        )
    chosen, record = kinds[0], found[kinds[0]]
    if chosen == "ingredient":
        detail = _listing.ingredient_detail(catalog, record)
        text = _listing.ingredient_text(detail)
    elif chosen == "drug":
        detail = _listing.drug_detail(catalog, record)
        text = _listing.record_text(detail)
    elif chosen == "medication_class":
        detail = _listing.medication_class_detail(catalog, record)
        text = _listing.record_text(detail)
    else:
        detail = _listing.condition_detail(catalog, record)
        text = _listing.record_text(detail)
    if len(kinds) > 1:
        text += f"\n('{name}' also names a {', '.join(kinds[1:])}: use --kind)"
    return detail, text


def _run_catalog(args: argparse.Namespace) -> int:
    from mesoreg import _listing

    catalog = _registry(args).catalog
    data: Any
    if args.action == "docs":
        print(_listing.catalog_markdown(catalog), end="")
        return ExitCode.OK
    if args.action == "rules":
        ingredient = (
            catalog.get_ingredient(args.ingredient, key_path="--ingredient")
            if args.ingredient
            else None
        )
        rows = _listing.rule_rows(catalog, ingredient)
        text = _listing.rules_text(rows)
        data = _listing.rules_summary(catalog, rows)
    elif args.action == "vocab":
        data = _listing.vocabularies(catalog)
        if args.vocabulary is not None:
            if args.vocabulary not in data:
                raise InputError(
                    [
                        Problem(
                            "vocabulary",
                            f"unknown vocabulary '{args.vocabulary}'",
                            f"Use one of: {', '.join(data)}.",
                        )
                    ]
                )
            data = {args.vocabulary: data[args.vocabulary]}
        text = _listing.vocabularies_text(data)
    elif args.action == "conditions":
        conditions = (
            catalog.search_conditions(args.text) if args.text else list(catalog.conditions.values())
        )
        data = _listing.condition_rows(catalog, conditions)
        text = _listing.conditions_text(data) or f"no condition matches '{args.text}'"
    elif args.action == "show":
        data, text = _show(catalog, args.name, args.kind)
    elif args.action == "search":
        data = _listing.search_rows(catalog, args.text)
        text = _listing.search_text(data, args.text)
    else:
        data = [_listing.ingredient_row(i) for i in catalog.ingredients.values()]
        text = _listing.table(data) if data else "no ingredient"
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.format == "json" else text)
    return ExitCode.OK


def _run_export(args: argparse.Namespace) -> int:
    import datetime as dt

    from mesoreg._engine import check, resolve_subject
    from mesoreg._fhir import fhir_bundle
    from mesoreg._load import load_patient
    from mesoreg._model import Context
    from mesoreg._publish import DEFAULT_STORE
    from mesoreg._store import Store, parse_ref
    from mesoreg._validate import context_problems

    wrong = context_problems(None, args.region, prefix="--")
    if wrong:
        raise InputError(wrong)
    registry = _registry(args)
    store = Store(args.store or _settings(args).store or DEFAULT_STORE)
    formulation_id, version = parse_ref(args.fhir)
    formulation, _ = store.read(formulation_id, version)
    patient = load_patient(args.patient) if args.patient else None
    day = args.date or dt.date.today()
    report = check(formulation, patient, region=args.region, date=day, registry=registry)
    # resolved as the check resolved it, names resolved by plugins included
    region = args.region.upper() if args.region else None
    subject, _ = resolve_subject(formulation, patient, Context(day, region), registry)
    print(json.dumps(fhir_bundle(subject, report), indent=2, ensure_ascii=False))
    return ExitCode.OK


def _run_plugins(args: argparse.Namespace) -> int:
    from mesoreg import _plugin_admin

    if args.action == "list":
        rows = _plugin_admin.list_plugins(_settings(args))
        text = _plugin_admin.plugins_text(rows)
        print(json.dumps(rows, indent=2) if args.format == "json" else text)
        return ExitCode.OK
    warnings: list[str] = []
    problems = _plugin_admin.check_plugin(args.target, warnings)
    for line in warnings:
        print(f"warning: {printable(line)}", file=sys.stderr)
    for line in problems:
        print(f"error: {printable(line)}", file=sys.stderr)
    if not problems:
        overrides = f" ({len(warnings)} override(s), see the warnings)" if warnings else ""
        print(f"ok: {args.target}{overrides}")
    return ExitCode.INPUT if problems else ExitCode.OK


class _EscapedOutput:
    """A text stream that escapes control characters on their way out.

    They are written as JSON-style ``\\u001b`` escapes, which keep JSON output
    valid and its meaning the same (``json.dumps`` leaves C1 controls raw).
    Newlines and tabs pass.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(text.translate(_STREAM_CONTROLS))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


_STREAM_CONTROLS = {
    c: f"\\u{c:04x}"
    for c in (*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, 0x2028, 0x2029)
    if chr(c) not in "\n\t"
} | {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), *INVISIBLE)}


def _print_error(exc: MesoregError) -> None:
    """One line per problem, each escaped on its own so input cannot forge a line."""
    lines = [str(p) for p in exc.problems] if isinstance(exc, InputError) else str(exc).split("\n")
    for line in lines:
        print(f"error: {printable(line)}", file=sys.stderr)


def _print_internal_error(exc: BaseException) -> None:
    """One line naming the exception; the traceback only with MESOREG_DEBUG=1."""
    message = printable(str(exc))
    print(
        f"internal error: {type(exc).__name__}: {message}"
        if message
        else f"internal error: {type(exc).__name__}",
        file=sys.stderr,
    )
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    else:
        print(
            f"hint: this is a bug in mesoreg or a plugin; run again with {DEBUG_ENV}=1 "
            "and report the traceback",
            file=sys.stderr,
        )


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check":
        return _run_check(args)
    if args.command == "plugins":
        return _run_plugins(args)
    if args.command == "schema":
        from pathlib import Path

        from mesoreg._schema import export_schemas

        for path in export_schemas(Path(args.dir)):
            print(f"wrote {path}")
        return ExitCode.OK
    if args.command == "export":
        return _run_export(args)
    if args.command in _store_cli.COMMANDS:
        settings = _settings(args)
        return _store_cli.run(args, lambda: _registry(args), settings.store)
    return _run_catalog(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (:class:`mesoreg._exit.ExitCode`)."""
    args = _parser().parse_args(argv)
    stdout = sys.stdout
    sys.stdout = _EscapedOutput(stdout)
    try:
        return int(_dispatch(args))
    except MesoregError as exc:
        _print_error(exc)
        return ExitCode.INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly with SIGPIPE's usual status
        # (and nothing more may reach it; a stream with no descriptor has nothing to flush)
        with contextlib.suppress(OSError, ValueError):
            target = stdout.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, target)
            os.close(devnull)
        return ExitCode.BROKEN_PIPE
    except (Exception, SystemExit) as exc:
        # SystemExit too: nothing inside a command may end it with a status of its choosing
        _print_internal_error(exc)
        return ExitCode.INTERNAL
    finally:
        sys.stdout = stdout
