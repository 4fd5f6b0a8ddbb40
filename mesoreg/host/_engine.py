"""Running a check: resolve the formulation, run every check and validator, build the report.

Each check runs on its own, guarded (:mod:`mesoreg.host._guard`): one that raises
(anything, ``SystemExit`` included), overruns the plugin time limit or yields
a malformed record is reported as not checked, naming the plugin that
provides it (the report is then not-validated), and the others still run.
Plugins that failed while the catalog, checks, validators or formats were
collected are reported the same way.  Names a plugin resolved are reported as
``MR-PLUGIN-RESOLVED`` info findings; refused resolutions are input errors.
"""

from __future__ import annotations

import datetime as dt
import os
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from mesoreg._errors import InputError, PluginError, Problem
from mesoreg._memo import Memo
from mesoreg.checks._region import RegionValidator
from mesoreg.checks._report import Finding, NotRun, Report, Unchecked
from mesoreg.checks._subject import Outcome, Subject, resolve
from mesoreg.documents._knowledge import Evidence, Ingredient, Severity
from mesoreg.documents._model import Context, Formulation, Patient
from mesoreg.documents._parse import as_formulation, as_patient, formulation_data
from mesoreg.documents._validate import context_problems, problems_on
from mesoreg.host._guard import PluginFault, call
from mesoreg.host._plugins import is_strict
from mesoreg.host._registry import Registry, Resolution, get_registry
from mesoreg.host._shape import shape_problems

#: code of the info finding that reports a name resolved by a plugin
RESOLVED = "MR-PLUGIN-RESOLVED"


def _outcomes(
    run: Callable[[Subject], Iterable[Outcome]], subject: Subject, *, trusted: bool
) -> list[Outcome]:
    """What a check yields; a plugin's records are checked against their types first."""
    outcomes = list(run(subject))
    if trusted:  # mesoreg's own checks: typed, tested code
        return outcomes
    for outcome in outcomes:
        kind: type[Outcome] = Finding
        if isinstance(outcome, Unchecked):
            kind = NotRun if isinstance(outcome, NotRun) else Unchecked
        problems = shape_problems(outcome, kind)
        if problems:
            raise TypeError("yielded a malformed record: " + "; ".join(problems))
    return outcomes


def _run(
    name: str,
    run: Callable[[Subject], Iterable[Outcome]],
    subject: Subject,
    findings: list[Finding],
    unchecked: list[Unchecked],
    not_run: list[Unchecked],
    provider: str = "",
    *,
    plugin: str = "",
    timeout: float | None,
    own: frozenset[str] | None = None,
) -> None:
    """Run one check or validator, guarded, and file what it yields.

    ``own`` is given for a plugin's code: the packs (``'name version'``) its
    findings may name as their provider.  Such a check runs on its own copy of
    the subject, and each of its findings is attributed to the check by name
    and to the plugin, unless it names one of the plugin's own packs: a
    plugin cannot pass its findings off as mesoreg-core's or another pack's.
    """
    if own is not None:
        subject = subject.detached()
    try:
        outcomes = call(lambda: _outcomes(run, subject, trusted=own is None), timeout)
    except PluginFault as exc:
        who = f" (plugin '{plugin}')" if plugin else ""
        if is_strict():
            raise PluginError(f"check '{name}'{who} failed: {exc}") from exc
        unchecked.append(Unchecked(name, "*", f"check failed{who}: {exc}"))
        return
    for outcome in outcomes:
        if isinstance(outcome, Finding) and own is not None:
            by = outcome.provider if outcome.provider in own else plugin
            findings.append(attrs.evolve(outcome, provider=by, check=name))
        elif isinstance(outcome, Finding):
            findings.append(outcome if outcome.check else outcome.stamped(name, provider))
        elif isinstance(outcome, NotRun):
            not_run.append(outcome)
        else:
            unchecked.append(outcome)


