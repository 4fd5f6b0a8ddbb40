"""Settings: CLI over environment over project configuration."""

from __future__ import annotations

import pytest

from mesoreg import InputError
from mesoreg._config import Settings, load_settings


def test_defaults(tmp_path):
    assert load_settings({}, {}, tmp_path) == Settings()


def test_configuration_file(tmp_path):
    (tmp_path / "mesoreg.toml").write_text('deny = ["a"]\npacks = ["packs/x.toml"]\n')
    settings = load_settings({}, {}, tmp_path)
    assert settings.deny == ("a",)
    assert settings.packs == (str(tmp_path / "packs" / "x.toml"),)
    assert settings.config_file == str(tmp_path / "mesoreg.toml")


def test_pyproject_tool_table_found_from_a_subfolder(tmp_path):
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
        f"{where}: colour: unknown setting 'colour'. Known settings: allow, deny, no_plugins, "
        "packs, plugin_timeout, require, store.",
    ]


def test_allow_and_deny():
    assert Settings().is_allowed("x")
    assert not Settings(deny=("x",)).is_allowed("x")
    assert not Settings(allow=("y",)).is_allowed("x")
    assert Settings(allow=("x",)).is_allowed("x")
