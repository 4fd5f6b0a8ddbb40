"""The composer's HTML: Jinja2 templates (``mesoreg/web/templates/``), escaped by default.

Jinja2 escapes every value put in a page unless a template says otherwise (none
does), so text from a formulation, a patient or a plugin is never markup.  Every
page carries the CSRF token of its cookie (``<meta name="csrf-token">``), which the
page's script sends with each write (:func:`mesoreg.web._security.check_csrf`).
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2
import markupsafe
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from mesoreg.web._security import csrf_token


@functools.cache
def environment() -> jinja2.Environment:
    """The templates, read from the package (made once per process)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mesoreg.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # JSON for a <script type="application/json"> data block: '<' escaped so that no
    # value can close the block
    env.filters["data_json"] = lambda value: markupsafe.Markup(
        json.dumps(value, ensure_ascii=True, default=str)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return env


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """``template`` rendered with ``context``, the CSRF token and the service's settings."""
    from mesoreg import __version__

    cookie = Response()
    token = csrf_token(request, cookie)
    config = request.app.state.config
    html = (
        environment()
        .get_template(template)
        .render(
            csrf_token=token,
            has_token=config.token is not None,
            has_store=config.store is not None and config.store.is_dir(),
            region=config.region or "",
            version=__version__,
            **context,
        )
    )
    response = HTMLResponse(html, status)
    response.raw_headers.extend(h for h in cookie.raw_headers if h[0] == b"set-cookie")
    return response
