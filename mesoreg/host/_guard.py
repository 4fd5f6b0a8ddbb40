"""Guarded plugin calls: a time limit, every exception caught, nothing written to stdout.

All plugin code (importing a plugin, registering it, calling a hook, running a
check, a validator, a resolver or an output format) runs through :func:`call`:

* in a daemon thread of its own, so that a call that overruns the time limit
  (``--plugin-timeout``, default :data:`DEFAULT_TIMEOUT` seconds) is abandoned
  and the command still ends.  Python cannot stop a thread: an abandoned call
  keeps running in the background until it returns or the process exits
  (daemon threads never keep the process alive), and whatever it returns is
  discarded;
* catching every exception the plugin raises, ``SystemExit``,
  ``KeyboardInterrupt`` and ``GeneratorExit`` included: a plugin cannot end
  the run.  A real Ctrl-C is delivered to the main thread, which is only
  waiting, so the user can still interrupt mesoreg;
* with ``sys.stdout`` pointing at ``sys.stderr`` for the plugin's thread only,
  so ``--format json`` output stays valid JSON.  Output a plugin writes to file
  descriptor 1 directly (``os.write(1, ...)``, a child process) or from threads
  it starts itself is not redirected.

A failed or overrunning call raises :class:`PluginFault`, whose message the
caller records as a named plugin failure.  The message is made inside the
plugin's thread too (an exception's ``__str__`` is the plugin's code), and
callers check and copy what a plugin returns inside the call as well, into
exactly the built-in types they need (:func:`exactly`), so that no plugin code
(an ``__iter__``, ``__eq__`` or ``__hash__`` of a subclass) runs after the
call has returned.  Plugin code that must run on the
main thread (``signal.signal``) fails here, which is reported the same way.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

T = TypeVar("T")

#: seconds a plugin call may take by default (``--plugin-timeout``)
DEFAULT_TIMEOUT = 30.0

_local = threading.local()
_abandoned: list[threading.Thread] = []
_running = 0
_lock = threading.Lock()


class PluginFault(Exception):
    """A plugin call that raised (anything) or overran its time limit; the message says which."""


def is_plugin_thread() -> bool:
    """True in a thread running a guarded plugin call."""
    return bool(getattr(_local, "active", False))


class _Stdout:
    """``sys.stdout`` while plugins run: their threads write to stderr, every other to stdout."""

    def __init__(self, stdout: IO[str]) -> None:
        self.wrapped = stdout

    def _target(self) -> IO[str]:
        return sys.stderr if is_plugin_thread() else self.wrapped

    def write(self, text: str) -> int:
        return self._target().write(text)

    def writelines(self, lines: Any) -> None:
        self._target().writelines(lines)

    def flush(self) -> None:
        self._target().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target(), name)


def _install() -> None:
    global _running
    with _lock:
        _running += 1
        if not isinstance(sys.stdout, _Stdout):
            sys.stdout = _Stdout(sys.stdout)


def _uninstall(thread: threading.Thread, alive: bool) -> None:
    # calls still running (here or in other threads), and abandoned calls, may still print:
    # keep the guard until every one of them has ended
    global _running
    with _lock:
        _running -= 1
        if alive:
            _abandoned.append(thread)
        _abandoned[:] = [t for t in _abandoned if t.is_alive()]
        if not _running and not _abandoned and isinstance(sys.stdout, _Stdout):
            sys.stdout = sys.stdout.wrapped


def describe(exc: BaseException) -> str:
    """An exception as one line: its type, and its message if it has one."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def check_timeout(value: float) -> float:
    """``value`` if it is a usable time limit (a finite number of seconds above 0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number of seconds (got {value!r})")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"must be a finite number of seconds above 0 (got {value!r})")
    return float(value)


def call(fn: Callable[[], T], timeout: float | None = DEFAULT_TIMEOUT) -> T:
    """``fn()`` run as plugin code: its result, or :class:`PluginFault` saying what went wrong.

    ``timeout=None`` is for mesoreg's own built-in plugins: they run in the
    calling thread, with no time limit, and only an ``Exception`` is caught.
    """
    if timeout is None:
        try:
            return fn()
        except Exception as exc:
            raise PluginFault(describe(exc)) from exc
    box: dict[str, Any] = {}

    def run() -> None:
        _local.active = True
        try:
            box["value"] = fn()
        except BaseException as exc:  # a plugin may raise anything, even SystemExit
            box["error"] = exc
            # described here: the exception is the plugin's, and so is its __str__
            try:
                box["text"] = describe(exc)
            except BaseException:  # a plugin's __str__ may raise anything
                box["text"] = "an exception that cannot be shown"

    thread = threading.Thread(target=run, name="mesoreg-plugin-call", daemon=True)
    alive = True
    _install()
    try:
        thread.start()
        thread.join(timeout)
        alive = thread.is_alive()
    finally:
        # alive: it overran, or the user pressed Ctrl-C while it ran
        _uninstall(thread, alive)
    if alive:
        raise PluginFault(
            f"did not finish within the {timeout:g} s plugin time limit "
            "(abandoned; raise it with --plugin-timeout)"
        )
    if "error" in box:
        error: BaseException = box["error"]
        raise PluginFault(str.__str__(box["text"])) from error
    value: T = box["value"]
    return value


def exactly(value: object, kind: type[T], what: str) -> T:
    """``value`` if its type is exactly ``kind`` (never a subclass), else :class:`TypeError`.

    Meant to run inside :func:`call`: a subclass of a built-in could run the
    plugin's code (``__iter__``, ``__eq__``, ``__hash__``, ``translate``) later,
    outside the guard.  The message shows the value's type only, never its
    ``repr`` (which would be the plugin's code too).
    """
    if type(value) is not kind:
        raise TypeError(f"must return {what} (got {type_name(value)})")
    return value


def type_name(value: object) -> str:
    """The name of ``value``'s type, read without running any of its code."""
    name = type.__dict__["__name__"].__get__(type(value))
    return name if type(name) is str else "an object"
