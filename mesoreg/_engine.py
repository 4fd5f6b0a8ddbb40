"""Running a check: resolve the formulation, run every check and validator, build the report.

Each check runs on its own: one that raises is reported as not checked (the
report is then not-validated), and the others still run.  Plugins that failed
while the catalog or the checks were collected are reported the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from mesoreg._errors import InputError, PluginError
from mesoreg._load import load_formulation, load_patient
from mesoreg._model import Context, Formulation, Patient
from mesoreg._plugins import is_strict
from mesoreg._registry import Registry, get_registry
from mesoreg._report import Finding, NotRun, Report, Unchecked
from mesoreg._subject import Outcome, Subject, resolve
from mesoreg._validate import problems_on


def _run(
    name: str,
    run: Callable[[Subject], Iterable[Outcome]],
    subject: Subject,
    findings: list[Finding],
    unchecked: list[Unchecked],
    not_run: list[Unchecked],
    provider: str = "",
) -> None:
    try:
        for outcome in run(subject):
            if isinstance(outcome, Finding):
                findings.append(outcome if outcome.check else outcome.stamped(name, provider))
            elif isinstance(outcome, NotRun):
                not_run.append(outcome)
            elif isinstance(outcome, Unchecked):
                unchecked.append(outcome)
            else:
                raise TypeError(f"returned {outcome!r:.60}, not a Finding or Unchecked")
    except Exception as exc:
        if is_strict():
            raise PluginError(f"check '{name}' failed: {exc}") from exc
        unchecked.append(Unchecked(name, "*", f"check failed: {type(exc).__name__}: {exc}"))


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
    for validator in mine:
        _run(
            f"regulatory:{validator.name}",
            validator.run,
            subject,
            findings,
            unchecked,
            not_run,
            provider=validator.name,
        )
    return [f"regulatory:{v.name} {v.version}".strip() for v in mine]


def check(
    formulation: Formulation | str | Path,
    patient: Patient | str | Path | None = None,
    *,
    region: str | None = None,
    date: dt.date | None = None,
    previous_session: dt.date | None = None,
    registry: Registry | None = None,
) -> Report:
    """Check a formulation (optionally for a patient) in a region on a date.

    ``formulation`` and ``patient`` are models or paths to TOML files.  Raises
    :class:`~mesoreg.InputError` for bad input (unknown ingredient, bad unit, a number,
    date or fact that cannot be right), before any rule runs;
    everything else, including plugin failures, ends up in the report.
    """
    if not isinstance(formulation, Formulation):
        formulation = load_formulation(formulation)
    if patient is not None and not isinstance(patient, Patient):
        patient = load_patient(patient)
    registry = registry or get_registry()
    catalog = registry.catalog
    context = Context(date or dt.date.today(), region.upper() if region else None, previous_session)
    problems = problems_on(patient, context)  # every input problem at once, before any rule
    resolver = registry.pm.hook.mesoreg_resolve_ingredient.get_hookimpls()
    fallback = registry.resolve_ingredient if resolver else None
    try:
        subject = resolve(formulation, patient, context, catalog, fallback)
    except InputError as exc:
        raise InputError([*exc.problems, *problems], path=exc.path) from None
    if problems:
        raise InputError(problems)
    findings: list[Finding] = []
    unchecked: list[Unchecked] = []
    not_run: list[Unchecked] = []
    checks = registry.checks
    for failure in registry.failures:
        if failure.hook != "mesoreg_region_validators":
            unchecked.append(Unchecked("plugins", failure.plugin, str(failure)))
    for status in registry.statuses:
        if status.status in ("failed", "incompatible"):
            reason = f"plugin {status.status}: {status.error}; what it provides was not checked"
            unchecked.append(Unchecked("plugins", status.info.name, reason))
    for item in checks:
        if item.needs_patient and patient is None:
            not_run.append(NotRun(item.name, "*", "no patient given (use --patient FILE)"))
            continue
        _run(item.name, item.run, subject, findings, unchecked, not_run)
    used = _regional(subject, registry, findings, unchecked, not_run)
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
