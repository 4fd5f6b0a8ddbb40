"""Sources: primary locations, DOIs or PMIDs for papers, and a date on every source.

Runs :func:`mesoreg.knowledge._sources.source_problems` over every source of the core catalog and of
the plugins shipped in ``plugins/``.  ``KNOWN_GAPS`` lists the sources that still fall short
(issue 11, section 5), each with the classes of its problems: it may only shrink.  A source
not listed must have no problem, and a listed one must still have exactly the problems
listed, so that fixing a source forces its removal from the ledger.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import mesoreg
from mesoreg.documents._knowledge import Evidence, Source
from mesoreg.knowledge._sources import MIRROR_HOSTS, count_kinds, mirror_reason, source_problems
from mesoreg.testing import make_registry

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_PACKS = sorted(ROOT.glob("plugins/*/mesoreg_*/*.toml"))

#: source id -> classes of its remaining problems ("mirror", "paper", "date"); only shrinks
KNOWN_GAPS: dict[str, tuple[str, ...]] = {
    "jantoven_label": ("date",),
    "kip_atc_valueset": ("date",),
    "pradaxa_label": ("date",),
    "lixiana_smpc": ("date",),
    "heparin_label": ("date",),
    "ema_brilique": ("date",),
    "medlineplus_antiplatelets": ("date",),
    "spine_health_nsaids": ("date",),
    "webmd_nsaids": ("date",),
    "nurofen_pil": ("mirror", "date"),
    "reference_nsaids": ("date",),
    "webmd_antiarrhythmics": ("date",),
    "verywell_arrhythmia_drugs": ("date",),
    "mayo_maois": ("date",),
    "mhra_ssri_names": ("date",),
    "snri_tca_names": ("date",),
    "zanaflex_label": ("date",),
    "cipro_label": ("date",),
    "microgynon_pi": ("date",),
    "yasmin_label": ("date",),
    "lido_epi_dental_label": ("mirror", "date"),
    "lido_epi_pfizer_pi": ("date",),
    "novocain_pi": ("date",),
    "carbocaine_pi": ("date",),
    "hylenex_pi": ("date",),
    "vitrase_pi": ("mirror",),
    "aminophylline_pi": ("date",),
    "aminophylline_pfizer_ar": ("date",),
    "carnitor_pi": ("date",),
    "cyanocobalamin_label": ("date",),
    "b_complex_label": ("date",),
    "fda_lipodissolve_2010": ("mirror",),
    "konda_thappa_2013": ("mirror",),
    "ha_1996": ("paper",),
    "drugs_com_theophylline_fluvoxamine": ("mirror", "date"),
    "grasela_quinolone_theophylline": ("paper",),
    "urbani_1994": ("paper",),
    "dermanetwork_candidacy": ("date",),
    "delight_medical_safety": ("date",),
    "cyklokapron_ch_patinfo": ("mirror", "date"),
    "lysteda_label": ("date",),
    "lysteda_isi": ("date",),
    "empr_lysteda": ("date",),
    "lueangarun_2020": ("paper",),
    "pazyar_2023": ("paper",),
    "efsa_mmst_2009": ("mirror",),
    "xiaflex_pi": ("mirror",),
    "xiaflex_monograph": ("mirror", "date"),
    "qwo_hcp_safety": ("date",),
    "qwo_mpr": ("date",),
    "thiamine_label": ("date",),
    "pdr_thiamine": ("date",),
    "cir_niacinamide": ("date",),
    "folic_acid_emc_smpc": ("date",),
    "drugs_com_folate_anticonvulsant": ("mirror", "date"),
    "hellopharmacist_folate": ("date",),
    "r_gene_pi": ("date",),
    "arginine_hyperkalemia_1978": ("paper",),
    "globinmed_arginine": ("date",),
    "palmer_2004": ("mirror",),
    "sparavigna_2017": ("paper",),
    "cosmedocs_jalupro": ("date",),
    "trental_uk_smpc_2019": ("mirror",),
    "trental_uk_smpc_copy": ("mirror", "date"),
    "pentoxifylline_atoz_drug_facts": ("mirror", "date"),
    "trental_india_pi": ("date",),
    "trental_za_pi": ("date",),
    "pentoxifyllin_ch_fachinfo": ("mirror", "date"),
    "trental_at_ages_record": ("mirror",),
    "isuprel_nz_datasheet_2019": ("mirror",),
    "isoprenaline_rxreasoner_interactions": ("mirror", "date"),
    "isoproterenol_openfda_label": ("date",),
    "ashp_isoproterenol_monograph": ("mirror",),
    "isoprenaline_icu_drug_sheet": ("date",),
    "drug_guide_yohimbe": ("date",),
    "horn_hansten_yohimbine_2012": ("mirror",),
    "drugs_com_yohimbine_usp_di": ("mirror", "date"),
    "hmpc_cynara_ar_2018": ("mirror",),
    "stockley_melilot": ("paper", "date"),
    "hmpc_melilotus_ar_2008": ("mirror",),
    "usp_green_tea_review_2020": ("date",),
    "cot_green_tea_catechins": ("date",),
    "iv_green_tea_case_pmc9745259": ("paper", "date"),
    "tagamet_openfda_ndc": ("date",),
    "cimetidine_openfda_label": ("date",),
    "digoxin_injection_openfda": ("date",),
    "pulseplus_bp_medications": ("date",),
    "aarp_bp_medications": ("date",),
    "lido_epi_label_copy_120ty": ("mirror", "date"),
    "xylocaine_precautions_copy": ("mirror", "date"),
    "lidocaine_pfizer_methb_warning": ("date",),
    "novocain_label_copy": ("mirror", "date"),
    "adrenalin_openfda": ("date",),
    "hylenex_isi_copy": ("mirror", "date"),
    "pdr_vitrase": ("date",),
    "kybella_hcp_isi": ("date",),
    "ascor_safety_information": ("date",),
    "cyanocobalamin_sagent_label": ("mirror", "date"),
    "levocarnitine_label_copy": ("mirror", "date"),
    "elixophylline_label": ("mirror", "date"),
    "pyridoxine_injection_label_copy": ("mirror",),
    "pyridoxine_swiss_fachinfo": ("mirror", "date"),
    "etg_methaemoglobinaemia": ("date",),
    "wing_1984": ("mirror", "paper"),
    "knapp_1983": ("mirror", "paper"),
    "jonkman_1986": ("mirror",),
    "perusse_1992": ("mirror",),
    "skyscape_ascorbic_acid": ("date",),
    "pawitan_lipodissolve_review": ("date",),
    "illness_theophylline_interactions": ("date",),
    "drugs_com_ergonovine": ("mirror", "date"),
    "methergine_drug_study": ("mirror", "date"),
    "propecia_openfda_spl": ("date",),
    "propecia_isi": ("date",),
    "proscar_openfda_spl": ("date",),
    "ncats_finasteride": ("date",),
    "avodart_isi": ("date",),
    "ncit_dutasteride": ("date",),
    "gsrs_minoxidil": ("date",),
    "minoxidil_2pct_otc_label": ("date",),
    "minoxidil_5pct_men_otc_label": ("date",),
    "minoxidil_5pct_roman_label": ("date",),
    "minoxidil_tablets_label": ("date",),
    "ejd_2023_dutasteride_review": ("mirror",),
    "fda_lipodissolve_press_2010": ("mirror",),
    "whocc_b01a": ("date",),
    "fragmin_label": ("date",),
    "effient_label": ("date",),
    "vidal_previscan": ("date",),
    "levemir_label": ("date",),
    "tresiba_label": ("date",),
    "humulin_r_label": ("date",),
    "humulin_n_label": ("date",),
    "novolin_r_ndc": ("date",),
    "absorica_label": ("date",),
    "synthroid_label": ("date",),
    "lithobid_label": ("date",),
    "dermanetwork_prepare": ("date",),
    "aminophylline_us_label_copy": ("mirror", "date"),
    "trissel_aminophylline": ("date",),
    "carnitor_site": ("date",),
    "proscar_mims_my_pregnancy": ("date",),
}


def _classes(source: Source) -> tuple[str, ...]:
    out = []
    for problem in source_problems(source):
        out.append(
            "mirror" if problem.startswith("url") else "paper" if "doi" in problem else "date"
        )
    return tuple(out)


def _all_sources() -> list[Source]:
    core = list(make_registry().catalog.sources.values())
    shipped = [s for path in PLUGIN_PACKS for s in mesoreg.load_pack(path).sources]
    return core + shipped


SOURCES = _all_sources()


def test_every_plugin_pack_is_scanned():
    names = {p.parent.parent.name for p in PLUGIN_PACKS}
    assert {"mesoreg-region-us", "mesoreg-region-eu", "mesoreg-region-world"} <= names


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.id)
def test_source_has_a_primary_url_a_doi_if_a_paper_and_a_date(source):
    assert _classes(source) == KNOWN_GAPS.get(source.id, ()), source_problems(source)


def test_the_ledger_names_only_existing_sources():
    assert set(KNOWN_GAPS) <= {s.id for s in SOURCES}


@pytest.mark.parametrize(
    ("url", "mirrored"),
    [
        ("https://www.scribd.com/document/1/x", True),
        ("https://ja.scribd.com/document/1/x", True),
        ("https://www.researchgate.net/publication/1", True),
        ("https://www.semanticscholar.org/paper/x", True),
        ("https://web.archive.org/web/2010/http://www.fda.gov/x", True),
        ("https://www.drugs.com/pro/xiaflex.html", True),
        ("https://s.veneneo.workers.dev/https/www.scribd.com/x", True),
        ("https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=x", False),
        ("https://pubmed.ncbi.nlm.nih.gov/2860914/", False),
        ("https://www.fda.gov/x", False),
        ("https://notscribd.com/x", False),
    ],
)
def test_mirror_hosts(url, mirrored):
    assert (mirror_reason(url) is not None) is mirrored


def test_every_mirror_host_has_a_reason():
    assert all(host == host.lower() and reason for host, reason in MIRROR_HOSTS.items())


def _source(**fields):  # type: ignore[no-untyped-def]
    base = {"id": "x", "title": "t", "issuer": "i", "date": "2020", "kind": Evidence.STUDY}
    return Source(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "problems"),
    [
        ({"doi": "10.1/x"}, 0),
        ({"note": "PMID 2860914"}, 0),
        ({}, 1),
        ({"kind": Evidence.CASE_REPORT}, 1),
        ({"kind": Evidence.LABEL}, 0),
        ({"doi": "10.1/x", "date": "undated"}, 1),
        ({"doi": "10.1/x", "date": "2020-13"}, 1),
        ({"doi": "10.1/x", "date": "2020-02-29"}, 0),
        ({"doi": "10.1/x", "url": "https://www.researchgate.net/publication/1"}, 1),
        ({"url": "https://scribd.com/x", "date": ""}, 3),
    ],
)
def test_source_problems(fields, problems):
    assert len(source_problems(_source(**fields))) == problems


def test_kinds_are_counted_strongest_first():
    sources = [
        _source(kind=Evidence.REVIEW),
        _source(kind=Evidence.LABEL),
        _source(kind=Evidence.REVIEW),
    ]
    assert count_kinds(sources) == {"label": 1, "review": 2}


def test_catalog_rules_json_reports_sources_by_kind():
    from mesoreg.knowledge import _listing

    catalog = make_registry().catalog
    rows = _listing.rule_rows(catalog)
    summary = _listing.rules_summary(catalog, rows)
    assert summary["rules"] == rows
    for row in rows:
        assert row["source_kinds"] == [catalog.sources[s].kind.value for s in row["source_ids"]]
    cited = {s for row in rows for s in row["source_ids"]}
    assert sum(summary["sources_by_kind"].values()) == len(cited)
    assert list(summary["sources_by_kind"]) == [
        k.value for k in Evidence if k.value in summary["sources_by_kind"]
    ]
