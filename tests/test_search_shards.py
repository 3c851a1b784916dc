"""The search index in shards: stable boundaries, one Pagefind run per changed shard only,
and one query on the search page that searches every shard."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from generator import search
from generator.search import Shard, plan_shards, search_part
from tests.conftest import CPH, Site, served_folder, wait_until

# Six articles in two years; with shards of two: 2024-1, 2023-2, 2023-1 (newest first).
ARTICLES = {
    "a1": ("2023-02-01", "Drift", "solcelleanlæg"),
    "a2": ("2023-05-01", "Udbud", "varmeplan"),
    "a3": ("2023-08-01", "Drift", "skybaseret"),
    "a4": ("2023-11-01", "Udbud", "cyberangreb"),
    "b1": ("2024-01-10", "Drift", "borgerservice"),
    "b2": ("2024-03-01", "Udbud", "datacentret"),
}


def date(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=CPH)


def write_article(site: Site, slug: str, word: str | None = None) -> None:
    day, section, own = ARTICLES[slug]
    site.article(
        f"{slug}.md",
        f"title: Nyhed {slug}\ndate: {day} 10:00\nsection: {section}\ntags: [Energi]\n",
        f"Kommunen skriver om fjernvarme og {word or own}.\n",
    )


@pytest.fixture
def sharded(site: Site, monkeypatch) -> Site:
    monkeypatch.setattr(search, "SHARD_SIZE", 2)
    for slug in ARTICLES:
        write_article(site, slug)
    site.build()
    return site


def shard_files(site: Site) -> dict[str, dict[str, tuple[int, int]]]:
    """Per shard: file → (inode, mtime) of each of its files."""
    folder = site.output / "pagefind"
    return {
        shard.name: {
            p.relative_to(shard).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in shard.rglob("*")
            if p.is_file()
        }
        for shard in folder.iterdir()
        if shard.is_dir()
    }


def test_shards_are_years_cut_into_fixed_runs_oldest_first_listed_newest_first():
    pages = {f"artikel/{s}/index.html": date(d) for s, (d, _, _) in ARTICLES.items()}
    pages["om/index.html"] = None
    assert plan_shards(pages, 2) == [
        Shard("2024-1", ("artikel/b1/index.html", "artikel/b2/index.html")),
        Shard("2023-2", ("artikel/a3/index.html", "artikel/a4/index.html")),
        Shard("2023-1", ("artikel/a1/index.html", "artikel/a2/index.html")),
        Shard("andre-1", ("om/index.html",)),
    ]
    # A newer article joins the newest shard and leaves the others as they were.
    newer = plan_shards({**pages, "artikel/b3/index.html": date("2024-06-01")}, 2)
    assert newer[0] == Shard("2024-2", ("artikel/b3/index.html",))
    assert newer[1:] == plan_shards(pages, 2)


def test_pagefind_reads_only_the_marked_part_of_a_page():
    page = (
        b'<!doctype html>\n<html lang="da"><head><title>T</title></head><body><nav>Menu</nav>'
        b'<article class="a" data-pagefind-body><h1>Titel</h1><article>indre</article>'
        b"<p>Tekst</p></article><aside>Relaterede</aside></body></html>"
    )
    part = search_part(page)
    assert b"Menu" not in part and b"Relaterede" not in part
    assert b'<html lang="da">' in part
    assert b"<p>Tekst</p></article></body>" in part
    # Anything else Pagefind might read keeps the whole page.
    marked = page.replace(b"<nav>", b'<nav data-pagefind-filter="x:y">')
    assert search_part(marked) == marked
    assert search_part(page.replace(b"</article><aside>", b"<aside>")) == page.replace(
        b"</article><aside>", b"<aside>"
    )


def test_an_edit_runs_pagefind_for_its_own_shard_only(sharded, either_way, monkeypatch):
    assert json.loads(sharded.read("pagefind/shards.json")) == {
        "shards": ["2024-1", "2023-2", "2023-1"]
    }
    before = shard_files(sharded)
    ran = []
    original = search.run_pagefind
    monkeypatch.setattr(
        search, "run_pagefind", lambda folder: ran.append(folder.name) or original(folder)
    )
    write_article(sharded, "a1", "varmepumpe")
    sharded.build()
    assert ran == ["2023-1"]
    after = shard_files(sharded)
    assert after["2024-1"] == before["2024-1"] and after["2023-2"] == before["2023-2"]
    assert after["2023-1"] != before["2023-1"]
    # A new article touches only the newest shard, though other pages now link to it.
    ran.clear()
    sharded.article(
        "b3.md", "title: Nyhed b3\ndate: 2024-06-01 10:00\ntags: [Energi]\n", "Om fjernvarme.\n"
    )
    sharded.build()
    assert ran == ["2024-2"]


def test_a_warm_build_gives_the_same_search_files_as_a_cold_one(sharded, either_way, tmp_path):
    write_article(sharded, "a3", "vindmøller")
    sharded.build()
    cold = Site(tmp_path / "cold")
    for source in (sharded.root / "content").rglob("*.md"):
        cold.write(source.relative_to(sharded.root).as_posix(), source.read_text("utf-8"))
    cold.build()

    def files(site: Site) -> dict[str, bytes]:
        folder = site.output / "pagefind"
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in folder.rglob("*")
            if p.is_file()
        }

    assert files(sharded) == files(cold)


@pytest.mark.browser
def test_one_query_searches_every_shard_and_finds_an_edit(sharded, browser):
    write_article(sharded, "a1", "varmepumpe")
    sharded.build()
    context = browser.new_context()
    page = context.new_page()

    def results(query: str) -> tuple[list[str], list[str]]:
        page.goto(base + "soeg/" + query)
        wait_until(
            page,
            "/fundet/.test(document.querySelector('[data-search-status]').textContent)",
        )
        titles = page.locator(".search__result h2 a").all_inner_texts()
        return titles, page.locator(".search__meta").all_inner_texts()

    with served_folder(sharded.output) as base:
        titles, _ = results("?q=fjernvarme")
        assert sorted(titles) == [f"Nyhed {s}" for s in sorted(ARTICLES)]
        assert results("?q=varmepumpe")[0] == ["Nyhed a1"]
        assert results("?q=solcelleanlæg")[0] == []
        # By filters only: newest first across the shards, as before the index was split.
        titles, metas = results("?sektion=Drift")
        assert titles == ["Nyhed b1", "Nyhed a3", "Nyhed a1"]
        assert all(m.startswith("Drift · ") for m in metas)
        assert results("?q=fjernvarme&aar=2023")[0] != []
        assert sorted(results("?aar=2023")[0]) == ["Nyhed a1", "Nyhed a2", "Nyhed a3", "Nyhed a4"]
    context.close()
