"""What ``mesoreg serve`` runs: the configuration checked, then uvicorn until stopped.

With ``--workers N`` uvicorn starts N processes on the same port; each builds the
application with :func:`app_from_environment` from the options and settings the command
resolved, handed down in :data:`CONFIG_ENV`.  Without it (``uvicorn --factory
mesoreg.web._serve:app_from_environment``, another process manager), the factory reads
``mesoreg.toml`` and the environment as every command does, and
:data:`HOST_ENV` / :data:`TOKEN_FILE_ENV`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from mesoreg._errors import InputError, MesoregError, Problem
from mesoreg._exit import ExitCode
from mesoreg.web._app import ServeConfig, create_app
from mesoreg.web._security import DEFAULT_MAX_BODY, bind_problems, load_token

#: environment of the application factory (the other settings are mesoreg's own)
HOST_ENV = "MESOREG_SERVE_HOST"
TOKEN_FILE_ENV = "MESOREG_SERVE_TOKEN_FILE"
#: the options and settings ``mesoreg serve --workers N`` hands to its workers (JSON)
CONFIG_ENV = "MESOREG_SERVE_CONFIG"


def make_config(
    host: str,
    port: int,
    store: str | None,
    region: str | None,
    token_file: str | None,
    max_body: int | None,
    registry: Any,
    patients: str | None = None,
    products: tuple[str, ...] | list[str] = (),
) -> ServeConfig:
    """The service's configuration, every problem at once (a network bind needs a token)."""
    from mesoreg.documents._validate import context_problems

    problems = context_problems(None, region, prefix="--")
    token = None
    try:
        token = load_token(token_file)
    except InputError as exc:
        problems += exc.problems
    if patients is not None and not Path(patients).is_dir():
        problems.append(
            Problem(
                "--patients",
                f"'{patients}' is not a folder",
                "Give the folder of patient TOML files, or leave --patients out.",
            )
        )
    if products:
        from mesoreg.compounding._cli import products_on_hand

        try:
            products_on_hand(list(products))
        except InputError as exc:
            problems += exc.problems
        except MesoregError as exc:
            problems.append(Problem("--products", str(exc).splitlines()[0]))
    if not problems:
        problems += bind_problems(host, token)
    if problems:
        raise InputError(problems)
    return ServeConfig(
        host=host,
        port=port,
        store=Path(store) if store else None,
        patients=Path(patients) if patients else None,
        products=tuple(Path(p) for p in products),
        token=token,
        max_body=max_body or DEFAULT_MAX_BODY,
        region=region.upper() if region else None,
        registry=registry,
    )


def serve(args: argparse.Namespace, registry: Callable[[], Any], settings: Any) -> int:
    """Serve until interrupted."""
    import uvicorn

    options = {
        "host": args.host,
        "port": args.port,
        "store": args.store or settings.store,
        "region": args.region or settings.region,
        "token_file": args.token_file,
        "max_body": args.max_body,
        "patients": args.patients,
        "products": list(args.products),
    }
    config = make_config(**options, registry=registry())
    target: Any = create_app(config)
    if args.workers > 1:  # each worker builds its own application from the same options
        os.environ[CONFIG_ENV] = json.dumps(
            {"options": options, "settings": attrs.asdict(settings)}
        )
        target = "mesoreg.web._serve:app_from_environment"
    if config.store is None:
        print("note: no store given (--store): the store routes answer 404", file=sys.stderr)
    elif not config.store.is_dir():
        print(f"note: no store at {config.store}: the store routes answer 404", file=sys.stderr)
    where = f"http://{config.host}:{config.port}/"
    print(f"mesoreg serving on {where} (OpenAPI: {where}openapi.json)", file=sys.stderr)
    try:
        uvicorn.run(
            target,
            host=config.host,
            port=config.port,
            log_level="warning",
            workers=args.workers,
            factory=args.workers > 1,
        )
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
    """The application of a worker: as ``mesoreg serve`` resolved it (:data:`CONFIG_ENV`),
    or else as the environment and ``mesoreg.toml`` configure it."""
    from mesoreg.host._config import Settings, load_settings
    from mesoreg.host._registry import Registry

    handed = os.environ.get(CONFIG_ENV)
    if handed:
        data = json.loads(handed)
        lists = {k: tuple(v) for k, v in data["settings"].items() if isinstance(v, list)}
        settings = Settings(**{**data["settings"], **lists})
        options = data["options"]
    else:
        settings = load_settings({})
        options = {
            "host": os.environ.get(HOST_ENV, "127.0.0.1"),
            "port": 0,
            "store": settings.store,
            "region": settings.region,
            "token_file": os.environ.get(TOKEN_FILE_ENV) or None,
            "max_body": None,
        }
    return create_app(make_config(**options, registry=Registry.from_settings(settings)))
