"""Griffe extensions for the API reference (mkdocs.yml loads them).

* :class:`FieldHelp`: mesoreg keeps a field's help text with the field
  (``attrs.field(metadata=doc("..."))``, ``mesoreg/documents/_field.py``); griffe reads source
  statically and does not see it, so this imports the model class and gives each
  documented field its text.  Importing the models reads no file and loads no plugin.
* :class:`SphinxRoles`: the docstrings cross-reference with Sphinx roles
  (``:class:`~mesoreg.InputError```), which Markdown would print as they are; they are
  shown as code (``InputError``), as a reader of the source sees them.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import attrs
import griffe

from mesoreg.documents._field import doc_of


class FieldHelp(griffe.Extension):
    """Give each attrs field of a mesoreg class its ``metadata=doc(...)`` help text."""

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        """Called by griffe once a class and its members are loaded."""
        if not cls.path.startswith("mesoreg."):
            return
        module = importlib.import_module(cls.module.path)
        runtime = getattr(module, cls.name, None)
        if not isinstance(runtime, type) or not attrs.has(runtime):
            return
        for field in attrs.fields(runtime):
            text = doc_of(field)
            member = cls.members.get(field.name)
            if text and isinstance(member, griffe.Attribute) and not member.docstring:
                member.docstring = griffe.Docstring(text, parent=member)


_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRoles(griffe.Extension):
    """Show ``:class:`~a.B``` as ``B`` and ``:func:`a.b``` as ``a.b``, in code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Called by griffe for every object it loads."""
        if obj.docstring is not None and obj.path.startswith("mesoreg"):
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
