"""Exit codes of the ``mesoreg`` command, defined once for every command and the docs.

A script can trust them: ``0`` only when everything was checked and nothing
reached ``--fail-on``; every other outcome has its own code.
"""

from __future__ import annotations

import enum
import os


class ExitCode(enum.IntEnum):
    """What a ``mesoreg`` process's exit status means."""

    #: pass, or findings below ``--fail-on``
    OK = 0
    #: findings at or above ``--fail-on`` (``recheck``: a verdict or the findings changed)
    FINDINGS = 1
    #: bad input, usage or a damaged store: no report was made
    INPUT = 2
    #: a report was printed, but something could not be checked: it is not a pass
    NOT_VALIDATED = 3
    #: an internal error (a bug in mesoreg or a plugin), printed as one line
    INTERNAL = 4
    #: interrupted (Ctrl-C)
    INTERRUPTED = 130
    #: the reader of the output went away (``| head``), as SIGPIPE would
    BROKEN_PIPE = 141


#: the exit codes as the ``--help`` epilog and the docs show them
EPILOG = """\
exit codes:
  0    pass, or findings below --fail-on
  1    findings at or above --fail-on (recheck: a verdict or the findings changed)
  2    bad input, usage or a damaged store; no report
  3    report printed but not validated: something could not be checked
  4    internal error (one line; set MESOREG_DEBUG=1 for the traceback)
  130  interrupted
  141  output pipe closed"""

#: what each code means, one line each, as every subcommand's ``--help`` shows it
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "pass, or findings below --fail-on",
    ExitCode.FINDINGS: (
        "findings at or above --fail-on (recheck: a verdict or the findings changed)"
    ),
    ExitCode.INPUT: "bad input, usage or a damaged store; no report",
    ExitCode.NOT_VALIDATED: "report printed but not validated: something could not be checked",
    ExitCode.INTERNAL: "internal error (one line; set MESOREG_DEBUG=1 for the traceback)",
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.BROKEN_PIPE: "output pipe closed",
}

#: what every command may exit with, whatever it does
ALWAYS = (ExitCode.INPUT, ExitCode.INTERNAL, ExitCode.INTERRUPTED, ExitCode.BROKEN_PIPE)


def exit_codes_text(own: dict[ExitCode, str]) -> str:
    """The ``exit codes:`` block of one command's help: its own codes, then :data:`ALWAYS`.

    ``own`` maps a code to what it means for this command (``OK`` is "done" for
    most); a code of :data:`ALWAYS` that ``own`` does not give keeps its meaning.
    """
    codes = {**own, **{c: own.get(c, MEANINGS[c]) for c in ALWAYS}}
    lines = ["exit codes:"]
    lines += [f"  {int(code):<4} {codes[code]}" for code in sorted(codes)]
    return "\n".join(lines)


def reader_gone(stream: object) -> ExitCode:
    """The reader of ``stream`` (``| head``) went away: nothing more may reach it, so its
    descriptor is pointed at the null device; the status is SIGPIPE's usual one.  A stream
    with no descriptor has nothing to flush."""
    try:
        target = stream.fileno()  # type: ignore[attr-defined]
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, target)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
    return ExitCode.BROKEN_PIPE
