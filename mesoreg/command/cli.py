"""The ``mesoreg`` command line.

Exit codes (:class:`mesoreg._exit.ExitCode`): 0 pass (or findings below
``--fail-on``), 1 findings at or above ``--fail-on``, 2 bad input or usage (no
report), 3 report printed but not validated, 4 internal error; every
subcommand's ``--help`` lists its own (:mod:`mesoreg.command._cli_help`).  Errors are
printed one line per problem, never as a traceback; an unexpected exception is
one line ``internal error: <type>: <message>`` (the traceback only with
``MESOREG_DEBUG=1``).  With ``--format json`` an error is also a JSON document
on stdout (:mod:`mesoreg.interfaces._console`, ``schemas/cli-error-1.schema.json``).
Control characters from inputs are escaped in everything printed.

The global options (plugins, ``-q``/``-v``) are accepted before or after the
subcommand.  Shell completion uses argcomplete, imported only when the shell
asks for completions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._exit import EPILOG, ExitCode, reader_gone
from mesoreg._version import __version__
from mesoreg.checks._render import INVISIBLE, plural, printable
from mesoreg.checks._report import Report, Verdict
from mesoreg.command import _replay, _serve_args
from mesoreg.command._cli_help import HELP
from mesoreg.compounding._args import COMMANDS as COMPOUNDING
from mesoreg.compounding._args import add_arguments as add_compounding_arguments
from mesoreg.compounding._batch_args import COMMANDS as BATCHES
from mesoreg.compounding._batch_args import add_arguments as add_batch_arguments
from mesoreg.compounding._record_cli import COMMANDS as RECORDS
from mesoreg.compounding._record_cli import add_arguments as add_record_arguments
from mesoreg.documents._knowledge import Severity
from mesoreg.interfaces import _store_cli
from mesoreg.interfaces._console import (
    Console,
    error_document,
    error_problems,
    print_errors,
    print_json,
)

if TYPE_CHECKING:
    from mesoreg.host._config import Settings
    from mesoreg.host._registry import Registry
    from mesoreg.knowledge._catalog import Catalog

#: set to 1 to get the traceback of an internal error
DEBUG_ENV = "MESOREG_DEBUG"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-22") from None


def _seconds(text: str) -> float:
    from mesoreg.host._guard import check_timeout

    try:
        return check_timeout(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a number of seconds above 0, e.g. 30"
        ) from None


class _Parser(argparse.ArgumentParser):
    """argparse with its error messages escaped: they echo what the user typed.

    With ``--format json`` anywhere on the line, a usage error is a JSON error
    document on stdout too (:func:`mesoreg.interfaces._console.error_document`).
    """

    json_errors = False

    def error(self, message: str) -> NoReturn:
        if _Parser.json_errors:
            from mesoreg.interfaces._console import error_document, print_json

            print_json(error_document(ExitCode.INPUT, [Problem("", message)], "usage", None))
        self.print_usage(sys.stderr)
        self.exit(ExitCode.INPUT, f"{self.prog}: error: {printable(message)}\n")


def _common() -> argparse.ArgumentParser:
    """The global options, accepted before or after the subcommand.

    Every default is SUPPRESS, so an option given after the subcommand is not
    reset by the subcommand's parser; :func:`_opt` reads them.
    """
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    out = common.add_argument_group("output")
    loud = out.add_mutually_exclusive_group()
    loud.add_argument(
        "-q", "--quiet", action="store_true", help="no notes, hints or progress (errors stay)"
    )
    loud.add_argument(
        "-v", "--verbose", action="store_true", help="also say which configuration and store"
    )
    plug = common.add_argument_group(
        "plugins", "precedence: these options > environment > mesoreg.toml / [tool.mesoreg]"
    )
    plug.add_argument(
        "--no-plugins",
        action="store_const",
        const=True,
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
    return common


def _opt(args: argparse.Namespace, name: str) -> Any:
    """A global option's value, or None when it was not given."""
    return getattr(args, name, None)


