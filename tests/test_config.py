"""Settings: CLI over environment over project configuration."""

from __future__ import annotations

import pytest

from mesoreg import InputError
from mesoreg.host._config import Settings, load_settings


def test_defaults(tmp_path):
    assert load_settings({}, {}, tmp_path) == Settings()


def test_configuration_file(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('deny = ["a"]\npacks = ["packs/x.toml"]\n')
    settings = load_settings({}, {}, tmp_path)
    assert settings.deny == ("a",)
    assert settings.packs == (str(tmp_path / "packs" / "x.toml"),)
    assert settings.config_file == str(tmp_path / "mesoreg.toml")


def test_pyproject_tool_table_found_from_a_subfolder(tmp_path):
    (tmp_path / ".git").mkdir()  # the project root
    (tmp_path / "pyproject.toml").write_text('[tool.mesoreg]\nrequire = ["region-us"]\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert load_settings({}, {}, sub).require == ("region-us",)


def test_precedence_cli_over_environment_over_configuration(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('deny = ["from-config"]\nno_plugins = false\n')
    env = {"MESOREG_DENY": "from-env", "MESOREG_NO_PLUGINS": "1"}
    assert load_settings({}, {}, tmp_path).deny == ("from-config",)
    assert load_settings({}, env, tmp_path).deny == ("from-env",)
    assert load_settings({}, env, tmp_path).no_plugins is True
    both = load_settings({"deny": ["from-cli"], "no_plugins": False}, env, tmp_path)
    assert both.deny == ("from-cli",)
    assert both.no_plugins is False


def test_bad_configuration_lists_every_problem(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('no_plugins = "yes"\nallow = "a"\ncolour = 1\n')
    with pytest.raises(InputError) as caught:
        load_settings({}, {}, tmp_path)
    lines = str(caught.value).splitlines()
    where = str(tmp_path / "mesoreg.toml")
    assert lines == [
        f"{where}: no_plugins: must be true or false (got 'yes')",
        f"{where}: allow: must be a list of strings (got 'a')",
        f"{where}: colour: unknown setting 'colour'. Known settings: allow, allow_weakening, "
        "author, deny, fail_on, no_plugins, packs, plugin_timeout, region, require, store.",
    ]


def test_allow_and_deny():
    assert Settings().is_allowed("x")
    assert not Settings(deny=("x",)).is_allowed("x")
    assert not Settings(allow=("y",)).is_allowed("x")
    assert Settings(allow=("x",)).is_allowed("x")


# -- discovery stops at the project root ---------------------------------------------------------


def _above(tmp_path):
    """A mesoreg.toml above the project, as a hostile or forgotten file would be."""
    (tmp_path / "mesoreg.toml").write_text('packs = ["evil.toml"]\n')
    project = tmp_path / "project"
    sub = project / "a" / "b"
    sub.mkdir(parents=True)
    return project, sub


@pytest.mark.parametrize("marker", [".git", ".hg"])
def test_discovery_stops_at_the_vcs_root(tmp_path, marker):
    project, sub = _above(tmp_path)
    (project / marker).mkdir()
    settings = load_settings({}, {}, sub)
    assert settings.packs == ()
    assert settings.config_file is None
    (project / "mesoreg.toml").write_text('deny = ["x"]\n')
    assert load_settings({}, {}, sub).config_file == str(project / "mesoreg.toml")


def test_a_git_file_of_a_worktree_marks_the_root_too(tmp_path):
    project, sub = _above(tmp_path)
    (project / ".git").write_text("gitdir: /elsewhere\n")
    assert load_settings({}, {}, sub).config_file is None


def test_discovery_stops_at_home(tmp_path):
    home, sub = _above(tmp_path)
    assert load_settings({}, {"HOME": str(home)}, sub).config_file is None
    (home / "mesoreg.toml").write_text('deny = ["x"]\n')
    assert load_settings({}, {"HOME": str(home)}, sub).deny == ("x",)


def test_outside_any_project_only_the_current_folder_is_read(tmp_path):
    _, sub = _above(tmp_path)
    assert load_settings({}, {}, sub).config_file is None
    assert load_settings({}, {}, tmp_path).config_file == str(tmp_path / "mesoreg.toml")


def test_allow_weakening_from_configuration_and_cli(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('allow_weakening = ["p:limits.x"]\n')
    assert load_settings({}, {}, tmp_path).allow_weakening == ("p:limits.x",)
    cli = load_settings({"allow_weakening": ["q:drugs.y"]}, {}, tmp_path)
    assert cli.allow_weakening == ("q:drugs.y",)
    # no environment variable can allow a weakening
    env = {"MESOREG_ALLOW_WEAKENING": "r:drugs.z"}
    assert load_settings({}, env, tmp_path).allow_weakening == ("p:limits.x",)


def test_bad_allow_weakening_entries_are_named(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('allow_weakening = ["pregnancy", "p:rules.x"]\n')
    with pytest.raises(InputError) as caught:
        load_settings({}, {}, tmp_path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(
        f"{tmp_path / 'mesoreg.toml'}: allow_weakening[0]: must read 'pack:kind.id'"
    )
    assert "(got 'p:rules.x')" in lines[1]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(InputError, match=r"--allow-weakening\[0\]: must read"):
        load_settings({"allow_weakening": ["x"]}, {}, elsewhere)


def test_plugin_timeout_from_each_level(tmp_path):
    assert Settings().plugin_timeout == 30.0
    (tmp_path / "mesoreg.toml").write_text("plugin_timeout = 5\n")
    assert load_settings({}, {}, tmp_path).plugin_timeout == 5.0
    environ = {"MESOREG_PLUGIN_TIMEOUT": "2.5"}
    assert load_settings({}, environ, tmp_path).plugin_timeout == 2.5
    assert load_settings({"plugin_timeout": 0.5}, environ, tmp_path).plugin_timeout == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("plugin_timeout = 0", "must be a finite number of seconds above 0 (got 0)"),
        ("plugin_timeout = nan", "must be a finite number of seconds above 0 (got nan)"),
        ('plugin_timeout = "5"', "must be a number of seconds (got '5')"),
    ],
    ids=["zero", "nan", "string"],
)
def test_bad_plugin_timeout_in_configuration(tmp_path, text, message):
    (tmp_path / "mesoreg.toml").write_text(text + "\n")
    with pytest.raises(InputError) as caught:
        load_settings({}, {}, tmp_path)
    where = tmp_path / "mesoreg.toml"
    assert (
        str(caught.value)
        == f"{where}: plugin_timeout: {message}. Give seconds, e.g. plugin_timeout = 30."
    )


def test_bad_plugin_timeout_in_the_environment(tmp_path):
    with pytest.raises(InputError) as caught:
        load_settings({}, {"MESOREG_PLUGIN_TIMEOUT": "forever"}, tmp_path)
    assert str(caught.value) == (
        "MESOREG_PLUGIN_TIMEOUT: must be a finite number of seconds above 0 (got 'forever'). "
        "Set it to e.g. 30, or unset it."
    )


def test_bad_plugin_timeout_on_the_command_line(capsys):
    from mesoreg.command import cli

    with pytest.raises(SystemExit) as stop:
        cli.main(["--plugin-timeout", "0", "plugins", "list"])
    assert stop.value.code == 2
    assert "'0' is not a number of seconds above 0, e.g. 30" in capsys.readouterr().err


def test_store_is_relative_to_the_configuration_file(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "mesoreg.toml").write_text('store = "formulations"\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert load_settings({}, {}, sub).store == str(tmp_path / "formulations")
    # the environment and the command line are relative to where mesoreg runs, as given
    assert load_settings({}, {"MESOREG_STORE": "here"}, sub).store == "here"


def test_defaults_for_region_fail_on_and_author(tmp_path):
    (tmp_path / "mesoreg.toml").write_text(
        'region = "FR"\nfail_on = "moderate"\nauthor = "Dr Roy"\n'
    )
    settings = load_settings({}, {}, tmp_path)
    assert (settings.region, settings.fail_on, settings.author) == ("FR", "moderate", "Dr Roy")


def test_bad_defaults_are_all_reported(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('region = "FRA"\nfail_on = "severe"\nauthor = ""\n')
    with pytest.raises(InputError) as caught:
        load_settings({}, {}, tmp_path)
    where = str(tmp_path / "mesoreg.toml")
    assert str(caught.value).splitlines() == [
        f"{where}: region: 'FRA' is not an ISO 3166 code. "
        "Use two letters A to Z, e.g. US, FR or BR.",
        f"{where}: fail_on: unknown severity 'severe'. "
        "Use one of: contraindicated, major, moderate, minor, info.",
        f"{where}: author: must be a non-empty string (got '')",
    ]
