"""What search engines and apps read: JSON-LD, Open Graph, canonical, sitemaps, robots, manifest."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

from tests.conftest import THEME_ARTICLE, THEME_NOW

BASE = "http://127.0.0.1/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
META = re.compile(r'<meta (property|name)="([^"]+)" content="([^"]*)">')

# The part of schema.org's vocabulary the theme uses: each type with its parent and the
# properties it defines (from schema.org's type pages), so a property is valid for a type
# when the type or one of its ancestors defines it.
SCHEMA = {
    "Thing": (None, {"name", "url", "description", "image", "mainEntityOfPage", "potentialAction"}),
    "CreativeWork": (
        "Thing",
        {
            "author",
            "publisher",
            "datePublished",
            "dateModified",
            "headline",
            "inLanguage",
            "keywords",
            "isAccessibleForFree",
        },
    ),
    "Article": ("CreativeWork", {"articleSection", "articleBody", "wordCount"}),
    "NewsArticle": ("Article", {"dateline", "printSection"}),
    "WebPage": ("CreativeWork", {"breadcrumb", "lastReviewed"}),
    "WebSite": ("CreativeWork", {"issn"}),
    "Person": ("Thing", {"email", "jobTitle"}),
    "Organization": ("Thing", {"logo", "email", "address"}),
    "NewsMediaOrganization": ("Organization", {"masthead", "ethicsPolicy"}),
    "MediaObject": ("CreativeWork", {"contentUrl", "width", "height"}),
    "ImageObject": ("MediaObject", {"caption"}),
    "Action": ("Thing", {"target", "query-input"}),
    "SearchAction": ("Action", {"query"}),
    "EntryPoint": ("Thing", {"urlTemplate"}),
}


def properties_of(kind: str) -> set[str]:
    found: set[str] = set()
    while kind:
        parent, own = SCHEMA[kind]
        found |= own
        kind = parent
    return found


def check_schema_types(node, path="$") -> list[str]:
    """Every @type is a known schema.org type and every property belongs to it."""
    problems = []
    if isinstance(node, list):
        for index, item in enumerate(node):
            problems += check_schema_types(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        kind = node.get("@type")
        if kind is not None:
            if kind not in SCHEMA:
                return [f"{path}: unknown type {kind}"]
            allowed = properties_of(kind) | {"@type", "@id", "@context"}
            problems += [f"{path}: {kind} has no property {k}" for k in node if k not in allowed]
        for key, value in node.items():
            problems += check_schema_types(value, f"{path}.{key}")
    return problems


def json_ld(html: str) -> list[dict]:
    return [json.loads(block) for block in LD.findall(html)]


def meta_tags(html: str) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for _, name, value in META.findall(html):
        tags.setdefault(name, []).append(value)
    return tags


def test_article_has_a_complete_news_article(theme_site):
    (data,) = json_ld(theme_site.read(THEME_ARTICLE))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    # Google's required and recommended properties for articles:
    assert data["headline"] == "Sådan ser en artikel med det hele ud"
    assert len(data["headline"]) <= 110
    assert (
        dt.datetime.fromisoformat(data["datePublished"]).isoformat() == "2024-09-11T08:00:00+02:00"
    )
    assert dt.datetime.fromisoformat(data["dateModified"]) > dt.datetime.fromisoformat(
        data["datePublished"]
    )
    assert data["image"] == [BASE + "static/billeder/datacenter.jpg"]
    assert [(a["@type"], a["name"]) for a in data["author"]] == [
        ("Person", "Mette Lindberg"),
        ("Person", "Redaktionen"),
    ]
    assert data["author"][0]["url"] == BASE + "forfatter/mette-lindberg/"
    assert data["articleSection"] == "Sikkerhed"
    assert data["publisher"]["name"] == "Kommunenyt"
    assert data["publisher"]["logo"]["url"] == BASE + "assets/icon-512.png"
    assert data["mainEntityOfPage"]["@id"] == BASE + THEME_ARTICLE
    assert data["inLanguage"] == "da"
    assert check_schema_types(data) == []


def test_every_article_and_the_front_page_carry_valid_structured_data(theme_site):
    for page in (theme_site.output / "artikel").glob("*/index.html"):
        if "http-equiv" in page.read_text("utf-8"):
            continue  # a redirect page for an alias
        (data,) = json_ld(page.read_text("utf-8"))
        assert data["@type"] == "NewsArticle" and check_schema_types(data) == [], page
    (site,) = json_ld(theme_site.read(""))
    assert site["@type"] == "WebSite"
    assert site["potentialAction"]["target"]["urlTemplate"] == BASE + "soeg/?q={search_term_string}"
    assert check_schema_types(site) == []


def test_schema_check_catches_a_wrong_property():
    assert check_schema_types({"@type": "NewsArticle", "headlin": "x"}) == [
        "$: NewsArticle has no property headlin"
    ]


def test_json_ld_cannot_close_its_script_element(site):
    site.article("a.md", 'title: "Slut </script><script>alert(1)</script>"\ndate: 2024-03-01')
    site.build()
    html = site.read("artikel/slut-script-script-alert-1-script/")
    (block,) = LD.findall(html)
    assert "</script>" not in block and json.loads(block)["headline"].startswith("Slut </script>")


def test_article_has_open_graph_and_twitter_card_with_its_image(theme_site):
    tags = meta_tags(theme_site.read(THEME_ARTICLE))
    assert tags["og:type"] == ["article"]
    assert tags["og:title"] == ["Sådan ser en artikel med det hele ud"]
    assert tags["og:url"] == [BASE + THEME_ARTICLE]
    assert tags["og:image"] == [BASE + "static/billeder/datacenter.jpg"]
    assert tags["og:image:width"] == ["1200"] and tags["og:image:height"] == ["675"]
    assert tags["og:image:alt"][0].startswith("Tegning af en gang")
    assert tags["og:locale"] == ["da_DK"]
    assert tags["twitter:card"] == ["summary_large_image"]
    assert tags["article:published_time"] == ["2024-09-11T08:00+02:00"]
    assert tags["article:tag"] == ["NIS2", "Tilgængelighed"]
    assert tags["og:description"][0].startswith("En artikel med billede")


def test_pages_without_image_share_the_logo_as_a_summary_card(theme_site):
    tags = meta_tags(theme_site.read("emne/nis2/"))
    assert tags["og:type"] == ["website"]
    assert tags["og:image"] == [BASE + "assets/icon-512.png"]
    assert tags["twitter:card"] == ["summary"]


def test_every_page_has_an_absolute_canonical_url_of_itself(theme_site):
    for page in theme_site.output.rglob("index.html"):
        html = page.read_text("utf-8")
        if "http-equiv" in html:
            continue
        rel = page.relative_to(theme_site.output).parent.as_posix()
        expected = BASE + ("" if rel == "." else rel + "/")
        assert f'<link rel="canonical" href="{expected}">' in html, page


def sitemap_locations(path: Path) -> dict[str, str | None]:
    root = ET.parse(path).getroot()
    return {u.findtext(f"{SM}loc"): u.findtext(f"{SM}lastmod") for u in root.iter(f"{SM}url")}


def test_sitemap_lists_every_indexable_page_with_content_dates(theme_site):
    urls = sitemap_locations(theme_site.output / "sitemap.xml")
    for url in urls:
        path = url[len(BASE) :]
        assert (
            theme_site.output / (path + "index.html" if path.endswith("/") or not path else path)
        ).is_file()
    assert urls[BASE + THEME_ARTICLE] == "2024-09-11T10:30:00+02:00"
    assert urls[BASE] == "2024-09-11T10:30:00+02:00"
    assert BASE + "om/" in urls and urls[BASE + "om/"] is None
    for hidden in ("404.html", "nyhedsbrev/tak/", "soeg/", "artikel/gammel-adresse/"):
        assert BASE + hidden not in urls
    articles = [u for u in urls if u.startswith(BASE + "artikel/")]
    assert len(articles) == 13


def test_news_sitemap_holds_the_last_two_days_relative_to_the_build(theme_site, site):
    root = ET.parse(theme_site.output / "news-sitemap.xml").getroot()
    entries = {u.findtext(f"{SM}loc"): u.find(f"{NEWS}news") for u in root.iter(f"{SM}url")}
    assert set(entries) == {BASE + THEME_ARTICLE, BASE + "artikel/nis2-guide/"}
    news = entries[BASE + "artikel/nis2-guide/"]
    assert news.findtext(f"{NEWS}publication/{NEWS}name") == "Kommunenyt"
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "da"
    assert news.findtext(f"{NEWS}publication_date") == "2024-09-10T06:45:00+02:00"
    assert news.findtext(f"{NEWS}title") == "NIS2: Sådan gør kommunen sig klar"
    # The same content built later has an empty news sitemap, and the same build twice
    # gives the same bytes: the window follows the build's `now`, never the clock.
    site.article("a.md", "title: Nyhed\ndate: 2024-09-10 12:00")
    site.build(now=THEME_NOW)
    first = site.read("news-sitemap.xml")
    assert "artikel/nyhed/" in first
    site.build(now=THEME_NOW)
    assert site.read("news-sitemap.xml") == first
    site.build(now=THEME_NOW + dt.timedelta(days=3))
    assert "artikel/nyhed/" not in site.read("news-sitemap.xml")


def test_robots_txt_allows_all_and_names_both_sitemaps(theme_site):
    assert theme_site.read("robots.txt") == (
        f"User-agent: *\nAllow: /\n\nSitemap: {BASE}sitemap.xml\nSitemap: {BASE}news-sitemap.xml\n"
    )


def test_manifest_and_its_icons(theme_site):
    manifest = json.loads(theme_site.read("manifest.webmanifest"))
    assert manifest["name"] == "Kommunenyt" and manifest["lang"] == "da"
    assert manifest["start_url"] == "/"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["theme_color"])
    sizes = set()
    for icon in manifest["icons"]:
        path = theme_site.output / icon["src"].lstrip("/")
        assert path.is_file(), icon
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes
    assert any(i.get("purpose") == "maskable" for i in manifest["icons"])
    front = theme_site.read("")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in front
    assert '<link rel="apple-touch-icon" href="/assets/apple-touch-icon.png">' in front


def test_pages_that_should_not_be_found_say_noindex(theme_site):
    for url in ("404.html", "nyhedsbrev/tak/", "soeg/", "artikel/gammel-adresse/"):
        assert '<meta name="robots" content="noindex">' in theme_site.read(url), url
    assert 'name="robots"' not in theme_site.read(THEME_ARTICLE)
