"""What search engines and apps read: JSON-LD, sitemaps, robots.txt and the web app manifest.

Everything here is a pure function of the content and the build's `now`, so two builds
of the same content give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup

from generator.config import SiteConfig
from generator.feeds import summary_of
from generator.model import Article, Taxon
from generator.plan import DataJob
from generator.urls import Links


def escape(text: str) -> str:
    """Text for XML: &, < and > escaped, as xml.sax.saxutils.escape does (whose import pulls
    in urllib and http.client: ≈ 17 ms of every build)."""
    return html.escape(text, quote=False)


NEWS_WINDOW = dt.timedelta(days=2)  # Google News sitemaps list the last two days' articles
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
THEME_COLOUR = "#0b3d62"
BACKGROUND_COLOUR = "#ffffff"


def json_ld(data: Mapping[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> block, safe against `</script>`."""
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def publisher(config: SiteConfig, links: Links) -> dict[str, Any]:
    return {
        "@type": "NewsMediaOrganization",
        "name": config.publisher or config.title,
        "url": links.absolute("front"),
        "logo": {
            "@type": "ImageObject",
            "url": links.absolute("icon_512"),
            "width": 512,
            "height": 512,
        },
        **({"email": config.contact_email} if config.contact_email else {}),
    }


def article_ld(
    config: SiteConfig,
    links: Links,
    article: Article,
    authors: Sequence[Taxon],
    image_urls: Sequence[str] = (),
) -> Markup:
    """schema.org NewsArticle with the properties Google lists as required or recommended."""
    url = links.absolute(article)
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.title[:110],
        "description": summary_of(article),
        "inLanguage": config.language,
        "datePublished": article.date.isoformat(timespec="seconds"),
        "dateModified": article.modified.isoformat(timespec="seconds"),
        "articleSection": article.section,
        "isAccessibleForFree": True,
        "publisher": publisher(config, links),
    }
    if article.tags:
        data["keywords"] = list(article.tags)
    if image_urls:
        data["image"] = list(image_urls)
    data["author"] = [
        {"@type": "Person", "name": taxon.name, "url": links.absolute(taxon)} for taxon in authors
    ] or [publisher(config, links)]
    return json_ld(data)


def website_ld(config: SiteConfig, links: Links) -> Markup:
    """The WebSite with its search, for the front page."""
    return json_ld(
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": config.title,
            "url": links.absolute("front"),
            "inLanguage": config.language,
            **({"description": config.description} if config.description else {}),
            "publisher": publisher(config, links),
            "potentialAction": {
                "@type": "SearchAction",
                "target": {
                    "@type": "EntryPoint",
                    "urlTemplate": links.absolute("search") + "?q={search_term_string}",
                },
                "query-input": "required name=search_term_string",
            },
        }
    )


def render_data(job: DataJob, config: SiteConfig, links: Links, now: dt.datetime) -> bytes:
    """The bytes of a DataJob."""
    if job.kind == "sitemap":
        return sitemap(job.context["pages"], links)
    if job.kind == "sitemap_index":
        return sitemap_index(job.context["sitemaps"], links)
    if job.kind == "news_sitemap":
        return news_sitemap(config, links, job.context["articles"], now)
    if job.kind == "robots":
        return robots_txt(links, job.context.get("sitemaps", ("sitemap", "news_sitemap")))
    if job.kind == "manifest":
        return manifest(config, links)
    raise ValueError(f"unknown data job kind {job.kind!r}")


def sitemap(pages: Sequence[tuple[str, dt.datetime | None]], links: Links) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for url, changed in pages:
        lines.append(f"<url><loc>{escape(links.absolute(url))}</loc>")
        if changed:
            lines.append(f"<lastmod>{_w3c(changed)}</lastmod>")
        lines.append("</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def sitemap_index(sitemaps: Sequence[tuple[str, dt.datetime | None]], links: Links) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for url, changed in sitemaps:
        lines.append(f"<sitemap><loc>{escape(links.absolute(url))}</loc>")
        if changed:
            lines.append(f"<lastmod>{_w3c(changed)}</lastmod>")
        lines.append("</sitemap>")
    lines.append("</sitemapindex>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def news_articles(articles: Sequence[Article], now: dt.datetime) -> list[Article]:
    """Articles published in the two days up to the build's `now` (never the wall clock)."""
    return [a for a in articles if now - NEWS_WINDOW <= a.date <= now and not a.draft]


def news_sitemap(
    config: SiteConfig, links: Links, articles: Sequence[Article], now: dt.datetime
) -> bytes:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:news="{NEWS_NS}">',
    ]
    name = escape(config.publisher or config.title)
    for article in news_articles(articles, now):
        lines += [
            f"<url><loc>{escape(links.absolute(article))}</loc>",
            "<news:news><news:publication>",
            f"<news:name>{name}</news:name><news:language>{config.language}</news:language>",
            "</news:publication>",
            f"<news:publication_date>{_w3c(article.date)}</news:publication_date>",
            f"<news:title>{escape(article.title)}</news:title>",
            "</news:news></url>",
        ]
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def robots_txt(links: Links, sitemaps: Sequence[str]) -> bytes:
    lines = ["User-agent: *", "Allow: /", ""]
    lines += [f"Sitemap: {links.absolute(name)}" for name in sitemaps]
    return ("\n".join(lines) + "\n").encode("utf-8")


def manifest(config: SiteConfig, links: Links) -> bytes:
    """The web app manifest: name, colours and icons for "add to home screen"."""
    data = {
        "name": config.title,
        "short_name": config.title[:12],
        "description": config.description or config.title,
        "lang": config.language,
        "dir": "ltr",
        "start_url": links.href("front"),
        "scope": links.href("front"),
        "display": "browser",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": links.href("icon_192"), "sizes": "192x192", "type": "image/png"},
            {"src": links.href("icon_512"), "sizes": "512x512", "type": "image/png"},
            {
                "src": links.href("icon_maskable"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": links.href("favicon"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")


def _w3c(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")
