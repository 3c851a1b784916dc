"""From validated front matter and rendered bodies to the model: articles and pages.

The pieces of a build that `check`, the live preview and the newsletter digest share with
it: which articles are published, unique URLs, where links in Markdown may lead, a body
rendered with its broken links reported, one spelling per section and tag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from generator import sources
from generator.cache import BuildCache
from generator.config import SiteConfig
from generator.content import ArticleMeta, PageMeta, article_meta, page_meta
from generator.errors import Problem, ProblemList, SiteError
from generator.library import canonical_names
from generator.markdown_render import LinkContext, MarkdownRenderer, line_of
from generator.model import Article, Page
from generator.reader import discover, split_source
from generator.slugs import slugify
from generator.urls import Links


def read_sources(
    config: SiteConfig, authors: dict | None, problems: ProblemList
) -> tuple[list[ArticleMeta], list[PageMeta]]:
    """Read and validate every article and page; problems are collected, not raised."""
    articles, pages = [], []
    content = config.content_dir
    for path in discover(content / "articles", "**/*.md", config.site_dir, problems):
        source = split_source(path, config.site_dir, problems)
        meta = source and article_meta(source, config, authors, problems)
        if meta:
            articles.append(meta)
    for path in discover(content / "pages", "*.md", config.site_dir, problems):
        source = split_source(path, config.site_dir, problems)
        meta = source and page_meta(source, problems, config)
        if meta:
            pages.append(meta)
    return articles, pages


def is_published(meta: ArticleMeta, now: dt.datetime) -> bool:
    """Drafts never; future articles once a build runs after their date (scheduling)."""
    return not meta.draft and meta.date <= now


def check_unique_slugs(metas: list[ArticleMeta]) -> None:
    by_slug: dict[str, ArticleMeta] = {}
    problems = []
    for meta in metas:
        other = by_slug.get(meta.slug)
        if other is not None:
            problems.append(
                Problem(
                    meta.source.rel,
                    meta.source.line_of("slug")
                    if "slug" in meta.source.meta
                    else meta.source.line_of("title"),
                    f"this article gets the URL /artikel/{meta.slug}/, like {other.source.rel}",
                    "give one of them another title or a slug: of its own",
                )
            )
        else:
            by_slug[meta.slug] = meta
    if problems:
        raise SiteError(problems)


@dataclass(frozen=True)
class LinkTargets:
    """Where a link in Markdown may lead: other Markdown files and files in content/static/.

    Keys are paths relative to content/ ("articles/2021/navn.md", "static/fil.pdf").
    """

    content_dir: Path
    markdown: Mapping[str, str]  # .md path → href
    static: frozenset[str]  # static paths that exist
    base_path: str

    @classmethod
    def of(
        cls,
        config: SiteConfig,
        links: Links,
        metas: Iterable[ArticleMeta],
        page_metas: Iterable[PageMeta],
        statics: Iterable[tuple[str, Path]],
        rel_of: Callable[[Path], str] | None = None,  # a cache of content_rel
    ) -> LinkTargets:
        content_dir = config.content_dir  # a property: a new Path on every call
        rel_of = rel_of or (lambda path: content_rel(content_dir, path))
        targets: dict[str, str] = {}
        for meta in metas:
            targets[rel_of(meta.source.path)] = f"{links.base_path}artikel/{meta.slug}/"
        for page in page_metas:
            targets[rel_of(page.source.path)] = f"{links.base_path}{page.slug}/"
        statics = frozenset(url for url, _ in statics)
        return cls(config.content_dir, targets, statics, links.base_path)

    def markdown_href(self, rel: str) -> str | None:
        return self.markdown.get(rel)

    def static_href(self, rel: str) -> str | None:
        return self.base_path + rel if rel in self.static else None


LinkLookups = dict[tuple[str, str], "str | None"]  # (kind, path) → href; what a body linked to


def render_body(
    renderer: MarkdownRenderer,
    targets: LinkTargets,
    meta: ArticleMeta | PageMeta,
    problems: ProblemList,
    lookups: LinkLookups | None = None,
) -> str:
    """One article's or page's Markdown as HTML; broken links become problems.

    `lookups`, when given, records every link target the body asked about, so a cache can
    tell whether the body must be rendered again after other files were added or renamed.
    """
    source = meta.source

    def recorded(kind: str, find: Callable[[str], str | None]) -> Callable[[str], str | None]:
        if lookups is None:
            return find

        def look(rel: str) -> str | None:
            lookups[(kind, rel)] = href = find(rel)
            return href

        return look

    context = LinkContext(
        recorded("md", targets.markdown_href),
        recorded("static", targets.static_href),
        content_rel(targets.content_dir, source.path.parent),
        [],
    )
    html = renderer.render(source.body, context)
    for broken in context.broken:
        problems.add(
            source.rel,
            line_of(source.body, broken, source.body_line),
            f"the link {broken!r} leads nowhere",
            "check the file name; link to articles as ../2021/navn.md and to "
            "files as static/navn.pdf",
        )
    return html


@dataclass(frozen=True)
class CanonicalNames:
    """One spelling per section and tag slug across all articles ("KMD", not "kmd")."""

    sections: Mapping[str, str]
    tags: Mapping[str, str]

    @classmethod
    def of(cls, metas: Iterable[ArticleMeta]) -> CanonicalNames:
        metas = list(metas)
        return cls(
            canonical_names(m.section for m in metas),
            canonical_names(t for m in metas for t in m.tags),
        )


def make_article(meta: ArticleMeta, body_html: str, names: CanonicalNames) -> Article:
    return Article(
        source=meta.source.rel,
        title=meta.title,
        slug=meta.slug,
        date=meta.date,
        body_html=body_html,
        lead=meta.lead,
        section=names.sections[slugify(meta.section)],
        tags=tuple(names.tags[slugify(t)] for t in meta.tags),
        authors=meta.authors,
        updated=meta.updated,
        draft=meta.draft,
        image=meta.image,
        image_alt=meta.image_alt,
        extra=meta.extra,
        aliases=meta.aliases,
    )


def make_page(meta: PageMeta, body_html: str) -> Page:
    return Page(
        meta.source.rel, meta.title, meta.slug, body_html, meta.lead, meta.extra, meta.aliases
    )


def static_files(config: SiteConfig) -> list[tuple[str, Path]]:
    """content/static/** → static/**, copied as they are."""
    folder = config.content_dir / "static"
    problems = ProblemList()
    files = discover(folder, "**/*", config.site_dir, problems)
    problems.raise_if_errors()
    return [(f"static/{p.relative_to(folder).as_posix()}", p) for p in files]


