"""Replay: a command run again on unchanged inputs prints what it printed, without the checker.

``mesoreg check F`` and ``mesoreg plugins list`` spend most of a cold run importing the
checker (attrs, cattrs, the models) and building the registry.  When nothing they read has
changed since a run that was recorded, their output is a function of what they read, so it
is printed again from the cache (:mod:`mesoreg._cache`) with none of that imported.

The key, computed before anything heavy is imported, names the command line as given, the
current folder (as given and resolved), every environment variable, today's date, whether
each standard stream is a terminal (and its size), the Python executable and the installed
environment (:func:`mesoreg._stat.environment`); :func:`mesoreg._cache.key` adds mesoreg's
and Python's versions.  The value holds the text written to stdout and stderr, in order,
the exit code (written with :mod:`marshal`, which needs no import), and what the run
depended on: the stat signature of every file the run
opened and every folder it listed (seen through an audit hook, :func:`sys.addaudithook`,
so nothing that reads has to remember to say so), every path it asked ``os.stat`` or
``os.lstat`` about (``Path.exists``, ``is_file`` and mesoreg's own cache keys go through
them: whether a file is there decides things too), the source of every compiled module it
loaded, and every path the command names as an input whose absence matters
(configuration files that are not there).  A replay first compares every one of those
signatures with the file as it is now: one difference is a miss, and the command runs in
full.

A run is recorded only when all of this holds, else it is simply not kept:

* the command said the run may be replayed (:func:`offer`): ``check`` of a file (not
  ``ID@N``) with mesoreg's own output format, in which no plugin code takes part (every
  check, region validator and name resolver is mesoreg's own) and no plugin failed;
  ``plugins list``;
* it ended with an exit code the command offered (a report, not an error);
* it did nothing but read files, list folders and write into the cache folder: any other
  audited event (a write elsewhere, a socket, a subprocess, ctypes...) is a run that
  depends on more than its files;
* nothing it depended on changed during it or within :data:`MARGIN_NS` before it began
  (by the files' ctime, which cannot be set back), and the date did not change.

``MESOREG_CACHE=0`` turns replay off with every other cache.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

TYPE_CHECKING = False  # not typing's, nor collections.abc: a replay imports neither
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: the cache kind of recorded runs
KIND = "replay"
#: a file changed less than this long before a run began is not trusted to have been seen
#: whole by it (timestamps are coarser than the clock): the run is not recorded
MARGIN_NS = 2_000_000_000
#: audited events that read nothing outside the interpreter and change nothing outside it
_HARMLESS = frozenset(
    {
        "builtins.id",
        "compile",
        "exec",
        "import",
        "marshal.loads",
        "marshal.dumps",
        "object.__getattr__",
        "object.__setattr__",
        "object.__delattr__",
        "pickle.find_class",
        "sys._getframe",
        "sys._current_frames",
        "code.__new__",
        "function.__new__",
        "os.getxattr",
        "os.listxattr",
        "time.sleep",
        "sys.excepthook",
        "cpython.run_command",
        "cpython.PyInterpreterState_New",
        "gc.get_referrers",
        "gc.get_referents",
        "gc.get_objects",
        # walks and globs list each folder through os.scandir, which is seen on its own
        "os.walk",
        "glob.glob",
        "glob.glob/2",
    }
)
#: audited events that change files: allowed inside the cache folder only
_WRITES = frozenset(
    {
        "os.mkdir",
        "os.rename",
        "os.replace",
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "os.chmod",
        "os.utime",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
        "shutil.rmtree",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


#: the global options that take a value (:func:`mesoreg.command.cli._common`)
_VALUED = frozenset(
    {"--pack", "--allow", "--deny", "--require", "--allow-weakening", "--plugin-timeout"}
)


def wanted(args: Sequence[str]) -> bool:
    """Whether ``args`` name a command that can be replayed (``check``, ``plugins list``):
    its first words, past the global options.  Anything else runs as it is."""
    from mesoreg import _cache

    words: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
            if len(words) == 2:
                break
    return _cache.enabled() and (words[:1] == ["check"] or words == ["plugins", "list"])


def key(args: Sequence[str], today: str) -> str:
    """The cache key of running ``args`` here on ``today`` (see the module's documentation)."""
    from mesoreg import _cache, _stat

    cwd = os.getcwd()
    environ = "\0".join(f"{k}={v}" for k, v in sorted(os.environ.items()))
    streams = [_terminal(fd) for fd in (0, 1, 2)]
    return _cache.key(
        KIND,
        "\0".join(args),
        cwd,
        os.path.realpath(cwd),
        environ,
        repr(sys.flags),
        repr(sys.warnoptions),
        repr(sorted(sys._xoptions.items())),
        today,
        *streams,
        _stat.environment(),
    )


def _today() -> str:
    return time.strftime("%Y-%m-%d")  # local time, as datetime.date.today()


def _terminal(fd: int) -> str:
    try:
        if not os.isatty(fd):
            return "not a terminal"
        size = os.get_terminal_size(fd)
    except OSError:
        return "unknown"
    return f"terminal {size.columns}x{size.lines}"


Chunks = tuple[tuple[int, str], ...]


def lookup(name: str) -> tuple[Chunks, int] | None:
    """The output and exit code recorded under ``name``, if every input is as it was."""
    from mesoreg import _cache, _stat

    payload = _cache.get_bytes(KIND, name)
    try:
        value = marshal.loads(payload) if payload is not None else None
    except (EOFError, ValueError, TypeError):
        return None
    if type(value) is not tuple or len(value) != 3:
        return None
    deps, chunks, code = value
    if type(deps) is not tuple or type(chunks) is not tuple or type(code) is not int:
        return None
    for dep in deps:
        if type(dep) is not tuple or len(dep) != 3:
            return None
        path, read, signature = dep
        if (_stat.signature(path) if read else _stat.presence(path)) != signature:
            return None
    return chunks, code


def replay(chunks: Chunks) -> None:
    """Write the recorded output again, to the same streams in the same order."""
    for number, text in chunks:
        (sys.stdout if number == 1 else sys.stderr).write(text)


def run(args: Sequence[str], main: Callable[[Sequence[str]], int]) -> int:
    """Run ``main(args)``, or replay it; record the run when it may be replayed."""
    if sys.stdout is None or sys.stderr is None or not wanted(args):
        return main(args)
    today = _today()  # read once: the run is kept only if it ends on the day it is keyed by
    try:
        name = key(args, today)
    except OSError:  # no current folder, say: the command says what is wrong
        return main(args)
    hit = lookup(name)
    if hit is not None:
        try:
            replay(hit[0])
        except BrokenPipeError:  # the reader went away (`| head`): as the command itself does
            from mesoreg._exit import reader_gone

            return reader_gone(sys.stdout)
        return hit[1]
    global _active
    recorder = _Recorder(name, today)
    _install()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Tee(stdout, 1, recorder)
    sys.stderr = _Tee(stderr, 2, recorder)
    _active = recorder
    stat, lstat = os.stat, os.lstat
    os.stat, os.lstat = recorder.probe(stat), recorder.probe(lstat)
    try:
        code = main(args)
    finally:
        _active = None
        os.stat, os.lstat = stat, lstat
        sys.stdout, sys.stderr = stdout, stderr
    try:
        recorder.finish(code)
    except Exception:  # keeping a run is an optimisation: never an error
        pass
    return code


def offer(codes: Sequence[int], inputs: Sequence[str] = ()) -> None:
    """Say that the run under way may be replayed if it ends with one of ``codes``;
    ``inputs`` are further paths whose signature (or absence) the output depends on.
    Nothing happens outside a recorded run."""
    recorder = _active
    if recorder is not None:
        recorder.codes = frozenset(codes)
        recorder.probed.update(inputs)


class _Recorder:
    """What one run read, wrote and printed."""

    def __init__(self, name: str, today: str) -> None:
        from mesoreg import _cache

        self.name = name
        self.start = time.time_ns()
        self.today = today
        self.cache = os.path.abspath(_cache.folder())
        self.chunks: list[tuple[int, str]] = []
        self.codes: frozenset[int] = frozenset()
        #: files opened and folders listed: compared by stat signature
        self.inputs: set[str] = set()
        #: paths only looked at: compared by what a look tells (see :func:`_stat.presence`)
        self.probed: set[str] = set()
        self.tainted = ""

    def event(self, event: str, args: tuple[object, ...]) -> None:
        if event in _HARMLESS or self.tainted:
            return
        if event == "open":
            path, _, flags = args
            if type(path) is int:  # a descriptor opened already (and seen then)
                return
            where = _path(path)
            if where is None:
                self.tainted = "open"
            elif type(flags) is int and flags & _WRITE_FLAGS:
                if not self._cached(where):
                    self.tainted = f"a write to {where}"
            elif not self._cached(where):
                self.inputs.add(where)
        elif event in ("os.listdir", "os.scandir"):
            where = _path(args[0] if args else ".")
            if where is None:
                self.tainted = event
            else:
                self.inputs.add(where or ".")
        elif event in _WRITES:
            where = _path(args[0] if args else None)
            if where is None or not self._cached(where):
                self.tainted = f"{event} {where}"
        else:
            self.tainted = event

    def probe(self, function: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        """``function`` (``os.stat`` or ``os.lstat``), noting the path it is asked about:
        whether a file is there decides things (where configuration is, which file a
        pack is read from) that are not audited events."""

        def probed(path: object, *args: object, **kwargs: object) -> os.stat_result:
            if type(path) is not int:  # a descriptor: opened already, and seen then
                where = _path(path)
                if where is None or kwargs.get("dir_fd") is not None:
                    self.tainted = "a stat relative to a folder descriptor"
                elif not self._cached(where) and not self.cache.startswith(where + os.sep):
                    self.probed.add(where)  # (the cache's own folders: made as needed)
            return function(path, *args, **kwargs)

        return probed

    def _cached(self, path: str) -> bool:
        """Whether ``path`` is the cache folder, one of its kinds' folders or an entry in one
        (an entry is a function of its key); by the path's shape, ``..`` resolved, so that no
        other file (a formulation kept beside the cache, or named through it) passes."""
        where = os.path.abspath(path)
        if where == self.cache:
            return True
        if not where.startswith(self.cache + os.sep):
            return False
        parts = where[len(self.cache) + 1 :].split(os.sep)
        if len(parts) == 1:
            return parts[0].isidentifier()  # a kind's folder
        kind, name = parts if len(parts) == 2 else ("", "")
        stem = name.removesuffix(".pickle")
        entry = stem != name and len(stem) == 64 and all(c in "0123456789abcdef" for c in stem)
        temporary = name.startswith(".") and name.endswith(".tmp")
        return kind.isidentifier() and (entry or temporary)

    def finish(self, code: int) -> None:
        """Keep the run, if it may be replayed (see the module's documentation)."""
        from mesoreg import _cache, _stat

        if self.tainted or code not in self.codes or _today() != self.today:
            return
        paths = set(self.inputs)
        # a compiled module is used only while its source is unchanged (a stat the audit
        # hook does not see), wherever its bytecode was kept: every module's source too
        paths.update(_module_files())
        deps = [(p, True, _stat.signature(p)) for p in sorted(paths)]
        deps += [(p, False, _stat.presence(p)) for p in sorted(self.probed - paths)]
        newest = self.start - MARGIN_NS
        for _, _, signature in deps:
            ctime = signature.rpartition(":")[2]
            if ctime.isdigit() and int(ctime) > newest:
                return  # changed during the run, or just before it
        value = (tuple(deps), tuple(self.chunks), int(code))
        _cache.put_bytes(KIND, self.name, marshal.dumps(value))


def _module_files() -> set[str]:
    """The source and compiled files of every module loaded (this one among them)."""
    files = set()
    for module in list(sys.modules.values()):
        spec = getattr(module, "__spec__", None)
        for where in (
            getattr(module, "__file__", None),
            getattr(module, "__cached__", None),
            getattr(spec, "origin", None),
        ):
            if type(where) is str and where not in ("built-in", "frozen"):
                files.add(where)
    return files


def _path(value: object) -> str | None:
    """An audited path as text; None when it is not a path."""
    if value is None:
        return "."
    try:
        return os.fsdecode(value)  # type: ignore[arg-type]
    except TypeError:
        return None


class _Tee:
    """A text stream that remembers what is written through it."""

    def __init__(self, inner: object, number: int, recorder: _Recorder) -> None:
        self._inner = inner
        self._number = number
        self._recorder = recorder

    def write(self, text: str) -> int:
        if isinstance(text, str):  # a plain copy of a str subclass: it is marshalled
            self._recorder.chunks.append((self._number, str.__str__(text)))
        else:  # the stream refuses it, as it would
            self._recorder.tainted = "a write of something else than text"
        written: int = self._inner.write(text)  # type: ignore[attr-defined]
        return written

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:
        if name in ("buffer", "fileno"):  # output that would bypass the record
            self._recorder.tainted = f"sys.{'stdout' if self._number == 1 else 'stderr'}.{name}"
        return getattr(self._inner, name)


_active: _Recorder | None = None
_installed = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    recorder = _active
    if recorder is not None:
        recorder.event(event, args)


def _install() -> None:
    """Add the audit hook, once per process (a hook cannot be removed; it does nothing
    outside a recorded run)."""
    global _installed
    if not _installed:
        sys.addaudithook(_audit)
        _installed = True
