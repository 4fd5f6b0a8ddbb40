"""What ``mesoreg serve`` runs: its configuration, and the workers' application factory."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import pytest
from conftest import ROOT

from mesoreg._errors import InputError
from mesoreg.host._config import load_settings
from mesoreg.web._serve import CONFIG_ENV, app_from_environment, make_config

TOKEN = "k" * 40


def test_the_configuration_reports_every_problem_at_once(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        make_config("0.0.0.0", 1, None, "France", str(tmp_path / "none"), None, None)
    assert [p.key_path for p in info.value.problems] == ["--region", "--token-file"]


def test_a_network_address_with_a_token_file(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(TOKEN)
    config = make_config("0.0.0.0", 9, "st", "fr", str(token), None, None)
    assert (config.token, config.region, config.store, config.is_local) == (
        TOKEN, "FR", Path("st"), False)  # fmt: skip
    assert config.hosts() is None  # behind a proxy any host name; the token guards


def test_workers_build_the_application_the_command_resolved(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = attrs.evolve(load_settings({"no_plugins": True}), region="DE")
    options = {
        "host": "127.0.0.1",
        "port": 9,
        "store": str(ROOT / "formulations"),
        "region": "FR",
        "token_file": None,
        "max_body": 4096,
    }
    handed = {"options": options, "settings": attrs.asdict(settings)}
    monkeypatch.setenv(CONFIG_ENV, json.dumps(handed))
    monkeypatch.delenv("MESOREG_SERVE_TOKEN", raising=False)
    app = app_from_environment()
    config = app.state.config
    assert (config.region, config.max_body, config.store) == ("FR", 4096, ROOT / "formulations")
    assert app.state.registry.settings == settings
