"""What ``mesoreg serve`` runs: the configuration checked, then uvicorn until stopped.

:func:`app_from_environment` is the application factory for running several worker
processes (``uvicorn --factory --workers 4 mesoreg.web._serve:app_from_environment``):
each worker reads the same settings from the environment and ``mesoreg.toml``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mesoreg._errors import InputError, Problem
from mesoreg._exit import ExitCode
from mesoreg.web._app import ServeConfig, create_app
from mesoreg.web._security import DEFAULT_MAX_BODY, bind_problems, load_token

#: environment of the application factory (the other settings are mesoreg's own)
HOST_ENV = "MESOREG_SERVE_HOST"
TOKEN_FILE_ENV = "MESOREG_SERVE_TOKEN_FILE"


def make_config(
    host: str,
    port: int,
    store: str | None,
    region: str | None,
    token_file: str | None,
    max_body: int | None,
    registry: Any,
) -> ServeConfig:
    """The service's configuration, every problem at once (a network bind needs a token)."""
    from mesoreg._validate import context_problems

    problems = context_problems(None, region, prefix="--")
    token = None
    try:
        token = load_token(token_file)
    except InputError as exc:
        problems += exc.problems
    if not problems:
        problems += bind_problems(host, token)
    if problems:
        raise InputError(problems)
    return ServeConfig(
        host=host,
        port=port,
        store=Path(store) if store else None,
        token=token,
        max_body=max_body or DEFAULT_MAX_BODY,
        region=region.upper() if region else None,
        registry=registry,
    )


def serve(args: argparse.Namespace, registry: Callable[[], Any], settings: Any) -> int:
    """Serve until interrupted."""
    import uvicorn

    config = make_config(
        args.host,
        args.port,
        args.store or settings.store,
        args.region or settings.region,
        args.token_file,
        args.max_body,
        registry(),
    )
    app = create_app(config)
    if config.store is None or not config.store.is_dir():
        print(f"note: no store at {config.store}; the store routes answer 404", file=sys.stderr)
    where = f"http://{config.host}:{config.port}/"
    print(f"mesoreg serving on {where} (OpenAPI: {where}openapi.json)", file=sys.stderr)
    server = uvicorn.Server(
        uvicorn.Config(app, host=config.host, port=config.port, log_level="warning")
    )
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot listen
        raise InputError(
            [
                Problem(
                    "--port",
                    f"cannot listen on {config.host}:{config.port}",
                    "Is the port in use? Choose another with --port.",
                )
            ]
        ) from None
    return ExitCode.OK


def app_from_environment() -> Any:
    """The application as the environment and ``mesoreg.toml`` configure it (for workers)."""
    from mesoreg._config import load_settings
    from mesoreg._registry import Registry

    settings = load_settings({})
    config = make_config(
        os.environ.get(HOST_ENV, "127.0.0.1"),
        0,
        settings.store,
        settings.region,
        os.environ.get(TOKEN_FILE_ENV) or None,
        None,
        Registry.from_settings(settings),
    )
    return create_app(config)
