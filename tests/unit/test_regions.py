"""Region configuration: the shipped regions are valid, and mistakes are named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.collation import sort_key
from shared.errors import ConfigurationError, NotFound
from shared.regions import load_regions, slugify
from shared.settings import ROOT

REGIONS = ROOT / "deploy" / "regions"


def test_shipped_regions() -> None:
    regions = load_regions(REGIONS)
    vs = regions.by_id["varsinais-suomi"]
    pp = regions.by_id["pohjois-pohjanmaa"]
    assert len(vs.municipalities) == 27 and vs.deadline.business_days == 1
    assert len(pp.municipalities) == 30 and pp.deadline.business_days == 3
    assert set(vs.languages) == {"fi", "sv"}
    assert all(m.name.sv for m in vs.municipalities)
    region, turku = regions.region_of("turku")
    assert (region.id, turku.name.sv) == ("varsinais-suomi", "Åbo")
    assert regions.region_of("oulu")[0].id == "pohjois-pohjanmaa"
    assert {m.id for m in vs.municipalities} >= {"raisio", "rusko", "naantali", "koski-tl", "poytya"}


def test_unknown_municipality_is_named() -> None:
    with pytest.raises(NotFound, match="'atlantis'"):
        load_regions(REGIONS).region_of("atlantis")


def test_only_named_regions_are_served() -> None:
    regions = load_regions(REGIONS, ["pohjois-pohjanmaa"])
    assert [r.id for r in regions] == ["pohjois-pohjanmaa"]
    with pytest.raises(NotFound):
        regions.region_of("raisio")
    with pytest.raises(ConfigurationError, match="lappi"):
        load_regions(REGIONS, ["lappi"])


def test_errors_name_the_file_and_field(tmp_path: Path) -> None:
    text = (REGIONS / "pohjois-pohjanmaa.yaml").read_text().replace("business_days: 3", "business_days: 0")
    (tmp_path / "pohjois-pohjanmaa.yaml").write_text(text)
    with pytest.raises(ConfigurationError, match=r"pohjois-pohjanmaa.yaml: deadline.business_days"):
        load_regions(tmp_path)


def test_duplicate_municipality_is_refused(tmp_path: Path) -> None:
    text = (REGIONS / "pohjois-pohjanmaa.yaml").read_text()
    (tmp_path / "pohjois-pohjanmaa.yaml").write_text(text.replace("id: ii\n", "id: oulu\n"))
    with pytest.raises(ConfigurationError, match="oulu"):
        load_regions(tmp_path)


def test_slugify() -> None:
    assert slugify("Koski Tl") == "koski-tl"
    assert slugify("Pöytyä") == "poytya"
    assert slugify("Kemiönsaari") == "kemionsaari"


def test_every_shipped_municipality_has_a_dated_population() -> None:
    for region in load_regions(REGIONS):
        for m in region.municipalities:
            assert m.population is not None, m.id
            assert m.population.year >= 2020 and "Statistics Finland" in m.population.source
            assert 0.10 <= m.population.children_0_17 / m.population.total <= 0.40, m.id


def test_a_website_is_an_https_address_whose_origin_may_frame_the_form(tmp_path: Path) -> None:
    regions = load_regions(REGIONS)
    assert regions.region_of("raisio")[1].website_origin == "https://www.raisio.fi"
    assert regions.region_of("oulu")[1].website_origin == "https://www.ouka.fi"
    text = (REGIONS / "varsinais-suomi.yaml").read_text()
    assert "  website: https://www.rusko.fi\n" in text
    for bad in ("http://www.rusko.fi", "https://www.rusko.fi; script-src *", "https://www.rusko.fi 'unsafe-inline'",
                "https://user@www.rusko.fi", "www.rusko.fi"):
        (tmp_path / "varsinais-suomi.yaml").write_text(
            text.replace("  website: https://www.rusko.fi\n", f"  website: \"{bad}\"\n"))
        with pytest.raises(ConfigurationError, match=r"varsinais-suomi.yaml: municipalities.\d+.website"):
            load_regions(tmp_path)


@pytest.mark.parametrize(("typed", "meant"), [
    ("parainen", "parainen"), ("pargas", "parainen"), ("Pargas", "parainen"), ("åbo", "turku"), ("abo", "turku"),
    ("Åbo", "turku"), ("kimitoon", "kemionsaari"), ("Kimitoön", "kemionsaari"), ("nadendal", "naantali"),
    ("Nådendal", "naantali"), ("S:t Karins", "kaarina"), ("st-karins", "kaarina"), ("Koski Tl", "koski-tl")])
def test_a_municipality_answers_to_its_names(typed: str, meant: str) -> None:
    assert load_regions(REGIONS).find(typed)[1].id == meant


def test_a_name_two_municipalities_share_answers_to_neither(tmp_path: Path) -> None:
    text = (REGIONS / "varsinais-suomi.yaml").read_text(encoding="utf-8")
    (tmp_path / "varsinais-suomi.yaml").write_text(
        text.replace("sv: Pargas", "sv: Samma").replace("sv: Åbo", "sv: Samma"), encoding="utf-8")
    regions = load_regions(tmp_path)
    with pytest.raises(NotFound):
        regions.find("samma")
    assert regions.find("parainen")[1].id == "parainen"


def test_names_sort_as_finnish_and_swedish_readers_expect() -> None:
    names = ["Åbo", "Vörå", "Aura", "Pargas", "Ähtäri", "Öja", "Wasa", "Väståboland", "Zeta", "Émile", "aura"]
    assert sorted(names, key=sort_key("sv")) == [
        "Aura", "aura", "Émile", "Pargas", "Wasa", "Väståboland", "Vörå", "Zeta", "Åbo", "Ähtäri", "Öja"]
    assert sorted(["Ylöjärvi", "Äänekoski", "Öja", "Oulu", "Akaa"], key=sort_key("fi")) == [
        "Akaa", "Oulu", "Ylöjärvi", "Äänekoski", "Öja"]
