"""Feeds parse in a real feed client and meet what the W3C feed validator checks."""

from __future__ import annotations

import email.utils
import re
import xml.etree.ElementTree as ET

import feedparser
import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)


@pytest.fixture
def feed_site(site):
    site.config(site_extra="feed_items = 3\n")
    site.write("content/authors.yaml", "Anne Bech:\n  email: ab@testnyt.dk\nRedaktionen:\n")
    site.write("content/static/kort.png", b"png")
    for day in range(1, 6):
        section = "Drift" if day % 2 else "Udbud"
        site.article(
            f"a{day}.md",
            f"""
            title: Nyhed nummer {day} om Køge
            date: 2024-03-0{day} 09:30
            lead: Manchet {day}
            section: {section}
            tags: [Køge, KMD]
            authors: [Anne Bech, Redaktionen]
        """,
            f"Brødtekst {day} med [link](a{day - 1}.md) og ![kort](static/kort.png).\n"
            if day > 1
            else "Brødtekst 1.\n",
        )
    site.article(
        "a9.md",
        "title: Opdateret nyhed\ndate: 2024-02-01 08:00\nupdated: 2024-03-10 12:00\nsection: Drift",
    )
    site.build()
    return site


def test_site_rss_parses_with_newest_items_first(feed_site):
    parsed = feedparser.parse(feed_site.read("feed.xml"))
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "rss20"
    assert parsed.feed.language == "da"
    titles = [e.title for e in parsed.entries]
    assert titles == ["Nyhed nummer 5 om Køge", "Nyhed nummer 4 om Køge", "Nyhed nummer 3 om Køge"]
    entry = parsed.entries[0]
    assert entry.link == "https://testnyt.dk/artikel/nyhed-nummer-5-om-koege/"
    assert entry.summary == "Manchet 5"
    assert "Brødtekst 5" in entry.content[0].value
    assert {t.term for t in entry.tags} == {"Drift", "Køge", "KMD"}


def test_site_atom_parses_with_content_summary_and_authors(feed_site):
    parsed = feedparser.parse(feed_site.read("atom.xml"))
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    entry = parsed.entries[0]
    assert entry.id == "tag:testnyt.dk,2024-03-05:nyhed-nummer-5-om-koege"
    assert entry.summary == "Manchet 5"
    assert "Brødtekst 5" in entry.content[0].value
    assert [a.name for a in entry.authors] == ["Anne Bech", "Redaktionen"]
    assert entry.published_parsed[:5] == (2024, 3, 5, 8, 30)  # 09:30 in Copenhagen is 08:30 UTC


def test_section_feeds_hold_only_their_section(feed_site):
    for kind in ("feed.xml", "atom.xml"):
        parsed = feedparser.parse(feed_site.read(f"sektion/drift/{kind}"))
        assert not parsed.bozo
        titles = [e.title for e in parsed.entries]
        assert titles == [
            "Nyhed nummer 5 om Køge",
            "Nyhed nummer 3 om Køge",
            "Nyhed nummer 1 om Køge",
        ]
        assert parsed.feed.title == "Testnyt: Drift"


def test_feed_content_links_are_absolute(feed_site):
    for url in ("feed.xml", "atom.xml", "sektion/udbud/feed.xml"):
        parsed = feedparser.parse(feed_site.read(url))
        for entry in parsed.entries:
            html = entry.content[0].value
            for target in re.findall(r'(?:href|src)="([^"]+)"', html):
                assert target.startswith("https://testnyt.dk/"), (url, target)


def test_rss_meets_validator_rules(feed_site):
    for url in ("feed.xml", "sektion/drift/feed.xml", "sektion/udbud/feed.xml"):
        channel = ET.fromstring(feed_site.read(url).encode()).find("channel")
        self_links = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
        assert [link.get("href") for link in self_links] == [f"https://testnyt.dk/{url}"]
        assert self_links[0].get("type") == "application/rss+xml"
        assert channel.findtext("link").startswith("https://testnyt.dk/")
        assert channel.findtext("language") == "da"
        assert channel.findtext("description")
        assert RFC822.match(channel.findtext("lastBuildDate"))
        guids = [item.findtext("guid") for item in channel.findall("item")]
        assert len(guids) == len(set(guids)) > 0
        for item in channel.findall("item"):
            pub = item.findtext("pubDate")
            assert RFC822.match(pub), pub
            assert email.utils.parsedate_to_datetime(pub)
            assert item.findtext("link").startswith("https://")
            assert item.find("guid").get("isPermaLink") == "false"
            for author in item.findall("author"):
                assert re.match(r"^\S+@\S+ \(.+\)$", author.text)


def test_atom_meets_validator_rules(feed_site):
    root = ET.fromstring(feed_site.read("atom.xml").encode())
    assert root.findtext(f"{ATOM}id") == "https://testnyt.dk/"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": "https://testnyt.dk/atom.xml", "alternate": "https://testnyt.dk/"}
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") in (None, "da")
    ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert len(ids) == len(set(ids)) == 3
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}author/{ATOM}name") is not None
        assert entry.find(f"{ATOM}content").get("type") == "html"


def test_feed_dates_come_from_content_not_the_clock(feed_site):
    rss = ET.fromstring(feed_site.read("feed.xml").encode()).find("channel")
    # The newest item's time, in the site's timezone; never the time of the build. An update
    # of an article too old to be in the feed does not change the feed.
    assert rss.findtext("lastBuildDate") == "Tue, 05 Mar 2024 09:30:00 +0100"
    first = feed_site.read("feed.xml")
    feed_site.build()
    assert feed_site.read("feed.xml") == first


def test_updating_an_item_moves_the_feed_date(feed_site):
    path = feed_site.root / "content/articles/a4.md"
    path.write_text(
        path.read_text("utf-8").replace("section:", "updated: 2024-03-20 16:45\nsection:"), "utf-8"
    )
    feed_site.build()
    rss = ET.fromstring(feed_site.read("feed.xml").encode()).find("channel")
    assert rss.findtext("lastBuildDate") == "Wed, 20 Mar 2024 16:45:00 +0100"
    atom = ET.fromstring(feed_site.read("atom.xml").encode())
    assert atom.findtext(f"{ATOM}updated") == "2024-03-20T16:45:00+01:00"


def test_entry_id_survives_edits(feed_site):
    before = feedparser.parse(feed_site.read("atom.xml")).entries[0].id
    path = feed_site.root / "content/articles/a5.md"
    path.write_text(
        path.read_text("utf-8")
        .replace("Manchet 5", "Ny manchet")
        .replace("Brødtekst 5", "Rettet tekst"),
        "utf-8",
    )
    feed_site.build()
    after = feedparser.parse(feed_site.read("atom.xml")).entries[0]
    assert after.id == before and after.summary == "Ny manchet"


def test_every_page_advertises_the_site_feed_and_section_pages_their_own(feed_site):
    for url in ("", "artikel/nyhed-nummer-1-om-koege/", "emne/koege/", "nyhedsbrev/", "404.html"):
        html = feed_site.read(url)
        assert (
            '<link rel="alternate" type="application/rss+xml" title="Testnyt (RSS)" href="https://testnyt.dk/feed.xml">'
            in html
        )
        assert 'type="application/atom+xml"' in html
    section = feed_site.read("sektion/drift/")
    assert 'href="https://testnyt.dk/sektion/drift/feed.xml"' in section
    assert 'href="https://testnyt.dk/sektion/drift/atom.xml"' in section
