"""The site kept in memory, rebuilt after each change by redoing only what the change affects.

The live preview's engine. It runs the same phases as `build` (generator.build) and keeps
what each produced, keyed by its inputs:

- each source file's front matter and validated metadata, re-read only when the file
  changed (or authors.yaml or site.toml did);
- each body's HTML together with every link target it looked up, rendered again only
  when its text changed or one of those targets now resolves differently;
- each output file's bytes with the signature of its inputs (generator.deps), rendered
  again only when the signature changed.

The library and the plan are made anew on every rebuild (they are fast), except after a
save that changed only article bodies: then just those bodies and the pages and feeds
showing them are redone (generator.body_edits), the pages first so that an open tab can
reload before the feeds are done. A template or site.toml change starts from scratch. A
rebuild that fails keeps the last good site and records the problems, which the preview
server shows as an error page.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType

from generator.articles import (
    CanonicalNames,
    LinkLookups,
    LinkTargets,
    check_unique_slugs,
    content_rel,
    is_published,
    make_article,
    make_page,
    render_body,
    static_files,
)
from generator.body_edits import body_edits, take_body_edits
from generator.build import (
    CACHE_DIR,
    add_theme_helpers,
    check_banners,
    job_target,
    render_job,
    theme_assets,
)
from generator.changes import (
    ARTICLE,
    AUTHORS,
    CONFIG,
    PAGE,
    STATIC,
    TEMPLATE,
    Changes,
    RebuildResult,
)
from generator.config import SiteConfig, load_config
from generator.content import ArticleMeta, PageMeta, article_meta, load_authors, page_meta
from generator.deps import Signatures, library_uses, replace_articles
from generator.errors import Problem, ProblemList, SiteError
from generator.images import prepare_images
from generator.library import build_library
from generator.markdown_render import MarkdownRenderer
from generator.model import Article
from generator.parallel import parallel_map
from generator.plan import CopyJob, PageJob, plan_site
from generator.preview_start import start_from_cache
from generator.preview_state import (
    CheckedMeta,
    PreviewState,
    RenderedBody,
    SourceRead,
    article_key,
    forget_source,
)
from generator.reader import discover, split_source
from generator.render import make_environment
from generator.sources import reread
from generator.theme import template_texts
from generator.urls import Links

Progress = Callable[[str, int, int], None]
Announce = Callable[[int, frozenset[str]], None]  # (generation, output files changed so far)


class IncrementalSite:
    """A site built in memory; `rebuild(changes)` brings it up to date with the sources."""

    def __init__(
        self,
        site_dir: Path,
        *,
        include_drafts: bool = True,
        base_url: str | None = None,
        now: dt.datetime | None = None,
        progress: Progress | None = None,
        debug: bool = False,
    ):
        self.site_dir = site_dir.resolve()
        self.include_drafts = include_drafts
        self.base_url = base_url
        self.fixed_now = now
        self.progress = progress
        self.debug = debug
        self.outputs: Mapping[str, bytes] = MappingProxyType({})
        self.generation = 0
        self.error: SiteError | None = None
        self.warnings: list[Problem] = []
        self.articles = 0
        self.bodies_rendered_at_start = 0  # Markdown bodies the cache did not have
        self._early: Announce | None = None
        self._announced = False  # `early` was called in this rebuild
        self._state: PreviewState | None = None
        self._renderer = MarkdownRenderer()

    def rebuild(
        self, changes: Changes | None = None, early: Announce | None = None
    ) -> RebuildResult:
        """Bring the site up to date; problems are recorded in `error`, never raised.

        `early(generation, files)`: after an edit of article bodies alone, called as soon as
        the pages showing them are in `outputs`, before the feeds carrying them are rendered
        (an open tab can reload meanwhile). The rebuild's generation is bumped for it, not
        again at the end (one rebuild, one generation: the feeds change no page), and the
        result still lists every file changed.
        """
        changes = changes or Changes(everything=True)
        timings: dict[str, float] = {}
        self._early = early if self.error is None else None
        self._announced = False
        try:
            changed, rendered = self._rebuild(changes, timings)
        except SiteError as exc:
            self.error = exc
            self.generation += 1
            return RebuildResult(self.generation, frozenset(), exc, timings)
        except Exception as exc:  # a bug or an unreadable disk: report it, start afresh next time
            if self.debug:
                traceback.print_exc()
            self._state = None
            self.error = SiteError(
                Problem(
                    self.site_dir.name or str(self.site_dir),
                    None,
                    f"internal error while rebuilding: {type(exc).__name__}: {exc}",
                    "save again; if it persists, run kommunenyt serve --debug and report it",
                )
            )
            self.generation += 1
            return RebuildResult(self.generation, frozenset(), self.error, timings)
        self.error = None
        if not self._announced:  # else bumped when `early` was called
            self.generation += 1
        return RebuildResult(self.generation, changed, None, timings, rendered)

    # The phases, in the order build() runs them.

    def _rebuild(
        self, changes: Changes, timings: dict[str, float]
    ) -> tuple[frozenset[str] | None, int]:
        kinds = changes.kinds(self.site_dir)
        state = self._state
        if state is None or changes.everything or CONFIG in kinds:
            state = self._state = self._fresh_state()
            kinds = {}
        elif TEMPLATE in kinds:
            state.env = state.signatures = state.assets = None
            state.rendered = {}
        if STATIC in kinds:
            state.statics = state.images = state.assets = None

        if set(kinds) == {ARTICLE} and self.error is None:
            with _timed(timings, "body edit"):
                edited = self._body_edit(state, kinds[ARTICLE])
            if edited is not None:
                return edited
        started: list[Problem] = []
        if not state.reads:  # the first build, or after site.toml changed
            with _timed(timings, "cache"):
                started = self._start_from_cache(state)
        with _timed(timings, "read"):
            if AUTHORS in kinds or state.epoch == 0:
                problems = ProblemList()
                state.authors = load_authors(state.config, problems)
                state.author_problems = tuple(problems.items)
                state.epoch += 1
            self._read_sources(state, kinds)
            article_metas, page_metas = self._validate(state)
            self.warnings[:0] = started
        with _timed(timings, "select"):
            published = [
                m for m in article_metas if self.include_drafts or is_published(m, state.now)
            ]
            check_unique_slugs(published)
        with _timed(timings, "images"):
            if state.statics is None or state.images is None:
                state.statics = static_files(state.config)
                state.images = prepare_images(state.statics, self.site_dir / CACHE_DIR / "images")
                state.rendered = {}  # pages embed image sizes
        with _timed(timings, "markdown"):
            articles, pages = self._bodies(state, published, page_metas)
        with _timed(timings, "library"):
            bodies_only = self._bodies_only(state, kinds, articles, page_metas)
            if bodies_only is None:
                library = build_library(articles, pages)
        with _timed(timings, "plan"):
            if bodies_only is None:
                if state.assets is None:
                    state.assets = theme_assets(state.config)
                statics = [*state.statics, *state.images.files]
                jobs = plan_site(state.config, library, statics, state.assets)
                check_banners(state.config)
        with _timed(timings, "render"):
            if bodies_only is None:
                changed, rendered = self._render(state, jobs, articles)
                state.articles_in_plan, state.pages_in_plan = articles, page_metas
            else:
                changed, rendered = self._render_bodies_only(state, bodies_only)
                state.articles_in_plan = articles
        self.articles = len(articles)
        return changed, rendered

    def _body_edit(
        self, state: PreviewState, paths: Iterable[Path]
    ) -> tuple[frozenset[str], int] | None:
        """Only article bodies changed (generator.body_edits): render what shows them."""
        edits = body_edits(state, paths, self.site_dir, self._renderer)
        if edits is None:
            return None
        changed, plan = take_body_edits(state, edits)
        result = self._render_bodies_only(state, changed)
        state.articles_in_plan = plan  # after rendering: a failure leaves the edit pending
        return result

    def _start_from_cache(self, state: PreviewState) -> list[Problem]:
        """Read and render through the build cache, as `build` does (generator.preview_start);
        returns its warnings (a cache discarded or not saved)."""
        if state.statics is None or state.images is None:
            state.statics = static_files(state.config)
            state.images = prepare_images(state.statics, self.site_dir / CACHE_DIR / "images")
        first = self.generation == 0  # forking is safe before the server's threads start
        start = start_from_cache(
            state.config,
            state.links,
            state.now,
            self.include_drafts,
            state.statics,
            None if first else 1,
            self.progress,
        )
        state.authors, state.author_problems = start.authors, start.author_problems
        state.epoch = 1
        state.discovery_problems = start.other_problems
        for file in start.files:
            source = file.meta.source if file.meta is not None else None
            state.reads[file.path] = SourceRead(source, ())
            state.metas[file.path] = CheckedMeta(source, state.epoch, file.meta, file.problems)
            if file.body is not None and source is not None:
                text = None if file.unread else source.body
                body = file.body
                state.bodies[file.path] = RenderedBody(
                    text, body.lookups, body.html, body.problems, source
                )
        self.bodies_rendered_at_start = start.rendered
        return start.warnings

    def _fresh_state(self) -> PreviewState:
        config = load_config(self.site_dir)
        if self.base_url:
            config = config.with_base_url(self.base_url)
        now = self.fixed_now or dt.datetime.now(dt.UTC)
        return PreviewState(config, Links(config), now, epoch=0)

    def _read_sources(self, state: PreviewState, kinds: Mapping[str, set[Path]]) -> None:
        """Read new and changed Markdown files; find files again when some came or went."""
        changed = kinds.get(ARTICLE, set()) | kinds.get(PAGE, set())
        known = set(state.reads)
        if not known or any(p not in known for p in changed):  # new files, or whole folders
            problems = ProblemList()
            found = set(self._discover(state.config, problems))
            state.discovery_problems = tuple(problems.items)
            to_read = (changed & found) | (found - known)
            gone = known - found
        else:
            to_read = {p for p in changed if p in known and p.is_file()}
            gone = {p for p in changed if p in known} - to_read
        for path in gone:
            forget_source(state, path)
        for path in sorted(to_read):
            problems = ProblemList()
            try:
                source = split_source(path, self.site_dir, problems)
            except FileNotFoundError:  # deleted while we looked
                forget_source(state, path)
                continue
            state.reads[path] = SourceRead(source, tuple(problems.items))

    def _discover(self, config: SiteConfig, problems: ProblemList) -> Iterator[Path]:
        content = config.content_dir
        yield from discover(content / "articles", "**/*.md", config.site_dir, problems)
        yield from discover(content / "pages", "*.md", config.site_dir, problems)

    def _validate(self, state: PreviewState) -> tuple[list[ArticleMeta], list[PageMeta]]:
        """Front matter → metadata, for files whose source or authors changed."""
        pages_dir = state.config.content_dir / "pages"
        articles, pages = [], []
        errors = [*state.author_problems, *state.discovery_problems]
        for path in sorted(state.reads):
            read = state.reads[path]
            errors.extend(read.problems)
            cached = state.metas.get(path)
            if cached is None or cached.source is not read.source or cached.epoch != state.epoch:
                problems = ProblemList()
                meta = None
                if read.source is not None:
                    meta = (
                        page_meta(read.source, problems, state.config)
                        if path.parent == pages_dir
                        else article_meta(read.source, state.config, state.authors, problems)
                    )
                cached = CheckedMeta(read.source, state.epoch, meta, tuple(problems.items))
                state.metas[path] = cached
            errors.extend(cached.problems)
            if isinstance(cached.meta, PageMeta):
                pages.append(cached.meta)
            elif cached.meta is not None:
                articles.append(cached.meta)
        self.warnings = [p for p in errors if p.severity == "warning"]
        real = [p for p in errors if p.severity == "error"]
        if real:
            raise SiteError(real)
        return articles, pages

    def _bodies(
        self, state: PreviewState, metas: list[ArticleMeta], page_metas: list[PageMeta]
    ) -> tuple[list[Article], list]:
        assert state.statics is not None

        def rel_of(path: Path) -> str:
            rel = state.content_rels.get(path)
            if rel is None:
                rel = state.content_rels[path] = content_rel(state.config.content_dir, path)
            return rel

        targets = LinkTargets.of(
            state.config, state.links, metas, page_metas, state.statics, rel_of
        )
        lookup = {"md": targets.markdown_href, "static": targets.static_href}
        problems: list[Problem] = []

        def body(meta: ArticleMeta | PageMeta) -> str:
            path = meta.source.path
            cached = state.bodies.get(path)
            if (
                cached is None
                or (cached.source is not meta.source and cached.text != meta.source.body)
                or any(lookup[kind](rel) != href for (kind, rel), href in cached.lookups.items())
            ):
                found = ProblemList()
                lookups: LinkLookups = {}
                full = reread(meta, self.site_dir)  # metadata from the cache has no body
                html = render_body(self._renderer, targets, full, found, lookups)
                text = meta.source.body if full is meta else None
                cached = state.bodies[path] = RenderedBody(
                    text, lookups, html, tuple(found.items), meta.source
                )
            problems.extend(cached.problems)
            return cached.html

        names = CanonicalNames.of(metas)
        state.targets, state.names = targets, names  # for body edits (_body_edit)
        articles = []
        for index, meta in enumerate(metas, start=1):
            html = body(meta)
            key = article_key(meta, html, names)
            cached = state.articles.get(meta.source.path)
            if cached is None or cached[0] != key:
                cached = state.articles[meta.source.path] = (key, make_article(meta, html, names))
            articles.append(cached[1])
            if self.progress and index % 500 == 0:
                self.progress("markdown", index, len(metas))
        pages = [make_page(p, body(p)) for p in page_metas]
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise SiteError(errors)
        self.warnings.extend(p for p in problems if p.severity == "warning")
        return articles, pages

    def _bodies_only(
        self,
        state: PreviewState,
        kinds: Mapping[str, set[Path]],
        articles: list[Article],
        page_metas: list[PageMeta],
    ) -> dict[str, Article] | None:
        """The articles whose body alone changed, when nothing else did; else None.

        Then the library and the plan are as before, and only the pages and feeds that
        show those bodies need rendering.
        """
        old = state.articles_in_plan
        if (
            not state.jobs
            or state.env is None
            or state.signatures is None
            or set(kinds) - {ARTICLE}
            or len(old) != len(articles)
            or any(a is not b for a, b in zip(page_metas, state.pages_in_plan, strict=False))
            or len(page_metas) != len(state.pages_in_plan)
        ):
            return None
        changed = {}
        card = state.signatures.card
        for new, previous in zip(articles, old, strict=True):
            if new is not previous:
                if new.slug != previous.slug or card(new) != card(previous):
                    return None
                changed[new.slug] = new
        return changed

    def _render_bodies_only(
        self, state: PreviewState, changed: dict[str, Article]
    ) -> tuple[frozenset[str], int]:
        assert state.signatures is not None
        indexes = sorted({i for slug in changed for i in state.showing_body.get(slug, ())})
        # Pages before feeds, so that an open tab can reload before the feeds are done.
        indexes.sort(key=lambda index: not isinstance(state.jobs[index], PageJob))
        outputs = dict(self.outputs)
        touched = set()
        for index in indexes:
            if self._early and touched and not isinstance(state.jobs[index], PageJob):
                self.outputs = MappingProxyType(dict(outputs))
                self.generation += 1
                self._early(self.generation, frozenset(touched))
                self._early, self._announced = None, True
            job = state.jobs[index] = replace_articles(state.jobs[index], changed)
            target = job_target(job)
            data = render_job(job, state.env, state.config, state.links)
            state.rendered[target] = (state.signatures.job(job), data)
            if outputs.get(target) != data:
                outputs[target] = data
                touched.add(target)
        self.outputs = MappingProxyType(outputs)
        return frozenset(touched), len(indexes)

    def _render(
        self, state: PreviewState, jobs: list, articles: Iterable[Article]
    ) -> tuple[frozenset[str] | None, int]:
        """Render the jobs whose signature changed; swap in the new files all at once."""
        full = not state.rendered
        if state.env is None or state.signatures is None:
            assert state.images is not None
            env = make_environment(state.config, state.links, state.now)
            add_theme_helpers(env, state.config, state.links, state.images)
            state.env = env
            uses = library_uses(template_texts(state.config))
            state.signatures = Signatures(state.config.feed_items, uses)
            full = True
        signatures = state.signatures
        signatures.start(articles)
        targets = [job_target(job) for job in jobs]
        signed = [signatures.job(job) for job in jobs]
        pending = [
            index
            for index, (target, signature) in enumerate(zip(targets, signed, strict=True))
            if state.rendered.get(target, (None,))[0] != signature
        ]

        def render(index: int) -> bytes:
            job = jobs[index]
            if isinstance(job, CopyJob):
                return job.path.read_bytes()
            return render_job(job, state.env, state.config, state.links)

        def tick(done: int) -> None:
            if self.progress and full:
                self.progress("rendering", min(done, len(pending)), len(pending))

        # Forked workers only before the server's threads start: the first build.
        workers = None if self.generation == 0 else 1
        fresh = dict(zip(pending, parallel_map(render, pending, workers, tick), strict=True))
        outputs: dict[str, bytes] = {}
        rendered: dict[str, tuple[object, bytes]] = {}
        changed: set[str] = set()
        for index, (target, signature) in enumerate(zip(targets, signed, strict=True)):
            previous = state.rendered.get(target)
            if index in fresh:
                data = fresh[index]
                if previous is None or previous[1] != data:
                    changed.add(target)
            else:
                data = previous[1]
            outputs[target] = data
            rendered[target] = (signature, data)
        changed.update(self.outputs.keys() - outputs.keys())
        state.jobs = jobs
        state.showing_body = {}
        for index, job in enumerate(jobs):
            for slug in signatures.bodies_shown(job, state.config.feed_items):
                state.showing_body.setdefault(slug, []).append(index)
        count = sum(1 for t in rendered if state.rendered.get(t, (None,))[0] != rendered[t][0])
        state.rendered = rendered
        self.outputs = MappingProxyType(outputs)
        return (None if full else frozenset(changed)), count


@contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[phase] = time.perf_counter() - start