class _Commands:
    """Adds subcommands with their help (:data:`mesoreg.command._cli_help.HELP`) and the
    global options."""

    def __init__(self, common: argparse.ArgumentParser) -> None:
        self.common = common

    def add(self, sub: Any, path: str, *, leaf: bool = True) -> argparse.ArgumentParser:
        """The parser of subcommand ``path`` ("plugins check"), added to ``sub``."""
        text = HELP[path]
        parser: argparse.ArgumentParser = sub.add_parser(
            path.split()[-1],
            help=text.summary,
            description=textwrap.fill(text.description, 79),
            epilog=text.epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
            parents=[self.common] if leaf else [],
        )
        return parser


def _format(parser: argparse.ArgumentParser, *choices: str, default: str = "text") -> None:
    parser.add_argument(
        "--format",
        default=default,
        choices=choices,
        help=f"output format (default: {default}); json is described in schemas/",
    )


def _parser() -> argparse.ArgumentParser:
    common = _common()
    parser = _Parser(
        prog="mesoreg",
        description="Check mesotherapy formulations against sourced safety rules.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"mesoreg {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = _Commands(common)

    check = commands.add(sub, "check")
    check.add_argument(
        "formulation",
        metavar="FORMULATION",
        help="a formulation file (.toml), or ID@N: a version in the store",
    )
    check.add_argument("--patient", metavar="PATIENT.toml", help="the patient's file")
    check.add_argument(
        "--region", metavar="CC", help="ISO 3166 code, e.g. US, FR, BR (default: configuration)"
    )
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
        choices=[s.value for s in Severity],
        help="exit 1 when a finding is at least this severe (default: configuration, or major)",
    )
    check.add_argument(
        "--format",
        default="text",
        metavar="FORMAT",
        help="text (default), json (schemas/report-2.schema.json), or one a plugin adds",
    )
    check.add_argument(
        "--store", metavar="DIR", help="the store that ID@N is read from (default: configuration)"
    )

    catalog = commands.add(sub, "catalog", leaf=False)
    csub = catalog.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name in ("list", "show", "search", "rules", "docs", "vocab", "conditions"):
        action = commands.add(csub, f"catalog {name}")
        if name == "show":
            action.add_argument(
                "name", metavar="NAME", help="an id, name, alias, brand or ATC code"
            )
            action.add_argument(
                "--kind",
                choices=list(_SHOW_KINDS),
                help="what NAME is, when it names several things (default: the first of "
                "ingredient, drug, medication_class, condition that it names)",
            )
        if name == "search":
            action.add_argument("text", metavar="TEXT", help="part of a name, alias or code")
        if name == "rules":
            action.add_argument(
                "--ingredient", metavar="ID", help="only the rules naming this ingredient"
            )
        if name == "vocab":
            action.add_argument("vocabulary", nargs="?", metavar="NAME", help="one vocabulary")
        if name == "conditions":
            action.add_argument(
                "text", nargs="?", metavar="TEXT", help="part of a name, or an ICD-10 code"
            )
        if name == "docs":
            _format(action, "markdown", "json", default="markdown")
        else:
            _format(action, "text", "json")

    _store_cli.add_commands(sub, commands.add, _format)

    schema = commands.add(sub, "schema", leaf=False)
    ssub = schema.add_subparsers(dest="action", required=True, metavar="ACTION")
    export_schema = commands.add(ssub, "schema export")
    export_schema.add_argument(
        "dir", nargs="?", default="schemas", metavar="DIR", help="where (default: ./schemas)"
    )
    _format(export_schema, "text", "json")

    export = commands.add(sub, "export")
    export.add_argument(
        "--fhir",
        required=True,
        metavar="ID@N",
        help="write a FHIR R5 Bundle (Medication + DetectedIssues) as JSON",
    )
    export.add_argument("--patient", metavar="PATIENT.toml", help="the patient's file")
    export.add_argument("--region", metavar="CC", help="ISO 3166 code (default: configuration)")
    export.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="default: today")
    export.add_argument(
        "--store", metavar="DIR", help="the store (default: MESOREG_STORE, configuration)"
    )
    _format(export, "json", default="json")

    plugins = commands.add(sub, "plugins", leaf=False)
    psub = plugins.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = commands.add(psub, "plugins list")
    _format(listing, "text", "json")
    checking = commands.add(psub, "plugins check")
    checking.add_argument(
        "target",
        metavar="PATH_OR_NAME",
        help="a pack .toml, a plugin's project folder, or an installed name",
    )
    _format(checking, "text", "json")

    for name in COMPOUNDING:
        add_compounding_arguments(name, commands.add(sub, name))
    for name in RECORDS:
        add_record_arguments(name, commands.add(sub, name))
    for name in BATCHES:
        add_batch_arguments(name, commands.add(sub, name))

    _serve_args.add_arguments(commands.add(sub, "serve"))

    completion = commands.add(sub, "completion")
    completion.add_argument(
        "shell", choices=("bash", "zsh", "fish", "tcsh"), help="the shell to complete in"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    from mesoreg.host._config import load_settings

    return load_settings(
        {
            "no_plugins": _opt(args, "no_plugins"),
            "packs": _opt(args, "pack"),
            "allow": _opt(args, "allow"),
            "deny": _opt(args, "deny"),
            "require": _opt(args, "require"),
            "allow_weakening": _opt(args, "allow_weakening"),
            "plugin_timeout": _opt(args, "plugin_timeout"),
        }
    )


def _console(args: argparse.Namespace) -> Console:
    verbosity = -1 if _opt(args, "quiet") else 1 if _opt(args, "verbose") else 0
    return Console(verbosity, getattr(args, "format", None) == "json")


def _registry(args: argparse.Namespace) -> Registry:
    from mesoreg.host._registry import Registry

    return Registry.from_settings(_settings(args))


def _exit_code(report: Report, fail_on: Severity) -> int:
    if any(f.severity.is_at_least(fail_on) for f in report.findings):
        return ExitCode.FINDINGS
    if report.verdict is Verdict.NOT_VALIDATED:
        return ExitCode.NOT_VALIDATED
    return ExitCode.OK


def _is_reference(text: str) -> bool:
    """``ID@N`` names a stored version; anything else is a file (which may be missing)."""
    name, sep, version = text.partition("@")
    return bool(sep) and version.isdigit() and "/" not in name and not name.endswith(".toml")


def _run_check(args: argparse.Namespace) -> int:
    from mesoreg.documents._validate import context_problems
    from mesoreg.host._engine import check, replayable

    settings = _settings(args)
    console = _console(args)
    region = args.region or settings.region
    fail_on = Severity(args.fail_on or settings.fail_on or Severity.MAJOR.value)
    wrong = context_problems(None, region, prefix="--")
    # a pack asked for by path that is not there is a typo to fix, not a report to read
    wrong += [
        Problem(
            "--pack" if pack in (_opt(args, "pack") or ()) else "packs",
            f"{pack}: no such file",
            "Check the pack's path (a configuration's packs are relative to its file).",
        )
        for pack in settings.packs
        if not Path(pack).is_file()
    ]
    if wrong:
        raise InputError(wrong)
    console.info(f"configuration: {settings.config_file or 'none'}")
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
    formulation: Any = args.formulation
    stored: tuple[Any, str] | None = None
    if _is_reference(formulation) and not Path(formulation).exists():
        from mesoreg.store._store import parse_ref

        store = _store_cli.open_store(args.store or settings.store, console)
        formulation, entry = store.read(*parse_ref(formulation))
        stored = (store, f"{formulation.id}@{entry.version}")
    elif args.store:
        console.note("--store is only read for ID@N; checking the file given")
    report = check(
        formulation,
        args.patient,
        region=region,
        date=args.date,
        previous_session=args.previous_session,
        registry=registry,
    )
    if args.format == "text":
        _print_text_report(report, formulation, args.patient, registry)
        if stored is not None:
            _print_acknowledgements(report, *stored)
    else:
        print(registry.render(args.format, report))
    if stored is None and args.format in ("text", "json") and replayable(registry, report.region):
        _replay.offer(_REPORTED, _config_inputs())
    return _exit_code(report, fail_on)


#: the exit codes of a printed report (a run ending otherwise is never replayed)
_REPORTED = (ExitCode.OK, ExitCode.FINDINGS, ExitCode.NOT_VALIDATED)


def _config_inputs() -> list[str]:
    from mesoreg.host._config import config_inputs

    home = os.environ.get("HOME")
    return config_inputs(Path.cwd(), Path(home) if home else None)


def _print_acknowledgements(report: Report, store: Any, reference: str) -> None:
    """After the report of a stored version: the findings acknowledged in its compounding
    records (``mesoreg records`` has them whole), and whether this check still finds each.
    They never change the verdict."""
    from mesoreg.checks._render import printable
    from mesoreg.compounding._api import compounding_records

    try:
        records = compounding_records(store, reference)
    except MesoregError as exc:
        print(f"\nACKNOWLEDGED IN COMPOUNDING RECORDS\n  cannot be read: {printable(str(exc))}")
        return
    lines = []
    found = {(f.code, tuple(sorted(f.components))) for f in report.findings}
    for record in records:
        for ack in record.acknowledgements:
            still = (ack.code, tuple(sorted(ack.components))) in found
            lines.append(
                f"  record {record.record} ({record.compounded_at.isoformat()}): {ack.code} "
                f"[{', '.join(ack.components)}] by {' and '.join(ack.by)}: {ack.reason}"
                + ("" if still else " (not found by this check)")
            )
    if lines:
        print("\nACKNOWLEDGED IN COMPOUNDING RECORDS (the verdict above does not count them)")
        for line in lines:
            print(printable(line))


def _print_text_report(
    report: Report, formulation: Any, patient: str | None, registry: Registry
) -> None:
    """The pharmacist's note: with the composition, in colour on a terminal."""
    from mesoreg.checks._render import composition_lines, report_to_text
    from mesoreg.documents._load import load_formulation, load_patient
    from mesoreg.documents._model import Context, Formulation
    from mesoreg.host._engine import resolve_subject
    from mesoreg.interfaces._console import use_colour

    try:
        if not isinstance(formulation, Formulation):
            formulation = load_formulation(formulation)  # loaded once already by the check
        context = Context(report.date, report.region)
        who = load_patient(patient) if patient else None
        subject, _ = resolve_subject(formulation, who, context, registry)
        composition = composition_lines(subject)
    except MesoregError as exc:  # a plugin's name resolution may refuse on a second call
        composition = ["COMPOSITION", f"  not shown: {exc}"]
    out = sys.stdout
    text = report_to_text(report, composition=composition, colour=use_colour(out))
    # the colours are ours and every line of the text was escaped on its own
    write = getattr(out, "write_trusted", out.write)
    write(text + "\n")


_SHOW_KINDS = ("ingredient", "drug", "medication_class", "condition")


def _show(catalog: Catalog, name: str, kind: str | None) -> tuple[Any, str]:
    """The detail and text of what ``name`` names; an error with a hint when nothing."""
    from mesoreg.knowledge import _listing

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
    from mesoreg.knowledge import _listing

    catalog = _registry(args).catalog
    data: Any
    if args.action == "docs":
        markdown = _listing.catalog_markdown(catalog)
        if args.format == "json":
            print_json({"format": "markdown", "text": markdown})
        else:
            print(markdown, end="")
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

    from mesoreg.documents._load import load_patient
    from mesoreg.documents._model import Context
    from mesoreg.documents._validate import context_problems
    from mesoreg.host._engine import check, resolve_subject
    from mesoreg.interfaces._fhir import fhir_bundle
    from mesoreg.store._store import parse_ref

    settings = _settings(args)
    region = args.region or settings.region
    wrong = context_problems(None, region, prefix="--")
    if wrong:
        raise InputError(wrong)
    formulation_id, version = parse_ref(args.fhir)
    store = _store_cli.open_store(args.store or settings.store, _console(args))
    registry = _registry(args)
    formulation, _ = store.read(formulation_id, version)
    patient = load_patient(args.patient) if args.patient else None
    day = args.date or dt.date.today()
    report = check(formulation, patient, region=region, date=day, registry=registry)
    # resolved as the check resolved it, names resolved by plugins included
    region = region.upper() if region else None
    subject, _ = resolve_subject(formulation, patient, Context(day, region), registry)
    print(json.dumps(fhir_bundle(subject, report), indent=2, ensure_ascii=False))
    return ExitCode.OK


def _run_plugins(args: argparse.Namespace) -> int:
    from mesoreg.interfaces import _plugin_admin

    if args.action == "list":
        rows = _plugin_admin.list_plugins(_settings(args))
        text = _plugin_admin.plugins_text(rows)
        print(json.dumps(rows, indent=2) if args.format == "json" else text)
        _replay.offer([ExitCode.OK], _config_inputs())
        return ExitCode.OK
    warnings: list[str] = []
    problems = _plugin_admin.check_plugin(args.target, warnings)
    code = ExitCode.INPUT if problems else ExitCode.OK
    if args.format == "json":
        print_json(
            {
                "target": args.target,
                "ok": not problems,
                "problems": problems,
                "warnings": warnings,
                "exit_code": int(code),
            }
        )
        return code
    console = _console(args)
    for line in warnings:
        console.warning(line)
    for line in problems:
        print(f"error: {printable(line)}", file=sys.stderr)
    if not problems:
        count = len(warnings)
        overrides = f" ({plural(count, 'override')}, see the warnings)" if count else ""
        print(f"ok: {args.target}{overrides}")
    return code


def _run_schema(args: argparse.Namespace) -> int:
    from mesoreg.interfaces._schema import export_schemas

    written = [str(p) for p in export_schemas(Path(args.dir))]
    if args.format == "json":
        print_json({"folder": args.dir, "written": written})
    else:
        for path in written:
            print(f"wrote {path}")
    return ExitCode.OK


def _run_completion(args: argparse.Namespace) -> int:
    """The shell's registration script, from argcomplete (an optional dependency)."""
    try:
        from argcomplete.shell_integration import shellcode
    except ImportError:
        raise InputError(
            [
                Problem(
                    "completion",
                    "shell completion needs argcomplete, which is not installed",
                    "Run: pip install 'mesoreg[completion]'.",
                )
            ]
        ) from None
    print(shellcode(["mesoreg"], shell=args.shell), end="")
    return ExitCode.OK


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

    def write_trusted(self, text: str) -> int:
        """Write text that was escaped already and holds only mesoreg's own colour codes."""
        self._inner.write(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


_STREAM_CONTROLS = {
    c: f"\\u{c:04x}"
    for c in (*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, 0x2028, 0x2029)
    if chr(c) not in "\n\t"
} | {c: f"\\u{c:04x}" for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), *INVISIBLE)}


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
        return _run_schema(args)
    if args.command == "export":
        return _run_export(args)
    if args.command == "completion":
        return _run_completion(args)
    if args.command == "serve":
        return _serve_args.run(args, lambda: _registry(args), _settings(args))
    if args.command in COMPOUNDING:
        from mesoreg.compounding._cli import run

        return run(args, lambda: _registry(args))
    if args.command in RECORDS:
        from mesoreg.compounding._record_cli import run as run_record

        return run_record(args, lambda: _registry(args))
    if args.command in BATCHES:
        from mesoreg.compounding._batch_cli import run as run_batch

        return run_batch(args, lambda: _registry(args))
    if args.command in _store_cli.COMMANDS:
        settings = _settings(args)
        return _store_cli.run(args, lambda: _registry(args), settings, _console(args))
    return _run_catalog(args)


