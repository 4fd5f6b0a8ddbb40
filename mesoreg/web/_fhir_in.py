"""FHIR resources sent to the CDS Hooks services, read into mesoreg's formulation and patient.

Reads both FHIR R4 and R5 shapes (``medicationCodeableConcept`` / ``medication.concept``,
``strength`` / ``strengthRatio``...).  Nothing here decides a clinical question; it only
says what the resources state, and fails closed:

* an ingredient of the compounded Medication is found by a code the catalog records
  (UNII, ATC, CAS: :class:`mesoreg.Identifiers`) or else by its name as the catalog
  knows it (:meth:`mesoreg.Catalog.find_ingredient`); one that is neither is an input
  problem and the order is not checked;
* a Condition is read by its ICD-10 code (``ICD-10:K70.3``), which mesoreg maps to its
  vocabulary (:mod:`mesoreg.knowledge._condition`); a MedicationStatement by its ATC code
  (:mod:`mesoreg.knowledge._atc`); an AllergyIntolerance by a code the catalog records.  Any other
  entry (SNOMED CT only, RxNorm only, free text only) is passed on as an entry that
  *names nothing in the vocabulary* (:func:`not_read`), so the check reports it as not
  checked: it is never read as "no condition", and its text never decides a rule;
* a prefetch key that is missing or null (the EHR could not fetch it) leaves the fact
  unknown; an empty search Bundle is "none recorded".

A Medication carrying the identifier ``https://mesoreg.org/formulation`` (as ``mesoreg
export --fhir`` writes it) names a stored version, which is checked instead of the
ingredients listed (:class:`StoredOrder`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg.knowledge._catalog import Catalog

FORMULATION_SYSTEM = "https://mesoreg.org/formulation"
USE_EXTENSION = "https://mesoreg.org/fhir/StructureDefinition/mesotherapy-use"
ICD10_PREFIX = "http://hl7.org/fhir/sid/icd-10"
ATC = "http://www.whocc.no/atc"
UNII = "http://fdasis.nlm.nih.gov"
CAS = "http://terminology.hl7.org/NamingSystem/CAS"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
_LABELS = {SNOMED: "SNOMED CT", RXNORM: "RxNorm", ATC: "ATC", UNII: "UNII", CAS: "CAS"}
#: SNOMED CT route codes -> mesoreg's routes
ROUTES = {"372464004": "intradermal", "34206005": "subcutaneous"}
_USE_KEYS = ("area", "technique", "route", "purpose", "depth", "points", "volume_per_point")
_MASS = {"mg": 1.0, "g": 1000.0, "ug": 0.001, "mcg": 0.001, "ng": 1e-6}
_VOLUME = {"mL": 1.0, "ml": 1.0, "L": 1000.0, "l": 1000.0}
_UNITS = {"[iU]": "IU", "[IU]": "IU", "IU": "IU", "U": "U", "[U]": "U", "[USP'U]": "USP U"}
#: verification statuses that take a Condition or AllergyIntolerance back: never read.  A
#: resolved, inactive or remitted one IS read: mesoreg's rules speak of history (a past stroke,
#: a cancer in remission), and reading it is the stricter choice
_VOID = {"refuted", "entered-in-error"}
#: Observation statuses that are no measurement
_NO_VALUE = {"entered-in-error", "cancelled", "registered"}


@attrs.frozen
class StoredOrder:
    """An order for a stored version: ``ID@N`` (N None for the latest)."""

    formulation_id: str
    version: int | None


def codings(concept: object) -> list[tuple[str, str, str]]:
    """(system, code, display) of each coding of a CodeableConcept."""
    if not isinstance(concept, Mapping):
        return []
    found = []
    for c in concept.get("coding") or ():
        if isinstance(c, Mapping) and isinstance(c.get("code"), str):
            found.append(
                (str(c.get("system") or ""), c["code"].strip(), str(c.get("display") or ""))
            )
    return found


def text_of(concept: object) -> str:
    """What a CodeableConcept says in words: its text, or its first coding's display."""
    if not isinstance(concept, Mapping):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    return next((d for _, _, d in codings(concept) if d), "")


def not_read(kind: str, concept: object, index: int) -> str:
    """The entry passed on for something mesoreg cannot read: says what it was, names nothing.

    Made of the codes only (never the free text), with no ``/``, ``+`` or words that
    would split it into a combination.
    """
    codes = [
        f"{_LABELS.get(s, 'code')} {re.sub(r'[^A-Za-z0-9.-]', '', c)[:20]}"
        for s, c, _ in codings(concept)
    ]
    what = "; ".join(codes[:3]) if codes else "free text only"
    return f"unread {kind} #{index + 1} ({what})"


