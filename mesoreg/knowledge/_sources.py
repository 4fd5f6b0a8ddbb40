"""Where a source may be cited from: known mirror hosts, paper kinds, dates.

A rule rests on a document read at its primary location (the regulator, the label, the
journal).  The hosts below only copy, proxy or share documents published elsewhere, so a
source whose ``url`` points at one of them has not been read at its primary location.
:func:`source_problems` names every such problem of one source; ``tests/test_sources.py``
runs it over every source of the catalog and of the shipped plugins.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import urlsplit

from mesoreg.documents._knowledge import Evidence, Source

#: host (or parent domain) -> why it is not a primary location
MIRROR_HOSTS: dict[str, str] = {
    "scribd.com": "document-sharing site: uploads of papers and labels by third parties",
    "researchgate.net": "academic social network: author uploads of papers published elsewhere",
    "semanticscholar.org": "paper index and PDF cache of papers published elsewhere",
    "docslib.org": "document-sharing site",
    "studylib.net": "document-sharing site",
    "studylibfr.com": "document-sharing site",
    "docobook.com": "document-sharing site",
    "docplayer.com.br": "document-sharing site",
    "vdocument.in": "document-sharing site",
    "1library.net": "document-sharing site",
    "zendy.io": "paper aggregator",
    "scilit.com": "paper index",
    "scite.ai": "citation index",
    "aminer.org": "paper index",
    "go.gale.com": "database copy of journal articles",
    "web.archive.org": "web archive: a snapshot, not the publisher",
    "workers.dev": "proxy of another site",
    "drugs.com": "copies of US labels and monographs; the label is on DailyMed",
    "medlibrary.org": "copies of US labels; the label is on DailyMed",
    "americancompendium.com": "copies of US labels; the label is on DailyMed",
    "druglib.com": "copies of US labels; the label is on DailyMed",
    "fda.report": "copies of FDA documents and labels",
    "rxreasoner.com": "copies of SmPCs and labels",
    "recallguide.org": "copies of US labels",
    "themeditary.com": "copies of US labels",
    "globalrph.com": "copies of US labels",
    "myhealthbox.eu": "copies of regulator database records",
    "generika.cc": "copies of Swiss product information (the primary is Swissmedic's)",
    "oddb.org": "copies of Swiss product information (the primary is Swissmedic's)",
    "120ty.net": "copies of labels",
    "baidu1y.com": "copies of drug monographs",
    "ilovetranslation.com": "machine-translation proxy of another page",
    "med-abstracts.com": "copies of abstracts and reports",
    "fda-warning-letters.blogspot.com": "blog copy of FDA warning letters",
    "wp.vcu.edu": "blog repost of an FDA press release",
    "medicoreinc.com": "copies of emc SmPCs",
}

#: source kinds that are journal papers and so carry a DOI (or a PMID in the note)
PAPER_KINDS = frozenset({Evidence.STUDY, Evidence.CASE_REPORT})

_DATE = re.compile(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?")
_PMID = re.compile(r"\bPMID:? ?\d{5,9}\b")


def mirror_reason(url: str) -> str | None:
    """Why ``url`` is on a known mirror host, or None when it is not."""
    host = (urlsplit(url).hostname or "").lower()
    for mirror, reason in MIRROR_HOSTS.items():
        if host == mirror or host.endswith("." + mirror):
            return reason
    return None


def has_pmid(source: Source) -> bool:
    """True when the note gives a PubMed id ('PMID 12345678')."""
    return bool(_PMID.search(source.note))


def source_problems(source: Source) -> list[str]:
    """Every reason the source record falls short: mirror url, no DOI/PMID, no date."""
    problems = []
    reason = mirror_reason(source.url) if source.url else None
    if reason:
        problems.append(f"url is on a mirror host ({reason}): {source.url}")
    if source.kind in PAPER_KINDS and not source.doi and not has_pmid(source):
        problems.append(f"a {source.kind.value} needs a doi (or 'PMID n' in its note)")
    if not _DATE.fullmatch(source.date):
        problems.append(f"date must be YYYY, YYYY-MM or YYYY-MM-DD (got {source.date!r})")
    return problems


def count_kinds(sources: Iterable[Source]) -> dict[str, int]:
    """How many sources of each kind, strongest kind first, kinds with none left out."""
    counts = Counter(s.kind for s in sources)
    return {kind.value: counts[kind] for kind in Evidence if counts[kind]}
