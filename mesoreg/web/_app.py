"""The ASGI application: the routers, the guards and the error handlers put together.

:func:`create_app` takes a :class:`ServeConfig` and returns a Starlette application.
Each part of the service is a router, a function returning its routes
(:func:`mesoreg.web._api.routes`, :func:`mesoreg.web._cds.routes`, the composer's
:func:`mesoreg.web._pages.routes`); routes find the configuration, the registry and the
CSRF secret on ``request.app.state``.

The check service keeps no state between requests: every answer is a function of the
request, the catalog and plugins loaded at start and the store's files, so any number
of workers can serve behind a load balancer (docs/serve.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from mesoreg.host._registry import Registry
from mesoreg.web import _api, _cds, _openapi, _pages
from mesoreg.web._errors import HANDLERS
from mesoreg.web._security import DEFAULT_MAX_BODY, SecurityMiddleware, is_loopback, loopback_hosts

Router = Callable[[], Sequence[BaseRoute]]

#: the routers every application has, in order
ROUTERS: tuple[Router, ...] = (_api.routes, _cds.routes, _openapi.routes, _pages.routes)


@attrs.frozen
class ServeConfig:
    """What the service runs with: where it listens, its store, token and limits."""

    host: str = "127.0.0.1"
    port: int = 8765
    #: the store that the store routes read (None: no store routes answer)
    store: Path | None = None
    #: the folder of patient files the composer offers (None: none; read only)
    patients: Path | None = None
    #: stock product files beside the built-in ones (``--products``; record a preparation)
    products: tuple[Path, ...] = ()
    #: the shared secret (None: no route that writes is allowed)
    token: str | None = None
    max_body: int = DEFAULT_MAX_BODY
    #: the region whose regulations the CDS services apply (ISO 3166; None: none)
    region: str | None = None
    #: the Host header names accepted (None: any; default: the loopback names on loopback)
    allowed_hosts: frozenset[str] | None = None
    #: the plugins and catalog to check with (None: the installed ones and the configuration's)
    registry: Registry | None = attrs.field(default=None, eq=False)

    @property
    def is_local(self) -> bool:
        """True when the service listens on a loopback address only."""
        return is_loopback(self.host)

    def hosts(self) -> frozenset[str] | None:
        """The Host names to accept."""
        if self.allowed_hosts is not None:
            return self.allowed_hosts
        return loopback_hosts() if self.is_local else None


def _csrf_secret(token: str | None) -> bytes:
    """Derived from the token when there is one, so that every worker signs alike."""
    if token:
        return hmac.new(token.encode(), b"mesoreg csrf", hashlib.sha256).digest()
    return secrets.token_bytes(32)


def warm(registry: Registry) -> None:
    """Collect everything a check uses now, not in the first request."""
    registry.catalog  # noqa: B018
    registry.checks  # noqa: B018
    registry.validators  # noqa: B018
    registry.formats  # noqa: B018


def create_app(config: ServeConfig | None = None, routers: Sequence[Router] = ()) -> Starlette:
    """The service's ASGI application with ``config``, plus the routes of ``routers``."""
    config = config or ServeConfig()
    registry = config.registry
    if registry is None:
        from mesoreg.host._registry import get_registry

        registry = get_registry()
    warm(registry)
    routes: list[BaseRoute] = []
    for router in (*ROUTERS, *routers):
        routes.extend(router())
    app = Starlette(
        routes=routes,
        exception_handlers=HANDLERS,
        middleware=[
            Middleware(
                SecurityMiddleware,
                token=config.token,
                token_everywhere=not config.is_local,
                allowed_hosts=config.hosts(),
                max_body=config.max_body,
            )
        ],
    )
    state: Any = app.state
    state.config = config
    state.registry = registry
    state.csrf_secret = _csrf_secret(config.token)
    from mesoreg.compounding._cli import products_on_hand

    state.products = products_on_hand([str(p) for p in config.products])
    return app
