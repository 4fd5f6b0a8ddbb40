"""Guarded plugin calls: every exception caught, a time limit, output kept off stdout."""

from __future__ import annotations

import sys
import threading

import pytest

from mesoreg.host._guard import PluginFault, call, check_timeout, exactly


def test_the_result_comes_back():
    assert call(lambda: 42) == 42


def _raise(exc: BaseException) -> None:
    raise exc


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (SystemExit(0), "SystemExit: 0"),
        (KeyboardInterrupt(), "KeyboardInterrupt"),
        (GeneratorExit("x"), "GeneratorExit: x"),
        (ValueError("bad"), "ValueError: bad"),
    ],
    ids=["sys-exit", "keyboard-interrupt", "generator-exit", "exception"],
)
def test_any_exception_is_a_fault(exc, message):
    with pytest.raises(PluginFault) as caught:
        call(lambda: _raise(exc))
    assert str(caught.value) == message
    assert caught.value.__cause__ is exc


def test_a_call_that_never_returns_is_abandoned():
    release = threading.Event()
    finished = threading.Event()

    def blocks() -> None:
        release.wait()
        finished.set()

    try:
        with pytest.raises(PluginFault) as caught:
            call(blocks, timeout=0.001)
        assert str(caught.value) == (
            "did not finish within the 0.001 s plugin time limit "
            "(abandoned; raise it with --plugin-timeout)"
        )
        assert not finished.is_set()
    finally:
        release.set()
    # the abandoned call keeps running until what it waits for happens
    assert finished.wait(timeout=60)


def test_plugin_output_goes_to_stderr(capsys):
    def noisy() -> str:
        print("from the plugin")
        sys.stdout.write("more\n")
        return "result"

    print("before")
    assert call(noisy) == "result"
    print("after")
    out, err = capsys.readouterr()
    assert out == "before\nafter\n"
    assert err == "from the plugin\nmore\n"


def test_an_abandoned_call_that_prints_later_still_goes_to_stderr(capsys):
    release = threading.Event()
    printed = threading.Event()

    def late() -> None:
        release.wait()
        print("late output")
        printed.set()

    try:
        with pytest.raises(PluginFault):
            call(late, timeout=0.001)
        print("report")
    finally:
        release.set()
    assert printed.wait(timeout=60)
    out, err = capsys.readouterr()
    assert out == "report\n"
    assert err == "late output\n"


def test_built_ins_run_in_this_thread_without_a_limit():
    assert call(threading.current_thread, timeout=None) is threading.current_thread()
    with pytest.raises(PluginFault, match="ZeroDivisionError"):
        call(lambda: 1 / 0, timeout=None)


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), True, "5"])
def test_bad_time_limits(value):
    with pytest.raises(ValueError, match="seconds"):
        check_timeout(value)


class _Unprintable(Exception):
    """An exception whose __str__ is plugin code that tries to end the run."""

    def __str__(self) -> str:
        raise SystemExit(3)


class _Meta(type):
    @property
    def __name__(cls) -> str:  # type: ignore[override]
        raise SystemExit(4)


class _Sneaky(Exception, metaclass=_Meta):
    def __str__(self) -> str:
        raise KeyboardInterrupt


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (_Unprintable(), "an exception that cannot be shown"),
        (_Sneaky(), "an exception that cannot be shown"),
    ],
    ids=["str-raises", "name-and-str-raise"],
)
def test_a_fault_is_described_inside_the_plugins_thread(exc, message):
    with pytest.raises(PluginFault) as caught:
        call(lambda: _raise(exc))
    assert str(caught.value) == message


class _Text(str):
    def translate(self, table: object) -> str:  # type: ignore[override]
        raise SystemExit(0)


@pytest.mark.parametrize(
    ("value", "kind", "what", "message"),
    [
        ("ok", str, "text", ""),
        (_Text("ok"), str, "text", "TypeError: must return text (got _Text)"),
        ([], tuple, "a tuple", "TypeError: must return a tuple (got list)"),
        (True, int, "a count", "TypeError: must return a count (got bool)"),
    ],
    ids=["str", "str-subclass", "list-for-tuple", "bool-for-int"],
)
def test_exactly_refuses_subclasses_inside_the_call(value, kind, what, message):
    run = lambda: exactly(value, kind, what)  # noqa: E731
    if not message:
        assert call(run) is value
        return
    with pytest.raises(PluginFault) as caught:
        call(run)
    assert str(caught.value) == message