def _status(resource: Mapping[str, Any], key: str) -> set[str]:
    return {code for _, code, _ in codings(resource.get(key))}


def entries(bundle: object, resource_type: str) -> list[Mapping[str, Any]] | None:
    """The resources of ``resource_type`` in a prefetched search Bundle; None when the
    prefetch is missing or null, or the search is incomplete (another page, a total above
    what came, an OperationOutcome): unknown; [] for a complete empty Bundle (none
    recorded)."""
    if not isinstance(bundle, Mapping):
        return None
    if bundle.get("resourceType") == resource_type:
        return [bundle]
    if bundle.get("resourceType") != "Bundle":
        return None
    found = []
    for entry in bundle.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping):
            continue
        if resource.get("resourceType") == "OperationOutcome":
            return None  # the search failed or warns: what it found is not all there is
        if resource.get("resourceType") == resource_type:
            found.append(resource)
    links = bundle.get("link") or ()
    more = any(isinstance(k, Mapping) and k.get("relation") == "next" for k in links)
    total = bundle.get("total")
    if more or (isinstance(total, int) and not isinstance(total, bool) and total > len(found)):
        return None  # one page of several: the rest is unknown, never "none recorded"
    return found


# -- the patient --------------------------------------------------------------------------------


def _ingredient_by_code(catalog: Catalog, system: str, code: str) -> str | None:
    """The one ingredient whose recorded UNII, ATC or CAS is ``code``; None otherwise."""
    hits = set()
    for ingredient in catalog.ingredients.values():
        ids = ingredient.identifiers
        if (
            (system == UNII and ids.unii and ids.unii == code)
            or (system == CAS and ids.cas and ids.cas == code)
            or (system == ATC and code in ids.atc)
        ):
            hits.add(ingredient.id)
    return hits.pop() if len(hits) == 1 else None


def _conditions(found: list[Mapping[str, Any]], catalog: Catalog) -> list[str]:
    result = []
    for i, condition in enumerate(found):
        if _status(condition, "verificationStatus") & _VOID:
            continue
        icd = [c for s, c, _ in codings(condition.get("code")) if s.startswith(ICD10_PREFIX)]
        result += [f"ICD-10:{c}" for c in icd] or [
            _unknown(not_read("condition", condition.get("code"), i), catalog)
        ]
    return result


def _medication_concept(resource: Mapping[str, Any]) -> object:
    concept = resource.get("medicationCodeableConcept")  # R4
    medication = resource.get("medication")  # R5: a CodeableReference
    if concept is None and isinstance(medication, Mapping):
        concept = medication.get("concept")
    return concept


def _medications(found: list[Mapping[str, Any]], catalog: Catalog) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for i, statement in enumerate(found):
        if statement.get("status") in ("entered-in-error", "not-taken"):
            continue
        concept = _medication_concept(statement)
        # every ATC coding is read, each as a medication taken: the stricter reading
        atc = list(dict.fromkeys(c for s, c, _ in codings(concept) if s == ATC))
        names = atc or [_unknown(not_read("medication", concept, i), catalog)]
        last_dose = None
        period = statement.get("effectivePeriod")
        end = period.get("end") if isinstance(period, Mapping) else None
        if statement.get("status") == "completed" and isinstance(end, str) and len(end) >= 10:
            # a date that cannot be read is left out: current use, the stricter reading
            with contextlib.suppress(ValueError):
                last_dose = dt.date.fromisoformat(end[:10])
        for name in names:
            entry: dict[str, Any] = {"name": name}
            if last_dose is not None:
                entry["last_dose"] = last_dose
            result.append(entry)
    return result


def _allergies(found: list[Mapping[str, Any]], catalog: Catalog) -> list[str]:
    result = []
    for i, allergy in enumerate(found):
        if _status(allergy, "verificationStatus") & _VOID:
            continue
        concept = allergy.get("code")
        ids = {_ingredient_by_code(catalog, s, c) for s, c, _ in codings(concept)} - {None}
        if len(ids) == 1:
            result.append(str(ids.pop()))
        else:
            result.append(_unknown(not_read("allergy", concept, i), catalog))
    return result


def _unknown(entry: str, catalog: Catalog) -> str:
    """``entry``, which must name nothing the catalog knows (it is made so)."""
    if (
        catalog.find_condition(entry) is not None
        or catalog.classify_medication(entry) is not None
        or catalog.find_ingredient(entry) is not None
    ):  # pragma: no cover - the entries are made of words no record uses
        raise AssertionError(f"{entry!r} names a record")
    return entry