def _regional(
    subject: Subject,
    registry: Registry,
    findings: list[Finding],
    unchecked: list[Unchecked],
    not_run: list[Unchecked],
) -> list[str]:
    region = subject.context.region
    validators = registry.validators
    for failure in registry.failures_in("mesoreg_region_validators"):
        unchecked.append(Unchecked("regulatory", failure.plugin, str(failure)))
    if region is None:
        not_run.append(NotRun("regulatory", "*", "no region given (use --region CC)"))
        return []
    mine = [v for v in validators if region in v.regions]
    if not mine:
        unchecked.append(
            Unchecked(
                "regulatory", region, f"no regulatory validator for region {region} is installed"
            )
        )
    # mesoreg's own validators (and those it makes of packs' regulations) run first
    hooked = [v for v in mine if f"regulatory:{v.name}" in registry.providers]
    ordered = [*(v for v in mine if v not in hooked or _trusted(registry, v)), *(
        v for v in hooked if not _trusted(registry, v))]  # fmt: skip
    for validator in ordered:
        # a pack's regulations come with a validator named after the pack
        plugin = registry.providers.get(f"regulatory:{validator.name}", validator.name)
        _run(
            f"regulatory:{validator.name}",
            validator.run,
            subject,
            findings,
            unchecked,
            not_run,
            provider=validator.name,
            plugin=plugin,
            timeout=registry.limit(plugin),
            own=None
            if validator not in hooked or _trusted(registry, validator)
            else frozenset(registry.pack_labels.get(plugin, ())),
        )
    return [f"regulatory:{v.name} {v.version}".strip() for v in mine]


def _trusted(registry: Registry, validator: RegionValidator) -> bool:
    return registry.is_trusted(registry.providers.get(f"regulatory:{validator.name}", ""))


def resolve_subject(
    formulation: Formulation, patient: Patient | None, context: Context, registry: Registry
) -> tuple[Subject, list[Resolution]]:
    """The subject, and the names plugins resolved; refused resolutions are input errors."""
    catalog = registry.catalog
    used: dict[str, Resolution] = {}
    refused: dict[str, Resolution] = {}

    def fallback(name: str) -> Ingredient | None:
        found = registry.resolve_ingredient(name)
        if found is None:
            return None
        if found.refused:
            refused[name] = found
            return None
        used[name] = found
        return catalog.ingredients[found.ingredient]

    hooked = registry.pm.hook.mesoreg_resolve_ingredient.get_hookimpls()
    try:
        subject = resolve(formulation, patient, context, catalog, fallback if hooked else None)
    except InputError as exc:
        if not refused:
            raise
        extra = [
            Problem(
                "",
                f"plugin '{r.plugin}' resolved '{r.name}'"
                + (f" to '{r.ingredient}'" if r.ingredient else "")
                + f", refused: {r.refused}",
                "Write the catalog id or an alias instead.",
                path=formulation.origin,
            )
            for _, r in sorted(refused.items())
        ]
        raise InputError([*exc.problems, *extra]) from exc
    return subject, [used[k] for k in sorted(used)]


def _resolved(resolution: Resolution) -> Finding:
    return Finding(
        severity=Severity.INFO,
        code=RESOLVED,
        rule="mesoreg_resolve_ingredient",
        message=(
            f"'{resolution.name}' is not a catalog name; plugin '{resolution.plugin}' "
            f"resolved it to '{resolution.ingredient}'"
        ),
        advice="Check that this is the substance meant, or write the catalog id.",
        evidence=f"written name '{resolution.name}', resolved id '{resolution.ingredient}'",
        evidence_level=Evidence.EXPERT_OPINION,
        components=(resolution.ingredient,),
        note="a name resolution by a plugin, not a clinical rule",
        provider=resolution.plugin,
        check="resolve",
    )


