"""The service's guards: token, allowed hosts, origin, body size, CSRF and response headers.

* **Token.** ``MESOREG_SERVE_TOKEN`` or a token file (``--token-file``) holds a shared
  secret, sent as ``Authorization: Bearer <token>``.  Serving on anything but a loopback
  address requires one, and then every request must carry it; routes that write
  (:func:`requires_token`) always need it, on localhost too, and are refused when no
  token is configured.  Tokens are compared in constant time.
* **Hosts.** On a loopback address only ``localhost``, ``127.0.0.1`` and ``[::1]`` are
  accepted as the ``Host`` header, so a web page cannot reach the service through DNS
  rebinding.
* **Origin.** A request that may change something (any method but GET, HEAD, OPTIONS)
  sent by a browser from another origin is refused.
* **Body size.** A body longer than the limit is refused with 413, whether it says its
  length or not.
* **CSRF.** Forms (the composer pages) carry a token bound to a cookie
  (:func:`csrf_token`, :func:`check_csrf`): a signed random nonce, compared in constant
  time.  JSON routes take only JSON bodies, which a page on another site cannot send
  without a CORS preflight that this service never grants.
* **Headers.** Every answer says ``nosniff``, no framing, no referrer, and a
  content security policy of ``'self'`` only (no CDN).

Every refusal is a JSON error document (:mod:`mesoreg.web._errors`).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mesoreg._errors import InputError, Problem
from mesoreg.web._errors import ApiError, error_response

#: the environment variable that holds the token
TOKEN_ENV = "MESOREG_SERVE_TOKEN"
#: the shortest token accepted: 32 characters (``python -c 'import secrets;
#: print(secrets.token_urlsafe(32))'`` makes a good one)
MIN_TOKEN_LENGTH = 32
#: the default limit of a request body: 1 MiB (a formulation file may be 256 KiB)
DEFAULT_MAX_BODY = 1024 * 1024
#: the cookie and the form field / header of the CSRF token
CSRF_COOKIE = "mesoreg_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "cache-control": "no-store",
}


def is_loopback(host: str) -> bool:
    """True when ``host`` (an address or ``localhost``) is only reachable from this machine."""
    if host.strip("[]") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_token(token_file: str | None, environ: Any = None) -> str | None:
    """The token from ``--token-file`` or :data:`TOKEN_ENV` (the file wins), or None.

    Raises :class:`~mesoreg.InputError` for an unreadable file or a token too short.
    """
    environ = os.environ if environ is None else environ
    where = "--token-file" if token_file else TOKEN_ENV
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(
                [
                    Problem(
                        "--token-file",
                        f"cannot read {token_file}: {exc.__class__.__name__}",
                        "Give a readable file holding the token on one line.",
                    )
                ]
            ) from None
    else:
        token = environ.get(TOKEN_ENV, "").strip()
        if not token:
            return None
    if len(token) < MIN_TOKEN_LENGTH or not token.isprintable() or " " in token:
        raise InputError(
            [
                Problem(
                    where,
                    f"the token must be at least {MIN_TOKEN_LENGTH} printable characters "
                    "without spaces",
                    "Make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'.",
                )
            ]
        )
    return token


def bind_problems(host: str, token: str | None) -> list[Problem]:
    """Why the service may not listen on ``host``: a network address needs a token."""
    if is_loopback(host) or token:
        return []
    return [
        Problem(
            "--host",
            f"serving on {host} (reachable from the network) needs a token",
            f"Set {TOKEN_ENV} or give --token-file, or put a reverse proxy with "
            "authentication in front of a service on 127.0.0.1 (docs/serve.md).",
        )
    ]


def _bearer(request_headers: dict[str, str]) -> str | None:
    value = request_headers.get("authorization", "")
    scheme, _, credentials = value.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def token_problem(token: str | None, headers: dict[str, str]) -> ApiError | None:
    """Why a request does not carry the token; None when it does."""
    if token is None:
        return ApiError(
            "forbidden",
            [
                Problem(
                    "",
                    "this route writes, and the service has no token configured",
                    f"Start mesoreg serve with {TOKEN_ENV} set or --token-file.",
                )
            ],
        )
    given = _bearer(headers)
    if given is None or not hmac.compare_digest(given.encode(), token.encode()):
        return ApiError(
            "unauthorized",
            [
                Problem(
                    "Authorization",
                    "missing or wrong token" if given else "this request needs the token",
                    "Send the header 'Authorization: Bearer <token>'.",
                )
            ],
            {"www-authenticate": 'Bearer realm="mesoreg"'},
        )
    return None


Endpoint = Callable[[Request], Awaitable[Response]]


def requires_token(endpoint: Endpoint) -> Endpoint:
    """A route that writes: it needs the token, on localhost too."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        refused = token_problem(request.app.state.config.token, dict(request.headers))
        if refused is not None:
            raise refused
        return await endpoint(request)

    return guarded


