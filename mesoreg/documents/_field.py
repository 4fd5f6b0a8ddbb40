"""Help texts stored with model fields.

``attrs.field(metadata=doc("..."))`` keeps a field's help text with the field;
the JSON Schemas take their ``description`` from it, so editors show it as
hover help, whatever the attrs version.
"""

from __future__ import annotations

#: the metadata key that holds a field's help text
DOC = "doc"


def doc(text: str) -> dict[str, str]:
    """Field metadata carrying ``text``: what the field means and its unit."""
    return {DOC: text}


def doc_of(field: object) -> str:
    """The help text of an attrs field, or ``""`` when it has none."""
    metadata = getattr(field, "metadata", None) or {}
    text = metadata.get(DOC, "")
    return text if isinstance(text, str) else ""
