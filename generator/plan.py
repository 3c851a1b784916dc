"""The build plan: one job per output file, with the data its template needs.

Planning is cheap and pure; it runs in full on every build. Two jobs that would write
the same file are an error naming both sources.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.config import SiteConfig
from generator.errors import Problem, SiteError
from generator.feeds import MEDIA_TYPES, newest_change
from generator.library import Library
from generator.model import Article, Taxon, Year
from generator.newsletter.archive import read_issues
from generator.newsletter.form import signup_form
from generator.newsletter.pages import service_data
from generator.urls import taxon_feed_url, url_of

SITEMAP_LIMIT = 50_000  # URLs per sitemap file (sitemaps.org)
FEED_KINDS = (("rss", "RSS"), ("atom", "Atom"), ("json", "JSON Feed"))


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
    kind: str  # "rss", "atom" or "json"
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


@dataclass(frozen=True)
class DataJob:
    """A machine-read file made by generator.seo: sitemap, news sitemap, robots.txt, manifest."""

    url: str
    kind: str  # "sitemap", "news_sitemap", "robots" or "manifest"
    source: str
    context: Mapping[str, Any] = field(default_factory=dict)


Job = PageJob | FeedJob | CopyJob | DataJob


def paginate(target: object, items: Sequence[Article], size: int) -> list[Pagination]:
    count = max(1, math.ceil(len(items) / size))
    return [
        Pagination(target, n, count, tuple(items[(n - 1) * size : n * size]), len(items))
        for n in range(1, count + 1)
    ]


def site_alternates(config: SiteConfig) -> list[Alternate]:
    return [
        Alternate(f"{config.title} ({label})", url_of(kind), MEDIA_TYPES[kind])
        for kind, label in FEED_KINDS
    ]


def taxon_alternates(config: SiteConfig, taxon: Taxon) -> list[Alternate]:
    return [
        Alternate(
            f"{config.title}: {taxon.name} ({label})",
            taxon_feed_url(taxon, kind),
            MEDIA_TYPES[kind],
        )
        for kind, label in FEED_KINDS
    ]


def taxon_feed_description(config: SiteConfig, taxon: Taxon) -> str:
    if taxon.kind == "author":
        return f"Artikler af {taxon.name} fra {config.title}"
    if taxon.kind == "tag":
        return f"Artikler om emnet {taxon.name} fra {config.title}"
    return f"Nyheder om {taxon.name.lower()} fra {config.title}"


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

    alternates_of: dict[str, list[Alternate]] = {}

    def section_feeds(section: Taxon) -> list[Alternate]:
        """One list per section, shared by its articles (and signed once, generator.deps)."""
        if section.slug not in alternates_of:
            alternates_of[section.slug] = taxon_alternates(config, section) + site_feeds
        return alternates_of[section.slug]

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
            feeds=section_feeds(section),
        )

    for kind, taxa in (
        ("section", library.sections),
        ("tag", library.tags),
        ("author", library.authors),
    ):
        for taxon in taxa:
            alternates = taxon_alternates(config, taxon) + site_feeds
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
    # Newsletter: the signup form as the provider expects it, the archive of sent issues,
    # and the navigation the builtin signup service renders its own pages with.
    issues = read_issues(config, library.articles)
    page(
        url_of("newsletter"),
        "newsletter.html",
        "newsletter signup page",
        newsletter=config.newsletter,
        form=signup_form(config),
        privacy_page=privacy,
    )
    page(
        url_of("newsletter_archive"), "newsletter/archive.html", "newsletter archive", issues=issues
    )
    for issue in issues:
        page(issue.url, "newsletter/issue.html", issue.source, issue=issue)
    if config.newsletter.provider == "builtin":
        page(
            url_of("newsletter_service_data"),
            "newsletter/service.json",
            "signup service navigation",
            data=service_data(library),
            noindex=True,
        )
    page(
        url_of("newsletter_thanks"),
        "newsletter_thanks.html",
        "newsletter thank-you page",
        noindex=True,
    )
    page(url_of("not_found"), "404.html", "404 page", noindex=True)
    page(url_of("search"), "search.html", "search page", noindex=True)
    page(url_of("feed_style"), "feed.xsl", "feed stylesheet", noindex=True)
    for target in (*library.articles, *library.pages):
        for alias in target.aliases:
            page(alias, "redirect.html", f"{target.source} (aliases)", target=target, noindex=True)

    for kind, _ in FEED_KINDS:
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
        for taxon in (*library.sections, *library.tags, *library.authors):
            jobs.append(
                FeedJob(
                    taxon_feed_url(taxon, kind),
                    kind,
                    f"{config.title}: {taxon.name}",
                    url_of(taxon),
                    taxon.articles,
                    f"{taxon.kind} {taxon.name!r} feed",
                    taxon_feed_description(config, taxon),
                )
            )
    jobs.extend(seo_jobs(config, library, jobs))

    jobs.extend(CopyJob(url, path, f"theme asset {url}") for url, path in asset_files)
    jobs.extend(CopyJob(url, path, str(path)) for url, path in static_files)
    check_unique_urls(jobs)
    return jobs


def lastmod(
    context: Mapping[str, Any],
    newest: Callable[[Sequence[Article]], dt.datetime] = newest_change,
) -> dt.datetime | None:
    """When a page's content last changed, from the articles it shows; None if undated."""
    article = context.get("article")
    if isinstance(article, Article):
        return article.modified
    pagination = context.get("pagination")
    if isinstance(pagination, Pagination) and pagination.items:
        return newest_change(pagination.items)  # a page's ten: not worth remembering
    year = context.get("year")
    if isinstance(year, Year):
        return newest(year.articles)
    years = context.get("years")
    if years:
        return max(newest(y.articles) for y in years)
    taxa = context.get("taxa")
    if taxa:
        return max(newest(t.articles) for t in taxa)
    return None


