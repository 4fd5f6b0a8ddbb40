"""mesoreg-region-us: United States regulatory rules for mesoreg.

Two hooks: ``mesoreg_rule_packs`` supplies the effective-dated regulations in
``regulations.toml`` (mesoreg turns them into a validator for region US), and
``mesoreg_region_validators`` adds one rule that needs code: deoxycholic acid
other than the approved product (KYBELLA, 10 mg/mL, undiluted).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from collections.abc import Iterator

import mesoreg

__version__ = "0.1.0"

KYBELLA_APPROVED = dt.date(2015, 4, 29)
APPROVED_STRENGTH_MG_PER_ML = 10.0


@mesoreg.hookimpl
def mesoreg_rule_packs() -> list[mesoreg.Pack]:
    """The US regulations, read from the package's TOML file."""
    text = (importlib.resources.files(__name__) / "regulations.toml").read_text("utf-8")
    return [mesoreg.parse_pack(text, "mesoreg_region_us/regulations.toml")]


def check_approved_product(subject: mesoreg.Subject) -> Iterator[mesoreg.Finding]:
    """Deoxycholic acid in the US after approval must be the approved product, undiluted."""
    if subject.context.date < KYBELLA_APPROVED:
        return
    catalog = subject.catalog
    for prep in subject.preparations:
        doses = [d for d in prep.doses if d.ingredient.id == "deoxycholic_acid"]
        for dose in doses:
            strength = dose.concentration.value  # mg/mL in the final mixture
            if abs(strength - APPROVED_STRENGTH_MG_PER_ML) < 1e-9 and len(prep.doses) == 1:
                continue
            yield mesoreg.Finding(
                severity=mesoreg.Severity.MODERATE,
                code="MR-REG-US-NOT-APPROVED-PRODUCT",
                rule="us_deoxycholic_approved_product",
                message="This deoxycholic acid is not the FDA-approved product "
                "(KYBELLA 10 mg/mL, undiluted): it is a compounded or unapproved preparation.",
                advice="Use the approved product as supplied, or document why a compounded "
                "preparation is needed.",
                evidence=f"deoxycholic acid {strength:g} mg/mL in '{prep.name}' with "
                f"{len(prep.doses) - 1} other ingredient(s)",
                evidence_level=mesoreg.Evidence.LABEL,
                components=("deoxycholic_acid",),
                sources=catalog.cite(["kybella_pi"]),
                provider=f"mesoreg-region-us {__version__}",
            )


@mesoreg.hookimpl
def mesoreg_region_validators() -> list[mesoreg.RegionValidator]:
    """The code-level US validator."""
    return [
        mesoreg.RegionValidator(
            name="us-approved-product",
            regions=("US",),
            run=check_approved_product,
            description="deoxycholic acid must be the approved 10 mg/mL product, undiluted",
            version=__version__,
        )
    ]
