"""Every URL and output path of the site comes from here, and nowhere else.

URLs are kept site-relative ("artikel/slug/") inside the generator; `href` adds the
base path for links and `absolute` the full base URL for feeds and canonical links.
"""

from __future__ import annotations

from generator.config import SiteConfig
from generator.model import Article, Month, Page, Taxon, Year

_KIND_PREFIX = {"section": "sektion", "tag": "emne", "author": "forfatter"}

# Named URLs of pages that exist once per site.
NAMED = {
    "front": "",
    "archive": "arkiv/",
    "sections": "sektioner/",
    "tags": "emner/",
    "authors": "forfattere/",
    "newsletter": "nyhedsbrev/",
    "newsletter_thanks": "nyhedsbrev/tak/",
    "newsletter_archive": "nyhedsbrev/arkiv/",
    "newsletter_signup": "nyhedsbrev/tilmeld",  # the builtin signup service answers these
    "newsletter_confirm": "nyhedsbrev/bekraeft",
    "newsletter_unsubscribe": "nyhedsbrev/afmeld",
    "newsletter_service_data": "nyhedsbrev/tjeneste.json",  # navigation for service pages
    "signup_script": "assets/signup.js",
    "not_found": "404.html",
    "rss": "feed.xml",
    "atom": "atom.xml",
    "json": "feed.json",
    "feed_style": "assets/feed.xsl",
    "stylesheet": "assets/kommunenyt.css",
    "favicon": "assets/favicon.svg",
    "icon_192": "assets/icon-192.png",
    "icon_512": "assets/icon-512.png",
    "icon_maskable": "assets/icon-maskable-512.png",
    "apple_touch_icon": "assets/apple-touch-icon.png",
    "search": "soeg/",
    "search_script": "assets/soeg.js",
    "search_index": "pagefind/shards.json",
    "sitemap": "sitemap.xml",
    "news_sitemap": "news-sitemap.xml",
    "robots": "robots.txt",
    "manifest": "manifest.webmanifest",
}
FEED_FILES = {"rss": "feed.xml", "atom": "atom.xml", "json": "feed.json"}


def paged(base: str, page: int) -> str:
    """Page 1 lives at the list's own URL, page n at …/side/n/."""
    return base if page <= 1 else f"{base}side/{page}/"


def url_of(target: object, page: int = 1) -> str:
    """The site-relative URL of a model object or a named page."""
    if isinstance(target, Article):
        return f"artikel/{target.slug}/"
    if isinstance(target, Page):
        return f"{target.slug}/"
    if isinstance(target, Taxon):
        return paged(f"{_KIND_PREFIX[target.kind]}/{target.slug}/", page)
    if isinstance(target, Year):
        return paged(f"arkiv/{target.year}/", page)
    if isinstance(target, Month):
        return paged(f"arkiv/{target.year}/{target.month:02d}/", page)
    if isinstance(target, str):
        if target not in NAMED:
            raise KeyError(f"no named URL {target!r}")
        return paged(NAMED[target], page)
    raise TypeError(f"no URL for {type(target).__name__}")


def taxon_feed_url(taxon: Taxon, kind: str) -> str:
    """Feeds of a section/tag/author: …/feed.xml (RSS), …/atom.xml (Atom), …/feed.json."""
    return url_of(taxon) + FEED_FILES[kind]


def newsletter_issue_url(issue_slug: str) -> str:
    """One sent newsletter in the archive: nyhedsbrev/arkiv/2021-06-18-ugebrev/."""
    return f"{NAMED['newsletter_archive']}{issue_slug}/"


class UnsafePath(ValueError):
    """A URL that would escape the output folder."""


def output_path(url: str) -> str:
    """The file a site-relative URL is written to (relative to the output folder, "/"
    between folders): pretty URLs end in index.html."""
    rel = url + "index.html" if url == "" or url.endswith("/") else url
    if rel.startswith("/") or "\\" in rel or any(p in ("..", ".", "") for p in rel.split("/")):
        raise UnsafePath(f"unsafe output path {url!r}")
    return rel


class Links:
    """Turns site-relative URLs into links for one configured base URL."""

    def __init__(self, config: SiteConfig):
        self.base_path = config.base_path
        self.base_url = config.base_url

    def href(self, target: object, page: int = 1) -> str:
        return self.base_path + (target if _is_raw(target) else url_of(target, page))

    def absolute(self, target: object, page: int = 1) -> str:
        return self.base_url + (target if _is_raw(target) else url_of(target, page))


def _is_raw(target: object) -> bool:
    return isinstance(target, str) and target not in NAMED
