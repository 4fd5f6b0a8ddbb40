"""What each ``mesoreg`` subcommand's ``--help`` says: description, example, exit codes.

Kept apart from the parser so the texts can be read (and reviewed) in one place;
``tests/test_cli_help.py`` walks every subcommand and holds each to having all three.
"""

from __future__ import annotations

import attrs

from mesoreg._exit import ExitCode, exit_codes_text

_DONE = {ExitCode.OK: "done"}


@attrs.frozen
class CommandHelp:
    """The help of one subcommand: a one-line summary, a description, examples, exit codes."""

    summary: str
    description: str
    examples: tuple[str, ...]
    codes: dict[ExitCode, str] = attrs.field(factory=lambda: dict(_DONE))

    def epilog(self) -> str:
        """The text after the options: examples, then exit codes."""
        lines = ["example:" if len(self.examples) == 1 else "examples:"]
        lines += [f"  {e}" for e in self.examples]
        return "\n".join(lines) + "\n\n" + exit_codes_text(self.codes)


_CHECK_CODES = {
    ExitCode.OK: "pass, or findings below --fail-on",
    ExitCode.FINDINGS: "a finding at or above --fail-on",
    ExitCode.NOT_VALIDATED: "report printed, but something could not be checked (not a pass)",
}

_CATALOG = "mesoreg catalog"

