"""Full-text search: Pagefind runs in the build, and the search page works in Chromium."""

from __future__ import annotations

import json

import pytest

from generator import search
from generator.errors import SiteError
from tests.conftest import THEME_ARTICLE, wait_until


def test_the_build_indexes_every_article_and_nothing_else(theme_site):
    shards = json.loads(theme_site.read("pagefind/shards.json"))["shards"]
    assert shards == sorted(shards, reverse=True), "newest first"
    counts = 0
    for shard in shards:
        entry = json.loads(theme_site.read(f"pagefind/{shard}/pagefind-entry.json"))
        assert list(entry["languages"]) == ["da"]  # from <html lang="da">: Danish stemming
        counts += entry["languages"]["da"]["page_count"]
        names = {p.name for p in (theme_site.output / "pagefind" / shard).iterdir()}
        assert {"pagefind.js", "pagefind-worker.js", "wasm.da.pagefind"} <= names
        assert not any(n.startswith(("pagefind-ui", "pagefind-component-ui")) for n in names)
    articles = [
        p
        for p in (theme_site.output / "artikel").glob("*/index.html")
        if 'http-equiv="refresh"' not in p.read_text("utf-8")  # aliases redirect
    ]
    assert counts == len(articles) == 13


def test_rebuilding_replaces_the_index_and_keeps_it_in_the_manifest(site, either_way):
    site.article("a.md", "title: Første nyhed\ndate: 2024-03-01\n", "Om fjernvarme.\n")
    site.build()
    manifest = json.loads((site.output / ".kommunenyt-manifest.json").read_text("utf-8"))
    assert "pagefind/shards.json" in manifest["files"]
    first = {p.relative_to(site.output) for p in (site.output / "pagefind").rglob("*")}
    site.article("a.md", "title: Første nyhed\ndate: 2024-03-01\n", "Om affald.\n")
    site.build()
    second = {p.relative_to(site.output) for p in (site.output / "pagefind").rglob("*")}
    assert second != first, "the old index files are gone, not carried over"
    manifest = json.loads((site.output / ".kommunenyt-manifest.json").read_text("utf-8"))
    assert {
        f"pagefind/{p.relative_to('pagefind').as_posix()}"
        for p in second
        if (site.output / p).is_file()
    } <= set(manifest["files"])


def test_a_failing_pagefind_stops_the_build_and_keeps_the_old_site(site, either_way, monkeypatch):
    site.article("a.md", "title: Nyhed\ndate: 2024-03-01")
    site.build()
    before = site.read("artikel/nyhed/")
    site.article("a.md", "title: Nyhed\ndate: 2024-03-01\n", "Ny tekst.\n")
    monkeypatch.setattr(search, "pagefind_command", lambda: ["false"])
    with pytest.raises(SiteError) as caught:
        site.build()
    assert "Pagefind failed" in str(caught.value)
    assert site.read("artikel/nyhed/") == before


def run_search(browser, base: str, query: str, javascript: bool = True):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(base + "soeg/" + query)
    if javascript:
        wait_until(
            page, "document.querySelector('[data-search-status]').textContent.includes('fundet')"
        )
    return context, page


def result_titles(page) -> list[str]:
    return page.locator(".search__result h2 a").all_inner_texts()


@pytest.mark.browser
def test_search_finds_articles_by_words_in_the_text(browser, theme_server):
    context, page = run_search(browser, theme_server, "?q=journalisering")
    assert result_titles(page) == ["Ærø og Køge afprøver AI til journalisering af post"]
    assert page.locator("[data-search-status]").inner_text() == (
        "1 artikel fundet for »journalisering«."
    )
    assert page.locator(".search__result mark").count() >= 1
    link = page.locator(".search__result h2 a").first.get_attribute("href")
    assert link == "/artikel/aeroe-og-koege-afproever-ai-til-journalisering-af-post/"
    context.close()


@pytest.mark.browser
def test_danish_stemming_matches_other_forms_of_a_word(browser, theme_server):
    # "budgetterne" is in the fixture article only as "budgetterne"; "budgettet" and
    # "budget" stem to the same Danish root.
    context, page = run_search(browser, theme_server, "?q=budgetter")
    titles = result_titles(page)
    context.close()
    assert "Sådan ser en artikel med det hele ud" in titles
    assert "Helsingør afsætter flere millioner til it-sikkerhed" in titles


@pytest.mark.browser
def test_filters_by_section_and_year(browser, theme_server):
    context, page = run_search(browser, theme_server, "?q=kommune&sektion=Sikkerhed")
    metas = page.locator(".search__meta").all_inner_texts()
    assert metas and all(m.startswith("Sikkerhed · ") for m in metas)
    assert page.locator("#soeg-sektion").input_value() == "Sikkerhed"
    context.close()
    context, page = run_search(browser, theme_server, "?aar=2022")
    metas = page.locator(".search__meta").all_inner_texts()
    assert len(metas) == 3 and all(m.endswith(" 2022") for m in metas)
    assert "med de valgte filtre" in page.locator("[data-search-status]").inner_text()
    context.close()


@pytest.mark.browser
def test_typing_a_search_updates_results_and_address(browser, theme_server):
    context, page = run_search(browser, theme_server, "?q=phishing")
    page.fill("#soeg-q", "datacenter")
    page.keyboard.press("Enter")
    wait_until(
        page, "document.querySelector('[data-search-status]').textContent.includes('datacenter')"
    )
    assert "q=datacenter" in page.url
    assert "Køge Kommune lukker sit eget serverrum" in result_titles(page)
    page.fill("#soeg-q", "zzzqqqxxx")
    page.keyboard.press("Enter")
    wait_until(
        page, "document.querySelector('[data-search-status]').textContent.startsWith('Ingen')"
    )
    assert result_titles(page) == []
    context.close()


@pytest.mark.browser
def test_more_results_button_moves_focus_to_the_first_new_result(browser, theme_server):
    context, page = run_search(browser, theme_server, "?q=kommune")
    assert len(result_titles(page)) == 10
    more = page.get_by_role("button", name="Vis flere resultater")
    more.click()
    wait_until(page, "document.querySelectorAll('.search__result').length > 10")
    focused = page.evaluate("document.activeElement.closest('.search__result') !== null")
    assert focused
    context.close()


@pytest.mark.browser
def test_without_javascript_the_page_explains_where_to_look(browser, theme_server):
    context, page = run_search(browser, theme_server, "?q=nis2", javascript=False)
    notice = page.locator(".notice")
    assert notice.is_visible()
    assert "Søgningen kræver JavaScript" in notice.inner_text()
    assert notice.get_by_role("link", name="arkivet").get_attribute("href") == "/arkiv/"
    context.close()


def test_search_page_loads_only_its_own_script_and_articles_carry_filters(theme_site):
    html = theme_site.read("soeg/")
    assert '<script type="module" src="/assets/soeg.js"></script>' in html
    assert 'data-shards="/pagefind/shards.json"' in html
    assert "<script>" not in html
    article = theme_site.read(THEME_ARTICLE)
    assert 'data-pagefind-filter="aar:2024"' in article
    assert 'data-pagefind-filter="sektion">Sikkerhed</a>' in article
