"""The ``compose`` and ``bud`` commands (wired into ``mesoreg.command.cli``).

``mesoreg compose REQUEST.toml [-o DRAFT.toml] [--products FILE] [--format text|json]``
prints what to draw from which stock product and writes the formulation draft;
``mesoreg compose --list-products`` lists the products on hand.
``mesoreg bud --environment ENV --storage STORAGE --compounded-at TIME [--lot ...]``
prints the beyond-use date and the USP <797> rule that gives it.  JSON output
is described by ``schemas/compose-1.schema.json`` and ``schemas/bud-1.schema.json``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mesoreg._errors import InputError, Problem
from mesoreg._exit import ExitCode
from mesoreg.compounding._bud import (
    BudConditions,
    BudResult,
    Category,
    Environment,
    Lot,
    Storage,
    assign_bud,
)
from mesoreg.compounding._compose import Composition, compose, iter_draws, load_request
from mesoreg.compounding._products import (
    Product,
    builtin_products,
    describe,
    load_products,
    merge_products,
)
from mesoreg.documents._quantity import format_number

if TYPE_CHECKING:
    from mesoreg.host._registry import Registry

#: version of the JSON output of each command
COMPOSE_OUTPUT_VERSION = 1
BUD_OUTPUT_VERSION = 1
COMMANDS = ("compose", "bud")


def products_on_hand(files: list[str] | None) -> dict[str, Product]:
    """The built-in products and those of ``files``; a duplicate id is an error."""
    return dict(merge_products(builtin_products(), *(load_products(f) for f in files or ())))


# -- compose --------------------------------------------------------------------------


def composition_data(composition: Composition) -> dict[str, Any]:
    """The composition as JSON data (``schemas/compose-1.schema.json``)."""

    def quantity(q: Any) -> str | None:
        return None if q is None else f"{format_number(q.value)} {q.unit}"

    syringes = []
    for syringe in composition.syringes:
        draws = []
        for _, draw in ((s, d) for s, d in iter_draws(composition) if s is syringe):
            draws.append(
                {
                    "product": draw.product.id,
                    "product_name": draw.product.name,
                    "ingredient": draw.ingredient,
                    "strength": str(draw.product.strength),
                    "diluent": draw is syringe.diluent,
                    "exact_volume_ml": round(draw.exact_volume, 6),
                    "volume": str(draw.volume),
                    "target": quantity(draw.target),
                    "result": quantity(draw.result),
                    "error_percent": None
                    if draw.error_percent is None
                    else round(draw.error_percent, 4),
                    "source": draw.product.source.url,
                }
            )
        syringes.append(
            {
                "name": syringe.name,
                "per_session": syringe.per_session,
                "capacity": str(syringe.capacity),
                "graduation": str(syringe.graduation),
                "fill": str(syringe.fill),
                "draws": draws,
                "concentrations": {k: quantity(v) for k, v in syringe.concentrations},
            }
        )
    from mesoreg.documents._dump import dump_formulation

    return {
        "compose_output_version": COMPOSE_OUTPUT_VERSION,
        "formulation": composition.formulation.id,
        "syringes": syringes,
        "draft": dump_formulation(composition.formulation),
    }


def composition_text(composition: Composition) -> str:
    """What to draw, for a pharmacist."""
    lines = [f"{composition.formulation.id}: {composition.formulation.title}"]
    for syringe in composition.syringes:
        lines.append(
            f"\n{syringe.name} (x{format_number(syringe.per_session)} per session): "
            f"fill {syringe.fill} in a {syringe.capacity} syringe, "
            f"graduations {syringe.graduation}"
        )
        for _, draw in ((s, d) for s, d in iter_draws(composition) if s is syringe):
            if draw is syringe.diluent:
                lines.append(f"  draw {draw.volume} of {describe(draw.product)} (diluent)")
                continue
            lines.append(
                f"  draw {draw.volume} of {describe(draw.product)} "
                f"(exact {format_number(draw.exact_volume)} mL): {draw.ingredient} "
                f"{format_number(draw.result.value) if draw.result else '?'} "
                f"{draw.result.unit if draw.result else ''}, target {draw.target}, "
                f"rounding error {draw.error_percent:+.1f} %"
            )
    lines.append("\nCheck the draft before use: mesoreg check DRAFT.toml")
    return "\n".join(lines)


def run_compose(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """``mesoreg compose``; returns the exit code."""
    products = products_on_hand(args.products)
    if args.list_products:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "ingredient": p.ingredient,
                "strength": str(p.strength),
                "volume": str(p.volume),
                "container": p.container.value,
                "source": p.source.url,
                "origin": p.origin,
            }
            for p in products.values()
        ]
        text = "\n".join(f"{describe(p)}  {p.name}" for p in products.values())
        print(json.dumps(rows, indent=2, ensure_ascii=False) if args.format == "json" else text)
        return ExitCode.OK
    if args.request is None:
        raise InputError(
            [Problem("REQUEST.toml", "required", "Give a request file, or --list-products.")]
        )
    request = load_request(args.request)
    target = Path(args.output) if args.output else None
    if target is not None and target.exists():
        raise InputError(
            [Problem("--output", f"{target} exists; not overwritten", "Choose another file.")]
        )
    composition = compose(request, products, registry_factory().catalog)
    if target is not None:
        from mesoreg.documents._dump import dump_formulation

        target.write_text(dump_formulation(composition.formulation), encoding="utf-8")
    if args.format == "json":
        print(json.dumps(composition_data(composition), indent=2, ensure_ascii=False))
    else:
        print(composition_text(composition))
        if target is not None:
            print(f"wrote {target}; check it: mesoreg check {target}")
    return ExitCode.OK


# -- bud ------------------------------------------------------------------------------


def bud_data(result: BudResult) -> dict[str, Any]:
    """The BUD result as JSON data (``schemas/bud-1.schema.json``)."""
    rule = result.rule
    return {
        "bud_output_version": BUD_OUTPUT_VERSION,
        "assigned": result.is_assigned,
        "bud": result.bud.isoformat() if result.bud else None,
        "hours": result.hours,
        "category": result.category.value,
        "rule": rule.id if rule else None,
        "section": rule.section if rule else None,
        "read_at": rule.read_at if rule else None,
        "chapter": {"title": result.chapter.title, "url": result.chapter.url},
        "reason": result.reason,
        "not_checked": list(result.not_checked),
    }


def bud_text(result: BudResult) -> str:
    """The BUD result for a pharmacist."""
    cite = f"USP <797> {result.rule.section}" if result.rule else "USP <797>"
    if result.bud is None:
        head = f"NO BUD ASSIGNED ({result.category.value}): {result.reason}"
    else:
        head = (
            f"BUD {result.bud.isoformat(timespec='minutes')} ({result.hours} h, "
            f"{result.category.value}, rule {result.rule.id if result.rule else '?'}, {cite})"
        )
    lines = [head, f"source: {result.chapter.title}, {result.chapter.url}"]
    lines += [f"not checked: {item}" for item in result.not_checked]
    return "\n".join(lines)


def run_bud(args: argparse.Namespace) -> int:
    """``mesoreg bud``; exit 0 with a BUD, 3 when none can be assigned."""
    conditions = BudConditions(
        environment=Environment(args.environment),
        storage=Storage(args.storage),
        compounded_at=args.compounded_at,
        sterility_tested=args.sterility_tested,
        sterile_components=not args.nonsterile_components,
        category=Category(args.category) if args.category else None,
        lots=tuple(Lot(*lot) for lot in args.lot),
    )
    result = assign_bud(conditions)
    print(json.dumps(bud_data(result), indent=2) if args.format == "json" else bud_text(result))
    return ExitCode.OK if result.is_assigned else ExitCode.NOT_VALIDATED


def run(args: argparse.Namespace, registry_factory: Callable[[], Registry]) -> int:
    """Run ``compose`` or ``bud``; returns the exit code."""
    if args.command == "bud":
        return run_bud(args)
    return run_compose(args, registry_factory)
