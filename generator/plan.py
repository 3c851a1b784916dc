"""The build plan: one job per output file, with the data its template needs.

Planning is cheap and pure; it runs in full on every build. Two jobs that would write
the same file are an error naming both sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.config import SiteConfig
from generator.errors import Problem, SiteError
from generator.library import Library
from generator.model import Article, Taxon
from generator.urls import taxon_feed_url, url_of


@dataclass(frozen=True)
class Alternate:
    """A feed offered on a page through <link rel="alternate">."""

    title: str
    url: str
    type: str


@dataclass(frozen=True)
class Pagination:
    """One page of a paginated list; `target` is what `url(target, n)` links to."""

    target: object
    number: int
    count: int
    items: tuple[Article, ...]
    total: int

    @property
    def numbers(self) -> range:
        return range(1, self.count + 1)


@dataclass(frozen=True)
class PageJob:
    url: str
    template: str
    source: str  # what asked for this file, for collision messages
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedJob:
    url: str
    kind: str  # "rss" or "atom"
    title: str
    page_url: str
    articles: tuple[Article, ...]
    source: str
    description: str = ""


@dataclass(frozen=True)
class CopyJob:
    url: str
    path: Path
    source: str


Job = PageJob | FeedJob | CopyJob


def paginate(target: object, items: Sequence[Article], size: int) -> list[Pagination]:
    count = max(1, math.ceil(len(items) / size))
    return [
        Pagination(target, n, count, tuple(items[(n - 1) * size : n * size]), len(items))
        for n in range(1, count + 1)
    ]


def site_alternates(config: SiteConfig) -> list[Alternate]:
    return [
        Alternate(f"{config.title} (RSS)", url_of("rss"), "application/rss+xml"),
        Alternate(f"{config.title} (Atom)", url_of("atom"), "application/atom+xml"),
    ]


def taxon_alternates(config: SiteConfig, taxon: Taxon) -> list[Alternate]:
    return [
        Alternate(
            f"{config.title}: {taxon.name} (RSS)",
            taxon_feed_url(taxon, "rss"),
            "application/rss+xml",
        ),
        Alternate(
            f"{config.title}: {taxon.name} (Atom)",
            taxon_feed_url(taxon, "atom"),
            "application/atom+xml",
        ),
    ]


def plan_site(
    config: SiteConfig,
    library: Library,
    static_files: Sequence[tuple[str, Path]],
    asset_files: Sequence[tuple[str, Path]],
) -> list[Job]:
    """Every file of the site, in a stable order."""
    site_feeds = site_alternates(config)
    jobs: list[Job] = []

    def page(url: str, template: str, source: str, **context: Any) -> None:
        context.setdefault("feeds", site_feeds)
        jobs.append(
            PageJob(url, template, source, {"library": library, "page_url": url, **context})
        )

    for pagination in paginate("front", library.articles, config.page_size):
        page(url_of("front", pagination.number), "front.html", "front page", pagination=pagination)

    for article in library.articles:
        older, newer = library.neighbours[article.slug]
        section = library.section_of(article)
        page(
            url_of(article),
            "article.html",
            str(article.source),
            article=article,
            section=section,
            tags=library.tags_of(article),
            authors=library.authors_of(article),
            older=older,
            newer=newer,
            related=library.related[article.slug],
            feeds=site_feeds + taxon_alternates(config, section),
        )

    for kind, taxa in (
        ("section", library.sections),
        ("tag", library.tags),
        ("author", library.authors),
    ):
        for taxon in taxa:
            alternates = site_feeds + (taxon_alternates(config, taxon) if kind == "section" else [])
            for pagination in paginate(taxon, taxon.articles, config.page_size):
                page(
                    url_of(taxon, pagination.number),
                    "taxon.html",
                    f"{kind} {taxon.name!r}",
                    taxon=taxon,
                    pagination=pagination,
                    feeds=alternates,
                )
    page(url_of("sections"), "taxa.html", "sections index", kind="section", taxa=library.sections)
    page(url_of("tags"), "taxa.html", "tags index", kind="tag", taxa=library.tags)
    page(url_of("authors"), "taxa.html", "authors index", kind="author", taxa=library.authors)

    page(url_of("archive"), "archive.html", "archive", years=library.years)
    for year in library.years:
        page(url_of(year), "archive_year.html", f"archive {year.year}", year=year)
        for month in year.months:
            for pagination in paginate(month, month.articles, config.page_size):
                page(
                    url_of(month, pagination.number),
                    "archive_month.html",
                    f"archive {year.year}-{month.month:02d}",
                    month=month,
                    pagination=pagination,
                )

    for plain in library.pages:
        page(url_of(plain), "page.html", str(plain.source), page=plain)
    privacy = next((p for p in library.pages if p.slug == "privatlivspolitik"), None)
    page(
        url_of("newsletter"),
        "newsletter.html",
        "newsletter signup page",
        newsletter=config.newsletter,
        privacy_page=privacy,
    )
    page(url_of("newsletter_thanks"), "newsletter_thanks.html", "newsletter thank-you page")
    page(url_of("not_found"), "404.html", "404 page")

    for kind in ("rss", "atom"):
        jobs.append(
            FeedJob(
                url_of(kind),
                kind,
                config.title,
                url_of("front"),
                library.articles,
                "site feed",
                config.description,
            )
        )
        for section in library.sections:
            jobs.append(
                FeedJob(
                    taxon_feed_url(section, kind),
                    kind,
                    f"{config.title}: {section.name}",
                    url_of(section),
                    section.articles,
                    f"section {section.name!r} feed",
                    f"Nyheder om {section.name.lower()} fra {config.title}",
                )
            )

    jobs.extend(CopyJob(url, path, f"theme asset {url}") for url, path in asset_files)
    jobs.extend(CopyJob(url, path, str(path)) for url, path in static_files)
    check_unique_urls(jobs)
    return jobs


def check_unique_urls(jobs: Sequence[Job]) -> None:
    seen: dict[str, str] = {}
    problems = []
    for job in jobs:
        key = job.url if not job.url.endswith("/") and job.url else job.url + "index.html"
        if key in seen:
            problems.append(
                Problem(
                    job.source,
                    None,
                    f"writes /{key}, which {seen[key]} writes too",
                    "rename one of them (change its slug or file name)",
                )
            )
        else:
            seen[key] = job.source
    if problems:
        raise SiteError(problems)