def _weight(found: list[Mapping[str, Any]] | None) -> str | None:
    for observation in found or ():
        if observation.get("status") in _NO_VALUE:
            continue
        value = observation.get("valueQuantity")
        if isinstance(value, Mapping) and isinstance(value.get("value"), int | float):
            unit = value.get("code") or value.get("unit")
            if unit in ("kg", "g"):
                kg = value["value"] / (1000 if unit == "g" else 1)
                return f"{kg:g} kg"
    return None


def patient_data(prefetch: object, catalog: Catalog) -> dict[str, Any]:
    """The patient file's dict for the prefetched resources; what is missing stays unknown."""
    prefetch = prefetch if isinstance(prefetch, Mapping) else {}
    data: dict[str, Any] = {"schema_version": 1}
    patient = prefetch.get("patient")
    if isinstance(patient, Mapping) and patient.get("resourceType") == "Patient":
        if isinstance(patient.get("id"), str):
            data["id"] = patient["id"]
        birth = patient.get("birthDate")
        if isinstance(birth, str) and len(birth) == 10:
            with contextlib.suppress(ValueError):
                data["birth_date"] = dt.date.fromisoformat(birth)
        if patient.get("gender") in ("female", "male", "other"):
            data["sex"] = patient["gender"]
    weight = _weight(entries(prefetch.get("weight"), "Observation"))
    if weight:
        data["weight"] = weight
    conditions = entries(prefetch.get("conditions"), "Condition")
    if conditions is not None:
        data["conditions"] = _conditions(conditions, catalog)
    medications = entries(prefetch.get("medications"), "MedicationStatement")
    if medications is not None:
        data["medications"] = _medications(medications, catalog)
    allergies = entries(prefetch.get("allergies"), "AllergyIntolerance")
    if allergies is not None:
        data["allergies"] = _allergies(allergies, catalog)
    return data


# -- the order ----------------------------------------------------------------------------------


def _reference(request: Mapping[str, Any]) -> str | None:
    ref = request.get("medicationReference")  # R4
    medication = request.get("medication")  # R5
    if ref is None and isinstance(medication, Mapping):
        ref = medication.get("reference")
    value = ref.get("reference") if isinstance(ref, Mapping) else None
    return value if isinstance(value, str) else None


def names_contained(request: Mapping[str, Any]) -> bool:
    """True when the order names its Medication as a contained resource (``#id``)."""
    ref = _reference(request)
    return ref is not None and ref.startswith("#")


