"""Reading and rendering the sources with the build cache: only changed files are parsed.

Every source file is read and hashed on every build (cheap); its front matter is parsed
and validated again only when its hash, authors.yaml or the static files changed, and its
Markdown rendered again only when its text changed or a link in it now leads elsewhere.
Bodies of unchanged articles stay on disk until a page that shows them is rendered: the
articles carry an empty `body_html` until then (`Bodies.full` fills it in), which keeps a
rebuild's memory small. Bodies missing from the cache are rendered in parallel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from generator.cache import BodyRecord, BuildCache, digest
from generator.config import SiteConfig
from generator.content import ArticleMeta, PageMeta, article_meta, page_meta
from generator.errors import Problem, ProblemList, SiteError
from generator.model import Article, Author
from generator.parallel import parallel_map
from generator.reader import SourceFile, discover, split_source


@dataclass
class ReadResult:
    articles: list[ArticleMeta]
    pages: list[PageMeta]
    digests: dict[str, str]  # site-relative path → content hash, every source file
    records: dict[str, dict[str, Any]]  # what the cache index keeps for the next build
    unread: set[Path] = field(default_factory=set)  # taken from the cache: body not in memory


def read_sources(
    config: SiteConfig,
    authors: Mapping[str, Author] | None,
    problems: ProblemList,
    cache: BuildCache,
    meta_key: str,
) -> ReadResult:
    """Every article and page, validated; files unchanged since the last build come cached."""
    result = ReadResult([], [], {}, {})
    content = config.content_dir
    known = cache.index.sources if cache.index.meta_key == meta_key else {}
    found = [
        *((p, False) for p in discover(content / "articles", "**/*.md", config.site_dir, problems)),
        *((p, True) for p in discover(content / "pages", "*.md", config.site_dir, problems)),
    ]
    for path, is_page in found:
        rel = path.relative_to(config.site_dir).as_posix()
        try:
            data = path.read_bytes()
        except OSError:
            data = b""  # split_source reports it
        hashed = digest(data)
        result.digests[rel] = hashed
        record = known.get(rel)
        meta = None
        if record is not None and record.get("digest") == hashed:
            meta = _from_record(record, path, config)
            record = dict(record)
        if meta is not None:
            problems.items.extend(Problem(*p) for p in record["problems"])
            result.unread.add(path)
        else:
            found_problems = ProblemList()
            source = split_source(path, config.site_dir, found_problems)
            if source is not None:
                meta = (
                    page_meta(source, found_problems, config)
                    if is_page
                    else article_meta(source, config, authors, found_problems)
                )
            problems.items.extend(found_problems.items)
            record = _record(meta, hashed, found_problems.items) if meta else None
        if record is not None:
            result.records[rel] = record
        if isinstance(meta, PageMeta):
            result.pages.append(meta)
        elif meta is not None:
            result.articles.append(meta)
    return result


def body_key(meta: ArticleMeta | PageMeta, source_digest: str) -> str:
    """Bodies are keyed by the file's place and content (links are relative to the place)."""
    return digest(f"{meta.source.rel.as_posix()}\n{source_digest}")


@dataclass
class Bodies:
    """The HTML of every body, from the cache or rendered now, and how to get it back."""

    html: dict[Path, str]  # source path → HTML, for bodies held in memory
    digests: dict[Path, str]  # source path → digest of the HTML, for every body
    cache: BuildCache
    keys: dict[Path, str]  # source path → body key in the cache
    render_again: Callable[[Path], str] = lambda path: ""  # for a body gone from the cache

    def full(self, article: Article, path: Path) -> Article:
        """`article` with its real body (articles from the cache carry an empty one)."""
        if path in self.html or article.body_html:
            return article
        record = self.cache.body(self.keys[path])
        html = record.html if record is not None else self.render_again(path)
        return dataclasses.replace(article, body_html=html)


