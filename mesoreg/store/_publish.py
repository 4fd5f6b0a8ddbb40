"""Store workflows as API functions: new drafts, publishing with a check, status changes.

The CLI commands ``new``, ``publish``, ``approve`` and ``retire`` call these.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import attrs

from mesoreg.documents._dump import dump_formulation
from mesoreg.documents._load import load_formulation
from mesoreg.documents._model import SCHEMA_VERSION, Formulation, Status, Use
from mesoreg.documents._model import Component as _Component
from mesoreg.documents._model import Preparation as _Preparation
from mesoreg.documents._quantity import parse_quantity
from mesoreg.documents._vocabulary import Area, Route, Technique
from mesoreg.host._engine import check
from mesoreg.host._registry import Registry, get_registry
from mesoreg.store._ledger import Entry
from mesoreg.store._recheck import check_record
from mesoreg.store._store import Store, parse_ref, validate_id

#: where the store is when neither --store, MESOREG_STORE nor configuration says
DEFAULT_STORE = "formulations"


def who() -> str:
    """The person acting: $MESOREG_USER, else the login name."""
    try:
        return os.environ.get("MESOREG_USER") or getpass.getuser()
    except OSError:
        return "unknown"


def template(formulation_id: str) -> Formulation:
    """A starting point for a new formulation: one syringe of saline to replace."""
    return Formulation(
        schema_version=SCHEMA_VERSION,
        id=validate_id(formulation_id),
        version=1,
        title="Describe the formulation",
        use=Use(
            area=Area.FACE,
            technique=Technique.NAPPAGE,
            route=Route.INTRADERMAL,
            depth=parse_quantity("2 mm"),
            points=20,
            volume_per_point=parse_quantity("0.05 mL"),
        ),
        preparations=(
            _Preparation(
                "syringe 1",
                1.0,
                (_Component("saline", parse_quantity("0.9 %"), parse_quantity("1 mL")),),
            ),
        ),
        authors=(who(),),
    )


def new_draft(formulation_id: str, store: Store, source: str | None = None) -> str:
    """TOML text of a new draft: from the template, or from ``ID@N`` in the store."""
    validate_id(formulation_id)
    if source is None:
        draft = template(formulation_id)
    else:
        base, version = parse_ref(source)
        stored, _ = store.read(base, version)
        draft = attrs.evolve(stored, id=formulation_id, status=Status.DRAFT, origin=None)
    return dump_formulation(draft)


def publish(
    formulation: Formulation | str | Path,
    store: Store,
    *,
    author: str | None = None,
    supersedes: int | None = None,
    registry: Registry | None = None,
) -> Entry:
    """Validate (load and check against the catalog), then store as the next version.

    Unknown ingredients or units refuse the publish with :class:`~mesoreg.InputError`;
    the check's verdict is recorded in the ledger, whatever it is.
    """
    if not isinstance(formulation, Formulation):
        formulation = load_formulation(formulation)
    report = check(formulation, registry=registry or get_registry())
    return store.publish(
        formulation, author or who(), supersedes=supersedes, check=check_record(report)
    )


def set_status(
    store: Store,
    ref: str,
    status: Status,
    by: str | None = None,
    *,
    override_reason: str | None = None,
    registry: Registry | None = None,
) -> Entry:
    """Approve or retire ``ID@N`` (recorded in the ledger with who and when).

    Approving checks the verified version now (with ``registry``, by default
    the default one) and needs that check to pass, or ``override_reason``
    (recorded with who approved); the check is recorded as the version's last.
    The verdict recorded in the ledger is never what approves a version: see
    :meth:`~mesoreg.Store.set_status`.
    """
    formulation_id, version = parse_ref(ref)
    if version is None:
        version = store.ledger(formulation_id).latest
    record = None
    if status is Status.APPROVED:
        formulation, _ = store.read(formulation_id, version)
        record = check_record(check(formulation, registry=registry or get_registry()))
    return store.set_status(
        formulation_id,
        version,
        status,
        by or who(),
        override_reason=override_reason,
        check=record,
    )
