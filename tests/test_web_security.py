"""The service's guards: hosts, token, origin, body size, CSRF, headers; and the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from conftest import ROOT
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from web_support import answer, client

from mesoreg._errors import InputError
from mesoreg.command.cli import main
from mesoreg.web._security import (
    HEADERS,
    TOKEN_ENV,
    bind_problems,
    check_csrf,
    csrf_token,
    is_loopback,
    load_token,
    requires_token,
)
from mesoreg.web._serve import make_config

TOKEN = "t" * 40
BEARER = {"authorization": f"Bearer {TOKEN}"}


@requires_token
async def _write(request: Request) -> Response:
    return JSONResponse({"written": True})


async def _form(request: Request) -> Response:
    response = JSONResponse({})
    token = csrf_token(request, response)
    response.body = response.render({"csrf_token": token})
    response.headers["content-length"] = str(len(response.body))
    return response


async def _post_form(request: Request) -> Response:
    form = parse_qs((await request.body()).decode())  # no python-multipart needed
    check_csrf(request, form.get("csrf_token", [None])[0])
    return JSONResponse({"accepted": True})


def _routes() -> list[Route]:
    return [
        Route("/test/write", _write, methods=["POST"]),
        Route("/test/form", _form, methods=["GET"]),
        Route("/test/form", _post_form, methods=["POST"]),
    ]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.1.2.3", True),
        ("0.0.0.0", False),
        ("192.168.1.4", False),
        ("example.org", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_network_address_needs_a_token() -> None:
    assert bind_problems("127.0.0.1", None) == []
    assert bind_problems("0.0.0.0", TOKEN) == []
    (problem,) = bind_problems("0.0.0.0", None)
    assert str(problem).startswith("--host: serving on 0.0.0.0 (reachable from the network) needs")
    with pytest.raises(InputError, match="needs a token"):
        make_config("0.0.0.0", 8765, None, None, None, None, None)


def test_the_token_comes_from_the_file_or_the_environment(tmp_path: Path) -> None:
    assert load_token(None, {}) is None
    assert load_token(None, {TOKEN_ENV: f" {TOKEN}\n"}) == TOKEN
    file = tmp_path / "token"
    file.write_text("f" * 32 + "\n")
    assert load_token(str(file), {TOKEN_ENV: TOKEN}) == "f" * 32
    with pytest.raises(InputError, match="at least 32 printable characters"):
        load_token(None, {TOKEN_ENV: "short"})
    with pytest.raises(InputError, match="cannot read"):
        load_token(str(tmp_path / "missing"), {})


def test_on_loopback_only_loopback_host_names_are_accepted(registry) -> None:  # type: ignore[no-untyped-def]
    api = client(registry, allowed_hosts=None)  # the default on 127.0.0.1
    assert (
        api.get("/api/catalog/vocab/route", headers={"host": "127.0.0.1:8765"}).status_code == 200
    )
    assert api.get("/api/catalog/vocab/route", headers={"host": "localhost"}).status_code == 200
    data = answer(api.get("/api/catalog/vocab/route", headers={"host": "rebind.example"}), 403)
    assert data["errors"][0]["key_path"] == "Host"


def test_on_a_network_address_every_request_needs_the_token(registry) -> None:  # type: ignore[no-untyped-def]
    api = client(registry, host="0.0.0.0", token=TOKEN)
    response = api.get("/api/catalog/vocab/route")
    assert answer(response, 401)["errors"][0]["message"] == "this request needs the token"
    assert response.headers["www-authenticate"] == 'Bearer realm="mesoreg"'
    wrong = {"authorization": "Bearer " + "x" * 40}
    assert answer(api.get("/api/catalog/vocab/route", headers=wrong), 401)
    assert answer(api.get("/api/catalog/vocab/route", headers=BEARER), 200)


def test_a_route_that_writes_needs_the_token_on_localhost_too(registry) -> None:  # type: ignore[no-untyped-def]
    without = client(registry, routers=(_routes,))
    data = without.post("/test/write", json={}).json()
    assert (data["status"], data["kind"]) == (403, "forbidden")
    assert "no token configured" in data["errors"][0]["message"]
    api = client(registry, routers=(_routes,), token=TOKEN)
    assert api.post("/test/write", json={}).status_code == 401
    assert api.post("/test/write", json={}, headers=BEARER).json() == {"written": True}


def test_requests_that_change_things_from_another_origin_are_refused(registry) -> None:  # type: ignore[no-untyped-def]
    api = client(registry)
    body = {"formulation": {}}
    data = answer(
        api.post("/api/check", json=body, headers={"origin": "https://evil.example"}), 403
    )
    assert data["errors"][0]["key_path"] == "Origin"
    own = api.post("/api/check", json=body, headers={"origin": "http://testserver"})
    assert own.status_code == 400  # reached the check: the body is what is wrong
    assert (
        api.get("/api/catalog/vocab/route", headers={"origin": "https://x.example"}).status_code
        == 200
    )


def test_bodies_over_the_limit_are_refused_with_or_without_a_length(registry) -> None:  # type: ignore[no-untyped-def]
    api = client(registry, max_body=2048)
    json_type = {"content-type": "application/json"}
    data = answer(api.post("/api/check", content=b" " * 4096, headers=json_type), 413)
    assert data["errors"][0]["message"] == "the request body is larger than 2048 bytes"

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield b" " * 512

    response = api.post("/api/check", content=chunks(), headers=json_type)
    assert "content-length" not in response.request.headers
    assert answer(response, 413)["kind"] == "too_large"


def test_forms_need_the_csrf_token_of_their_cookie(registry) -> None:  # type: ignore[no-untyped-def]
    api = client(registry, routers=(_routes,))
    token = api.get("/test/form").json()["csrf_token"]
    assert api.cookies.get("mesoreg_csrf")
    assert api.post("/test/form", data={"csrf_token": token}).json() == {"accepted": True}
    refused = api.post("/test/form", data={"csrf_token": "0" * 64}).json()
    assert (refused["status"], refused["errors"][0]["key_path"]) == (403, "csrf_token")
    assert api.post("/test/form", data={}).status_code == 403
    api.cookies.clear()
    assert api.post("/test/form", data={"csrf_token": token}).status_code == 403


def test_every_answer_has_the_security_headers(registry) -> None:  # type: ignore[no-untyped-def]
    api = client(registry)
    for response in (
        api.get("/openapi.json"),
        api.get("/nothing"),
        api.get("/x", headers={"host": "evil"}),
    ):
        for name, value in HEADERS.items():
            assert response.headers[name] == value


# -- the command -------------------------------------------------------------------------


def test_serve_without_the_extra_says_how_to_install_it(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: serve: the service needs uvicorn, which is not installed. "
        "Run: pip install 'mesoreg[serve]'.\n"
    )


def test_serve_refuses_a_network_address_without_a_token(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--no-plugins"]) == 2
    assert "needs a token" in capsys.readouterr().err


def test_the_command_line_does_not_import_the_service() -> None:
    code = (
        "import sys, mesoreg.command.cli\n"
        "mesoreg.command.cli._parser()\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'httpx')"
        " or m.startswith('mesoreg.web')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_nothing_outside_the_service_imports_it() -> None:
    for path in (ROOT / "mesoreg").rglob("*.py"):
        if "web" in path.relative_to(ROOT / "mesoreg").parts or path.name == "_serve_args.py":
            continue
        assert "mesoreg.web" not in path.read_text(encoding="utf-8"), path
