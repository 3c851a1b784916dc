"""The live preview's first build starts from the persistent build cache, like `build` does.

`kommunenyt serve` reads front matter and Markdown bodies through the same cache and the
same functions as `kommunenyt build` (generator.sources): a file unchanged since the last
run is not parsed again, a body whose text and link targets are unchanged is not rendered
again, and the bodies that are missing are rendered in parallel. What it rendered is saved,
so the next preview or build starts warm.

A preview's settings differ from a build's (drafts shown, its own base_url), so the cache
index drops a build's front matter for it (aliases are read relative to base_url). Bodies
do not depend on the settings: they are keyed by the file's place and content and checked
against every link target they looked up. So the preview takes the bodies recorded for
files whose content is unchanged from the index as it was read, whoever wrote it.

Saving never costs a build its reuse: an index holding a build's output records is kept as
it is, and only gains the bodies it lacked (drafts, say) for files whose content it knows.
Otherwise the preview writes an index of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator import sources
from generator.articles import is_published, render_all_bodies
from generator.cache import BuildCache, CacheIndex, code_version
from generator.config import SiteConfig
from generator.content import ArticleMeta, PageMeta, load_authors
from generator.errors import Problem, ProblemList
from generator.keys import meta_key, settings_key
from generator.model import Author
from generator.theme import template_texts
from generator.urls import Links

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StartedBody:
    html: str
    lookups: dict[tuple[str, str], str | None]
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class StartedFile:
    """One source file as the first build found it."""

    path: Path
    meta: ArticleMeta | PageMeta | None  # None: it has errors (in `problems`)
    unread: bool  # the metadata came from the cache: its Markdown body is not in memory
    problems: tuple[Problem, ...]  # from reading and validating it
    body: StartedBody | None  # None for articles not shown (drafts without --drafts)


@dataclass
class WarmStart:
    authors: dict[str, Author] | None
    author_problems: tuple[Problem, ...]
    files: list[StartedFile]
    other_problems: tuple[Problem, ...]  # about no one source file (finding them)
    warnings: list[Problem]  # about the cache itself: discarded, or not saved
    rendered: int  # bodies rendered (the others came from the cache)


def start_from_cache(
    config: SiteConfig,
    links: Links,
    now,
    include_drafts: bool,
    statics: list[tuple[str, Path]],
    jobs: int | None,
    progress: Progress | None = None,
) -> WarmStart:
    """Every source read and every shown body rendered, through the build cache."""
    cache = BuildCache(config.site_dir, code_version())
    settings = settings_key(config, include_drafts, False, template_texts(config), now)
    cache.load(settings)
    author_problems = ProblemList()
    authors = load_authors(config, author_problems)
    problems = ProblemList()
    checked_against = meta_key(config)
    read = sources.read_sources(config, authors, problems, cache, checked_against)
    _take_bodies(read, cache.loaded)
    shown = [m for m in read.articles if include_drafts or is_published(m, now)]
    before = {rel: record.get("body") for rel, record in read.records.items()}
    bodies, _ = render_all_bodies(
        config,
        links,
        shown,
        read,
        cache,
        statics,
        jobs,
        lambda meta: True,  # the preview holds every page in memory anyway
        progress,
    )
    rendered = sum(1 for rel, r in read.records.items() if r.get("body") is not before[rel])
    if rendered or (not cache.loaded.outputs and cache.loaded.settings != settings):
        _save(cache, settings, checked_against, read)
    files = _files(config, read, problems, bodies, cache)
    known = {str(f.path.relative_to(config.site_dir)) for f in files}
    others = tuple(p for p in problems.items if str(p.path) not in known)
    return WarmStart(
        authors, tuple(author_problems.items), files, others, list(cache.warnings), rendered
    )


def _take_bodies(read: sources.ReadResult, loaded: CacheIndex) -> None:
    """Bodies recorded by whoever wrote the index, for files whose content is unchanged."""
    for rel, record in read.records.items():
        old = loaded.sources.get(rel)
        if "body" not in record and old and "body" in old and old.get("digest") == record["digest"]:
            record["body"] = old["body"]


def _save(cache: BuildCache, settings: str, checked_against: str, read) -> None:
    loaded = cache.loaded
    if loaded.outputs:  # a build's: it stays valid for the build, with the bodies it lacked
        given = {}
        for rel, record in loaded.sources.items():
            mine = read.records.get(rel)
            if (
                "body" not in record
                and mine is not None
                and "body" in mine
                and mine["digest"] == record.get("digest")
            ):
                record = {**record, "body": mine["body"]}
            given[rel] = record
        index = dataclasses.replace(loaded, sources=given)
    else:
        index = CacheIndex(settings, checked_against, read.records)
    cache.use_bodies(r["body"][0] for r in index.sources.values() if "body" in r)
    cache.save(index)


def _files(
    config: SiteConfig,
    read: sources.ReadResult,
    problems: ProblemList,
    bodies: sources.Bodies,
    cache: BuildCache,
) -> list[StartedFile]:
    by_rel: dict[str, list[Problem]] = {}
    for problem in problems.items:
        by_rel.setdefault(str(problem.path), []).append(problem)
    metas = {m.source.path: m for m in [*read.articles, *read.pages]}
    files = []
    for rel in read.digests:
        path = config.site_dir / rel
        meta = metas.get(path)
        body = None
        if meta is not None and path in bodies.html:
            body = _body(read.records.get(rel), bodies, path, cache)
        files.append(StartedFile(path, meta, path in read.unread, tuple(by_rel.get(rel, ())), body))
    return files


def _body(record: dict | None, bodies: sources.Bodies, path: Path, cache: BuildCache):
    if record is not None and record.get("body", [None])[0] == bodies.keys[path]:
        _, _, lookups, problems = record["body"]
        return StartedBody(
            bodies.html[path],
            {(kind, target): href for kind, target, href in lookups},
            tuple(Problem(*p) for p in problems),
        )
    stored = cache.body(bodies.keys[path])  # front matter a record cannot hold
    if stored is None:
        return None  # the preview renders it again
    return StartedBody(bodies.html[path], dict(stored.lookups), stored.problems)
