"""What a command says besides its result: notes, hints, errors, as text or as JSON.

A command's result goes to stdout; everything else (``note:``, ``hint:``,
``warning:``, ``error:``) goes to stderr, one escaped line each, so that stdout
stays the result alone.  ``-q`` silences notes and hints (never warnings or
errors), ``-v`` adds ``info:`` lines (the configuration and store used).

With ``--format json`` an error is a JSON document on stdout too
(``schemas/cli-error-1.schema.json``), so a tool reading stdout always gets
JSON; the same lines still go to stderr for the person watching.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import attrs

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.checks._render import printable

#: version of the JSON error document
ERROR_SCHEMA_VERSION = 1


@attrs.frozen
class Console:
    """How much to say on stderr, and whether errors are JSON on stdout too."""

    #: -1 with ``-q``, 0 by default, 1 with ``-v``
    verbosity: int = 0
    json: bool = False

    def note(self, text: str) -> None:
        """A note about the result (``note: ...``); silenced by ``-q``."""
        if self.verbosity >= 0:
            print(f"note: {printable(text)}", file=sys.stderr)

    def hint(self, text: str) -> None:
        """What to do next (``hint: ...``); silenced by ``-q``."""
        if self.verbosity >= 0:
            print(f"hint: {printable(text)}", file=sys.stderr)

    def info(self, text: str) -> None:
        """Detail for ``-v`` only (``info: ...``)."""
        if self.verbosity > 0:
            print(f"info: {printable(text)}", file=sys.stderr)

    def warning(self, text: str) -> None:
        """Something the user must know (``warning: ...``); never silenced."""
        print(f"warning: {printable(text)}", file=sys.stderr)


def use_colour(stream: TextIO, environ: Any = None) -> bool:
    """Colours only on a terminal, never with ``NO_COLOR`` set (https://no-color.org) or
    ``TERM=dumb``."""
    environ = os.environ if environ is None else environ
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def error_problems(exc: BaseException) -> list[Problem]:
    """The problems of an error, one per line it prints."""
    if isinstance(exc, InputError):
        return list(exc.problems)
    return [Problem("", line) for line in str(exc).split("\n") if line] or [
        Problem("", type(exc).__name__)
    ]


def error_document(
    code: int, problems: Sequence[Problem], kind: str, command: str | None
) -> dict[str, Any]:
    """The JSON error document (``cli-error-1``): why no result was made."""
    return {
        "error_schema_version": ERROR_SCHEMA_VERSION,
        "command": command,
        "exit_code": int(code),
        "kind": kind,
        "errors": [p.to_dict() for p in problems],
    }


def print_errors(exc: MesoregError) -> None:
    """One line per problem, each escaped on its own so input cannot forge a line."""
    for problem in error_problems(exc):
        print(f"error: {printable(str(problem))}", file=sys.stderr)


def print_json(data: Any) -> None:
    """``data`` as indented JSON on stdout (non-ASCII kept)."""
    print(json.dumps(data, indent=2, ensure_ascii=False))
