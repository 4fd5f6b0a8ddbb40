"""mesoreg: the registry and safety checker for mesotherapy formulations.

>>> import mesoreg
>>> report = mesoreg.check("formulations/lipo-abdomen/v1.toml", "examples/patients/anna.toml")
>>> report.verdict

``check`` takes each input as a model, a dict with the TOML file's keys, or a
path (a ``str`` is always a path); TOML text goes through ``parse_formulation``
and ``parse_patient``.  Data held in memory gets the same errors, with the same
key paths, as a file.

Importing mesoreg reads no file and loads no plugin; the catalog is built on
first use.
"""

from mesoreg._version import __version__

#: not ``typing.TYPE_CHECKING``: importing typing would cost a cold command more than the
#: rest of this module (type checkers analyse the block below all the same)
_TYPE_CHECKING = False
if _TYPE_CHECKING:
    from typing import Any as _Any

    from mesoreg._errors import (
        InputError,
        MesoregError,
        PluginError,
        Problem,
        UnitError,
        UnknownNameError,
    )
    from mesoreg.checks._region import RegionValidator
    from mesoreg.checks._render import report_to_dict
    from mesoreg.checks._report import Finding, NotRun, OutputFormat, Report, Unchecked, Verdict
    from mesoreg.checks._subject import Check, Dose, ResolvedPreparation, SessionAmount, Subject
    from mesoreg.compounding._api import (
        beyond_use_date,
        compose,
        compounding_records,
        labels_html,
        labels_pdf,
        load_compose_request,
        master_formulation_record,
        parse_compose_request,
        record_html,
        record_pdf,
        record_preparation,
        stock_products,
        syringe_labels,
    )
    from mesoreg.compounding._batch import Acknowledgement, CompoundRequest
    from mesoreg.compounding._bud import BudConditions, Lot
    from mesoreg.compounding._terms import Category, Environment, Storage
    from mesoreg.documents._knowledge import (
        Compatibility,
        Condition,
        Contraindication,
        Drug,
        Evidence,
        Fact,
        Identifiers,
        Ingredient,
        Interaction,
        Limit,
        LimitKind,
        MedicationClass,
        Pack,
        Regulation,
        Severity,
        Source,
    )
    from mesoreg.documents._load import load_formulation, load_patient
    from mesoreg.documents._model import (
        CoIngredient,
        Component,
        Context,
        Formulation,
        Medication,
        Patient,
        Preparation,
        Status,
        Use,
    )
    from mesoreg.documents._parse import parse_formulation, parse_patient
    from mesoreg.documents._quantity import Dimension, Quantity, parse_quantity
    from mesoreg.documents._vocabulary import Area, Purpose, Route, Sex, Technique
    from mesoreg.hookspecs import hookimpl
    from mesoreg.host._engine import check
    from mesoreg.host._registry import Registry, get_catalog
    from mesoreg.knowledge._catalog import Catalog
    from mesoreg.knowledge._override import Override
    from mesoreg.knowledge._pack import load_pack_document as load_pack
    from mesoreg.knowledge._pack import parse_pack_document as parse_pack
    from mesoreg.store._diff import diff_formulations
    from mesoreg.store._publish import new_draft, publish, set_status
    from mesoreg.store._recheck import recheck
    from mesoreg.store._store import Store, StoreError

