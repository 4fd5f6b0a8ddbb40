"""Writing formulations as canonical TOML.

Canonical means: keys in the models' field order, defaults and empty values
left out, whole numbers written without a decimal point, LF line endings, and
a first line ``#:schema`` naming the JSON Schema (tomli-w writes no comments,
so it is prepended).  Loading a canonical file and dumping it again gives the
same bytes.
"""

from __future__ import annotations

import enum
from typing import Any

import tomli_w

from mesoreg.documents._convert import unstructure
from mesoreg.documents._model import SCHEMA_VERSION, Formulation

#: where a store's files find their schema: stores live beside a ``schemas/`` folder
SCHEMA_LINE = f"#:schema ../../schemas/formulation-{SCHEMA_VERSION}.schema.json\n"


def _clean(value: Any) -> Any:
    """Drop None and empty values; whole floats as ints; enums as their values."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v not in (None, "", [], ())}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def dump_formulation(formulation: Formulation, *, with_status: bool = True) -> str:
    """The formulation as canonical TOML text.

    Store files leave ``status`` out (``with_status=False``): a version's status
    changes in its ledger, never in the immutable file.
    """
    data = _clean(unstructure(formulation))
    if not with_status:
        data.pop("status", None)
    return SCHEMA_LINE + tomli_w.dumps(data)
