"""Plugins: discovery through entry points, isolation of broken plugins, control, listing.

Each test installs throw-away distributions into a temporary folder on sys.path
(a ``*.dist-info`` with ``entry_points.txt``), so nothing depends on what is
installed in the environment.
"""

from __future__ import annotations

import importlib
import json
import sys
import textwrap
import types
from pathlib import Path

import pytest

import mesoreg
from mesoreg import Verdict
from mesoreg.command import cli
from mesoreg.host._config import Settings
from mesoreg.host._plugins import discover, load_plugins
from mesoreg.host._registry import Registry
from mesoreg.testing import check_with, formulation, make_registry

GOOD = """
import mesoreg

@mesoreg.hookimpl
def mesoreg_region_validators():
    return [mesoreg.RegionValidator("xx-rules", ("XX",), lambda subject: [])]
"""
BROKEN_IMPORT = """
import mesoreg
raise ImportError("this plugin is broken on purpose")
"""
RAISES = """
import mesoreg

@mesoreg.hookimpl
def mesoreg_checks():
    raise RuntimeError("hook exploded")
"""
MISSPELLED = """
import mesoreg

@mesoreg.hookimpl
def mesoreg_region_validator():
    return []
"""
PACK = """
schema_version = 1

[pack]
name = "test-pack"
version = "2.0.0"
licence = "CC0-1.0"

[[sources]]
id = "test_source"
title = "A test source"
issuer = "Tests"
date = "2026"
kind = "expert_opinion"

[[regulations]]
id = "yy_rule"
code = "MR-REG-YY-TEST"
regions = ["YY"]
severity = "minor"
evidence = "expert_opinion"
sources = ["test_source"]
message = "A test rule."
advice = "None."
"""


def install(
    root: Path,
    dist: str,
    *,
    module: str | None = None,
    code: str = "",
    group: str = "mesoreg",
    value: str = "",
    requires: str = "",
    files: dict[str, str] | None = None,
) -> None:
    """Write a minimal installed distribution into ``root``."""
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    meta = f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n"
    if requires:
        meta += f"Requires-Dist: mesoreg{requires}\n"
    (info / "METADATA").write_text(meta)
    name = dist.removeprefix("mesoreg-")
    (info / "entry_points.txt").write_text(f"[{group}]\n{name} = {value or module}\n")
    record = []
    if module:
        (root / f"{module}.py").write_text(textwrap.dedent(code))
        record.append(f"{module}.py,,")
    for rel, text in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        record.append(f"{rel},,")
    (info / "RECORD").write_text("\n".join(record) + "\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A fresh folder of installed distributions, on sys.path for this test only."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("MESOREG_NO_PLUGINS")
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("mesoreg_test_")]:
        del sys.modules[name]
    importlib.invalidate_caches()