def _load_with_names(value: object, registry: Registry) -> Formulation:
    """The formulation ``value`` stands for
    (:func:`mesoreg.documents._parse.as_formulation`); when it
    cannot be read into a model, its ingredient names are still looked up, so every problem
    is reported at once (a bad unit and a typo)."""
    try:
        return as_formulation(value)
    except InputError as exc:
        found = formulation_data(value)
        if found is None:
            raise exc from None
        data, origin = found
        said = {p.key_path for p in exc.problems}
        catalog = registry.catalog
        extra = []
        for i, prep in enumerate(_items(data.get("preparations"))):
            for j, comp in enumerate(_items(prep.get("components"))):
                key = f"preparations[{i}].components[{j}]"
                actives = [
                    (key, comp),
                    *(
                        (f"{key}.co_ingredients[{k}]", co)
                        for k, co in enumerate(_items(comp.get("co_ingredients")))
                    ),
                ]
                for where, item in actives:
                    name = item.get("ingredient")
                    where = f"{where}.ingredient"
                    known = isinstance(name, str) and catalog.find_ingredient(name) is not None
                    if isinstance(name, str) and where not in said and not known:
                        extra.append(catalog.unknown_ingredient(name, where))
        if not extra:
            raise
        raise InputError([*exc.problems, *extra], path=origin) from exc


def _items(value: object) -> list[dict[str, object]]:
    """The tables of a TOML array, skipping anything else (reported by the loader)."""
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def check(
    formulation: Formulation | Mapping[str, Any] | str | os.PathLike[str],
    patient: Patient | Mapping[str, Any] | str | os.PathLike[str] | None = None,
    *,
    region: str | None = None,
    date: dt.date | None = None,
    previous_session: dt.date | None = None,
    registry: Registry | None = None,
) -> Report:
    """Check a formulation (optionally for a patient) in a region on a date.

    ``formulation`` and ``patient`` are each a model, a dict with the keys of the TOML
    file (as ``tomllib.loads`` gives it), or the path of a TOML file (a ``str`` is
    always a path; for TOML text use :func:`mesoreg.parse_formulation` and
    :func:`mesoreg.parse_patient`).  A model built in code is held to the same rules as
    a file (:mod:`mesoreg.documents._parse`).  ``date`` is the session date (default today),
    ``region`` an ISO 3166 code whose regulations apply, ``previous_session`` the date
    of the last session, ``registry`` the plugins to use (default: the installed ones
    and the configuration's).

    Raises :class:`~mesoreg.InputError` for bad input (unknown ingredient, bad unit, a
    number, date or fact that cannot be right), before any rule runs; everything else,
    including plugin failures, ends up in the report.
    """
    registry = registry or get_registry()
    formulation = _load_with_names(formulation, registry)
    if patient is not None:
        patient = as_patient(patient)
    # collected up front, so that every plugin failure is in every report whatever was used
    registry.checks  # noqa: B018
    registry.validators  # noqa: B018
    registry.formats  # noqa: B018
    wrong = context_problems(date, region, previous_session)
    if wrong:
        raise InputError(wrong)
    context = Context(date or dt.date.today(), region.upper() if region else None, previous_session)
    if not _pure(registry, context):
        return _check(formulation, patient, context, registry)
    memo = _REPORTS.get(registry)
    if memo is None:
        memo = _REPORTS.setdefault(registry, Memo(64))
    # models by identity: equal models may differ in what equality ignores (where they were
    # read from, a quantity as written), and the report shows those; the entry holds both
    # models, so their ids cannot be reused while it lives
    key = (id(formulation), id(patient), context, len(registry.failures), len(registry.statuses))
    entry = memo.get(
        key, lambda: (formulation, patient, _check(formulation, patient, context, registry))
    )
    if entry[0] is formulation and entry[1] is patient:
        return entry[2]
    return _check(formulation, patient, context, registry)  # pragma: no cover - ids held


#: the last reports of each registry whose checks are all mesoreg's own (see :func:`_pure`),
#: by formulation and patient object, context and the registry's plugin failures so far
_REPORTS: weakref.WeakKeyDictionary[Registry, Memo[tuple[Formulation, Patient | None, Report]]] = (
    weakref.WeakKeyDictionary()
)


