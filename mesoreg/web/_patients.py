"""The folder of patient files the composer offers (``mesoreg serve --patients DIR``).

=======================================  ==============================================
``GET /composer/patients``               the files: ``{"patients": [{"file": ...}]}``
``GET /composer/patients/FILE``          one patient, the JSON shape of its TOML file
=======================================  ==============================================

Read only.  The folder's listing is the only source of names: a file is offered when
it is a regular file (no link, no special file) directly in the folder whose name is
plain (:data:`FILE_NAME`), and a name from a request is looked up in that listing,
never joined to the folder, so no request can name a file outside it.  A file is read
with the loader every command uses (:func:`mesoreg.documents._load.load_patient`:
bounded, validated, every problem at once); the answer keeps what the file leaves out
out (unknown stays unknown) and an empty list as empty (none recorded).  Messages
write the server's folder as ``<patients>``.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
import stat
from pathlib import Path
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg.web._errors import ApiError, problems_of

#: the names of the files offered: letters, digits, ``. _ -``, ending ``.toml``
FILE_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,94}\.toml")
#: the most files listed (the first ones by name)
MAX_FILES: Final = 1000


def _folder(request: Request) -> Path:
    folder: Path | None = request.app.state.config.patients
    if folder is None or not folder.is_dir():
        raise ApiError(
            "not_found",
            [
                Problem(
                    "",
                    "this service has no folder of patient files",
                    "Start mesoreg serve with --patients DIR.",
                )
            ],
        )
    return folder


def patient_files(folder: Path) -> dict[str, Path]:
    """The patient files offered: plain name -> its path, from the folder's own listing."""
    found: dict[str, Path] = {}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return found
    for entry in entries:
        if len(found) >= MAX_FILES:
            break
        if not FILE_NAME.fullmatch(entry.name):
            continue
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode):
            found[entry.name] = Path(entry.path)
    return found


def listed(request: Request) -> list[str]:
    """The names the composer's picker offers ([] without a folder)."""
    folder: Path | None = request.app.state.config.patients
    return list(patient_files(folder)) if folder is not None and folder.is_dir() else []


def _plain(value: Any) -> Any:
    """The patient's data as its TOML file has it: unknown (None) left out, dates as text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _hide(problems: list[Problem], folder: Path) -> list[Problem]:
    where = str(folder)

    def hide(text: str | None) -> str | None:
        return text.replace(where, "<patients>") if text else text

    return [
        Problem(hide(p.key_path) or "", hide(p.message) or "", hide(p.hint) or "", hide(p.path))
        for p in problems
    ]


async def patients(request: Request) -> Response:
    """``GET /composer/patients``: the files of the folder."""
    folder = _folder(request)
    return JSONResponse({"patients": [{"file": name} for name in patient_files(folder)]})


async def patient(request: Request) -> Response:
    """``GET /composer/patients/FILE``: one patient file as JSON (the shape of its TOML)."""
    from mesoreg.documents._convert import unstructure
    from mesoreg.documents._load import load_patient

    folder = _folder(request)
    name = request.path_params["file"]
    path = patient_files(folder).get(name)
    if path is None:
        raise ApiError(
            "not_found",
            [
                Problem(
                    "file",
                    f"{name[:60]!r} is not a patient file of this service",
                    "GET /composer/patients lists them.",
                )
            ],
        )
    try:
        found = load_patient(path)
    except MesoregError as exc:
        raise InputError(_hide(problems_of(exc), folder)) from None
    data = _plain(unstructure(found))
    data.pop("origin", None)
    return JSONResponse({"file": name, "patient": data})


def routes() -> list[BaseRoute]:
    """The patient folder's routes."""
    return [
        Route("/composer/patients", patients, methods=["GET"]),
        Route("/composer/patients/{file}", patient, methods=["GET"]),
    ]