#: every public name is imported on first use, so that ``import mesoreg`` stays cheap (and
#: the CLI's --version fast): public name -> (module, attribute)
_LAZY = {
    "Acknowledgement": ("mesoreg.compounding._batch", "Acknowledgement"),
    "Area": ("mesoreg.documents._vocabulary", "Area"),
    "BudConditions": ("mesoreg.compounding._bud", "BudConditions"),
    "Catalog": ("mesoreg.knowledge._catalog", "Catalog"),
    "Category": ("mesoreg.compounding._terms", "Category"),
    "Check": ("mesoreg.checks._subject", "Check"),
    "CoIngredient": ("mesoreg.documents._model", "CoIngredient"),
    "Compatibility": ("mesoreg.documents._knowledge", "Compatibility"),
    "Component": ("mesoreg.documents._model", "Component"),
    "CompoundRequest": ("mesoreg.compounding._batch", "CompoundRequest"),
    "Condition": ("mesoreg.documents._knowledge", "Condition"),
    "Context": ("mesoreg.documents._model", "Context"),
    "Contraindication": ("mesoreg.documents._knowledge", "Contraindication"),
    "Dimension": ("mesoreg.documents._quantity", "Dimension"),
    "Dose": ("mesoreg.checks._subject", "Dose"),
    "Drug": ("mesoreg.documents._knowledge", "Drug"),
    "Environment": ("mesoreg.compounding._terms", "Environment"),
    "Evidence": ("mesoreg.documents._knowledge", "Evidence"),
    "Fact": ("mesoreg.documents._knowledge", "Fact"),
    "Finding": ("mesoreg.checks._report", "Finding"),
    "Formulation": ("mesoreg.documents._model", "Formulation"),
    "Identifiers": ("mesoreg.documents._knowledge", "Identifiers"),
    "Ingredient": ("mesoreg.documents._knowledge", "Ingredient"),
    "InputError": ("mesoreg._errors", "InputError"),
    "Interaction": ("mesoreg.documents._knowledge", "Interaction"),
    "Limit": ("mesoreg.documents._knowledge", "Limit"),
    "LimitKind": ("mesoreg.documents._knowledge", "LimitKind"),
    "Lot": ("mesoreg.compounding._bud", "Lot"),
    "Medication": ("mesoreg.documents._model", "Medication"),
    "MedicationClass": ("mesoreg.documents._knowledge", "MedicationClass"),
    "MesoregError": ("mesoreg._errors", "MesoregError"),
    "NotRun": ("mesoreg.checks._report", "NotRun"),
    "OutputFormat": ("mesoreg.checks._report", "OutputFormat"),
    "Override": ("mesoreg.knowledge._override", "Override"),
    "Pack": ("mesoreg.documents._knowledge", "Pack"),
    "Patient": ("mesoreg.documents._model", "Patient"),
    "PluginError": ("mesoreg._errors", "PluginError"),
    "Preparation": ("mesoreg.documents._model", "Preparation"),
    "Problem": ("mesoreg._errors", "Problem"),
    "Purpose": ("mesoreg.documents._vocabulary", "Purpose"),
    "Quantity": ("mesoreg.documents._quantity", "Quantity"),
    "RegionValidator": ("mesoreg.checks._region", "RegionValidator"),
    "Registry": ("mesoreg.host._registry", "Registry"),
    "Regulation": ("mesoreg.documents._knowledge", "Regulation"),
    "Report": ("mesoreg.checks._report", "Report"),
    "ResolvedPreparation": ("mesoreg.checks._subject", "ResolvedPreparation"),
    "Route": ("mesoreg.documents._vocabulary", "Route"),
    "SessionAmount": ("mesoreg.checks._subject", "SessionAmount"),
    "Severity": ("mesoreg.documents._knowledge", "Severity"),
    "Sex": ("mesoreg.documents._vocabulary", "Sex"),
    "Source": ("mesoreg.documents._knowledge", "Source"),
    "Status": ("mesoreg.documents._model", "Status"),
    "Storage": ("mesoreg.compounding._terms", "Storage"),
    "Store": ("mesoreg.store._store", "Store"),
    "StoreError": ("mesoreg.store._store", "StoreError"),
    "Subject": ("mesoreg.checks._subject", "Subject"),
    "Technique": ("mesoreg.documents._vocabulary", "Technique"),
    "Unchecked": ("mesoreg.checks._report", "Unchecked"),
    "UnitError": ("mesoreg._errors", "UnitError"),
    "UnknownNameError": ("mesoreg._errors", "UnknownNameError"),
    "Use": ("mesoreg.documents._model", "Use"),
    "Verdict": ("mesoreg.checks._report", "Verdict"),
    "beyond_use_date": ("mesoreg.compounding._api", "beyond_use_date"),
    "check": ("mesoreg.host._engine", "check"),
    "compose": ("mesoreg.compounding._api", "compose"),
    "compounding_records": ("mesoreg.compounding._api", "compounding_records"),
    "diff_formulations": ("mesoreg.store._diff", "diff_formulations"),
    "get_catalog": ("mesoreg.host._registry", "get_catalog"),
    "hookimpl": ("mesoreg.hookspecs", "hookimpl"),
    "labels_html": ("mesoreg.compounding._api", "labels_html"),
    "labels_pdf": ("mesoreg.compounding._api", "labels_pdf"),
    "load_compose_request": ("mesoreg.compounding._api", "load_compose_request"),
    "load_formulation": ("mesoreg.documents._load", "load_formulation"),
    "load_pack": ("mesoreg.knowledge._pack", "load_pack_document"),
    "load_patient": ("mesoreg.documents._load", "load_patient"),
    "master_formulation_record": ("mesoreg.compounding._api", "master_formulation_record"),
    "new_draft": ("mesoreg.store._publish", "new_draft"),
    "parse_compose_request": ("mesoreg.compounding._api", "parse_compose_request"),
    "parse_formulation": ("mesoreg.documents._parse", "parse_formulation"),
    "parse_pack": ("mesoreg.knowledge._pack", "parse_pack_document"),
    "parse_patient": ("mesoreg.documents._parse", "parse_patient"),
    "parse_quantity": ("mesoreg.documents._quantity", "parse_quantity"),
    "publish": ("mesoreg.store._publish", "publish"),
    "recheck": ("mesoreg.store._recheck", "recheck"),
    "record_html": ("mesoreg.compounding._api", "record_html"),
    "record_pdf": ("mesoreg.compounding._api", "record_pdf"),
    "record_preparation": ("mesoreg.compounding._api", "record_preparation"),
    "report_to_dict": ("mesoreg.checks._render", "report_to_dict"),
    "set_status": ("mesoreg.store._publish", "set_status"),
    "stock_products": ("mesoreg.compounding._api", "stock_products"),
    "syringe_labels": ("mesoreg.compounding._api", "syringe_labels"),
}


