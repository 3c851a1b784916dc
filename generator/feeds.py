"""RSS 2.0 and Atom feeds made with feedgen.

Feed readers trust a feed whose ids never change, whose dates come from the content
(never from the clock), and whose links are absolute; that is what this module ensures.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator

from generator.config import SiteConfig
from generator.model import Article
from generator.urls import Links

_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
_TAGS = re.compile(r"<[^>]+>")
SUMMARY_LENGTH = 300
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def entry_id(config: SiteConfig, article: Article) -> str:
    """A tag: URI (RFC 4151) from the host, the first publication date and the slug.

    Editing the title, body or `updated` keeps the id, so readers do not show it twice.
    """
    host = urlsplit(config.base_url).hostname or "localhost"
    return f"tag:{host},{article.date:%Y-%m-%d}:{article.slug}"


def absolutize(body_html: str, config: SiteConfig) -> str:
    """Make root-relative links absolute: feed readers have no page to resolve them against."""
    return _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{config.origin}/", body_html)


def summary_of(article: Article) -> str:
    """The lead, or the start of the body as plain text when there is no lead."""
    if article.lead:
        return article.lead
    text = " ".join(html.unescape(_TAGS.sub(" ", article.body_html)).split())
    return text if len(text) <= SUMMARY_LENGTH else text[:SUMMARY_LENGTH].rsplit(" ", 1)[0] + " …"


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
    """Render the newest `config.feed_items` of `articles` (newest first) as RSS or Atom."""
    items = list(articles[: config.feed_items])
    newest = max((a.modified for a in items), default=EPOCH)
    feed = FeedGenerator()
    feed.id(links.absolute(page_url))
    feed.title(title)
    feed.subtitle(description or title)
    feed.language(config.language)
    feed.author({"name": config.publisher or config.title})
    feed.generator("kommunenyt")
    feed.updated(newest)
    # feedgen uses the last link added as the RSS channel <link>: self first, alternate last.
    feed.link(
        href=links.absolute(self_url),
        rel="self",
        type="application/rss+xml" if kind == "rss" else "application/atom+xml",
    )
    feed.link(href=links.absolute(page_url), rel="alternate", type="text/html")
    for article in items:
        entry = feed.add_entry(order="append")
        entry.id(entry_id(config, article))
        entry.guid(entry_id(config, article), permalink=False)
        entry.title(article.title)
        entry.link(href=links.absolute(article), rel="alternate", type="text/html")
        entry.published(article.date)
        entry.updated(article.modified)
        entry.description(summary_of(article), isSummary=True)
        entry.content(absolutize(article.body_html, config), type="html")
        for author in article.authors:
            entry.author({"name": author.name, **({"email": author.email} if author.email else {})})
        if not article.authors:
            entry.author({"name": config.publisher or config.title})
        entry.category(term=article.section, label=article.section)
        for tag in article.tags:
            entry.category(term=tag, label=tag)
    if kind == "rss":
        return feed.rss_str(pretty=True)
    return feed.atom_str(pretty=True)