def seo_jobs(config: SiteConfig, library: Library, jobs: Sequence[Job]) -> list[DataJob]:
    """Sitemaps of every indexable page, robots.txt and the web app manifest."""
    # (URL, last change) only: the contexts themselves would make the job's signature
    # (generator.deps) encode every page of the site
    known: dict[int, dt.datetime] = {}  # by the identity of a year's or taxon's list,
    # which the library holds for as long as this runs

    def newest(articles: Sequence[Article]) -> dt.datetime:
        """newest_change, once per list: every overview page walks all sections or tags."""
        found = known.get(id(articles))
        if found is None:
            found = known[id(articles)] = newest_change(articles)
        return found

    pages = [
        (job.url, lastmod(job.context, newest))
        for job in jobs
        if isinstance(job, PageJob) and not job.context.get("noindex")
    ]
    if len(pages) <= SITEMAP_LIMIT:
        sitemaps = [DataJob(url_of("sitemap"), "sitemap", "sitemap", {"pages": pages})]
    else:  # the protocol's limit: split, and make sitemap.xml an index of the parts
        chunks = [pages[i : i + SITEMAP_LIMIT] for i in range(0, len(pages), SITEMAP_LIMIT)]
        sitemaps = [
            DataJob(f"sitemap-{n}.xml", "sitemap", f"sitemap part {n}", {"pages": chunk})
            for n, chunk in enumerate(chunks, start=1)
        ]
        index = [(job.url, None) for job in sitemaps]
        sitemaps.append(DataJob(url_of("sitemap"), "sitemap_index", "sitemap", {"sitemaps": index}))
    return [
        *sitemaps,
        DataJob(
            url_of("news_sitemap"), "news_sitemap", "news sitemap", {"articles": library.articles}
        ),
        DataJob(url_of("robots"), "robots", "robots.txt"),
        DataJob(url_of("manifest"), "manifest", "web app manifest"),
    ]


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
