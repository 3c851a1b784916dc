"""The whole build on one screen: read → model → library → plan → render → write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from generator import sources
from generator.articles import (
    CanonicalNames,
    check_unique_slugs,
    is_published,
    make_article,
    make_page,
    render_all_bodies,
    static_files,
)
from generator.cache import BuildCache, CacheIndex, OutputRecord, code_version
from generator.config import SiteConfig
from generator.content import ArticleMeta, PageMeta, load_authors
from generator.deps import Signatures, with_bodies
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
from generator.library import Library, build_library, related_slugs
from generator.model import Article, Page
from generator.outputs import write_outputs
from generator.plan import DataJob, FeedJob, Job, PageJob, plan_site
from generator.render import make_environment, render_template
from generator.reuse import job_signatures, output_intact, reusable_signatures
from generator.search import SearchIndex, update_index
from generator.seo import article_ld, render_data, website_ld
from generator.sources import SourceLook, look_for_sources
from generator.theme import template_dirs, template_texts
from generator.urls import Links, UnsafePath, output_path, url_of
from generator.writer import OutputWriter

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
    # The process exits right after the build (the `kommunenyt build` program): hand the
    # build's objects to the report instead of freeing them one by one on return, which
    # costs ≈ 80 ms at 10,000 articles for nothing (clang's -disable-free, for the same reason).
    keep_objects: bool = False


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
    kept: object = field(default=None, repr=False, compare=False)  # BuildOptions.keep_objects

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
        looked: SourceLook | None = None
        if len(last) == 4 and last[0] and clock_still_valid(last[1], now):
            looked = look_for_sources(config)
            if last[0] == quick_key(
                settings, checked_against, looked.stats(), config
            ) and output_intact(options.output_dir, cache.index):
                # not a file read: all as last time
                return _unchanged(report, cache.index, options, locals())
        problems = ProblemList()
        authors = load_authors(config, problems)
        read = sources.read_sources(
            config, authors, problems, cache, checked_against, options.jobs, looked
        )
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
    if inputs == cache.index.inputs_key and output_intact(options.output_dir, cache.index):
        if cache.index.quick != quick:  # the next build may then skip reading too
            cache.save(dataclasses.replace(cache.index, sources=read.records, quick=quick))
        # the output is already this build's output
        return _unchanged(report, cache.index, options, locals())
    with _timed(report, "markdown"):
        articles, pages, bodies, warnings = _bodies(
            config, links, published, read, cache, options, progress
        )
        report.warnings.extend([*problems.warnings, *warnings])
    with _timed(report, "library"):
        known = cache.index.related if cards == cache.index.cards_key else None
        library = build_library(articles, pages, known)
    with _timed(report, "images"):
        statics = static_files(config)
        images = prepare_images(statics, config.site_dir / CACHE_DIR / "images")
        report.warnings.extend(images.warnings)
    with _timed(report, "plan"):
        jobs = plan_site(config, library, [*statics, *images.files], theme_assets(config))
        check_banners(config)
        targets = [job_target(job) for job in jobs]
        reusable = reusable_signatures(cards, cache.index, read.digests, library)
        signatures, sign = job_signatures(
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
            env = make_environment(config, links, now, _compiled_templates(config, options))
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
    index = dataclasses.replace(
        index, inputs_key=inputs, cards_key=cards, quick=quick, related=related_slugs(library)
    )
    cache.use_bodies(bodies.keys.values())
    cache.save(index)
    report.warnings.extend(w for w in cache.warnings if w not in report.warnings)
    if options.keep_objects:
        report.kept = dict(locals())
    return report


_FEED_SUFFIXES = ("feed.xml", "atom.xml", "feed.json")


def _unchanged(
    report: BuildReport, index: CacheIndex, options: BuildOptions, held: dict
) -> BuildReport:
    """The report of a build that found its output already right: nothing written."""
    if options.keep_objects:
        report.kept = dict(held)
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
    bodies, problems = render_all_bodies(
        config,
        links,
        published,
        read,
        cache,
        static_files(config),
        options.jobs,
        lambda meta: isinstance(meta, PageMeta) or not options.cache,
        progress,
    )
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise SiteError(errors)
    names = CanonicalNames.of(published)
    articles = [make_article(m, bodies.html.get(m.source.path, ""), names) for m in published]
    pages = [make_page(p, bodies.html[p.source.path]) for p in read.pages]
    return articles, pages, bodies, [p for p in problems if p.severity == "warning"]


def _compiled_templates(config: SiteConfig, options: BuildOptions) -> Path | None:
    """Where Jinja keeps compiled templates (≈ 40 ms of a one-edit rebuild to compile them
    again). Jinja keys them by each template's source only, so the folder is named by the
    generator's code, whose environment settings the compiled code depends on; the folders
    of other versions go."""
    if not options.cache:
        return None
    parent = config.site_dir / CACHE_DIR / "templates"
    folder = parent / code_version().replace("+", "-")
    if not folder.is_dir():
        try:
            if parent.is_dir():
                for old in parent.iterdir():
                    shutil.rmtree(old, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:  # a cache that cannot be written: compile every time
            return None
    return folder


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
    dates = {output_path(url_of(a)): a.date for a in library.articles}
    pages = {t: dates.get(t) for t, r in records.items() if r.indexed}
    return update_index(writer, pages, records, last.outputs, last.search_files)


def job_target(job: Job) -> str:
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


@contextmanager
def _timed(report: BuildReport, phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        report.timings[phase] = time.perf_counter() - start
