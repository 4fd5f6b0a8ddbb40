"""Names as they are written: resolve a written name to exactly one catalog entry, or refuse.

Pharmacists write "hyaluronic acid (sodium salt)", "sodium hyaluronate, non
cross-linked", "Cynara scolymus (artichoke) leaf extract" or "HCl lidocaine".
A :class:`NameIndex` first looks a name up exactly (case, accents and
punctuation folded, as :func:`mesoreg.documents._vocabulary.normalize` does); when that
fails it compares *loose keys* (:func:`loose_key`): the words of the name
without salts, esters, hydrates, plant parts and harmless qualifiers, ``-ate``
read as ``-ic acid``, British spellings folded, in any order.

Every step fails closed:

- a loose key that names two entries is refused with both as candidates;
- a qualifier that is not understood ("cross-linked", "(Restylane)") is refused,
  never dropped: only words on the lists below are removed;
- the parts of a name (the main text, each parenthesis, each comma-separated
  qualifier) must all name the same entry;
- a strength written inside an ingredient name ("lidocaine HCl 2 % w/v") is
  refused with a hint to write it in ``strength``: two places for one number
  can disagree, and the checker would have to guess which one is meant;
- a combination ("lidocaine + epinephrine") is reported as such, with each
  component resolved, so the caller can refuse it (ingredients) or expand it
  (patient medications).

Suggestions ("did you mean") are given only for plausible misspellings
(:func:`is_misspelling`), never for a name that is itself a real, different
substance: bupivacaine is not a typo of mepivacaine.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

from mesoreg.documents._vocabulary import normalize


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: counter-ions, esters, hydrates and salt words: removed from a name, as long as
#: something is left ("sodium chloride" keeps both words).  Calcium, magnesium and
#: zinc are left in: they are often actives in their own right.
SALT_WORDS: Final = _wordset(
    """
    sodium disodium trisodium potassium dipotassium
    hydrochloride dihydrochloride hcl chlorhydrate hydrobromide hbr chloride bromide
    acetate diacetate sulfate bisulfate hydrogensulfate phosphate diphosphate
    citrate tartrate bitartrate hydrogentartrate maleate fumarate hemifumarate
    succinate hemisuccinate mesylate mesilate besylate besilate tosylate lactate
    gluconate nitrate mononitrate benzoate valerate propionate dipropionate butyrate
    cipionate cypionate enantate enanthate undecanoate decanoate pivalate
    hydrate monohydrate dihydrate trihydrate hemihydrate sesquihydrate pentahydrate
    hexahydrate anhydrous salt base
    """
)

#: plant parts and extract words ("artichoke leaf extract", "cynarae folium")
PLANT_WORDS: Final = _wordset(
    """
    extract extracts leaf leaves folium folia root roots radix herb herba aerial
    flower flowers flos seed seeds semen fruit fruits fructus bark cortex rhizome
    rhizoma dry dried standardised standardized
    """
)

#: grades and presentations that do not change the substance
FORM_WORDS: Final = _wordset(
    """
    usp bp ph eur ep nf jp injection injections injectable solution for sterile
    preservative free mpf pure
    """
)

#: words joining the parts of a name ('chlorhydrate de lidocaine'); removed from a loose key
CONNECTORS: Final = frozenset({"and", "with", "plus", "et", "de", "of"})

#: words that must never be dropped: they name a different product
_CROSSLINKED = ("crosslinked", "reticulated")

#: dose forms a patient medication may be written with ("bisoprolol 5 mg tablets")
DOSE_FORM_WORDS: Final = _wordset("tablet tablets tab tabs capsule capsules caps film coated oral")

_PARENS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")
_UNITS = r"(?:%|‰|mg|mcg|µg|μg|ug|g|kg|ml|l|cc|iu|ui|u|units?|mmol|ppm)"
#: a number with a unit, or a ratio such as 1:100000, inside a name
_STRENGTH: Final = re.compile(
    rf"(?<![a-z0-9])(?:\d+(?:[.,]\d+)?\s*{_UNITS}(?![a-z0-9])"
    r"(?:\s*\(?\s*[wmv]\s*/\s*[wmv]\s*\)?|\s*/\s*\d*\s*(?:ml|l|kg|dose|cc)(?![a-z0-9]))?"
    r"|1\s*:\s*\d[\d ,.]*)",
    re.IGNORECASE,
)
_COMBINATION: Final = re.compile(r"\s*(?:/|\+|&|;|\bwith\b|\bplus\b|\band\b)\s*", re.IGNORECASE)
#: longest name compared for suggestions; a longer text is no misspelling
_MAX_SUGGEST = 80


def _words(text: str) -> list[str]:
    key = normalize(text)
    return [w for w in key.split("_") if w]


def _sorted(key: str) -> str:
    return "_".join(sorted(w for w in key.split("_") if w))


def _fold(word: str) -> str:
    """British and older spellings: sulphate -> sulfate, anaesthetic, oestradiol."""
    word = word.replace("sulph", "sulf").replace("ae", "e")
    return "e" + word[2:] if word.startswith("oe") else word


def loose_key(text: str) -> str:
    """The words that name the substance, folded and sorted; '' when only qualifiers are left.

    ``'Sodium Hyaluronate'`` and ``'hyaluronic acid (sodium salt)'`` both give
    ``'hyaluronic'``.  Parentheses are read as words here; :func:`segments`
    splits them off first.
    """
    words = [_fold(w) for w in _words(text)]
    joined = " ".join(words)
    # "cross linked", "cross-linked" -> one word, so that "non" can be told apart
    joined = re.sub(r"\bcross linked\b", "crosslinked", joined)
    joined = re.sub(r"\b(?:non|un) ?(crosslinked|reticulated)\b", " ", joined)
    joined = re.sub(r"\bhydrogen (sulfate|tartrate)\b", r"hydrogen\1", joined)
    words = joined.split()
    kept = [w for w in words if w not in PLANT_WORDS | FORM_WORDS | CONNECTORS]
    unsalted = [w for w in kept if w not in SALT_WORDS]
    if unsalted:
        kept = unsalted
    result = []
    for word in kept:
        if len(word) > 5 and word.endswith("ate") and word not in SALT_WORDS:
            word = word[:-3] + "ic"  # hyaluronate -> hyaluronic (acid)
        if word != "acid" or len(kept) == 1:
            result.append(word)
    return " ".join(sorted(result))


def is_qualifier(text: str) -> bool:
    """True when the text only qualifies a name: salt, plant-part and form words, nothing else."""
    return not loose_key(text) or all(w in SALT_WORDS for w in loose_key(text).split())


def segments(text: str) -> list[str]:
    """The parts of a name that must all name the same thing.

    ``'Cynara scolymus (artichoke) leaf extract'`` -> ``['Cynara scolymus  leaf extract',
    'artichoke']``; ``'sodium hyaluronate, non cross-linked'`` -> ``['sodium hyaluronate',
    'non cross-linked']``.
    """
    inner = _PARENS.findall(text)
    main = _PARENS.sub(" ", text)
    head, *tails = main.split(",")
    return [p.strip() for p in (head, *tails, *inner) if p.strip()]


def find_strength(text: str) -> str:
    """The strength written inside a name (``'2 % w/v'``, ``'1:100000'``), or ''."""
    found = _STRENGTH.search(text)
    return found.group(0).strip() if found else ""


def strip_strengths(text: str) -> str:
    """The name without strengths and dose forms: ``'warfarin 5 mg tablets'`` -> ``'warfarin'``."""
    text = _STRENGTH.sub(" ", text)
    words = text.split()
    kept = [w for w in words if normalize(w) not in DOSE_FORM_WORDS]
    return " ".join(kept or words)


def split_combination(text: str) -> list[str]:
    """The components of a combination name, or [] when it names one thing."""
    parts = [p.strip() for p in _COMBINATION.split(text)]
    named = [p for p in parts if normalize(p)]
    return named if len(named) > 1 else []


def distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of two letters is one edit), at most limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def is_misspelling(written: str, name: str) -> int | None:
    """The number of slips that turn ``name`` into ``written``, when it is a plausible typo.

    A plausible misspelling has the same first letter (a different first syllable
    is the mark of a different molecule: bupivacaine and mepivacaine), at most one
    slip for a name under 12 letters (two-letter differences are how INN stems tell
    molecules apart: prednisone and prednisolone, carnitine and carnosine), and at
    most two for a longer one, but never a whole syllable added or dropped.
    """
    a, b = written.replace("_", ""), name.replace("_", "")
    if len(a) < 5 or not b or a[0] != b[0] or len(a) > _MAX_SUGGEST:
        return None
    limit = 1 if len(a) < 12 else 2
    found = distance(a, b, limit)
    if found == 0 or found > limit:
        return None
    if found == 2 and abs(len(a) - len(b)) == 2:
        return None
    return found


#: real substances near a catalog name that are not the same thing: a name in this
#: list never gets a "did you mean" (it would present a different molecule as a
#: spelling fix).  Names only: nothing here makes a rule apply.
OTHER_SUBSTANCES: Final = frozenset(
    normalize(n)
    for n in _wordset(
        """
    bupivacaine levobupivacaine ropivacaine prilocaine articaine tetracaine amethocaine
    chloroprocaine benzocaine dibucaine cinchocaine cocaine oxybuprocaine
    levothyroxine liothyronine thyroxine tiratricol carnosine acetylcarnitine arginase
    folinic_acid pyridoxamine pyridoxal diethylaminoethanol norepinephrine noradrenaline
    ephedrine glycerin glycerine glycerol hydroxocobalamin mecobalamin theobromine
    histamine
    """
    )
)


@attrs.frozen
class NameMatch:
    """What a written name resolves to.

    ``ids`` holds exactly one id when the name is resolved; otherwise ``reason``
    says why it is refused: ``unknown``, ``ambiguous`` (``ids`` lists the
    candidates), ``strength`` (``detail`` is the strength written), ``qualifier``
    (``detail`` is the part not understood), ``conflict`` (parts naming different
    entries, listed in ``ids``) or ``combination`` (``parts`` resolves each component).
    """

    name: str
    ids: tuple[str, ...] = ()
    reason: str = ""
    detail: str = ""
    parts: tuple[NameMatch, ...] = ()

    @property
    def id(self) -> str | None:
        """The one id this name resolves to, or None when refused."""
        return self.ids[0] if not self.reason and len(self.ids) == 1 else None


@attrs.frozen
class NameIndex:
    """Every name of every entry of one kind, exact and loose.

    ``exact`` maps a normalised name to one id (a name meaning two things is an
    error when the catalog is built); ``loose`` maps a loose key to every id that
    has it, so a loose key shared by two entries is refused as ambiguous.
    """

    exact: Mapping[str, str]
    loose: Mapping[str, frozenset[str]]
    #: the words of every name, sorted: the same words in another order
    ordered: Mapping[str, frozenset[str]]
    #: every normalised and loose name, by id, for suggestions
    names: Mapping[str, frozenset[str]]

    @classmethod
    def build(cls, entries: Iterable[tuple[str, Iterable[str]]]) -> NameIndex:
        """An index of ``(id, names)`` pairs; the first id to claim an exact name keeps it."""
        exact: dict[str, str] = {}
        ordered: defaultdict[str, set[str]] = defaultdict(set)
        loose: defaultdict[str, set[str]] = defaultdict(set)
        names: defaultdict[str, set[str]] = defaultdict(set)
        for entry_id, given in entries:
            for name in given:
                key = normalize(name)
                if not key:
                    continue
                exact.setdefault(key, entry_id)
                ordered[_sorted(key)].add(entry_id)
                names[entry_id].add(key)
                for part in segments(name):
                    folded = loose_key(part)
                    if folded:
                        loose[folded].add(entry_id)
                        names[entry_id].add(folded.replace(" ", "_"))
        return cls(
            exact=MappingProxyType(exact),
            ordered=MappingProxyType({k: frozenset(v) for k, v in ordered.items()}),
            loose=MappingProxyType({k: frozenset(v) for k, v in loose.items()}),
            names=MappingProxyType({k: frozenset(v) for k, v in names.items()}),
        )

    def _one(self, text: str) -> frozenset[str]:
        """Ids one part of a name may mean: exact first, else by loose key."""
        key = normalize(text)
        if key in self.exact:
            return frozenset({self.exact[key]})
        return self.loose.get(loose_key(text), frozenset())

    def match(self, name: str, *, loose: bool = True, strengths: str = "refuse") -> NameMatch:
        """Resolve ``name`` to one entry, or say why not.

        ``loose=False`` keeps to exact names (conditions: "history of stroke" must
        not lose its qualifier).  ``strengths`` is ``'refuse'`` for ingredients and
        ``'strip'`` for patient medications, whose class does not depend on the dose.
        """
        key = normalize(name)
        if key in self.exact:
            return NameMatch(name, (self.exact[key],))
        if not loose or not key:
            # the same words in another order ("hypertension, arterial"), nothing dropped
            ids = self.ordered.get(_sorted(key), frozenset())
            if len(ids) > 1:
                return NameMatch(name, tuple(sorted(ids)), reason="ambiguous")
            return NameMatch(name, tuple(ids), reason="" if ids else "unknown")
        strength = find_strength(name)
        if strength and strengths == "refuse":
            return NameMatch(name, reason="strength", detail=strength)
        text = strip_strengths(name) if strength else name
        whole = self._parts(text)
        if whole.id is not None:
            return attrs.evolve(whole, name=name)
        components = split_combination(text)
        if components:
            parts = tuple(attrs.evolve(self._parts(c), name=c) for c in components)
            return NameMatch(name, reason="combination", parts=parts)
        return attrs.evolve(whole, name=name)

    def _parts(self, text: str) -> NameMatch:
        """Every part of the name (main text, parentheses, comma qualifiers) names one entry.

        A part made only of salt, plant-part and form words ("(sodium salt)",
        "non cross-linked") qualifies without naming; any other part must name the
        same entry as the main text, or the name is refused.
        """
        main, *rest = segments(text) or [""]
        found = [self._one(main)]
        if not found[0]:
            return NameMatch(text, reason="unknown")
        for part in rest:
            if is_qualifier(part):
                continue
            ids = self._one(part)
            if not ids:
                return NameMatch(text, reason="qualifier", detail=part)
            found.append(ids)
        common = frozenset.intersection(*found)
        if len(common) == 1:
            return NameMatch(text, tuple(common))
        if common:
            return NameMatch(text, tuple(sorted(common)), reason="ambiguous")
        return NameMatch(text, tuple(sorted(frozenset.union(*found))), reason="conflict")

    def suggest(self, name: str, other_names: Iterable[str] = ()) -> list[str]:
        """Ids whose names ``name`` is a plausible misspelling of, closest first, then by id.

        None when ``name`` is itself a known name of something else (``other_names``,
        :data:`OTHER_SUBSTANCES`): a real word is not a typo.
        """
        written = {normalize(name), loose_key(name).replace(" ", "_")} - {""}
        others = OTHER_SUBSTANCES | {normalize(n) for n in other_names}
        if written & others:
            return []
        best: dict[str, int] = {}
        for entry_id, keys in self.names.items():
            slips = [s for w in written for k in keys if (s := is_misspelling(w, k)) is not None]
            if slips:
                best[entry_id] = min(slips)
        if not best:
            return []
        fewest = min(best.values())
        return sorted(i for i, s in best.items() if s == fewest)