#: "command" or "command action" -> its help
HELP: dict[str, CommandHelp] = {
    "check": CommandHelp(
        "check a formulation (a file or ID@N in the store), optionally for a patient",
        "Check a formulation against every rule of the catalog and the plugins: "
        "contraindications, interactions, doses and technique. Give a patient for the "
        "patient-specific rules (per-kg doses, medications, conditions). The report says "
        "what was found and what could not be checked; anything not checked is never a pass.",
        (
            "mesoreg check formulations/face-revitalisation/v1.toml --patient anna.toml",
            "mesoreg check lipo-abdomen@2 --store formulations --region FR --format json",
        ),
        _CHECK_CODES,
    ),
    "catalog": CommandHelp(
        "list, show and search the catalog (ingredients, drugs, conditions...)",
        "Read the merged catalog: the built-in pack, installed packs and --pack files.",
        (f"{_CATALOG} search lido",),
    ),
    "catalog list": CommandHelp(
        "list every ingredient",
        "List every ingredient of the catalog with its classes and aliases.",
        (f"{_CATALOG} list --format json",),
    ),
    "catalog show": CommandHelp(
        "show an ingredient, drug, medication class or condition with its rules and sources",
        "Show one record: an ingredient, a drug (by name, brand or ATC code), a medication "
        "class or a condition, with the rules that name it and their sources.",
        (f"{_CATALOG} show lidocaine", f"{_CATALOG} show Sintrom --kind drug"),
    ),
    "catalog search": CommandHelp(
        "find ingredients, drugs, medication classes, conditions and allergens",
        "Search every kind of record by part of a name, alias, brand or ATC code.",
        (f"{_CATALOG} search deoxy",),
    ),
    "catalog rules": CommandHelp(
        "list every rule with its type, severity, evidence and sources",
        "List the rules of the catalog, optionally only those naming one ingredient.",
        (f"{_CATALOG} rules --ingredient lidocaine",),
    ),
    "catalog docs": CommandHelp(
        "print the catalog as Markdown (docs/catalog.md)",
        "Print the whole catalog as the Markdown page docs/catalog.md is made from.",
        (f"{_CATALOG} docs > docs/catalog.md",),
    ),
    "catalog vocab": CommandHelp(
        "list the vocabularies rules read (route, purpose, classes, conditions...)",
        "List the fixed vocabularies that formulations, patients and rules use.",
        (f"{_CATALOG} vocab route",),
    ),
    "catalog conditions": CommandHelp(
        "list or find patient conditions by name, alias or ICD-10 code",
        "List patient conditions, or those matching part of a name, an alias or an ICD-10 code.",
        (f"{_CATALOG} conditions K70",),
    ),
    "new": CommandHelp(
        "write a draft from a template or a stored version",
        "Write a draft formulation file to edit, from the template or from a stored version "
        "(--from ID@N). Nothing is stored until 'mesoreg publish'.",
        ("mesoreg new lipo-flank --from lipo-abdomen@2 --store formulations",),
    ),
    "publish": CommandHelp(
        "validate a draft and store it as the next version",
        "Validate a formulation file (it must load and resolve against the catalog), check it, "
        "and store it as the next version of its id with status draft; the check's verdict is "
        "recorded in the ledger. The store's folder is created if it does not exist yet "
        "(with a message).",
        ("mesoreg publish lipo-flank.toml --store formulations --author 'Dr Roy'",),
    ),
    "history": CommandHelp(
        "every version of a formulation",
        "List every version of a formulation with status, author, hash, check and events.",
        ("mesoreg history lipo-abdomen --store formulations",),
    ),
    "show": CommandHelp(
        "a stored version and its ledger entry",
        "Show a stored version (the latest when N is left out), verified against its ledger.",
        ("mesoreg show lipo-abdomen@2 --format toml",),
    ),
    "diff": CommandHelp(
        "clinical differences between two stored versions",
        "List the clinical differences between two stored versions: ingredients, "
        "concentrations, volumes, amounts per session, use.",
        ("mesoreg diff lipo-abdomen@1 lipo-abdomen@2",),
    ),
    "approve": CommandHelp(
        "approve a stored version (recorded in the ledger)",
        "Approve a version: it is checked again now and must pass, or be approved with "
        "--override-reason (recorded with who approved).",
        ("mesoreg approve lipo-abdomen@2 --by 'Dr Roy'",),
    ),
    "retire": CommandHelp(
        "retire a stored version (recorded in the ledger)",
        "Retire a version so it is no longer used; recorded with who and when.",
        ("mesoreg retire lipo-abdomen@1 --by 'Dr Roy'",),
    ),
    "verify": CommandHelp(
        "check that every stored file matches its ledger",
        "Verify every version file of the store against its ledger (sha256, canonical form) "
        "and list every problem at once.",
        ("mesoreg verify --store formulations",),
        {
            ExitCode.OK: "every file matches its ledger",
            ExitCode.INPUT: "a damaged store, or bad input",
        },
    ),
    "recheck": CommandHelp(
        "re-check every approved version with today's rules",
        "Check every approved version again with the catalog and plugins as they are now, and "
        "list those whose verdict or findings changed since their last recorded check.",
        ("mesoreg recheck --store formulations --record",),
        {
            ExitCode.OK: "nothing changed and every version was fully checked",
            ExitCode.FINDINGS: "a verdict or the findings changed",
            ExitCode.NOT_VALIDATED: "nothing changed, but a version could not be fully checked",
        },
    ),
    "schema": CommandHelp(
        "the JSON Schemas of mesoreg's files and outputs",
        "Write the JSON Schemas of formulation, patient, pack and ledger files, of the report "
        "and of every command's JSON output.",
        ("mesoreg schema export schemas",),
    ),
    "schema export": CommandHelp(
        "write every JSON Schema into DIR",
        "Write every JSON Schema into DIR (created if needed), replacing files of the same name.",
        ("mesoreg schema export schemas",),
    ),
    "export": CommandHelp(
        "export a stored version with its findings as FHIR",
        "Check a stored version and print it as a FHIR R5 Bundle: a Medication and one "
        "DetectedIssue per finding.",
        ("mesoreg export --fhir lipo-abdomen@2 --patient anna.toml > bundle.json",),
    ),
    "plugins": CommandHelp(
        "list and check plugins and packs",
        "List installed plugins and packs, or check one before shipping it.",
        ("mesoreg plugins list",),
    ),
    "plugins list": CommandHelp(
        "every plugin with its status (imports none here)",
        "List every installed plugin and pack with its status; plugins are loaded in a child "
        "process, never in this one.",
        ("mesoreg plugins list --format json",),
    ),
    "plugins check": CommandHelp(
        "validate a plugin or pack before shipping it",
        "Validate a pack file, a plugin's project folder or an installed plugin: its records, "
        "their types, sources and overrides.",
        ("mesoreg plugins check packs/my-pack.toml",),
        {
            ExitCode.OK: "valid",
            ExitCode.INPUT: "the plugin or pack has problems (listed), or bad input",
        },
    ),
    "compose": CommandHelp(
        "work out what to draw from stock products into a syringe",
        "Read a request (each syringe's target concentrations or amounts) and work out the "
        "volume to draw from each stock product on hand, rounded to the syringe's "
        "graduations, with the real concentrations and the rounding error; write the result "
        "as a formulation draft that check and publish accept (never over an existing file).",
        (
            "mesoreg compose --list-products",
            "mesoreg compose examples/compose/face-lidocaine.toml -o face-lidocaine.toml",
        ),
    ),
    "bud": CommandHelp(
        "the USP <797> beyond-use date of a sterile preparation",
        "Assign the beyond-use date of a compounded sterile preparation from where it was "
        "made and how it is kept, with the USP <797> category rule that gives it; refuse an "
        "expired lot or a date beyond a lot's expiry. Where no sourced number covers the "
        "case, no date is assigned and the reason is printed.",
        (
            "mesoreg bud --environment segregated_compounding_area --storage refrigerator "
            "--compounded-at 2026-11-22T10:00+01:00",
        ),
        {
            ExitCode.OK: "a beyond-use date was assigned",
            ExitCode.NOT_VALIDATED: "no beyond-use date can be assigned (the reason is printed)",
        },
    ),
    "mfr": CommandHelp(
        "the master formulation record of a stored version (HTML, PDF or JSON)",
        "Write the master formulation record of a stored version, with the elements USP "
        "<795>/<797> require on one (each citing where the requirement was read): name, "
        "strength and dosage form, every ingredient and quantity, the calculations, the "
        "check's compatibility findings with their references, container-closure, steps, "
        "quality control, beyond-use date and storage, labelling. What mesoreg does not know "
        "is marked 'to be completed', never made up. PDF needs mesoreg[pdf].",
        (
            "mesoreg mfr face-revitalisation@1 --store formulations -o mfr.html",
            "mesoreg mfr lipo-abdomen@1 --store formulations --environment "
            "segregated_compounding_area --storage refrigerator --format pdf -o mfr.pdf",
        ),
        {
            ExitCode.OK: "written; the check passed or warned",
            ExitCode.FINDINGS: "written; the check failed (the record says so on its face)",
            ExitCode.NOT_VALIDATED: "written; something could not be checked, or no BUD "
            "could be assigned for the environment and storage given",
        },
    ),
    "label": CommandHelp(
        "print syringe labels of a stored version (70 x 37 mm; HTML, PDF or JSON)",
        "Write one label per syringe of a stored version: each ingredient with its final "
        "concentration, the beyond-use date the USP <797> rule assigns for where and when "
        "it is compounded and how it is kept, the lot, the patient if any and the storage. "
        "An expired component lot, or a BUD after one, is refused.",
        (
            "mesoreg label face-revitalisation@1 --store formulations --lot L0001 "
            "--environment segregated_compounding_area --storage refrigerator "
            "--compounded-at 2026-11-22T10:00+01:00 --format pdf -o labels.pdf",
        ),
        {
            ExitCode.OK: "written, with a beyond-use date on every label",
            ExitCode.NOT_VALIDATED: "written, but no beyond-use date can be assigned: the "
            "labels say 'BUD NOT ASSIGNED' and the reason is in the JSON",
        },
    ),
    "compound": CommandHelp(
        "record a preparation compounded from a stored version (append-only, in the ledger)",
        "Record one preparation made from a stored version: when (ISO 8601 with its offset), "
        "the lot and expiry of each stock product drawn, who prepared and who verified it (two "
        "different people), the patient's identifier if any, the beyond-use date the USP <797> "
        "rule assigns ('not determined' is recorded as such) and any deviations. The version "
        "is checked first: every contraindicated, major or moderate finding must be "
        "acknowledged in the --acks file, one entry per finding with its reason and name (a "
        "contraindicated one by two different people). Refused, nothing recorded: an expired "
        "lot, a BUD after a lot's expiry, a product the version does not draw, a retired "
        "version. The record is written beside the version and hashed in its ledger; "
        "'mesoreg verify' checks it. See docs/compounding.md.",
        (
            "mesoreg compound face-revitalisation@1 --store formulations --prepared-by "
            "'J. Martin' --verified-by 'A. Dupont' --lot ha_20mg_vial:H123:2027-01-31 "
            "--environment segregated_compounding_area --storage refrigerator "
            "--compounded-at 2026-11-22T10:00+01:00 --patient MRN-0042",
        ),
        {
            ExitCode.OK: "recorded, with a beyond-use date",
            ExitCode.NOT_VALIDATED: "recorded, but no beyond-use date could be assigned or the "
            "check could not check everything (the record says so)",
        },
    ),
    "records": CommandHelp(
        "list the compounding records of a stored version (text, JSON or FHIR)",
        "List every compounding record of a stored version, each checked against the hash its "
        "ledger holds (a missing or changed record is refused): when, lots, who prepared and "
        "verified it, the patient's identifier, the beyond-use date and its rule, the check "
        "when it was compounded, the acknowledged findings and deviations. --format fhir "
        "writes an R5 Bundle: Medication with batch, Provenance, MedicationDispense, "
        "DetectedIssue with the acknowledgements as mitigation.",
        (
            "mesoreg records face-revitalisation@1 --store formulations",
            "mesoreg records cellulite-thighs@1 --store formulations --format fhir",
        ),
        {ExitCode.OK: "listed"},
    ),
    "serve": CommandHelp(
        "serve the JSON API and CDS Hooks services over HTTP (needs mesoreg[serve])",
        "Serve the JSON HTTP API (check, catalog, the store read-only; OpenAPI at "
        "/openapi.json) and the CDS Hooks services (/cds-services) until stopped with "
        "Ctrl-C. Listens on 127.0.0.1 unless --host says otherwise; any other address "
        "needs a token (MESOREG_SERVE_TOKEN or --token-file), which every request must "
        "then carry. Needs the serve extra: pip install 'mesoreg[serve]'. See docs/serve.md.",
        (
            "mesoreg serve --store formulations --region FR",
            "mesoreg serve --host 0.0.0.0 --token-file /etc/mesoreg/token",
        ),
        {
            ExitCode.OK: "stopped",
            ExitCode.INPUT: "cannot start (bad options, no token for a network address, "
            "the port in use, the serve extra not installed)",
        },
    ),
    "completion": CommandHelp(
        "print the shell completion script",
        "Print the script that makes your shell complete mesoreg's commands and options. "
        "Needs argcomplete (pip install 'mesoreg[completion]'); mesoreg only imports it while "
        "completing.",
        ("mesoreg completion bash > ~/.local/share/bash-completion/completions/mesoreg",),
    ),
}
