"""The composer's folder of patient files (``mesoreg serve --patients DIR``): listed from
the folder itself, read with the loader, never a file outside the folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import PATIENTS
from web_support import client

from mesoreg._errors import InputError
from mesoreg.host._registry import Registry
from mesoreg.web._patients import patient_files
from mesoreg.web._serve import make_config


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "patients"
    shutil.copytree(PATIENTS, target)
    return target


def test_the_folder_lists_its_plain_regular_files_only(tmp_path: Path, folder: Path) -> None:
    secret = tmp_path / "secret.toml"
    secret.write_text('schema_version = 1\nid = "outside"\n', encoding="utf-8")
    (folder / "link.toml").symlink_to(secret)  # a link to a file outside: not offered
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.toml").write_text("schema_version = 1\n", encoding="utf-8")
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    (folder / ".hidden.toml").write_text("schema_version = 1\n", encoding="utf-8")
    (folder / "with space.toml").write_text("schema_version = 1\n", encoding="utf-8")
    assert list(patient_files(folder)) == ["anna.toml", "lena.toml", "marc.toml"]


def test_a_patient_is_the_json_shape_of_its_file(registry: Registry, folder: Path) -> None:
    c = client(registry, patients=folder)
    listing = c.get("/composer/patients")
    assert listing.status_code == 200
    assert listing.json() == {
        "patients": [{"file": "anna.toml"}, {"file": "lena.toml"}, {"file": "marc.toml"}]
    }
    marc = c.get("/composer/patients/marc.toml")
    assert marc.status_code == 200
    assert marc.json() == {
        "file": "marc.toml",
        "patient": {
            "schema_version": 1,
            "id": "marc",
            "birth_date": "1968-02-29",
            "sex": "male",
            "weight": "84 kg",
            "conditions": ["recurrent cold sores"],
            "medications": [{"name": "Cordarone"}, {"name": "Advil", "last_dose": "2026-11-19"}],
            "allergies": [],  # none recorded stays none; what the file leaves out stays out
        },
    }
    page = c.get("/composer/new")
    assert '<option value="marc.toml">marc.toml</option>' in page.text


@pytest.mark.parametrize(
    "name",
    [
        "..%2Fsecret.toml",
        "%2E%2E%2Fsecret.toml",
        "..%5Csecret.toml",
        "secret.toml",
        "link.toml",
        "%2Fetc%2Fpasswd",
        "sub%2Fdeep.toml",
        "marc.toml%00",
        "MARC.TOML",
    ],
)
def test_no_request_names_a_file_outside_the_folder(
    registry: Registry, tmp_path: Path, folder: Path, name: str
) -> None:
    (tmp_path / "secret.toml").write_text('schema_version = 1\nid = "outside"\n', encoding="utf-8")
    (folder / "link.toml").symlink_to(tmp_path / "secret.toml")
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.toml").write_text('schema_version = 1\nid = "deep"\n', encoding="utf-8")
    c = client(registry, patients=folder)
    answer = c.get(f"/composer/patients/{name}")
    assert answer.status_code == 404
    assert answer.json()["kind"] == "not_found" and "patient" not in answer.json()
    assert '"outside"' not in answer.text and str(tmp_path) not in answer.text


def test_a_bad_file_answers_its_problems_without_the_servers_path(
    registry: Registry, folder: Path
) -> None:
    (folder / "bad.toml").write_text(
        'schema_version = 1\nweight = "heavy"\nsex = "x"\n', encoding="utf-8"
    )
    answer = client(registry, patients=folder).get("/composer/patients/bad.toml")
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert {e["key_path"] for e in errors} >= {"weight", "sex"}
    assert str(folder) not in answer.text and "<patients>" in answer.text


def test_without_a_folder_there_is_no_picker(registry: Registry) -> None:
    c = client(registry)
    assert c.get("/composer/patients").status_code == 404
    assert c.get("/composer/patients/marc.toml").status_code == 404
    assert 'id="patient-file"' not in c.get("/composer/new").text


def test_the_folder_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        make_config("127.0.0.1", 1, None, None, None, None, None, patients=str(tmp_path / "no"))
    assert [p.key_path for p in info.value.problems] == ["--patients"]
    config = make_config("127.0.0.1", 1, None, None, None, None, None, patients=str(tmp_path))
    assert config.patients == tmp_path
