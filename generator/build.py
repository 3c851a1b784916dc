"""The whole build on one screen: read → model → library → plan → render → write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from generator import sources
from generator.cache import BuildCache, CacheIndex, OutputRecord, code_version, digest
from generator.config import SiteConfig
from generator.content import ArticleMeta, PageMeta, article_meta, load_authors, page_meta
from generator.deps import Signatures, library_uses, with_bodies
from generator.errors import Problem, ProblemList, SiteError
from generator.feeds import render_feed
from generator.images import ImageSet, prepare_images, responsive_html, srcset
from generator.keys import (
    clock_key,
    clock_still_valid,
    clock_valid_until,
    front_matter_digests,
    inputs_key,
    meta_key,
    quick_key,
    settings_key,
)
from generator.library import Library, build_library, canonical_names
from generator.markdown_render import LinkContext, MarkdownRenderer, line_of
from generator.model import Article, Page
from generator.outputs import intact, write_outputs
from generator.plan import CopyJob, DataJob, FeedJob, Job, PageJob, plan_site
from generator.reader import discover, split_source
from generator.render import make_environment, render_template
from generator.search import SearchIndex, update_index
from generator.seo import article_ld, render_data, website_ld
from generator.slugs import slugify
from generator.sources import source_stats
from generator.theme import template_dirs, template_texts
from generator.urls import Links, UnsafePath, output_path, url_of
from generator.writer import MANIFEST, OutputWriter

Progress = Callable[[str, int, int], None]
CACHE_DIR = ".kommunenyt-cache"


@dataclass(frozen=True)
class BuildOptions:
    output_dir: Path
    include_drafts: bool = False  # drafts and future articles, marked, for previews
    now: dt.datetime | None = None  # the moment that decides what is published (tests pin it)
    search: bool = True  # build the Pagefind index (a quick preview may skip it)
    jobs: int | None = None  # processes for rendering; None: one per core
    cache: bool = True  # use and update SITE/.kommunenyt-cache/build (generator.cache)


@dataclass
class BuildReport:
    articles: int = 0
    pages: int = 0
    feeds: int = 0
    files: int = 0
    changed: int = 0  # files whose bytes changed
    rendered: int = 0  # files rendered (the others were reused from the last build)
    warnings: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


def build(
    config: SiteConfig, options: BuildOptions, progress: Progress | None = None
) -> BuildReport:
    """Build the site into options.output_dir; raise SiteError (output untouched) on any problem.

    With the cache (the default) only what changed since the last build is redone, and a
    build with nothing changed writes nothing; the output is always byte for byte what a
    build without the cache gives.
    """
    report = BuildReport()
    now = options.now or dt.datetime.now(dt.UTC)
    links = Links(config)
    cache = BuildCache(config.site_dir, code_version(), options.cache)

    with _timed(report, "read"):
        texts = template_texts(config)
        settings = settings_key(config, options.include_drafts, options.search, texts, now)
        cache.load(settings)
        report.warnings.extend(cache.warnings)
        checked_against = meta_key(config)
        last = cache.index.quick
        if (
            len(last) == 4
            and last[0]
            and clock_still_valid(last[1], now)
            and last[0] == quick_key(settings, checked_against, source_stats(config), config)
            and _output_intact(options.output_dir, cache.index)
        ):
            return _unchanged(report, cache.index)  # not a file read: all is as last time
        problems = ProblemList()
        authors = load_authors(config, problems)
        read = sources.read_sources(config, authors, problems, cache, checked_against, options.jobs)
        problems.raise_if_errors()
    with _timed(report, "select"):
        published = [m for m in read.articles if options.include_drafts or is_published(m, now)]
        check_unique_slugs(published)
        clock = clock_key(published, options.include_drafts, now)
        slugs = [m.slug for m in published]
        inputs = inputs_key(settings, checked_against, read.digests, slugs, clock, config)
        cards = inputs_key(
            settings,
            checked_against,
            front_matter_digests(read.digests, read.records),
            slugs,
            clock,
            config,
        )
    report.articles, report.pages = len(published), len(read.pages)
    quick = [
        quick_key(settings, checked_against, read.stats, config),
        clock_valid_until(read.articles, now),
        report.articles,
        report.pages,
    ]
    if inputs == cache.index.inputs_key and _output_intact(options.output_dir, cache.index):
        if cache.index.quick != quick:  # the next build may then skip reading too
            cache.save(dataclasses.replace(cache.index, sources=read.records, quick=quick))
        return _unchanged(report, cache.index)  # the output is already this build's output
    with _timed(report, "markdown"):
        articles, pages, bodies, warnings = _bodies(
            config, links, published, read, cache, options, progress
        )
        report.warnings.extend([*problems.warnings, *warnings])
    with _timed(report, "library"):
        library = build_library(articles, pages)
    with _timed(report, "images"):
        statics = static_files(config)
        images = prepare_images(statics, config.site_dir / CACHE_DIR / "images")
        report.warnings.extend(images.warnings)
    with _timed(report, "plan"):
        jobs = plan_site(config, library, [*statics, *images.files], theme_assets(config))
        check_banners(config)
        targets = [job_target(job) for job in jobs]
        reusable = _reusable_signatures(cards, cache.index, read.digests, library)
        signatures, sign = _signatures(
            jobs,
            targets,
            config,
            texts,
            bodies,
            library,
            clock,
            options.include_drafts,
            reusable,
            cache.index.outputs,
        )
    with OutputWriter(options.output_dir, config.site_dir, reuse_spare=options.cache) as writer:
        with _timed(report, "render+write"):
            env = make_environment(config, links, now)
            add_theme_helpers(env, config, links, images)
            paths = {a.slug: m.source.path for a, m in zip(articles, published, strict=True)}
            by_slug = {a.slug: a for a in library.articles}

            def render(job: Job) -> bytes:
                shown = Signatures.bodies_shown(job, config.feed_items)
                # Bodies kept in memory are in place already; only cached ones are fetched.
                fetched = {s: bodies.full(by_slug[s], paths[s]) for s in shown}
                fetched = {s: a for s, a in fetched.items() if a is not by_slug[s]}
                if fetched:
                    job = with_bodies(job, fetched)
                return render_job(job, env, config, links)

            written = write_outputs(
                jobs,
                targets,
                signatures,
                cache.index.outputs,
                writer,
                render,
                options.jobs,
                progress,
                sign,
            )
        records = written.records
        search = (cache.index.search_key, cache.index.search_files)
        if options.search:
            with _timed(report, "search"):
                searched = index_search(writer, records, library, cache.index)
                records.update(searched.records)
                search = (searched.key, searched.files)
        writer.commit()
    report.feeds = sum(isinstance(j, FeedJob) for j in jobs)
    report.files = len(records)
    report.changed = writer.changed
    report.rendered = written.rendered
    index = CacheIndex(settings, checked_against, read.records, records, *search)
    index = dataclasses.replace(index, inputs_key=inputs, cards_key=cards, quick=quick)
    cache.use_bodies(bodies.keys.values())
    cache.save(index)
    report.warnings.extend(w for w in cache.warnings if w not in report.warnings)
    return report


_FEED_SUFFIXES = ("feed.xml", "atom.xml", "feed.json")


def _unchanged(report: BuildReport, index: CacheIndex) -> BuildReport:
    """The report of a build that found its output already right: nothing written."""
    if len(index.quick) == 4:
        report.articles, report.pages = index.quick[2], index.quick[3]
    for record in index.sources.values():  # the sources' warnings, as a full build gives
        report.warnings.extend(
            p
            for p in (Problem(*fields) for fields in record.get("problems", ()))
            if p.severity == "warning"
        )
    report.files = len(index.outputs)
    report.feeds = sum(1 for t in index.outputs if t.endswith(_FEED_SUFFIXES))
    return report


def _output_intact(output_dir: Path, index: CacheIndex) -> bool:
    """The output folder holds exactly the files the last build wrote, untouched."""
    if not index.outputs or not (output_dir / MANIFEST).is_file():
        return False
    return all(intact(output_dir, target, record) for target, record in index.outputs.items())


def _bodies(
    config: SiteConfig,
    links: Links,
    published: list[ArticleMeta],
    read: sources.ReadResult,
    cache: BuildCache,
    options: BuildOptions,
    progress: Progress | None,
) -> tuple[list[Article], list[Page], sources.Bodies, list[Problem]]:
    """Every body as HTML (cached or rendered, in parallel) and the articles and pages."""
    targets = LinkTargets.of(config, links, published, read.pages, static_files(config))
    renderer = MarkdownRenderer()
    metas = [*published, *read.pages]

    def render(meta, found: ProblemList, lookups: LinkLookups) -> str:
        return render_body(renderer, targets, meta, found, lookups)

    def tick(done: int) -> None:
        if progress:
            progress("markdown", min(done, len(metas)), len(metas))

    bodies, problems = sources.render_bodies(
        metas,
        read,
        cache,
        render,
        {"md": targets.markdown_href, "static": targets.static_href},
        lambda meta: sources.reread(meta, config.site_dir),
        options.jobs,
        lambda meta: isinstance(meta, PageMeta) or not options.cache,
        tick,
    )
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SiteError(errors)
    names = CanonicalNames.of(published)
    articles = [make_article(m, bodies.html.get(m.source.path, ""), names) for m in published]
    pages = [make_page(p, bodies.html[p.source.path]) for p in read.pages]
    return articles, pages, bodies, [p for p in problems if p.severity == "warning"]


@dataclass(frozen=True)
class ReusableSignatures:
    """Only article bodies changed since the last build: its signatures still hold for
    every file that shows none of the changed bodies (see keys.front_matter_digests)."""

    previous: Mapping[str, OutputRecord]  # target → record of the last build
    changed_bodies: frozenset[str]  # slugs of the articles whose file changed


def _reusable_signatures(
    cards: str, index: CacheIndex, digests: Mapping[str, str], library: Library
) -> ReusableSignatures | None:
    if not index.outputs or cards != index.cards_key:
        return None
    changed = frozenset(
        a.slug
        for a in library.articles
        if index.sources.get(a.source.as_posix(), {}).get("digest")
        != digests.get(a.source.as_posix())
    )
    return ReusableSignatures(index.outputs, changed)


def _signatures(
    jobs: list[Job],
    targets: list[PurePosixPath],
    config: SiteConfig,
    texts: list[str],
    bodies: sources.Bodies,
    library: Library,
    clock: str,
    include_drafts: bool,
    reusable: ReusableSignatures | None,
    previous: Mapping[str, OutputRecord],
) -> tuple[list[str | None], Callable[[int], str]]:
    """Per job, a digest of everything its file is made from (generator.deps), and the
    function that computes one. With no previous build to compare with (a cold build) the
    list is all None: each signature is computed where its file is rendered, in parallel."""
    paths = {a.slug: config.site_dir / a.source for a in library.articles}

    def body_digest(article: Article) -> str:
        return bodies.digests[paths[article.slug]]

    signatures = Signatures(config.feed_items, library_uses(texts), body_digest)
    signatures.start(library.articles)

    def sign(index: int) -> str:
        job = jobs[index]
        # The clock decides the news sitemap, and in previews the "scheduled" badges.
        extra = clock if include_drafts or isinstance(job, DataJob) else ""
        return digest(repr((signatures.job(job), extra)))

    if not previous:
        return [None] * len(jobs), sign
    result: list[str | None] = []
    for index, (job, target) in enumerate(zip(jobs, targets, strict=True)):
        if reusable is not None and not isinstance(job, CopyJob):  # copies: by their stat
            old = reusable.previous.get(target.as_posix())
            shown = Signatures.bodies_shown(job, config.feed_items)
            if old is not None and not shown & reusable.changed_bodies:
                result.append(old.signature)
                continue
        result.append(sign(index))
    return result, sign


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


def render_bodies(
    config: SiteConfig,
    links: Links,
    metas: list[ArticleMeta],
    page_metas: list[PageMeta],
    problems: ProblemList,
) -> tuple[list[Article], list[Page]]:
    """Markdown → HTML for every article and page, resolving links between them."""
    targets = LinkTargets.of(config, links, metas, page_metas, static_files(config))
    renderer = MarkdownRenderer()
    names = CanonicalNames.of(metas)
    articles = [
        make_article(meta, render_body(renderer, targets, meta, problems), names) for meta in metas
    ]
    pages = [make_page(p, render_body(renderer, targets, p, problems)) for p in page_metas]
    return articles, pages


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
        rel_of = rel_of or (lambda path: content_rel(config.content_dir, path))
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


def theme_assets(config: SiteConfig) -> list[tuple[str, Path]]:
    """assets/** of the theme; a site's templates/assets/ file replaces the theme's."""
    chosen: dict[str, Path] = {}
    for folder in reversed(template_dirs(config.templates_dir)):
        assets = folder / "assets"
        if assets.is_dir():
            for path in sorted(assets.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    chosen[f"assets/{path.relative_to(assets).as_posix()}"] = path
    return sorted(chosen.items())


def check_banners(config: SiteConfig) -> None:
    problems = ProblemList()
    for banner in config.banners:
        if not (config.content_dir / banner.image).is_file():
            problems.add(
                "site.toml",
                None,
                f"the banner image {banner.image!r} does not exist",
                'put it in content/static/ and write image = "static/navn.png"',
            )
    problems.raise_if_errors()


def add_theme_helpers(env, config: SiteConfig, links: Links, images: ImageSet) -> None:
    """Template helpers for responsive images and structured data (JSON-LD)."""

    def image_urls(url: str | None) -> list[str]:
        image = images.get(url)
        return [links.absolute(image.largest().url)] if image else []

    env.globals.update(
        image=images.get,
        srcset=lambda variants: srcset(variants, links.href),
        article_ld=lambda article, authors: article_ld(
            config, links, article, authors, image_urls(article.image)
        ),
        website_ld=lambda: website_ld(config, links),
    )
    env.filters["responsive"] = lambda body: responsive_html(body, images, links.base_path)


def index_search(
    writer: OutputWriter, records: Mapping[str, OutputRecord], library: Library, last: CacheIndex
) -> SearchIndex:
    """Index the staged article pages with Pagefind, in shards by date (generator.search);
    a shard whose pages did not change since the last build is linked from it instead."""
    dates = {output_path(url_of(a)).as_posix(): a.date for a in library.articles}
    pages = {t: dates.get(t) for t, r in records.items() if r.indexed}
    return update_index(writer, pages, records, last.outputs, last.search_files)


def write_job(job: Job, writer: OutputWriter, env, config: SiteConfig, links: Links) -> None:
    target = job_target(job)
    if isinstance(job, CopyJob):
        writer.copy(target, job.path)
    else:
        writer.write(target, render_job(job, env, config, links))


def job_target(job: Job) -> PurePosixPath:
    """The output file of `job`; a URL that would leave the output folder is a SiteError."""
    try:
        return output_path(job.url)
    except UnsafePath as exc:
        raise SiteError(Problem(job.source, None, str(exc), "use a plain slug")) from None


def render_job(job: Job, env, config: SiteConfig, links: Links) -> bytes:
    """The bytes of a generated file (every job but CopyJob, whose file is copied as it is)."""
    if isinstance(job, PageJob):
        return render_template(env, job.template, job.context, config.site_dir).encode("utf-8")
    if isinstance(job, FeedJob):
        return render_feed(
            job.kind,
            config=config,
            links=links,
            title=job.title,
            description=job.description,
            page_url=job.page_url,
            self_url=job.url,
            articles=job.articles,
        )
    if isinstance(job, DataJob):
        return render_data(job, config, links, env.globals["now"])
    raise TypeError(f"no renderer for {type(job).__name__}")


def content_rel(content_dir: Path, path: Path) -> str:
    """`path` relative to content/, as the links in Markdown are written."""
    text, folder = str(path), f"{content_dir}/"
    if text.startswith(folder):  # the usual case, without pathlib's parsing
        return text[len(folder) :]
    rel = path.relative_to(content_dir).as_posix()
    return "" if rel == "." else rel


@contextmanager
def _timed(report: BuildReport, phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[phase] = time.perf_counter() - start