def statuses(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    loaded = load_plugins(settings or Settings())
    return {s.info.name: s for s, _ in loaded if s.info.name.startswith("test")}


def test_discovery_reads_metadata_only(site):
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    found = [p for p in discover() if p.name == "test-broken"]
    assert [(p.kind, p.distribution, p.version) for p in found] == [
        ("code", "mesoreg-test-broken", "1.0")
    ]
    assert "mesoreg_test_broken" not in sys.modules


def test_each_plugin_loads_on_its_own(site):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    install(site, "mesoreg-test-misspelled", module="mesoreg_test_misspelled", code=MISSPELLED)
    install(site, "mesoreg-test-future", module="mesoreg_test_good", code=GOOD, requires=">=99")
    got = statuses()
    assert got["test-good"].status == "ok"
    assert got["test-good"].provides == ("mesoreg_region_validators",)
    assert got["test-broken"].status == "failed"
    assert got["test-broken"].error == (
        "cannot load mesoreg_test_broken: ImportError: this plugin is broken on purpose"
    )
    assert got["test-misspelled"].error == (
        "implements unknown hook 'mesoreg_region_validator'; "
        "did you mean 'mesoreg_region_validators'?"
    )
    assert got["test-future"].status == "incompatible"
    assert (
        got["test-future"].error == f"requires mesoreg>=99, this is mesoreg {mesoreg.__version__}"
    )


def test_a_broken_plugin_never_lets_a_check_pass(site):
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    install(site, "mesoreg-test-raises", module="mesoreg_test_raises", code=RAISES)
    registry = Registry.from_settings(Settings())
    report = check_with(
        formulation([("pyridoxine", "100 mg/mL", "1 mL")]), None, registry=registry, region="XX"
    )
    reasons = {u.rule: u.reason for u in report.unchecked}
    assert reasons["test-broken"].startswith("plugin failed: cannot load mesoreg_test_broken")
    assert "failed in mesoreg_checks: RuntimeError: hook exploded" in reasons["test-raises"]
    # the region only the broken plugin would have covered is not validated, never passed
    assert reasons["XX"] == "no regulatory validator for region XX is installed"
    assert report.verdict is mesoreg.Verdict.NOT_VALIDATED
    # the built-in checks still ran
    assert "doses" in report.checks


def test_data_pack_through_its_entry_point(site):
    install(
        site,
        "mesoreg-test-pack",
        group="mesoreg.packs",
        value="test_pack_data:pack.toml",
        files={"test_pack_data/pack.toml": PACK},
    )
    registry = Registry.from_settings(Settings())
    report = check_with(
        formulation([("pyridoxine", "100 mg/mL", "1 mL")]), None, registry=registry, region="YY"
    )
    (finding,) = [f for f in report.findings if f.code == "MR-REG-YY-TEST"]
    assert finding.provider == "test-pack 2.0.0"
    assert "test-pack 2.0.0" in report.packs
    assert "test_pack_data" not in sys.modules  # no code of the pack's ran


def test_local_pack_path():
    settings = Settings(packs=(str(write(PACK)),))
    registry = Registry.from_settings(settings)
    assert "test-pack" in {name for name, _ in registry.catalog.packs}


def write(text: str) -> Path:
    import tempfile

    path = Path(tempfile.mkdtemp()) / "pack.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("settings", "status"),
    [
        (Settings(no_plugins=True), None),  # not even looked up
        (Settings(deny=("test-good",)), "disabled"),
        (Settings(allow=("something-else",)), "disabled"),
        (Settings(allow=("test-good",)), "ok"),
    ],
    ids=["no-plugins", "deny", "not-in-allow", "in-allow"],
)
def test_allow_deny_and_no_plugins(site, settings, status):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    got = statuses(settings).get("test-good")
    assert (got.status if got else None) == status
    if status != "ok":
        assert "mesoreg_test_good" not in sys.modules


def test_required_plugin_missing_fails(site):
    with pytest.raises(mesoreg.PluginError, match="required plugin 'nowhere' is not installed"):
        Registry.from_settings(Settings(require=("nowhere",)))


def test_required_plugin_broken_fails(site):
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    with pytest.raises(mesoreg.PluginError, match="required plugin 'test-broken' is failed"):
        Registry.from_settings(Settings(require=("test-broken",)))


def test_strict_mode_reraises(site, monkeypatch):
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    monkeypatch.setenv("MESOREG_STRICT_PLUGINS", "1")
    with pytest.raises(mesoreg.PluginError, match="broken on purpose"):
        Registry.from_settings(Settings())


