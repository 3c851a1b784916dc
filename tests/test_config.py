"""site.toml: only title and base_url are required; mistakes are named with their line."""

from __future__ import annotations

import pytest

from generator.config import load_config
from generator.errors import SiteError


def problems(site, text: str) -> list[str]:
    site.write("site.toml", text)
    with pytest.raises(SiteError) as error:
        load_config(site.root)
    return [str(p) for p in error.value.problems]


def test_minimal_config_gets_defaults(site):
    config = load_config(site.root)
    assert config.title == "Testnyt"
    assert config.base_url == "https://testnyt.dk/"
    assert config.language == "da"
    assert config.timezone == "Europe/Copenhagen"
    assert config.page_size == 10 and config.feed_items == 20
    assert config.newsletter.lists[0].id == "ugebrev"


def test_base_url_gets_a_trailing_slash_and_keeps_its_path(site):
    site.write("site.toml", '[site]\ntitle = "T"\nbase_url = "https://example.dk/nyheder"\n')
    config = load_config(site.root)
    assert config.base_url == "https://example.dk/nyheder/"
    assert config.base_path == "/nyheder/"


def test_unknown_key_gets_a_did_you_mean_hint(site):
    found = problems(site, '[site]\ntitle = "T"\nbase_url = "https://x.dk/"\npagesize = 5\n')
    assert found == ["site.toml:4: error: unknown key [site] pagesize — did you mean 'page_size'?"]


def test_unknown_table(site):
    found = problems(site, '[site]\ntitle = "T"\nbase_url = "https://x.dk/"\n[nyhedsbrev]\n')
    assert "unknown key nyhedsbrev" in found[0]


def test_missing_required_keys(site):
    found = problems(site, '[site]\ndescription = "x"\n')
    assert any("title is missing" in p for p in found)
    assert any("base_url is missing" in p for p in found)


def test_wrong_types_and_values(site):
    found = problems(
        site,
        '[site]\ntitle = "T"\nbase_url = "x.dk"\npage_size = "10"\ntimezone = "Europe/Aarhus"\n',
    )
    assert any("site.toml:3" in p and "absolute URL" in p for p in found)
    assert any("site.toml:4" in p and "whole number" in p for p in found)
    assert any("site.toml:5" in p and "unknown timezone" in p for p in found)


def test_toml_syntax_error_names_the_line(site):
    found = problems(site, '[site]\ntitle = "T\nbase_url = "https://x.dk/"\n')
    assert found[0].startswith("site.toml:2: error: not valid TOML")


def test_missing_site_toml(tmp_path):
    with pytest.raises(SiteError, match=r"no site\.toml"):
        load_config(tmp_path)


def test_the_repository_sample_config_is_valid():
    from pathlib import Path

    config = load_config(Path(__file__).parent.parent)
    assert config.title == "Kommunenyt"
    assert len(config.newsletter.lists) >= 2
    assert config.banners
