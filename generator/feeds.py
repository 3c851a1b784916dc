"""RSS 2.0, Atom and JSON Feed 1.1 feeds.

Feed readers trust a feed whose ids never change, whose dates come from the content
(never from the clock), and whose links are absolute; that is what this module ensures.
RSS and Atom carry an `xml-stylesheet` instruction, so a person who opens a feed URL in a
browser sees a readable Danish page (assets/feed.xsl) while feed readers get plain XML.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from generator.config import SiteConfig
from generator.model import Article, Taxon
from generator.urls import Links

_LINK_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)(")')
_TAGS = re.compile(r"<[^>]+>")
_ARTICLE_ALIAS = re.compile(r"artikel/([^/]+)/")
SUMMARY_LENGTH = 300
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MEDIA_TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}


def original_slug(article: Article) -> str:
    """The slug the article was first published under.

    `aliases` lists old URLs oldest first, so the first old article URL is the original;
    keeping it in the feed id means a renamed article is not shown to readers again.
    """
    for alias in article.aliases:
        match = _ARTICLE_ALIAS.fullmatch(alias)
        if match:
            return match.group(1)
    return article.slug


def entry_id(config: SiteConfig, article: Article) -> str:
    """A tag: URI (RFC 4151) from the host, the first publication date and the first slug.

    Editing the title, body, `updated` or the slug keeps the id, so readers do not show
    the item twice.
    """
    host = urlsplit(config.base_url).hostname or "localhost"
    return f"tag:{host},{article.date:%Y-%m-%d}:{original_slug(article)}"


def absolutize(body_html: str, config: SiteConfig, page_url: str = "") -> str:
    """Make links absolute: feed readers have no page to resolve them against.

    Root-relative links get the site's origin; in-page links (#fn:1, footnotes) get the
    article's own absolute URL in front, when it is given.
    """
    return _absolutize(body_html, config.origin, page_url)


@functools.lru_cache(maxsize=512)  # an article is in ~6 feeds, each in 3 formats
def _absolutize(body_html: str, origin: str, page_url: str) -> str:
    if '="/' not in body_html and '="#' not in body_html:
        return body_html  # nothing to change (most bodies): spare the regex, ~5× slower

    def fix(match: re.Match[str]) -> str:
        value = match.group(2)
        if value.startswith("/") and not value.startswith("//"):
            value = origin + value
        elif value.startswith("#") and page_url:
            value = page_url + value
        return match.group(1) + value + match.group(3)

    return _LINK_ATTRIBUTE.sub(fix, body_html)


def summary_of(article: Article) -> str:
    """The lead, or the start of the body as plain text when there is no lead."""
    if article.lead:
        return article.lead
    text = " ".join(html.unescape(_TAGS.sub(" ", article.body_html)).split())
    return text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + " …"


def newest_change(articles: Sequence[Article]) -> dt.datetime:
    """When the feed last changed: the latest publication or update among its items."""
    return max((a.modified for a in articles), default=EPOCH)


def render_feed(
    kind: str,
    *,
    config: SiteConfig,
    links: Links,
    title: str,
    description: str,
    page_url: str,
    self_url: str,
    articles: Sequence[Article],
) -> bytes:
    """Render the newest `config.feed_items` of `articles` (newest first) as RSS, Atom or JSON."""
    items = list(articles[: config.feed_items])
    if kind == "json":
        return _json_feed(config, links, title, description, page_url, self_url, items)
    from feedgen.feed import FeedGenerator  # ≈ 14 ms with lxml: many rebuilds render no feed

    feed = FeedGenerator()
    if kind == "rss":
        feed.load_extension("dc", atom=False, rss=True)
    feed.id(links.absolute(page_url))
    feed.title(title)
    feed.subtitle(description or title)
    feed.language(config.language)
    feed.author({"name": config.publisher or config.title})
    feed.generator("kommunenyt")
    feed.updated(newest_change(items))
    # feedgen uses the last link added as the RSS channel <link>: self first, alternate last.
    feed.link(href=links.absolute(self_url), rel="self", type=MEDIA_TYPES[kind])
    feed.link(href=links.absolute(page_url), rel="alternate", type="text/html")
    for article in items:
        url = links.absolute(article)
        entry = feed.add_entry(order="append")
        entry.id(entry_id(config, article))
        entry.guid(entry_id(config, article), permalink=False)
        entry.title(article.title)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(article.date)
        entry.updated(article.modified)
        entry.description(summary_of(article), isSummary=True)
        entry.content(absolutize(article.body_html, config, url), type="html")
        names = [a.name for a in article.authors] or [config.publisher or config.title]
        if kind == "rss":
            # RSS allows one <author>, and only as an e-mail address: Dublin Core names them all.
            entry.dc.dc_creator(names)
        else:
            for author in article.authors or ():
                entry.author(
                    {"name": author.name, **({"email": author.email} if author.email else {})}
                )
            if not article.authors:
                entry.author({"name": names[0]})
        entry.category(term=article.section, label=article.section)
        for tag in article.tags:
            entry.category(term=tag, label=tag)
    data = feed.rss_str(pretty=True) if kind == "rss" else feed.atom_str(pretty=True)
    return with_stylesheet(data, links.href("feed_style"))


def with_stylesheet(xml: bytes, stylesheet_href: str) -> bytes:
    """Insert the xml-stylesheet instruction browsers use; feed readers ignore it."""
    declaration_end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    instruction = f'\n<?xml-stylesheet href="{html.escape(stylesheet_href)}" type="text/xsl"?>'
    return xml[:declaration_end] + instruction.encode("utf-8") + xml[declaration_end:]


def _json_feed(
    config: SiteConfig,
    links: Links,
    title: str,
    description: str,
    page_url: str,
    self_url: str,
    items: Sequence[Article],
) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": links.absolute(page_url),
        "feed_url": links.absolute(self_url),
        "description": description or title,
        "language": config.language,
        "icon": links.absolute("icon_512"),
        "favicon": links.absolute("icon_192"),
        "authors": [{"name": config.publisher or config.title}],
        "items": [_json_item(config, links, article) for article in items],
    }
    return (json.dumps(feed, ensure_ascii=False) + "\n").encode("utf-8")


def _json_item(config: SiteConfig, links: Links, article: Article) -> dict[str, object]:
    url = links.absolute(article)
    item: dict[str, object] = {
        "id": entry_id(config, article),
        "url": url,
        "title": article.title,
        "summary": summary_of(article),
        "content_html": absolutize(article.body_html, config, url),
        "date_published": article.date.isoformat(timespec="seconds"),
        "date_modified": article.modified.isoformat(timespec="seconds"),
        "tags": [article.section, *article.tags],
        "language": config.language,
    }
    if article.image:
        item["image"] = links.absolute(article.image)
    item["authors"] = [
        {"name": a.name, "url": links.absolute(Taxon("author", a.name, a.slug, ()))}
        for a in article.authors
    ] or [{"name": config.publisher or config.title}]
    return item
