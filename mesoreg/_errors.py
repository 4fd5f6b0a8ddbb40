"""Exceptions raised by mesoreg.

Every error derives from :class:`MesoregError`; leaves also inherit the
built-in they behave like, so ``except ValueError`` keeps working::

    MesoregError
    ├── InputError (ValueError)          bad formulation, patient or pack data
    │   └── UnknownNameError (KeyError)  an ingredient or medication not in the catalog
    ├── UnitError (ValueError)           a quantity that cannot be read or converted
    └── PluginError (RuntimeError)       a plugin that failed, in strict mode

Errors carry data (``.problems``, ``.path``) and build their message from it.
Each :class:`Problem` is one line: where (file and key path), what, how to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs


class MesoregError(Exception):
    """Root of every error mesoreg raises."""


@attrs.frozen
class Problem:
    """One thing wrong with an input: where it is, what is wrong, how to fix it."""

    key_path: str
    message: str
    hint: str = ""
    path: str | None = None

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.path, self.key_path) if p)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint and not text.endswith((".", "?", "!", ":")):
            text += "."
        return f"{text} {self.hint}".rstrip()

    def to_dict(self) -> dict[str, str | None]:
        """The problem as the JSON error documents give it (its parts, and the line)."""
        return {
            "path": self.path,
            "key_path": self.key_path,
            "message": self.message,
            "hint": self.hint,
            "text": str(self),
        }


class InputError(MesoregError, ValueError):
    """Input that cannot be used; ``problems`` lists every problem found at once."""

    def __init__(self, problems: Iterable[Problem], path: str | None = None) -> None:
        self.path = path
        self.problems: Sequence[Problem] = tuple(
            p if p.path or path is None else attrs.evolve(p, path=path) for p in problems
        )
        super().__init__("\n".join(str(p) for p in self.problems))

    def with_path(self, path: str) -> InputError:
        """The same error, attributed to the file at ``path``."""
        return type(self)(self.problems, path=path)


class UnknownNameError(InputError, KeyError):
    """A name that is neither an id nor an alias in the catalog."""

    def __str__(self) -> str:  # KeyError would quote the message
        return ValueError.__str__(self)


class UnitError(MesoregError, ValueError):
    """A quantity that cannot be parsed or converted (IU never converts to mg)."""


class PluginError(MesoregError, RuntimeError):
    """A plugin failed to load or raised in a hook (raised only in strict mode)."""