def replayable(registry: Registry, region: str | None) -> bool:
    """True when a check's output in ``region`` is a function of the files it read alone:
    no plugin code takes part in it (:func:`_pure`) and no plugin failed (a failure may be
    a time limit reached, which another run might not reach)."""
    if registry.failures or any(s.status == "failed" for s in registry.statuses):
        return False
    return _pure(registry, Context(dt.date.today(), region))


def _pure(registry: Registry, context: Context) -> bool:
    """True when no plugin code takes part in a check in ``context``: every check and the
    region's validators are mesoreg's own, and no plugin resolves names.  The report is then
    a function of the formulation, patient, context and registry alone, and may be reused.
    (Packs' data and regulations are in the registry; mesoreg's own code reads them.)"""
    if is_strict() or registry.pm.hook.mesoreg_resolve_ingredient.get_hookimpls():
        return False
    if not all(registry.is_trusted(registry.providers.get(c.name, "")) for c in registry.checks):
        return False
    return all(
        _trusted(registry, v) or f"regulatory:{v.name}" not in registry.providers
        for v in registry.validators
        if context.region in v.regions
    )


def _check(
    formulation: Formulation, patient: Patient | None, context: Context, registry: Registry
) -> Report:
    """Check valid models in a context: every check and validator, then the report."""
    catalog = registry.catalog
    checks = registry.checks
    problems = problems_on(patient, context)  # every input problem at once, before any rule
    try:
        subject, resolutions = resolve_subject(formulation, patient, context, registry)
    except InputError as exc:
        raise InputError([*exc.problems, *problems], path=exc.path) from None
    if problems:
        raise InputError(problems)
    findings: list[Finding] = [_resolved(r) for r in resolutions]
    unchecked: list[Unchecked] = []
    not_run: list[Unchecked] = []
    for failure in registry.failures:
        if failure.hook != "mesoreg_region_validators":
            unchecked.append(Unchecked("plugins", failure.plugin, str(failure)))
    for status in registry.statuses:
        if status.status in ("failed", "incompatible"):
            reason = f"plugin {status.status}: {status.error}; what it provides was not checked"
            unchecked.append(Unchecked("plugins", status.info.name, reason))
    # mesoreg's own checks and validators run before any plugin's check, so that no plugin
    # code in this phase can change what they see; each plugin check gets its own copy
    builtin = [c for c in checks if registry.is_trusted(registry.providers.get(c.name, ""))]
    plugged = [c for c in checks if c not in builtin]
    for item in builtin:
        if item.needs_patient and patient is None:
            not_run.append(NotRun(item.name, "*", "no patient given (use --patient FILE)"))
            continue
        plugin = registry.providers.get(item.name, "")
        _run(
            item.name, item.run, subject, findings, unchecked, not_run, plugin=plugin, timeout=None
        )
    used = _regional(subject, registry, findings, unchecked, not_run)
    for item in plugged:
        if item.needs_patient and patient is None:
            not_run.append(NotRun(item.name, "*", "no patient given (use --patient FILE)"))
            continue
        plugin = registry.providers.get(item.name, "")
        _run(
            item.name,
            item.run,
            subject,
            findings,
            unchecked,
            not_run,
            plugin=plugin,
            timeout=registry.limit(plugin),
            own=frozenset(registry.pack_labels.get(plugin, ())),
        )
    if patient is None:
        not_run.append(
            NotRun(
                "patient",
                "*",
                "no patient given: patient-specific rules (per-kg doses, medications) not run",
            )
        )
    return Report(
        formulation=f"{formulation.id}@{formulation.version}",
        date=context.date,
        findings=findings,
        unchecked=unchecked,
        not_run=not_run,
        patient=(patient.id or patient.origin or "patient") if patient else None,
        region=context.region,
        checks=[c.name for c in checks] + used,
        packs=[f"{name} {version}" for name, version in catalog.packs],
        overrides=catalog.overrides,
        config_file=registry.config_file,
    )