def test_cli_lists_plugins_with_a_broken_one_installed(site, capsys, monkeypatch):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    monkeypatch.setenv("PYTHONPATH", str(site))  # the child process that loads plugins
    assert cli.main(["plugins", "list", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["test-good"]["status"] == "ok"
    assert rows["test-broken"]["status"] == "failed"
    assert "broken on purpose" in rows["test-broken"]["error"]
    assert rows["mesoreg.checks._core"]["kind"] == "built-in"
    # listing ran the plugins in a child process, never here
    assert "mesoreg_test_broken" not in sys.modules


def test_cli_no_plugins_list_imports_nothing(site, capsys):
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    assert cli.main(["--no-plugins", "plugins", "list"]) == 0
    out = capsys.readouterr().out
    assert "test-broken" in out and "disabled" in out
    assert "mesoreg_test_broken" not in sys.modules


def test_version_works_with_a_broken_plugin(site, capsys):
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"mesoreg {mesoreg.__version__}"
    assert "mesoreg_test_broken" not in sys.modules


def test_plugins_check_reports_problems(tmp_path, capsys):
    bad = PACK.replace('licence = "CC0-1.0"\n', "")
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    assert cli.main(["plugins", "check", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: {path}: pack.licence: required key is missing"
    )


def test_plugins_check_finds_a_clash_with_the_core(tmp_path, capsys):
    clash = (
        PACK
        + """
[[ingredients]]
id = "lidocaine"
name = "Lidocaine again"
classes = ["local_anaesthetic"]
sources = ["test_source"]
"""
    )
    path = tmp_path / "clash.toml"
    path.write_text(clash)
    assert cli.main(["plugins", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert "duplicate id 'lidocaine': also defined in mesoreg-core" in err


def test_plugins_check_ok(tmp_path, capsys):
    path = tmp_path / "ok.toml"
    path.write_text(PACK)
    assert cli.main(["plugins", "check", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {path}"


# -- plugin faults (issue 10, section 4) -------------------------------------------------

EXITS_AT_IMPORT = """
import sys
sys.exit(0)
"""
PRINTS = """
import sys
import mesoreg

print("loading mesoreg_test_prints")

@mesoreg.hookimpl
def mesoreg_checks():
    print("collecting checks")
    sys.stdout.write("and more\\n")

    def run(subject):
        print("checking", subject.formulation.id)
        return []

    return [mesoreg.Check("prints", "prints to stdout", run)]
"""
BLOCKS_AT_IMPORT = """
import threading

#: set by the test once it has its result, so the abandoned import can end
release = threading.Event()
release.wait()
"""
BAD_PACK = """
import mesoreg
from mesoreg.documents._knowledge import Ingredient

@mesoreg.hookimpl
def mesoreg_ingredient_packs():
    thing = Ingredient(id="thing", name="Thing", classes="vitamin", sources=("s",))
    return [mesoreg.Pack(name="bad-pack", version="1", ingredients=(thing,))]
"""
BAD_FINDING = """
import mesoreg

def run(subject):
    yield mesoreg.Finding(
        severity="major", code="MR-X", rule="x", message="m", advice="a", evidence="e",
        evidence_level=mesoreg.Evidence.LABEL,
    )

@mesoreg.hookimpl
def mesoreg_checks():
    return [mesoreg.Check("string-severity", "a malformed finding", run)]
"""
JSON_FORMAT = """
import mesoreg

@mesoreg.hookimpl
def mesoreg_output_formats():
    return [mesoreg.OutputFormat("json", lambda report: '{"verdict": "pass"}')]
"""
LIDOCAINE_OVERDOSE = """
schema_version = 1
id = "overdose"
version = 1
title = "lidocaine overdose"

[use]
area = "face"
technique = "nappage"
depth = "2 mm"
points = 10

[[preparations]]
name = "syringe"
per_session = 2

[[preparations.components]]
ingredient = "lidocaine"
strength = "2 %"
volume = "20 mL"
"""


MARC = Path(__file__).resolve().parent.parent / "examples" / "patients" / "marc.toml"


@pytest.fixture
def overdose(tmp_path):
    """The arguments of a check that fails: a formulation and a patient it is wrong for."""
    path = tmp_path / "overdose.toml"
    path.write_text(LIDOCAINE_OVERDOSE)
    return ["check", str(path), "--patient", str(MARC), "--date", "2026-11-22"]


def test_sys_exit_at_import_is_a_named_failure(site, overdose, capsys):
    install(site, "mesoreg-test-exits", module="mesoreg_test_exits", code=EXITS_AT_IMPORT)
    got = statuses()["test-exits"]
    assert (got.status, got.error) == ("failed", "cannot load mesoreg_test_exits: SystemExit: 0")
    # the failing check still prints its report and exits 1, never 0
    assert cli.main([*overdose, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "fail"
    assert {(u["check"], u["rule"]) for u in report["unchecked"]} == {("plugins", "test-exits")}


def test_plugin_output_never_reaches_stdout(site, overdose, capsys):
    install(site, "mesoreg-test-prints", module="mesoreg_test_prints", code=PRINTS)
    assert cli.main([*overdose, "--format", "json"]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["verdict"] == "fail"
    assert err.splitlines() == [
        "loading mesoreg_test_prints",
        "collecting checks",
        "and more",
        "checking overdose",
    ]


def test_a_plugin_blocking_at_import_does_not_hang_the_command(site, overdose, capsys):
    install(site, "mesoreg-test-blocks", module="mesoreg_test_blocks", code=BLOCKS_AT_IMPORT)
    try:
        code = cli.main(["--plugin-timeout", "0.01", *overdose, "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 1
        (gap,) = report["unchecked"]
        assert gap["rule"] == "test-blocks"
        assert gap["reason"] == (
            "plugin failed: cannot load mesoreg_test_blocks: did not finish within the 0.01 s "
            "plugin time limit (abandoned; raise it with --plugin-timeout); "
            "what it provides was not checked"
        )
    finally:
        # the module is still being imported in the abandoned thread: let it finish
        sys.modules["mesoreg_test_blocks"].release.set()


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        (
            BAD_PACK,
            "test-bad: plugin 'mesoreg_test_bad' failed in mesoreg_ingredient_packs: returned a "
            "malformed record: Pack #1.ingredients[0].classes: must be a tuple (got str 'vitamin')",
        ),
        (
            BAD_FINDING,
            "test-bad: string-severity: check failed (plugin 'mesoreg_test_bad'): TypeError: "
            "yielded a malformed record: Finding.severity: must be Severity (got str 'major')",
        ),
        (
            JSON_FORMAT,
            "test-bad: plugin 'mesoreg_test_bad' failed in mesoreg_output_formats: format 'json' "
            "is built in and cannot be replaced; rename yours",
        ),
        (
            EXITS_AT_IMPORT,
            "test-bad: cannot load mesoreg_test_bad: SystemExit: 0",
        ),
    ],
    ids=["pack-string-for-list", "finding-string-severity", "format-named-json", "sys-exit"],
)
def test_plugins_check_reports_malformed_records(site, capsys, code, problem):
    project = site / "project"
    project.mkdir()
    (project / "mesoreg_test_bad.py").write_text(textwrap.dedent(code))
    (project / "pyproject.toml").write_text(
        '[project]\nname = "mesoreg-test-bad"\nversion = "1.0"\n'
        '[project.entry-points.mesoreg]\ntest-bad = "mesoreg_test_bad"\n'
    )
    assert cli.main(["plugins", "check", str(project)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"error: {problem}" in err.splitlines()


def test_a_malformed_pack_is_a_named_failure_in_a_check(site, overdose, capsys):
    install(site, "mesoreg-test-bad", module="mesoreg_test_bad", code=BAD_PACK)
    assert cli.main(overdose) == 1
    out = capsys.readouterr().out
    assert (
        "  plugins: test-bad: plugin 'test-bad' failed in mesoreg_ingredient_packs: returned a "
        "malformed record: Pack #1.ingredients[0].classes: must be a tuple (got str 'vitamin')"
    ) in out.splitlines()


def test_a_plugin_cannot_replace_the_json_format(site, overdose, capsys):
    install(site, "mesoreg-test-json", module="mesoreg_test_json", code=JSON_FORMAT)
    assert cli.main([*overdose, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "fail"
    assert report["report_schema_version"] == 2
    assert [u["reason"] for u in report["unchecked"]] == [
        "plugin 'test-json' failed in mesoreg_output_formats: format 'json' is built in and "
        "cannot be replaced; rename yours"
    ]


def test_plugins_list_child_imports_this_mesoreg(site, tmp_path, monkeypatch, capsys):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    # a folder with its own mesoreg/, as in a checkout of another version
    folder = tmp_path / "checkout"
    (folder / "mesoreg").mkdir(parents=True)
    (folder / "mesoreg" / "__init__.py").write_text("raise SystemExit('the wrong mesoreg')\n")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PYTHONPATH", str(folder))  # ignored: the child runs isolated
    assert cli.main(["plugins", "list", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["test-good"]["status"] == "ok"


def test_plugins_list_child_gets_the_settings(site, capsys):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    assert cli.main(["--deny", "test-good", "plugins", "list", "--format", "json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["test-good"]["status"] == "disabled"


# -- what a hook returns is checked inside the guard, by exact type (issue 10, section 4) ------


class _ExitingList(list):  # type: ignore[type-arg]
    """A list whose iteration is plugin code that tries to end the run."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise SystemExit(0)


class _InterruptingTuple(tuple):  # type: ignore[type-arg]
    def __iter__(self):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt


class _EndlessList(list):  # type: ignore[type-arg]
    """Iterating it never ends: refused by its type, so it is never iterated."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        while True:
            yield None


def _hooked(hook: str, value: object) -> object:
    plugin = types.ModuleType("returns-" + type(value).__name__)
    setattr(plugin, hook, mesoreg.hookimpl(lambda: value))
    return plugin


@pytest.mark.parametrize(
    "value", [_ExitingList(), _InterruptingTuple(), _EndlessList()], ids=lambda v: type(v).__name__
)
@pytest.mark.parametrize(
    ("hook", "kind"),
    [
        ("mesoreg_checks", "Check"),
        ("mesoreg_rule_packs", "Pack"),
        ("mesoreg_output_formats", "OutputFormat"),
    ],
)
def test_a_hook_result_of_a_subclass_is_a_named_failure(hook, kind, value):
    plugin = _hooked(hook, value)
    report = check_with(formulation([("lidocaine", "1 %", "2 mL")]), plugins=[plugin])
    expected = (
        f"plugin '{plugin.__name__}' failed in {hook}: "
        f"must return a list of {kind} (got {type(value).__name__})"
    )
    assert expected in {u.reason for u in report.unchecked}
    assert report.verdict is Verdict.NOT_VALIDATED


class _ShoutingText(str):
    """Text whose own methods are plugin code (the text renderer escapes with translate)."""

    def translate(self, table):  # type: ignore[no-untyped-def]
        raise SystemExit(0)

    def __hash__(self) -> int:
        raise SystemExit(0)


def test_an_output_format_returning_a_str_subclass_is_refused():
    plugin = _hooked(
        "mesoreg_output_formats",
        [mesoreg.OutputFormat("sly", lambda report: _ShoutingText("PASS"))],
    )
    registry = make_registry([plugin])
    report = check_with(formulation([("lidocaine", "1 %", "2 mL")]), registry=registry)
    with pytest.raises(mesoreg.PluginError) as caught:
        registry.render("sly", report)
    assert str(caught.value) == (
        f"plugin '{plugin.__name__}' failed in output format 'sly': "
        "TypeError: must return text (got _ShoutingText)"
    )


def test_a_resolver_returning_a_str_subclass_is_refused():
    plugin = types.ModuleType("sly-resolver")
    plugin.mesoreg_resolve_ingredient = mesoreg.hookimpl(  # type: ignore[attr-defined]
        lambda name, catalog: _ShoutingText("lidocaine")
    )
    with pytest.raises(mesoreg.InputError) as caught:
        check_with(formulation([("our house anaesthetic", "1 %", "2 mL")]), plugins=[plugin])
    assert (
        "plugin 'sly-resolver' resolved 'our house anaesthetic', refused: the plugin failed: "
        "TypeError: must return a catalog id or None (got _ShoutingText)"
    ) in str(caught.value)


class _NoAttributes:
    """A plugin object whose unknown attributes are plugin code that ends the run."""

    def __getattr__(self, name: str) -> object:
        raise SystemExit(0)

    @mesoreg.hookimpl
    def mesoreg_checks(self):  # type: ignore[no-untyped-def]
        return [_ExitingList()]


def test_telling_built_ins_apart_reads_no_attribute_of_a_plugin():
    report = check_with(formulation([("lidocaine", "1 %", "2 mL")]), plugins=[_NoAttributes()])
    assert report.verdict is Verdict.NOT_VALIDATED
    assert any("'_NoAttributes' failed in mesoreg_checks" in u.reason for u in report.unchecked)


@pytest.mark.parametrize("name", ["mesoreg-core", "Mesoreg_C0re", "mesoreg", "mesoreg-core\u200b"])
def test_a_plugin_named_like_mesoreg_itself_is_refused_unloaded(name):
    from mesoreg.host._plugins import PluginInfo

    info = PluginInfo(name, "code", target="never_imported_module")
    ((status, plugin),) = load_plugins(Settings(), infos=[info])
    assert (status.status, plugin) == ("failed", None)
    assert status.error == "its name looks like mesoreg's own (mesoreg-core): refused; rename it"
    assert "never_imported_module" not in sys.modules


# -- the on-disk cache: discovery, code plugins, listing -----------------------------------


@pytest.fixture
def own_cache(tmp_path_factory, monkeypatch):
    """A cache folder of this test's own, switched on."""
    where = tmp_path_factory.mktemp("own-cache") / "mesoreg"
    monkeypatch.setenv("MESOREG_CACHE_DIR", str(where))
    monkeypatch.delenv("MESOREG_CACHE", raising=False)
    return where


def test_discovery_sees_an_install_and_a_removal(site, own_cache):
    assert not [p for p in discover() if p.name == "test-good"]
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    assert [p.name for p in discover() if p.name == "test-good"] == ["test-good"]
    assert list((own_cache / "discovery").glob("*.pickle"))
    import shutil

    shutil.rmtree(site / "mesoreg_test_good-1.0.dist-info")
    assert not [p for p in discover() if p.name == "test-good"]


def test_discovery_sees_an_upgrade(site, own_cache):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    assert [p.version for p in discover() if p.name == "test-good"] == ["1.0"]
    info = site / "mesoreg_test_good-1.0.dist-info"
    meta = (info / "METADATA").read_text().replace("Version: 1.0", "Version: 2.0")
    (info / "METADATA").write_text(meta)
    info.rename(site / "mesoreg_test_good-2.0.dist-info")
    assert [p.version for p in discover() if p.name == "test-good"] == ["2.0"]


def test_discovery_cache_off_writes_nothing(site, own_cache, monkeypatch):
    monkeypatch.setenv("MESOREG_CACHE", "0")
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    assert [p.name for p in discover() if p.name == "test-good"] == ["test-good"]
    assert not own_cache.exists()


def test_a_plugin_broken_after_caching_fails_closed(site, own_cache, monkeypatch):
    """Code plugins are imported every run: a cached catalog cannot hide a broken one."""
    install(site, "mesoreg-test-rules", module="mesoreg_test_rules", code=CODE_PACK)
    registry = Registry.from_settings(Settings())
    assert any(r.id == "zz_rule" for r in registry.catalog.regulations)
    assert "code-rules 1.0" in registry.pack_labels["test-rules"]
    assert list((own_cache / "catalog").glob("*.pickle"))
    # the plugin's file now fails to import (as an edited editable install would)
    (site / "mesoreg_test_rules.py").write_text(BROKEN_IMPORT)
    del sys.modules["mesoreg_test_rules"]
    importlib.invalidate_caches()
    again = Registry.from_settings(Settings())
    assert {s.info.name: s.status for s in again.statuses}["test-rules"] == "failed"
    assert not any(r.id == "zz_rule" for r in again.catalog.regulations)
    # exactly the report the uncached path makes
    monkeypatch.setenv("MESOREG_CACHE", "0")
    uncached = Registry.from_settings(Settings())
    sample = formulation([("pyridoxine", "100 mg/mL", "1 mL")])
    report = check_with(sample, None, registry=again, region="ZZ")
    assert report == check_with(sample, None, registry=uncached, region="ZZ")
    assert {s.info.name: s.status for s in uncached.statuses}["test-rules"] == "failed"


def test_an_edited_code_plugin_pack_is_used(site, own_cache):
    install(site, "mesoreg-test-rules", module="mesoreg_test_rules", code=CODE_PACK)
    Registry.from_settings(Settings()).catalog  # noqa: B018
    (site / "mesoreg_test_rules.py").write_text(CODE_PACK.replace('"minor"', '"major"'))
    del sys.modules["mesoreg_test_rules"]
    importlib.invalidate_caches()
    catalog = Registry.from_settings(Settings()).catalog
    (rule,) = [r for r in catalog.regulations if r.id == "zz_rule"]
    assert rule.severity.value == "major"


def test_listing_is_cached_and_sees_changes(site, own_cache, capsys, monkeypatch):
    from mesoreg.interfaces import _plugin_admin

    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    install(site, "mesoreg-test-broken", module="mesoreg_test_broken", code=BROKEN_IMPORT)
    children: list[int] = []
    real = _plugin_admin._probe

    def probe(settings, files=None):  # type: ignore[no-untyped-def]
        children.append(1)
        return real(settings, files)

    monkeypatch.setattr(_plugin_admin, "_probe", probe)

    def rows() -> dict[str, dict[str, object]]:
        assert cli.main(["plugins", "list", "--format", "json"]) == 0
        return {r["name"]: r for r in json.loads(capsys.readouterr().out)}

    first = rows()
    assert first["test-broken"]["status"] == "failed"  # a broken plugin is still listed
    assert first["test-good"]["status"] == "ok"
    assert rows() == first and len(children) == 1  # answered from the cache
    # the plugin's code changes: the listing is made again
    (site / "mesoreg_test_broken.py").write_text(GOOD)
    assert rows()["test-broken"]["status"] == "ok" and len(children) == 2
    # a new plugin is installed
    install(site, "mesoreg-test-more", module="mesoreg_test_more", code=GOOD)
    assert "test-more" in rows() and len(children) == 3
    # other settings
    assert cli.main(["--deny", "test-good", "plugins", "list", "--format", "json"]) == 0
    capsys.readouterr()
    assert len(children) == 4
    # the cache off: the child runs, although the listing before was the same
    assert cli.main(["--deny", "test-good", "plugins", "list", "--format", "json"]) == 0
    capsys.readouterr()
    assert len(children) == 4
    monkeypatch.setenv("MESOREG_CACHE", "0")
    assert cli.main(["--deny", "test-good", "plugins", "list", "--format", "json"]) == 0
    capsys.readouterr()
    assert len(children) == 5


def test_listing_sees_a_module_the_plugin_imports_from_outside_its_package(site, own_cache, capsys):
    """The listing's key names the plugin's own package; a helper it imports beside it (or
    a library) is compared by the files the child imported."""
    (site / "mesoreg_test_helper.py").write_text("VALUE = 1\n")
    install(site, "mesoreg-test-uses", module="mesoreg_test_uses", code=GOOD)
    (site / "mesoreg_test_uses.py").write_text("import mesoreg_test_helper\n" + GOOD)

    def status() -> object:
        assert cli.main(["plugins", "list", "--format", "json"]) == 0
        return {r["name"]: r for r in json.loads(capsys.readouterr().out)}["test-uses"]["status"]

    assert status() == "ok"
    (site / "mesoreg_test_helper.py").write_text("raise RuntimeError('broken helper')\n")
    assert status() == "failed"


def test_listing_with_a_damaged_entry_runs_the_child(site, own_cache, capsys):
    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    assert cli.main(["plugins", "list", "--format", "json"]) == 0
    first = capsys.readouterr().out
    for entry in (own_cache / "plugins").glob("*.pickle"):
        entry.write_bytes(b"garbage")
    assert cli.main(["plugins", "list", "--format", "json"]) == 0
    assert capsys.readouterr().out == first


def test_a_failed_child_is_not_cached(site, own_cache, monkeypatch):
    from mesoreg.interfaces import _plugin_admin

    install(site, "mesoreg-test-good", module="mesoreg_test_good", code=GOOD)
    monkeypatch.setattr(_plugin_admin, "_CHILD", "import sys; sys.stdout.write('not json')")
    rows = _plugin_admin.list_plugins(Settings())
    assert any(_plugin_admin._CHILD_FAILED in r["error"] for r in rows)
    assert not list((own_cache / "plugins").glob("*.pickle"))


CODE_PACK = """
import mesoreg

PACK = '''
schema_version = 1

[pack]
name = "code-rules"
version = "1.0"
licence = "CC0-1.0"

[[sources]]
id = "zz_source"
title = "A test source"
issuer = "Tests"
date = "2026"
kind = "expert_opinion"

[[regulations]]
id = "zz_rule"
code = "MR-REG-ZZ-TEST"
regions = ["ZZ"]
severity = "minor"
evidence = "expert_opinion"
sources = ["zz_source"]
message = "A test rule."
advice = "None."
'''

@mesoreg.hookimpl
def mesoreg_rule_packs():
    return [mesoreg.parse_pack(PACK, "mesoreg_test_rules")]
"""