def medication_of(
    request: Mapping[str, Any], bundle: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The Medication a MedicationRequest orders: contained (``#id``) or in the Bundle."""
    ref = _reference(request)
    if ref is None:
        return None
    candidates: Iterator[Any]
    if ref.startswith("#"):
        candidates = iter(request.get("contained") or ())
        wanted = ref[1:]
        for resource in candidates:
            if isinstance(resource, Mapping) and resource.get("id") == wanted:
                return resource if resource.get("resourceType") == "Medication" else None
        return None
    for entry in bundle.get("entry") or ():
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(resource, Mapping) or resource.get("resourceType") != "Medication":
            continue
        if ref in (entry.get("fullUrl"), f"Medication/{resource.get('id')}"):
            return resource
    return None


def stored_order(medication: Mapping[str, Any]) -> StoredOrder | None:
    """The stored version a Medication names by mesoreg's identifier, if it names one."""
    from mesoreg.store._store import parse_ref

    for identifier in medication.get("identifier") or ():
        if isinstance(identifier, Mapping) and identifier.get("system") == FORMULATION_SYSTEM:
            formulation_id, version = parse_ref(str(identifier.get("value", "")))
            return StoredOrder(formulation_id, version)
    return None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _unit(quantity: Mapping[str, Any]) -> str:
    return str(quantity.get("code") or quantity.get("unit") or "")


def _strength(ingredient: Mapping[str, Any], where: str) -> str:
    """``'50 mg/mL'`` from an R5 ``strengthRatio`` or an R4 ``strength`` Ratio."""
    ratio = ingredient.get("strengthRatio") or ingredient.get("strength")
    numerator = ratio.get("numerator") if isinstance(ratio, Mapping) else None
    denominator = ratio.get("denominator") if isinstance(ratio, Mapping) else None
    if isinstance(numerator, Mapping) and isinstance(denominator, Mapping):
        amount, per = _number(numerator.get("value")), _number(denominator.get("value"))
        top, bottom = _unit(numerator), _unit(denominator)
        if amount is not None and per and bottom in _VOLUME:
            per_ml = per * _VOLUME[bottom]
            if top in _MASS:
                return f"{amount * _MASS[top] / per_ml:.6g} mg/mL"
            if top in _UNITS:
                return f"{amount / per_ml:.6g} {_UNITS[top]}/mL"
    raise InputError(
        [
            Problem(
                f"{where}.strength",
                "needs a strength as a Ratio of a mass (mg, g, ug) or units (IU, U) "
                "per volume (mL)",
                "Give strengthRatio (R5) or strength (R4), e.g. 50 mg per 1 mL.",
            )
        ]
    )


def _ingredient(ingredient: Mapping[str, Any], catalog: Catalog, where: str) -> str:
    item = ingredient.get("item")  # R5: a CodeableReference
    concept = item.get("concept") if isinstance(item, Mapping) else None
    concept = concept or ingredient.get("itemCodeableConcept")  # R4
    by_code = {_ingredient_by_code(catalog, s, c) for s, c, _ in codings(concept)} - {None}
    if len(by_code) == 1:
        return str(by_code.pop())
    name = text_of(concept)
    found = catalog.find_ingredient(name) if name and not by_code else None
    if found is not None:
        return found.id
    what = f"'{name[:80]}'" if name else "an ingredient with no name"
    reason = "its codes name different ingredients" if by_code else "the catalog does not know it"
    raise InputError(
        [
            Problem(
                f"{where}.item",
                f"{what}: {reason}",
                "Code it with the UNII, ATC or CAS number the catalog records, or name it as "
                "'mesoreg catalog search' shows.",
            )
        ]
    )


def _volume(medication: Mapping[str, Any]) -> str | None:
    total = medication.get("totalVolume")  # R5
    if not isinstance(total, Mapping):
        amount = medication.get("amount")  # R4: a Ratio
        total = amount.get("numerator") if isinstance(amount, Mapping) else None
    if isinstance(total, Mapping):
        value = _number(total.get("value"))
        unit = _unit(total)
        if value and unit in _VOLUME:
            return f"{value * _VOLUME[unit]:.6g} mL"
    return None


def _use(request: Mapping[str, Any]) -> dict[str, Any]:
    use: dict[str, Any] = {}
    for extension in request.get("extension") or ():
        if not isinstance(extension, Mapping) or extension.get("url") != USE_EXTENSION:
            continue
        for part in extension.get("extension") or ():
            key = part.get("url") if isinstance(part, Mapping) else None
            if key in _USE_KEYS:
                value = next((v for k, v in part.items() if k.startswith("value")), None)
                use[key] = value
    if "route" not in use:
        for dosage in request.get("dosageInstruction") or ():
            route = dosage.get("route") if isinstance(dosage, Mapping) else None
            known = [ROUTES[c] for s, c, _ in codings(route) if s == SNOMED and c in ROUTES]
            if known:
                use["route"] = known[0]
                break
    return use


def formulation_data(
    request: Mapping[str, Any], medication: Mapping[str, Any], catalog: Catalog, where: str
) -> dict[str, Any]:
    """The formulation file's dict of a compounded Medication ordered by ``request``.

    One syringe holding the mixture: the first ingredient is the component (its
    strength in the mixture, the Medication's total volume), the others its
    co-ingredients.  The use (area, technique...) comes from the order's
    :data:`USE_EXTENSION`; what is missing is reported by the formulation's checks.
    """
    problems: list[Problem] = []
    parts: list[dict[str, Any]] = []
    ingredients = [i for i in medication.get("ingredient") or () if isinstance(i, Mapping)]
    # every ingredient, isActive false too: the catalog knows vehicles, and an ingredient
    # marked inactive by mistake is still in the syringe
    for n, ingredient in enumerate(ingredients):
        at = f"{where}.ingredient[{n}]"
        try:
            parts.append(
                {
                    "ingredient": _ingredient(ingredient, catalog, at),
                    "strength": _strength(ingredient, at),
                }
            )
        except InputError as exc:
            problems += exc.problems
    volume = _volume(medication)
    if volume is None:
        problems.append(
            Problem(
                f"{where}.totalVolume",
                "the Medication does not say its volume",
                "Give totalVolume (R5) or amount (R4) in mL.",
            )
        )
    if not parts and not problems:
        problems.append(Problem(f"{where}.ingredient", "the Medication lists no ingredient"))
    if problems:
        raise InputError(problems)
    first, *others = parts
    code = medication.get("code")
    return {
        "schema_version": 1,
        "id": "cds-order",
        "version": 1,
        "title": text_of(code) or "compounded order",
        "use": _use(request),
        "preparations": [
            {
                "name": "ordered mixture",
                "per_session": 1,
                "components": [{**first, "volume": volume, "co_ingredients": others}],
            }
        ],
    }