def _wants_json(argv: Sequence[str]) -> bool:
    """``--format json`` on the command line, read before parsing (for usage errors)."""
    args = list(argv)
    return "--format=json" in args or any(
        a == "--format" and b == "json" for a, b in itertools.pairwise(args)
    )


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request, if this run is one (argcomplete, imported only
    then: ``mesoreg --version`` and every command stay as fast without it)."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser, exit_method=sys.exit)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (:class:`mesoreg._exit.ExitCode`)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    json_errors = _Parser.json_errors = _wants_json(argv)
    parser = _parser()
    _complete(parser)
    try:
        args = parser.parse_args(argv)
    finally:
        _Parser.json_errors = False
    command = " ".join(x for x in (args.command, getattr(args, "action", None)) if x)
    stdout = sys.stdout
    sys.stdout = _EscapedOutput(stdout)
    try:
        return int(_dispatch(args))
    except MesoregError as exc:
        print_errors(exc)
        if json_errors:
            print_json(error_document(ExitCode.INPUT, error_problems(exc), "input", command))
        return ExitCode.INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return reader_gone(stdout)
    except (Exception, SystemExit) as exc:
        # SystemExit too: nothing inside a command may end it with a status of its choosing
        _print_internal_error(exc)
        if json_errors:
            problem = Problem("", f"internal error: {type(exc).__name__}: {exc}".rstrip(": "))
            print_json(error_document(ExitCode.INTERNAL, [problem], "internal", command))
        return ExitCode.INTERNAL
    finally:
        sys.stdout = stdout
