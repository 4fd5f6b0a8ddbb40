"""WHO ATC codes: reading them as patient files and other systems write them.

A code is a letter, two digits, two letters and two digits (``B01AF02``, the
chemical substance); its leading parts are the groups above it (``B01AF``,
``B01A``, ``B01``, ``B``).  Patient files may send a code instead of a name,
bare or tagged (``"B01AF02"``, ``"ATC:B01AF02"``, ``"atc B01AF02"``); anything
else is not a code, so a drug name is never read as one.
"""

from __future__ import annotations

import re

#: a whole code or one of its groups, from level 1 (``B``) to level 5 (``B01AF02``)
_CODE = re.compile(r"[A-Z](?:\d{2}(?:[A-Z](?:[A-Z](?:\d{2})?)?)?)?")
_TAGGED = re.compile(r"\s*(?:ATC\s*[:=]?\s*)?([A-Za-z0-9]+)\s*", re.IGNORECASE)
#: length of a level-5 code, the chemical substance
SUBSTANCE_LENGTH = 7


def is_atc(code: str, *, substance: bool = False) -> bool:
    """True when ``code`` is an ATC code or group as written (upper case, no spaces).

    With ``substance`` only a level-5 code (seven characters) counts.
    """
    if not _CODE.fullmatch(code):
        return False
    return len(code) == SUBSTANCE_LENGTH if substance else True


def parse_atc(text: str) -> str | None:
    """The ATC code ``text`` spells (``"atc: b01af02"`` -> ``"B01AF02"``), or None.

    A bare word is read as a code only when it has at least the five characters of
    a chemical subgroup (``B01AF``): shorter ones (``B01``, ``C``) are too easily
    something else.  A tagged one (``ATC:B01``) may be any level.
    """
    match = _TAGGED.fullmatch(text)
    if match is None:
        return None
    code = match.group(1).upper()
    tagged = match.group(0).strip().upper() != code
    if not is_atc(code) or (not tagged and len(code) < 5):
        return None
    return code


def in_group(code: str, prefixes: tuple[str, ...] | list[str]) -> bool:
    """True when ``code`` lies in one of the groups ``prefixes`` (a code is in its own group)."""
    return any(code.startswith(p) for p in prefixes)
