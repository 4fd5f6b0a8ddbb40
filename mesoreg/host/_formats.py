"""The built-in output formats, supplied through the same hook third-party formats use."""

from __future__ import annotations

from mesoreg.checks._render import report_to_json, report_to_text
from mesoreg.checks._report import OutputFormat
from mesoreg.hookspecs import hookimpl


@hookimpl
def mesoreg_output_formats() -> list[OutputFormat]:
    """Text for pharmacists, JSON (report schema 2) for other tools."""
    return [
        OutputFormat("text", report_to_text, "verdict first, then findings with sources"),
        OutputFormat("json", report_to_json, "the stable JSON report, report_schema_version 2"),
    ]