def __getattr__(name: str) -> "_Any":
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mesoreg' has no attribute {name!r}")


__all__ = [
    "Acknowledgement",
    "Area",
    "BudConditions",
    "Catalog",
    "Category",
    "Check",
    "CoIngredient",
    "Compatibility",
    "Component",
    "CompoundRequest",
    "Condition",
    "Context",
    "Contraindication",
    "Dimension",
    "Dose",
    "Drug",
    "Environment",
    "Evidence",
    "Fact",
    "Finding",
    "Formulation",
    "Identifiers",
    "Ingredient",
    "InputError",
    "Interaction",
    "Limit",
    "LimitKind",
    "Lot",
    "Medication",
    "MedicationClass",
    "MesoregError",
    "NotRun",
    "OutputFormat",
    "Override",
    "Pack",
    "Patient",
    "PluginError",
    "Preparation",
    "Problem",
    "Purpose",
    "Quantity",
    "RegionValidator",
    "Registry",
    "Regulation",
    "Report",
    "ResolvedPreparation",
    "Route",
    "SessionAmount",
    "Severity",
    "Sex",
    "Source",
    "Status",
    "Storage",
    "Store",
    "StoreError",
    "Subject",
    "Technique",
    "Unchecked",
    "UnitError",
    "UnknownNameError",
    "Use",
    "Verdict",
    "__version__",
    "beyond_use_date",
    "check",
    "compose",
    "compounding_records",
    "diff_formulations",
    "get_catalog",
    "hookimpl",
    "labels_html",
    "labels_pdf",
    "load_compose_request",
    "load_formulation",
    "load_pack",
    "load_patient",
    "master_formulation_record",
    "new_draft",
    "parse_compose_request",
    "parse_formulation",
    "parse_pack",
    "parse_patient",
    "parse_quantity",
    "publish",
    "recheck",
    "record_html",
    "record_pdf",
    "record_preparation",
    "report_to_dict",
    "set_status",
    "stock_products",
    "syringe_labels",
]
