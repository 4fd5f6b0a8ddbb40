"""WHO ICD-10 codes: reading a code as other systems send it, and code ranges.

mesoreg does not ship the classification (WHO does not permit redistributing
it); the catalog states, for each condition it knows, the codes or code ranges
that mean it.  A code is read in the forms records carry ("I63.9", "i639",
"ICD-10:I63.9", "ICD10 I63.9", with a dagger or asterisk mark) and compared by
its characters: "I63.9" lies in "I63", in "I60-I64" and in "I63.8-I63.9".

Only the WHO ICD-10 shape is accepted (a letter, two digits, then up to two
digits after the point).  A national modification such as ICD-10-CM, or another
system, is not read as ICD-10: its name is refused rather than guessed.
"""

from __future__ import annotations

import re

#: system prefixes accepted before a code, written as records send them
_PREFIX = re.compile(r"^\s*(?:icd[\s_-]?10)(?:\s*[:/ ]\s*|\s+)", re.IGNORECASE)
#: a letter, two digits, optionally a point and one or two digits; marks stripped
_CODE = re.compile(r"^([A-Z])(\d\d)(?:\.?(\d{1,2}))?$")
_MARKS = "\u2020*+!"  # dagger/asterisk marks of the dual classification


def parse_code(text: str) -> str | None:
    """``'ICD-10:i639'`` -> ``'I63.9'``; None when ``text`` is not an ICD-10 code.

    A bare code (without the ``ICD-10`` prefix) is read the same way.
    """
    body = _PREFIX.sub("", text, count=1).strip().strip(_MARKS).strip().upper()
    found = _CODE.match(body)
    if found is None:
        return None
    letter, category, sub = found.groups()
    return f"{letter}{category}" + (f".{sub}" if sub else "")


_CODE_TEXT = r"(?:icd[\s_-]?10\s*[:/ ]\s*)?[a-z]\d\d(?:\.?\d{1,2})?[\u2020*+!]?"
#: "ischaemic stroke (I63.9)", "stroke [ICD-10:I63.9]"
_TRAILING = re.compile(rf"^(?P<name>.*\S)\s*[(\[]\s*(?P<code>{_CODE_TEXT})\s*[)\]]$", re.I)
#: "I63.9 Cerebral infarction", "ICD-10:I63.9 - Cerebral infarction"
_LEADING = re.compile(rf"^(?P<code>{_CODE_TEXT})\s*(?:[-:\u2013]\s*|\s)\s*(?P<name>\D.*)$", re.I)


def split_code(text: str) -> tuple[str, str] | None:
    """``'ischaemic stroke (I63.9)'`` -> ``('ischaemic stroke', 'I63.9')``: a name and a code.

    For entries that give a code beside the name, as exports often do (the code
    in brackets after the name, or first and followed by the name).  None when
    ``text`` is not written that way.
    """
    for pattern in (_TRAILING, _LEADING):
        found = pattern.match(text.strip())
        if found is not None and parse_code(found["code"]) is not None:
            return found["name"].strip(), found["code"]
    return None


def has_prefix(text: str) -> bool:
    """True when ``text`` says it is an ICD-10 code (``ICD-10:...``), valid or not."""
    return _PREFIX.match(text) is not None


def _key(code: str) -> str:
    return code.replace(".", "")


def parse_range(spec: str) -> tuple[str, str] | None:
    """``'I60-I64'`` -> ``('I60', 'I64')``, ``'I63'`` -> ``('I63', 'I63')``; None if malformed.

    The data must say exactly what it means: both ends written as canonical
    codes (``I63.9``, not ``i639``) of the same length, the first not after the
    second.
    """
    low, dash, high = spec.partition("-")
    high = high if dash else low
    if parse_code(low) != low or parse_code(high) != high:
        return None
    if len(low) != len(high) or _key(low) > _key(high):
        return None
    return low, high


def in_range(code: str, spec: tuple[str, str]) -> bool:
    """True when ``code`` (canonical) is one of the codes in ``spec`` or below one of them.

    A code less specific than the range's ends is not in it: ``I69`` is not in
    ``I69.0-I69.4`` (it also covers I69.8).
    """
    low, high = (_key(x) for x in spec)
    key = _key(code)
    if len(key) < len(low):
        return False
    return low <= key[: len(low)] <= high


def overlap(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """True when some code lies in both ranges."""
    (a_low, a_high), (b_low, b_high) = ((_key(x) for x in r) for r in (a, b))
    n = min(len(a_low), len(b_low))
    return a_low[:n] <= b_high[:n] and b_low[:n] <= a_high[:n]
