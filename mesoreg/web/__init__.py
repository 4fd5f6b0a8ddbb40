"""``mesoreg serve``: the composer pages, the JSON HTTP API and the CDS Hooks service.

An optional part of mesoreg (``pip install 'mesoreg[serve]'``): nothing else in mesoreg
imports this package except the ``serve`` command, lazily.  Private modules, one job each:

* :mod:`mesoreg.web._app` builds the ASGI application (:func:`create_app`) from its
  routers; a new set of pages is one more router.
* :mod:`mesoreg.web._api` the JSON API (check, catalog, store read-only).
* :mod:`mesoreg.web._cds` the CDS Hooks 2.0 services; :mod:`mesoreg.web._fhir_in` reads
  the FHIR resources they are sent into mesoreg's formulation and patient data.
* The composer: :mod:`mesoreg.web._pages` its pages (router), :mod:`._composition` the
  check with the composition beside the report, :mod:`._writes` publish and approve,
  :mod:`._print` the MFR and labels of a stored version, :mod:`._templates` the Jinja2
  templates (``templates/``); ``static/`` its one hand-written script and style sheet.
* :mod:`mesoreg.web._security` tokens, body size limit, CSRF, security headers, hosts.
* :mod:`mesoreg.web._errors` every error as a JSON document, never a traceback.
* :mod:`mesoreg.web._schemas` the API's own JSON Schemas; :mod:`mesoreg.web._openapi`
  the OpenAPI 3.1 document made of them and mesoreg's schemas.
* :mod:`mesoreg.web._serve` what ``mesoreg serve`` runs (uvicorn), and the application
  factory for running several workers.

The command's arguments are in :mod:`mesoreg.command._serve_args` (argparse only, read on every
run of ``mesoreg``).
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
    from mesoreg.web._app import ServeConfig, create_app

_LAZY = {"ServeConfig": "mesoreg.web._app", "create_app": "mesoreg.web._app"}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mesoreg.web' has no attribute {name!r}")


__all__ = ["ServeConfig", "create_app"]