# -- CSRF for forms ----------------------------------------------------------------------------


def _sign(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request, response: Response) -> str:
    """The CSRF token to put in a form's ``csrf_token`` field; sets the cookie when new."""
    secret: bytes = request.app.state.csrf_secret
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) != 43:  # token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/")
    return _sign(secret, nonce)


def check_csrf(request: Request, given: str | None) -> None:
    """Refuse a form whose token (field or ``X-CSRF-Token`` header) is not its cookie's."""
    secret: bytes = request.app.state.csrf_secret
    nonce = request.cookies.get(CSRF_COOKIE, "")
    given = given or request.headers.get(CSRF_HEADER, "")
    if not nonce or not given or not hmac.compare_digest(_sign(secret, nonce), given):
        raise ApiError(
            "forbidden",
            [
                Problem(
                    CSRF_FIELD,
                    "the form's CSRF token is missing or does not match its cookie",
                    "Reload the page and send the form again.",
                )
            ],
        )


# -- the middleware ------------------------------------------------------------------------------


class SecurityMiddleware:
    """Hosts, token, origin and body size checked before the app; headers added after."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None,
        token_everywhere: bool,
        allowed_hosts: frozenset[str] | None,
        max_body: int,
    ) -> None:
        self.app = app
        self.token = token
        self.token_everywhere = token_everywhere
        self.allowed_hosts = allowed_hosts
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in have
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        refused = self._refusal(scope, headers)
        if refused is not None:
            response = error_response(refused.kind, refused.problems, refused.headers)
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, self._limited(receive), send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> ApiError | None:
        host = headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if self.allowed_hosts is not None and name.lower() not in self.allowed_hosts:
            return ApiError(
                "forbidden",
                [
                    Problem(
                        "Host",
                        f"'{host[:100]}' is not a host name of this service",
                        "Use http://127.0.0.1:<port>/ or http://localhost:<port>/.",
                    )
                ],
            )
        if self.token_everywhere:
            missing = token_problem(self.token, headers)
            if missing is not None:
                return missing
        origin = headers.get("origin")
        if scope["method"] not in _SAFE_METHODS and origin and origin != "null":
            own = {f"http://{host}", f"https://{host}"}
            if origin.lower() not in own:
                return ApiError(
                    "forbidden",
                    [
                        Problem(
                            "Origin",
                            f"requests from '{origin[:100]}' may not change anything here",
                            "Call the service from a server, or from its own pages.",
                        )
                    ],
                )
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return _too_large(self.max_body)
        return None

    def _limited(self, receive: Receive) -> Receive:
        limit = self.max_body
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _too_large(limit)
            return message

        return limited


def _too_large(limit: int) -> ApiError:
    return ApiError(
        "too_large",
        [
            Problem(
                "",
                f"the request body is larger than {limit} bytes",
                "Send a smaller document (or start the service with a larger --max-body).",
            )
        ],
    )


def loopback_hosts() -> frozenset[str]:
    """The ``Host`` names accepted on a loopback address."""
    return _LOOPBACK_HOSTS