def content_rel(content_dir: Path, path: Path) -> str:
    """`path` relative to content/, as the links in Markdown are written."""
    text, folder = str(path), f"{content_dir}/"
    if text.startswith(folder):  # the usual case, without pathlib's parsing
        return text[len(folder) :]
    rel = path.relative_to(content_dir).as_posix()
    return "" if rel == "." else rel


def render_all_bodies(
    config: SiteConfig,
    links: Links,
    shown: list[ArticleMeta],
    read: sources.ReadResult,
    cache: BuildCache,
    statics: Iterable[tuple[str, Path]],
    jobs: int | None,
    keep_in_memory: Callable[[ArticleMeta | PageMeta], bool],
    progress: Callable[[str, int, int], None] | None = None,
) -> tuple[sources.Bodies, list[Problem]]:
    """Every shown article's and page's body as HTML, through the cache (generator.sources),
    links resolved against the shown articles, pages and static files: for build and serve."""
    targets = LinkTargets.of(config, links, shown, read.pages, statics)
    renderer = MarkdownRenderer()
    metas = [*shown, *read.pages]

    def render(meta, found: ProblemList, lookups: LinkLookups) -> str:
        return render_body(renderer, targets, meta, found, lookups)

    def tick(done: int) -> None:
        if progress:
            progress("markdown", min(done, len(metas)), len(metas))

    return sources.render_bodies(
        metas,
        read,
        cache,
        render,
        {"md": targets.markdown_href, "static": targets.static_href},
        lambda meta: sources.reread(meta, config.site_dir),
        jobs,
        keep_in_memory,
        tick,
    )
