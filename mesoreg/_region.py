"""Regional regulatory validators: rules scoped to a region and to dates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from mesoreg._subject import Outcome, Subject


@attrs.frozen
class RegionValidator:
    """Checks that apply in some regions (ISO 3166 codes such as US, FR, BR)."""

    name: str
    regions: tuple[str, ...]
    run: Callable[[Subject], Iterable[Outcome]]
    description: str = ""
