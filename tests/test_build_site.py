"""Build small sites in temporary folders and check the output as a reader would see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from generator.errors import SiteError
from tests.conftest import CPH, FIXTURES, NOW


def test_seed_article_is_published_with_danish_slug_date_and_quotes(site):
    site.write("content/articles/2021/seed.md", (FIXTURES / "seed_article.md").read_text("utf-8"))
    site.build()
    html = site.read("artikel/hoeje-taastrup-outsourcer-it-drift/")
    assert "<h1>Høje-Taastrup outsourcer it-drift</h1>" in html
    assert '<html lang="da">' in html
    assert "14. juni 2021 kl. 09.30" in html
    assert 'datetime="2021-06-14T09:30+02:00"' in html
    quotes = re.findall(r'<p class="replik">– (\w+)', html)
    assert quotes == ["Erfaringen", "Vores"]
    assert "<ul>\n<li>Erfaringen" not in html
    assert 'href="/sektion/udbud/"' in html
    assert 'Af <a href="/forfatter/redaktionen/">Redaktionen</a>' in html
    assert 'href="/nyhedsbrev/"' in html and "Tilmeld dig nyhedsbrevet" in html


def test_slugs_for_sections_tags_and_authors(site):
    site.article(
        "a.md",
        """
        title: Ærø får ny løsning
        date: 2024-01-02 10:00
        section: Økonomi
        tags: [Ærø, Drift & hosting]
        authors: [Søren Åkesen]
    """,
    )
    site.build()
    assert site.exists("artikel/aeroe-faar-ny-loesning/")
    assert site.exists("sektion/oekonomi/")
    assert site.exists("emne/aeroe/")
    assert site.exists("emne/drift-og-hosting/")
    assert site.exists("forfatter/soeren-aakesen/")


def test_tags_differing_only_in_case_are_one_tag(site):
    site.article("a.md", "title: Første\ndate: 2024-01-02 10:00\ntags: [KMD]")
    site.article("b.md", "title: Anden\ndate: 2024-01-03 10:00\ntags: [kmd]")
    site.article("c.md", "title: Tredje\ndate: 2024-01-04 10:00\ntags: [KMD]")
    site.build()
    tag_page = site.read("emne/kmd/")
    assert tag_page.count('class="card__title"') == 3
    assert ">KMD</h1>" in tag_page
    assert ">kmd<" not in site.read("artikel/anden/")


def test_drafts_and_future_articles_are_not_published(site):
    site.article("live.md", "title: Offentlig\ndate: 2026-11-27 08:00")
    site.article(
        "draft.md", "title: Kladden\ndate: 2026-11-27 09:00\ndraft: true\ntags: [Hemmelig]"
    )
    site.article("future.md", "title: Fremtiden\ndate: 2026-11-28 12:01\nsection: Planlagt")
    site.build()
    everything = "".join(
        p.read_text("utf-8")
        for p in site.output.rglob("*")
        if p.is_file() and p.suffix in (".html", ".xml")
    )
    assert "Offentlig" in everything
    assert "Kladden" not in everything and "Fremtiden" not in everything
    assert not site.exists("artikel/kladden/")
    assert not site.exists("emne/hemmelig/")
    assert not site.exists("sektion/planlagt/")


def test_scheduled_article_appears_once_its_time_has_come(site):
    site.article("future.md", "title: Fremtiden\ndate: 2026-11-28 12:01")
    site.build(now=NOW)
    assert not site.exists("artikel/fremtiden/")
    site.build(now=NOW + dt.timedelta(minutes=2))
    assert site.exists("artikel/fremtiden/")


def test_preview_build_includes_drafts_and_future_articles_marked(site):
    site.article("draft.md", "title: Kladden\ndate: 2026-11-27 09:00\ndraft: true")
    site.article("future.md", "title: Fremtiden\ndate: 2026-12-24 18:00")
    site.build(drafts=True)
    assert "Kladde – ikke offentliggjort" in site.read("artikel/kladden/")
    assert "Planlagt til 24. december 2026 kl. 18.00" in site.read("artikel/fremtiden/")
    assert "Kladde – ikke offentliggjort" in site.read("")


def test_front_matter_values_are_escaped_everywhere(site):
    evil = '<script>alert(1)</script> & "citat"'
    site.article(
        "evil.md",
        f"""
        title: '{evil}'
        date: 2024-01-02 10:00
        lead: '<img src=x onerror=alert(2)>'
        tags: ['<b>fed</b>']
        section: '<i>Sektion</i>'
    """,
    )
    site.build()
    for path in site.output.rglob("*"):
        if path.suffix in (".html", ".xml"):
            text = path.read_text("utf-8")
            assert "<script>alert(1)" not in text, path
            assert "<img src=x" not in text, path
            assert "<b>fed</b>" not in text, path
            assert "<i>Sektion</i>" not in text, path
    article = next(site.output.glob("artikel/*/index.html")).read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;citat&#34;" in article


def test_raw_html_in_the_body_is_kept(site):
    site.article(
        "a.md", "title: Rå HTML\ndate: 2024-01-02 10:00", '<div class="fakta">Fakta</div>\n'
    )
    site.build()
    assert '<div class="fakta">Fakta</div>' in site.read("artikel/raa-html/")


def test_unknown_front_matter_keys_reach_templates(site):
    site.article("a.md", "title: Kilden\ndate: 2024-01-02 10:00\nkilde: Pressemeddelelse fra KL")
    site.write(
        "templates/article.html",
        '{% extends "base.html" %}{% block content %}<p class="kilde">'
        "{{ article.extra.kilde }}</p>{% endblock %}",
    )
    site.build()
    assert '<p class="kilde">Pressemeddelelse fra KL</p>' in site.read("artikel/kilden/")


def test_site_template_overrides_only_that_template(site):
    site.article("a.md", "title: Artikel\ndate: 2024-01-02 10:00")
    site.write("templates/404.html", "<!doctype html><title>Væk</title><p>Egen 404</p>")
    site.build()
    assert "Egen 404" in site.read("404.html")
    assert "<h1>Artikel</h1>" in site.read("artikel/artikel/")


def test_front_page_is_paginated_newest_first_with_the_newest_large(site):
    site.config(site_extra="page_size = 2\n")
    for day in range(1, 6):
        site.article(
            f"a{day}.md", f"title: Nyhed {day}\ndate: 2024-01-0{day} 10:00\nlead: Manchet {day}"
        )
    site.build()
    front = site.read("")
    assert front.index("Nyhed 5") < front.index("Nyhed 4")
    assert 'class="card card--large"' in front and "Manchet 5" in front
    assert "Nyhed 3" not in front
    assert "Nyhed 3" in site.read("side/2/") and "Nyhed 1" in site.read("side/3/")
    assert not site.exists("side/4/")
    assert 'href="/side/2/" rel="next"' in front


def test_section_tag_author_and_archive_pages(site):
    site.config(site_extra="page_size = 1\n")
    site.article(
        "a.md",
        "title: Alfa\ndate: 2023-05-02 10:00\nsection: Drift\ntags: [Cloud]\nauthors: [Anne]",
    )
    site.article(
        "b.md",
        "title: Beta\ndate: 2023-06-02 10:00\nsection: Drift\ntags: [Cloud]\nauthors: [Anne]",
    )
    site.build()
    assert "Beta" in site.read("sektion/drift/") and "Alfa" in site.read("sektion/drift/side/2/")
    assert "Beta" in site.read("emne/cloud/") and "Alfa" in site.read("emne/cloud/side/2/")
    assert "Beta" in site.read("forfatter/anne/")
    archive = site.read("arkiv/")
    assert 'href="/arkiv/2023/06/">Juni' in archive and 'href="/arkiv/2023/05/">Maj' in archive
    assert "Alfa" in site.read("arkiv/2023/05/") and "Beta" in site.read("arkiv/2023/06/")
    assert "Alfa" in site.read("arkiv/2023/") and "Beta" in site.read("arkiv/2023/")
    assert "Drift" in site.read("sektioner/") and "Cloud" in site.read("emner/")
    assert "Anne" in site.read("forfattere/")


def test_byline_shows_author_email_from_authors_yaml(site):
    site.write(
        "content/authors.yaml",
        "Mette Lindberg:\n  email: ml@kommunenyt.dk\n  bio: Skriver om AI.\n",
    )
    site.article("a.md", "title: AI\ndate: 2024-01-02 10:00\nauthors: [Mette Lindberg]")
    site.build()
    assert 'href="mailto:ml@kommunenyt.dk"' in site.read("artikel/ai/")
    assert "Skriver om AI." in site.read("forfatter/mette-lindberg/")


def test_updated_article_shows_opdateret(site):
    site.article("a.md", "title: Rettet\ndate: 2024-01-02 10:00\nupdated: 2024-01-03 14:15")
    site.build()
    assert (
        'Opdateret <time datetime="2024-01-03T14:15+01:00">3. januar 2024 kl. 14.15</time>'
        in site.read("artikel/rettet/")
    )


def test_previous_next_and_related(site):
    site.article("a.md", "title: Ældst\ndate: 2024-01-01 10:00\ntags: [NIS2]")
    site.article("b.md", "title: Midten\ndate: 2024-01-02 10:00\ntags: [NIS2]")
    site.article("c.md", "title: Nyest\ndate: 2024-01-03 10:00")
    site.build()
    middle = site.read("artikel/midten/")
    assert 'href="/artikel/aeldst/" rel="prev"' in middle
    assert 'href="/artikel/nyest/" rel="next"' in middle
    related = middle.split('id="relaterede"')[1]
    assert "Ældst" in related.split("</section>")[0]


def test_image_is_copied_and_shown_with_alt_text(site):
    site.write("content/static/billeder/foto.jpg", b"\xff\xd8\xff\xe0fake-jpeg")
    site.article(
        "a.md",
        """
        title: Med billede
        date: 2024-01-02 10:00
        image: static/billeder/foto.jpg
        image_alt: Et serverrum med blå lys
    """,
        "Tekst.\n\n![Diagram over driften](static/billeder/foto.jpg)\n",
    )
    site.build()
    html = site.read("artikel/med-billede/")
    assert '<img src="/static/billeder/foto.jpg" alt="Et serverrum med blå lys">' in html
    assert (
        'src="/static/billeder/foto.jpg" alt="Diagram over driften"' in html
        or 'alt="Diagram over driften"' in html
    )
    assert (site.output / "static/billeder/foto.jpg").read_bytes() == b"\xff\xd8\xff\xe0fake-jpeg"


def test_links_between_articles_by_file_name(site):
    site.article("2021/a.md", "title: Første\ndate: 2021-01-02 10:00")
    site.article(
        "2022/b.md", "title: Anden\ndate: 2022-01-02 10:00", "Se [den første](../2021/a.md#top).\n"
    )
    site.build()
    assert 'href="/artikel/foerste/#top"' in site.read("artikel/anden/")


def test_plain_pages_newsletter_thanks_and_404(site):
    site.page("om", "Om os", "Vi skriver om kommunal it.\n")
    site.page("privatlivspolitik", "Privatlivspolitik")
    site.article("a.md", "title: Nyhed\ndate: 2024-01-02 10:00")
    site.build()
    assert "Vi skriver om kommunal it." in site.read("om/")
    signup = site.read("nyhedsbrev/")
    assert '<form class="signup" action="/nyhedsbrev/tilmeld" method="post"' in signup
    assert 'type="email"' in signup and 'name="email"' in signup
    assert 'name="consent"' in signup and 'href="/privatlivspolitik/"' in signup
    assert 'name="website"' in signup and 'tabindex="-1"' in signup
    assert "Tak for din tilmelding" in site.read("nyhedsbrev/tak/")
    assert "Siden findes ikke" in site.read("404.html")
    footer = site.read("").split('class="site-footer"')[1]
    assert 'href="/om/"' in footer and 'href="/privatlivspolitik/"' in footer


def test_newsletter_form_follows_site_toml(site):
    site.config("""
        [newsletter]
        action = "https://lists.example.dk/subscription/form"
        fields = { email = "email", name = "name", lists = "l", consent = "samtykke" }

        [[newsletter.lists]]
        id = "a1b2"
        name = "Ugebrev"

        [[newsletter.lists]]
        id = "c3d4"
        name = "Udbud"
        description = "Nye udbud"
    """)
    site.build()
    signup = site.read("nyhedsbrev/")
    assert 'action="https://lists.example.dk/subscription/form"' in signup
    assert signup.count('name="l"') == 2 and 'value="c3d4"' in signup
    assert 'name="samtykke"' in signup
    assert "Nye udbud" in signup


def test_banners_show_only_between_their_dates(site):
    site.write("content/static/banner.png", b"\x89PNG fake")
    site.config("""
        [[banners]]
        image = "static/banner.png"
        link = "https://konference.example.dk/"
        alt = "Kom til konferencen"
        start = 2026-11-01
        end = 2026-11-30

        [[banners]]
        image = "static/banner.png"
        link = "https://gammel.example.dk/"
        alt = "Gammel kampagne"
        end = 2025-01-01
    """)
    site.article("a.md", "title: Nyhed\ndate: 2024-01-02 10:00")
    site.build()
    for url in ("", "artikel/nyhed/"):
        html = site.read(url)
        assert 'alt="Kom til konferencen"' in html
        assert "Gammel kampagne" not in html
    site.build(now=dt.datetime(2026, 12, 1, 9, 0, tzinfo=CPH))
    assert "Kom til konferencen" not in site.read("")


def test_theme_assets_and_static_files_are_copied(site):
    site.write("content/static/dokumenter/rapport.pdf", b"%PDF-1.4")
    site.build()
    assert (site.output / "assets/kommunenyt.css").stat().st_size > 1000
    assert (site.output / "static/dokumenter/rapport.pdf").read_bytes() == b"%PDF-1.4"


def test_empty_site_still_builds(site):
    site.build()
    assert "Der er endnu ingen artikler." in site.read("")
    assert site.exists("feed.xml") and site.exists("404.html")


def test_two_articles_with_the_same_url_are_an_error_naming_both(site):
    site.article("2021/a.md", "title: Samme titel\ndate: 2021-01-02 10:00")
    site.article("2022/b.md", "title: Samme Titel!\ndate: 2022-01-02 10:00")
    with pytest.raises(SiteError) as error:
        site.build()
    message = str(error.value)
    assert "content/articles/2022/b.md" in message and "content/articles/2021/a.md" in message
    assert "/artikel/samme-titel/" in message


def test_a_page_colliding_with_a_generated_page_is_an_error(site):
    site.page("arkiv", "Arkiv")
    with pytest.raises(SiteError, match=r"arkiv/index\.html"):
        site.build()
