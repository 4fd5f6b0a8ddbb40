"""Syringe labels for a stored version, as data: one label per syringe of the formulation.

A label carries the formulation id and version, the syringe's name, volume and
route, each active ingredient with its final concentration (the subject's,
as the composition summary and the master formulation record print them),
the beyond-use date the USP <797> rule assigns (or "NOT ASSIGNED" and why),
the storage, the lot and the patient if any.  Labels are printed
:data:`WIDTH_MM` x :data:`HEIGHT_MM`: a common small label size (70 x 37 mm,
24 to an A4 sheet), large enough for four or five ingredients in a legible
type; longer lists are set smaller to fit (the PDF shrinks, the HTML wraps).

The lot and the patient are printed as given, one printable line each:
anything a printer or a reader would not show as typed is refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import attrs

from mesoreg._errors import InputError, Problem
from mesoreg.checks._render import printable
from mesoreg.checks._subject import Subject
from mesoreg.compounding._bud import BudResult, Storage
from mesoreg.compounding._record_model import STORED, quantity

#: the printed size of one label, in millimetres
WIDTH_MM: Final = 70
HEIGHT_MM: Final = 37
#: version of ``mesoreg label --format json`` (``schemas/label-1.schema.json``)
LABEL_OUTPUT_VERSION: Final = 1
#: the longest lot or patient text printed on a label
MAX_TEXT: Final = 60


@attrs.frozen
class Label:
    """One syringe's label."""

    formulation: str
    title: str
    syringe: str
    volume: str
    route: str
    #: (ingredient name, final concentration)
    ingredients: tuple[tuple[str, str], ...]
    #: the BUD as printed, or None when none is assigned
    bud: str | None
    lot: str
    patient: str
    storage: str
    #: when compounding started, as printed
    compounded: str


@attrs.frozen
class LabelSheet:
    """The labels of one preparation of a version, and the BUD rule behind them."""

    labels: tuple[Label, ...]
    category: str
    #: the rule that gives the BUD, or why none is assigned
    bud_rule: str
    bud_reason: str

    @property
    def has_bud(self) -> bool:
        """True when every label carries a BUD."""
        return all(label.bud is not None for label in self.labels)


def _one_line(value: str, where: str) -> list[Problem]:
    if not value.strip():
        return [Problem(where, "is empty", f"Give the {where.lstrip('-')} as it is to be printed.")]
    if printable(value) != value or len(value) > MAX_TEXT:
        return [
            Problem(
                where,
                f"{printable(value)[:MAX_TEXT]!r} is not one printable line of at most "
                f"{MAX_TEXT} characters",
                "Give it as it is to be printed, without control or invisible characters.",
            )
        ]
    return []


def build_labels(
    subject: Subject,
    reference: str,
    bud: BudResult,
    storage: Storage,
    *,
    compounded_at: dt.datetime,
    lot: str,
    patient: str | None = None,
) -> LabelSheet:
    """One label per syringe of ``subject``; :class:`InputError` for a bad lot or patient."""
    problems = _one_line(lot, "--lot")
    if patient is not None:
        problems += _one_line(patient, "--patient")
    if problems:
        raise InputError(problems)
    printed = bud.bud.isoformat(sep=" ", timespec="minutes") if bud.bud else None
    labels = tuple(
        Label(
            formulation=reference,
            title=subject.formulation.title,
            syringe=prep.name,
            volume=quantity(prep.volume),
            route=subject.formulation.use.route.value,
            ingredients=tuple(
                (dose.ingredient.name, quantity(dose.concentration)) for dose in prep.doses
            ),
            bud=printed,
            lot=lot,
            patient=patient or "",
            storage=f"Store {STORED[storage]}",
            compounded=compounded_at.isoformat(sep=" ", timespec="minutes"),
        )
        for prep in subject.preparations
    )
    rule = (
        f"{bud.rule.id} (USP <797> {bud.rule.section}; {bud.chapter.url})"
        if bud.rule
        else f"none ({bud.chapter.url})"
    )
    return LabelSheet(
        labels=labels,
        category=bud.category.value,
        bud_rule=rule,
        bud_reason=bud.reason,
    )


def labels_to_dict(sheet: LabelSheet) -> dict[str, Any]:
    """The labels as JSON data (``schemas/label-1.schema.json``)."""
    return {
        "label_output_version": LABEL_OUTPUT_VERSION,
        "size_mm": [WIDTH_MM, HEIGHT_MM],
        "category": sheet.category,
        "bud_rule": sheet.bud_rule,
        "bud_reason": sheet.bud_reason,
        "labels": [
            {
                "formulation": label.formulation,
                "title": label.title,
                "syringe": label.syringe,
                "volume": label.volume,
                "route": label.route,
                "ingredients": [
                    {"ingredient": name, "concentration": conc} for name, conc in label.ingredients
                ],
                "bud": label.bud,
                "lot": label.lot,
                "patient": label.patient or None,
                "storage": label.storage,
                "compounded": label.compounded,
            }
            for label in sheet.labels
        ],
    }
