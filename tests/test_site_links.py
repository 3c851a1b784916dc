"""The sample site as a whole: every internal link resolves, every page is reachable."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BASE = "http://127.0.0.1/"


class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src"}
        wanted = names.get(tag)
        for name, value in attrs:
            if value and (name == wanted or (name == "srcset" and tag in ("img", "source"))):
                if name == "srcset":
                    self.links.extend(part.strip().split(" ")[0] for part in value.split(","))
                else:
                    self.links.append(value)


def file_for(output: Path, url: str) -> Path | None:
    """The output file behind an internal URL, or None for external URLs."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != "127.0.0.1":
        return None
    path = parts.path.lstrip("/")
    return output / (path + "index.html" if path == "" or path.endswith("/") else path)


def links_of(output: Path, page: Path) -> list[str]:
    collector = LinkCollector()
    collector.feed(page.read_text("utf-8"))
    rel = page.relative_to(output).as_posix()
    page_url = urljoin(BASE, rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return [urljoin(page_url, link) for link in collector.links]


def test_every_internal_link_resolves_to_a_file(sample_site):
    output = sample_site.output
    broken = []
    for page in output.rglob("*.html"):
        for url in links_of(output, page):
            target = file_for(output, url)
            if target is not None and not target.is_file():
                broken.append((page.relative_to(output).as_posix(), url))
    assert broken == []


def test_every_page_and_feed_is_linked_from_somewhere(sample_site):
    output = sample_site.output
    seen: set[Path] = set()
    queue = [output / "index.html"]
    while queue:
        page = queue.pop()
        if page in seen:
            continue
        seen.add(page)
        if page.suffix != ".html":
            continue
        for url in links_of(output, page):
            target = file_for(output, url.split("#")[0])
            if target is not None and target.is_file() and target not in seen:
                queue.append(target)
    generated = {p for p in output.rglob("*") if p.suffix in (".html", ".xml")}
    unreachable = sorted(p.relative_to(output).as_posix() for p in generated - seen)
    # The 404 page is served for missing URLs and the thank-you page is where the signup
    # form leads; neither is a link target. Search engines find the sitemaps in robots.txt.
    unreachable = [u for u in unreachable if u not in ("sitemap.xml", "news-sitemap.xml")]
    assert unreachable == ["404.html", "nyhedsbrev/tak/index.html"]


def test_sample_site_covers_the_features(sample_site):
    output = sample_site.output
    articles = list((output / "artikel").glob("*/index.html"))
    assert len(articles) >= 12
    html = "\n".join(p.read_text("utf-8") for p in articles)
    assert html.count('class="replik"') >= 4
    assert 'class="tabel"' in html and 'class="footnote"' in html and "<blockquote>" in html
    assert "Opdateret" in html and 'class="article__image"' in html
    assert len(list((output / "sektion").glob("*/index.html"))) >= 5
    for page in ("om", "privatlivspolitik", "tilgaengelighed"):
        assert (output / page / "index.html").is_file()
    # The sample draft is not published.
    assert not (output / "artikel/koege-overvejer-at-hjemtage-it-supporten").exists()


def test_pretty_urls_and_danish_language_on_every_page(sample_site):
    for page in sample_site.output.rglob("*.html"):
        text = page.read_text("utf-8")
        assert text.startswith('<!doctype html>\n<html lang="da">'), page
        if page.name != "404.html":
            assert page.name == "index.html", page
