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

from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from mesoreg._version import __version__

if _TYPE_CHECKING:
    from mesoreg._catalog import Catalog
    from mesoreg._diff import diff_formulations
    from mesoreg._engine import check
    from mesoreg._errors import (
        InputError,
        MesoregError,
        PluginError,
        Problem,
        UnitError,
        UnknownNameError,
    )
    from mesoreg._knowledge import (
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
    from mesoreg._load import load_formulation, load_patient
    from mesoreg._model import (
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
    from mesoreg._override import Override
    from mesoreg._pack import load_pack_document as load_pack
    from mesoreg._pack import parse_pack_document as parse_pack
    from mesoreg._parse import parse_formulation, parse_patient
    from mesoreg._publish import new_draft, publish, set_status
    from mesoreg._quantity import Dimension, Quantity, parse_quantity
    from mesoreg._recheck import recheck
    from mesoreg._region import RegionValidator
    from mesoreg._registry import Registry, get_catalog
    from mesoreg._render import report_to_dict
    from mesoreg._report import Finding, NotRun, OutputFormat, Report, Unchecked, Verdict
    from mesoreg._store import Store, StoreError
    from mesoreg._subject import Check, Dose, ResolvedPreparation, SessionAmount, Subject
    from mesoreg._vocabulary import Area, Purpose, Route, Sex, Technique
    from mesoreg.hookspecs import hookimpl

#: every public name is imported on first use, so that ``import mesoreg`` stays cheap (and
#: the CLI's --version fast): public name -> (module, attribute)
_LAZY = {
    "Area": ("mesoreg._vocabulary", "Area"),
    "Catalog": ("mesoreg._catalog", "Catalog"),
    "Check": ("mesoreg._subject", "Check"),
    "CoIngredient": ("mesoreg._model", "CoIngredient"),
    "Compatibility": ("mesoreg._knowledge", "Compatibility"),
    "Component": ("mesoreg._model", "Component"),
    "Condition": ("mesoreg._knowledge", "Condition"),
    "Context": ("mesoreg._model", "Context"),
    "Contraindication": ("mesoreg._knowledge", "Contraindication"),
    "Dimension": ("mesoreg._quantity", "Dimension"),
    "Dose": ("mesoreg._subject", "Dose"),
    "Drug": ("mesoreg._knowledge", "Drug"),
    "Evidence": ("mesoreg._knowledge", "Evidence"),
    "Fact": ("mesoreg._knowledge", "Fact"),
    "Finding": ("mesoreg._report", "Finding"),
    "Formulation": ("mesoreg._model", "Formulation"),
    "Identifiers": ("mesoreg._knowledge", "Identifiers"),
    "Ingredient": ("mesoreg._knowledge", "Ingredient"),
    "InputError": ("mesoreg._errors", "InputError"),
    "Interaction": ("mesoreg._knowledge", "Interaction"),
    "Limit": ("mesoreg._knowledge", "Limit"),
    "LimitKind": ("mesoreg._knowledge", "LimitKind"),
    "Medication": ("mesoreg._model", "Medication"),
    "MedicationClass": ("mesoreg._knowledge", "MedicationClass"),
    "MesoregError": ("mesoreg._errors", "MesoregError"),
    "NotRun": ("mesoreg._report", "NotRun"),
    "OutputFormat": ("mesoreg._report", "OutputFormat"),
    "Override": ("mesoreg._override", "Override"),
    "Pack": ("mesoreg._knowledge", "Pack"),
    "Patient": ("mesoreg._model", "Patient"),
    "PluginError": ("mesoreg._errors", "PluginError"),
    "Preparation": ("mesoreg._model", "Preparation"),
    "Problem": ("mesoreg._errors", "Problem"),
    "Purpose": ("mesoreg._vocabulary", "Purpose"),
    "Quantity": ("mesoreg._quantity", "Quantity"),
    "RegionValidator": ("mesoreg._region", "RegionValidator"),
    "Registry": ("mesoreg._registry", "Registry"),
    "Regulation": ("mesoreg._knowledge", "Regulation"),
    "Report": ("mesoreg._report", "Report"),
    "ResolvedPreparation": ("mesoreg._subject", "ResolvedPreparation"),
    "Route": ("mesoreg._vocabulary", "Route"),
    "SessionAmount": ("mesoreg._subject", "SessionAmount"),
    "Severity": ("mesoreg._knowledge", "Severity"),
    "Sex": ("mesoreg._vocabulary", "Sex"),
    "Source": ("mesoreg._knowledge", "Source"),
    "Status": ("mesoreg._model", "Status"),
    "Store": ("mesoreg._store", "Store"),
    "StoreError": ("mesoreg._store", "StoreError"),
    "Subject": ("mesoreg._subject", "Subject"),
    "Technique": ("mesoreg._vocabulary", "Technique"),
    "Unchecked": ("mesoreg._report", "Unchecked"),
    "UnitError": ("mesoreg._errors", "UnitError"),
    "UnknownNameError": ("mesoreg._errors", "UnknownNameError"),
    "Use": ("mesoreg._model", "Use"),
    "Verdict": ("mesoreg._report", "Verdict"),
    "check": ("mesoreg._engine", "check"),
    "diff_formulations": ("mesoreg._diff", "diff_formulations"),
    "get_catalog": ("mesoreg._registry", "get_catalog"),
    "hookimpl": ("mesoreg.hookspecs", "hookimpl"),
    "load_formulation": ("mesoreg._load", "load_formulation"),
    "load_pack": ("mesoreg._pack", "load_pack_document"),
    "load_patient": ("mesoreg._load", "load_patient"),
    "new_draft": ("mesoreg._publish", "new_draft"),
    "parse_formulation": ("mesoreg._parse", "parse_formulation"),
    "parse_pack": ("mesoreg._pack", "parse_pack_document"),
    "parse_patient": ("mesoreg._parse", "parse_patient"),
    "parse_quantity": ("mesoreg._quantity", "parse_quantity"),
    "publish": ("mesoreg._publish", "publish"),
    "recheck": ("mesoreg._recheck", "recheck"),
    "report_to_dict": ("mesoreg._render", "report_to_dict"),
    "set_status": ("mesoreg._publish", "set_status"),
}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mesoreg' has no attribute {name!r}")


__all__ = [
    "Area",
    "Catalog",
    "Check",
    "CoIngredient",
    "Compatibility",
    "Component",
    "Condition",
    "Context",
    "Contraindication",
    "Dimension",
    "Dose",
    "Drug",
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
    "check",
    "diff_formulations",
    "get_catalog",
    "hookimpl",
    "load_formulation",
    "load_pack",
    "load_patient",
    "new_draft",
    "parse_formulation",
    "parse_pack",
    "parse_patient",
    "parse_quantity",
    "publish",
    "recheck",
    "report_to_dict",
    "set_status",
]
