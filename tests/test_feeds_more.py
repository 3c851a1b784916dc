"""Every feed of the site: tag and author feeds, JSON Feed, the XSLT page, aliases.

The checks follow what the W3C feed validator reports: a self link equal to the feed's
address, absolute URLs everywhere (also inside the content), RFC 822 dates in English in
RSS, unique ids, a valid language code.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree

from generator.errors import SiteError
from tests.conftest import NOW, THEME_ARTICLE

ATOM = "{http://www.w3.org/2005/Atom}"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2})?$")
BASE = "http://127.0.0.1/"


class _Urls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)
            if name == "srcset" and value:
                self.urls += [part.split()[0] for part in value.split(",")]


def urls_in(html: str) -> list[str]:
    parser = _Urls()
    parser.feed(html)
    return parser.urls


def is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "mailto" or (parts.scheme in ("http", "https") and bool(parts.netloc))


def feed_files(output, suffix):
    return sorted(p for p in output.rglob(f"*{suffix}") if p.name in ("feed.xml", "atom.xml"))


def test_every_xml_feed_parses_in_feedparser_without_problems(theme_site):
    feeds = feed_files(theme_site.output, ".xml")
    assert len(feeds) > 40  # site, sections, tags and authors, RSS and Atom each
    for path in feeds:
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, f"{path}: {parsed.get('bozo_exception')}"
        assert parsed.entries, path


def test_rss_feeds_meet_the_validator_rules(theme_site):
    for path in theme_site.output.rglob("feed.xml"):
        url = BASE + path.relative_to(theme_site.output).as_posix()
        channel = ET.parse(path).getroot().find("channel")
        self_links = [link.get("href") for link in channel.iter(f"{ATOM}link")]
        assert self_links == [url], path
        assert LANGUAGE.match(channel.findtext("language"))
        assert RFC822.match(channel.findtext("lastBuildDate")), path
        guids = [item.findtext("guid") for item in channel.iter("item")]
        assert len(guids) == len(set(guids))
        for item in channel.iter("item"):
            assert RFC822.match(item.findtext("pubDate")), path
            assert is_absolute(item.findtext("link"))
            assert item.find("author") is None, "RSS <author> must be an e-mail; names use dc"
            assert item.findtext("{http://purl.org/dc/elements/1.1/}creator")
            content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
            relative = [u for u in urls_in(content) if not is_absolute(u)]
            assert relative == [], f"{path}: relative URLs in content {relative}"


def test_atom_feeds_meet_the_validator_rules(theme_site):
    for path in theme_site.output.rglob("atom.xml"):
        url = BASE + path.relative_to(theme_site.output).as_posix()
        feed = ET.parse(path).getroot()
        assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "da"
        selfs = [link.get("href") for link in feed.findall(f"{ATOM}link[@rel='self']")]
        assert selfs == [url]
        dt.datetime.fromisoformat(feed.findtext(f"{ATOM}updated"))
        ids = [entry.findtext(f"{ATOM}id") for entry in feed.iter(f"{ATOM}entry")]
        assert len(ids) == len(set(ids)) and all(i.startswith("tag:127.0.0.1,") for i in ids)
        updated = [entry.findtext(f"{ATOM}updated") for entry in feed.iter(f"{ATOM}entry")]
        assert len(updated) == len(set(updated)), "the validator warns on equal atom:updated"
        for entry in feed.iter(f"{ATOM}entry"):
            assert entry.find(f"{ATOM}author/{ATOM}name") is not None
            content = entry.findtext(f"{ATOM}content")
            assert [u for u in urls_in(content) if not is_absolute(u)] == [], path


def test_tag_and_author_feeds_hold_only_their_articles(theme_site):
    tag = feedparser.parse(theme_site.read("emne/nis2/feed.xml"))
    assert tag.feed.title == "Kommunenyt: NIS2"
    assert all("NIS2" in {t.term for t in e.tags} for e in tag.entries)
    assert {"Sådan ser en artikel med det hele ud", "NIS2: Sådan gør kommunen sig klar"} <= {
        e.title for e in tag.entries
    }
    author = feedparser.parse(theme_site.read("forfatter/mette-lindberg/atom.xml"))
    assert author.entries
    assert all("Mette Lindberg" in [a.name for a in e.authors] for e in author.entries)


def test_json_feed_follows_version_1_1(theme_site):
    for path in theme_site.output.rglob("feed.json"):
        feed = json.loads(path.read_text("utf-8"))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["feed_url"] == BASE + path.relative_to(theme_site.output).as_posix()
        assert is_absolute(feed["home_page_url"]) and feed["language"] == "da"
        ids = [item["id"] for item in feed["items"]]
        assert ids and len(ids) == len(set(ids))
        for item in feed["items"]:
            assert is_absolute(item["url"]) and item["title"]
            dt.datetime.fromisoformat(item["date_published"])
            assert dt.datetime.fromisoformat(item["date_modified"]) >= dt.datetime.fromisoformat(
                item["date_published"]
            )
            assert [u for u in urls_in(item["content_html"]) if not is_absolute(u)] == []
    site_feed = json.loads(theme_site.read("feed.json"))
    first = site_feed["items"][0]
    assert first["url"] == BASE + THEME_ARTICLE
    assert first["image"] == BASE + "static/billeder/datacenter.jpg"
    assert [a["name"] for a in first["authors"]] == ["Mette Lindberg", "Redaktionen"]


def test_every_page_links_the_feeds_that_fit_it(theme_site):
    front = theme_site.read("")
    for href, kind in (
        ("feed.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
    ):
        assert f'<link rel="alternate" type="{kind}"' in front
        assert f'href="{BASE}{href}"' in front
    for page in ("emne/nis2/", "forfatter/mette-lindberg/", "sektion/sikkerhed/"):
        html = theme_site.read(page)
        for name in ("feed.xml", "atom.xml", "feed.json"):
            assert f'href="{BASE}{page}{name}"' in html, (page, name)
            assert f'href="/{page}{name}"' in html  # a visible link for people too


def test_feeds_name_the_stylesheet_that_browsers_show(theme_site):
    for name in ("feed.xml", "atom.xml", "emne/nis2/feed.xml"):
        head = theme_site.read(name)[:200]
        assert '<?xml-stylesheet href="/assets/feed.xsl" type="text/xsl"?>' in head
    style = etree.XSLT(etree.parse(str(theme_site.output / "assets/feed.xsl")))
    rss = str(style(etree.parse(str(theme_site.output / "feed.xml"))))
    atom = str(style(etree.parse(str(theme_site.output / "sektion/sikkerhed/atom.xml"))))
    for page in (rss, atom):
        assert '<html lang="da">' in page
        assert "Det her er et nyhedsfeed." in page
        assert "11. september 2024" in page  # dates in Danish, from RFC 822 and ISO dates
        assert "Sådan ser en artikel med det hele ud" in page


def test_feed_dates_do_not_depend_on_when_the_site_is_built(theme_site, site):
    site.article("a.md", "title: Første\ndate: 2024-03-01 09:30\nupdated: 2024-03-05 10:00")
    site.article("b.md", "title: Anden\ndate: 2024-03-02 09:30")
    site.build(now=NOW)
    first = {n: site.read(n) for n in ("feed.xml", "atom.xml", "feed.json")}
    site.build(now=NOW + dt.timedelta(days=40))
    assert {n: site.read(n) for n in first} == first
    assert "<lastBuildDate>Tue, 05 Mar 2024 10:00:00 +0100</lastBuildDate>" in first["feed.xml"]


def test_alias_makes_a_redirect_page_without_script(theme_site):
    for old in ("artikel/gammel-adresse/", "2019/05/artikel.html"):
        html = theme_site.read(old)
        target = BASE + THEME_ARTICLE
        assert f'<meta http-equiv="refresh" content="0; url={target}">' in html
        assert f'<link rel="canonical" href="{target}">' in html
        assert '<meta name="robots" content="noindex">' in html
        assert "<script" not in html
        assert f'<a href="/{THEME_ARTICLE}">' in html


def test_a_renamed_article_keeps_its_feed_id(site):
    site.article("a.md", "title: Gammel titel\ndate: 2024-03-01 09:30")
    site.build()
    before = feedparser.parse(site.read("feed.xml")).entries[0].id
    site.article(
        "a.md",
        "title: Ny titel\nslug: ny-titel\ndate: 2024-03-01 09:30\naliases: [/artikel/gammel-titel/]",
    )
    site.build()
    after = feedparser.parse(site.read("feed.xml")).entries[0]
    assert after.id == before
    assert after.link == "https://testnyt.dk/artikel/ny-titel/"
    assert site.exists("artikel/gammel-titel/")


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ("[../../etc/passwd]", "is not an address on this site"),
        ("[/artikel/mellem rum/]", "is not an address on this site"),
        ("{a: b}", "aliases must be a list of addresses"),
    ],
)
def test_a_bad_alias_is_an_error_with_file_and_line(site, aliases, message):
    site.article("a.md", f"title: Titel\ndate: 2024-03-01 09:30\naliases: {aliases}")
    with pytest.raises(SiteError) as caught:
        site.build()
    text = str(caught.value)
    assert "content/articles/a.md:4" in text and message in text


def test_an_alias_that_hits_another_page_names_both(site):
    site.article("a.md", "title: Første\ndate: 2024-03-01 09:30")
    site.article("b.md", "title: Anden\ndate: 2024-03-02 09:30\naliases: [/artikel/foerste/]")
    with pytest.raises(SiteError) as caught:
        site.build()
    assert "writes /artikel/foerste/index.html" in str(caught.value)


def test_a_renamed_page_redirects_from_its_old_address(site):
    site.write(
        "content/pages/kontakt.md",
        "---\ntitle: Kontakt os\naliases: [/om-os/kontakt.html]\n---\n\nSkriv til os.\n",
    )
    site.article("a.md", "title: A\ndate: 2024-03-01")
    site.build()
    html = site.read("om-os/kontakt.html")
    assert '<meta http-equiv="refresh" content="0; url=https://testnyt.dk/kontakt/">' in html
    assert '<a href="/kontakt/">Kontakt os</a>' in html