def render_bodies(
    metas: Iterable[ArticleMeta | PageMeta],
    read: ReadResult,
    cache: BuildCache,
    render: Callable[[ArticleMeta | PageMeta, ProblemList, dict], str],
    lookup: Mapping[str, Callable[[str], str | None]],
    reread: Callable[[ArticleMeta | PageMeta], ArticleMeta | PageMeta],
    jobs: int | None,
    keep_in_memory: Callable[[ArticleMeta | PageMeta], bool],
    tick: Callable[[int], None] | None = None,
) -> tuple[Bodies, list[Problem]]:
    """HTML for every body: cached where still valid, rendered (in parallel) where not.

    Whether a cached body is still valid is decided from the index alone (its key and the
    link targets it looked up); its HTML is read only when it is needed.
    """
    metas = list(metas)
    bodies = Bodies({}, {}, cache, {})
    problems: list[Problem] = []
    missing = []
    for meta in metas:
        path = meta.source.path
        rel = meta.source.rel.as_posix()
        key = bodies.keys[path] = body_key(meta, read.digests[rel])
        known = read.records.get(rel, {}).get("body")
        if (
            known is not None
            and known[0] == key
            and all(lookup[kind](target) == href for kind, target, href in known[2])
            and (not keep_in_memory(meta) or _load(bodies, path, key))
        ):
            bodies.digests[path] = known[1]
            problems.extend(Problem(*p) for p in known[3])
        else:
            missing.append(meta)

    def one(meta: ArticleMeta | PageMeta) -> BodyRecord:
        found = ProblemList()
        lookups: dict = {}
        html = render(reread(meta), found, lookups)
        return BodyRecord(html, lookups, tuple(found.items))

    by_path = {meta.source.path: meta for meta in metas}
    bodies.render_again = lambda path: one(by_path[path]).html  # a damaged cached body
    for meta, body in zip(missing, parallel_map(one, missing, jobs, tick), strict=True):
        path = meta.source.path
        cache.add_body(bodies.keys[path], body)
        bodies.html[path] = body.html
        bodies.digests[path] = digest(body.html)
        problems.extend(body.problems)
        record = read.records.get(meta.source.rel.as_posix())
        if record is not None:
            record["body"] = [
                bodies.keys[path],
                bodies.digests[path],
                [[kind, target, href] for (kind, target), href in body.lookups.items()],
                [_problem_fields(p) for p in body.problems],
            ]
    return bodies, problems


def _load(bodies: Bodies, path: Path, key: str) -> bool:
    record = bodies.cache.body(key)
    if record is not None:
        bodies.html[path] = record.html
    return record is not None


def _problem_fields(problem: Problem) -> list:
    return [str(problem.path), problem.line, problem.message, problem.hint, problem.severity]


def reread(meta: ArticleMeta | PageMeta, site_dir: Path) -> ArticleMeta | PageMeta:
    """The metadata with its Markdown body, for one that came from the cache without it."""
    if meta.source.body or meta.source.body_line == 0:
        return meta
    problems = ProblemList()
    source = split_source(meta.source.path, site_dir, problems)
    if source is None:
        raise SiteError(problems.items)
    return dataclasses.replace(meta, source=source)


# Front matter in the cache index: JSON, checked to give back exactly what was stored.


def _record(meta: ArticleMeta | PageMeta, hashed: str, problems: list[Problem]) -> dict | None:
    source = meta.source
    record: dict[str, Any] = {
        "digest": hashed,
        "problems": [_problem_fields(p) for p in problems],
        "source": [dict(source.meta), dict(source.key_lines), source.body_line],
    }
    if isinstance(meta, PageMeta):
        record["page"] = [meta.title, meta.slug, meta.lead, dict(meta.extra), list(meta.aliases)]
    else:
        record["article"] = [
            meta.title,
            meta.slug,
            meta.date.isoformat(),
            meta.lead,
            meta.section,
            list(meta.tags),
            [list(dataclasses.astuple(a)) for a in meta.authors],
            meta.updated.isoformat() if meta.updated else None,
            meta.draft,
            meta.image,
            meta.image_alt,
            dict(meta.extra),
            list(meta.aliases),
        ]
    try:  # only what survives JSON unchanged (YAML can make int keys, sets, bytes …)
        if json.loads(json.dumps(record, ensure_ascii=False)) != record:
            return None
    except (TypeError, ValueError):
        return None
    return record


def _from_record(record: dict, path: Path, config: SiteConfig) -> ArticleMeta | PageMeta | None:
    try:
        meta, key_lines, body_line = record["source"]
        source = SourceFile(
            path,
            path.relative_to(config.site_dir),
            MappingProxyType(meta),
            MappingProxyType(key_lines),
            "",  # the body is read again only if it must be rendered again
            body_line,
        )
        if "page" in record:
            title, slug, lead, extra, aliases = record["page"]
            return PageMeta(source, title, slug, lead, MappingProxyType(extra), tuple(aliases))
        (title, slug, date, lead, section, tags, authors, updated, draft) = record["article"][:9]
        image, image_alt, extra, aliases = record["article"][9:]
        return ArticleMeta(
            source,
            title,
            slug,
            _datetime(date, config),
            lead,
            section,
            tuple(tags),
            tuple(Author(*a) for a in authors),
            _datetime(updated, config) if updated else None,
            draft,
            image,
            image_alt,
            MappingProxyType(extra),
            tuple(aliases),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _datetime(text: str, config: SiteConfig) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(config.tz)
