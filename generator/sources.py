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
import os
import time
from collections import OrderedDict
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
from generator.reader import SourceFile, discover, read_text, split_source


@dataclass
class ReadResult:
    articles: list[ArticleMeta]
    pages: list[PageMeta]
    digests: dict[str, str]  # site-relative path → content hash, every source file
    records: dict[str, dict[str, Any]]  # what the cache index keeps for the next build
    unread: set[Path] = field(default_factory=set)  # taken from the cache: body not in memory
    stats: dict[str, list[int] | None] = field(default_factory=dict)  # rel → _stat_key, as read


def read_sources(
    config: SiteConfig,
    authors: Mapping[str, Author] | None,
    problems: ProblemList,
    cache: BuildCache,
    meta_key: str,
    jobs: int | None = None,
    looked: SourceLook | None = None,
) -> ReadResult:
    """Every article and page, validated; files unchanged since the last build come cached.

    Files to parse are parsed by `jobs` processes when there are many (a cold build),
    each read once there and hashed and parsed from the same bytes; they send back the
    cache record of each file, not the file, so the bodies are read again only where
    Markdown is rendered, in the worker that renders them.
    """
    result = ReadResult([], [], {}, {})
    known = cache.index.sources if cache.index.meta_key == meta_key else {}
    if looked is None:
        looked = look_for_sources(config)
    problems.items.extend(looked.problems)
    metas: list[ArticleMeta | PageMeta | None] = [None] * len(looked.files)
    found_problems: list[list[Problem]] = [[] for _ in looked.files]  # kept in file order
    to_parse: list[int] = []
    stats = result.stats
    for index, (path, _, rel, stat) in enumerate(looked.files):
        record = known.get(rel)
        stats[rel] = stat
        if record is None:  # nothing to compare with: read, hashed and parsed in `parse`
            to_parse.append(index)
            continue
        if stat is not None and record.get("stat") == stat:
            hashed = record["digest"]  # the very file hashed before: not read again
        else:
            try:
                hashed = digest(path.read_bytes())
            except OSError:
                hashed = digest(b"")  # split_source reports it
        result.digests[rel] = hashed
        meta = None
        if record.get("digest") == hashed:
            meta = _from_record(record, path, rel, config)
        if meta is not None:
            found_problems[index] = [Problem(*p) for p in record["problems"]]
            result.unread.add(path)
            result.records[rel] = dict(record, stat=stat)
            metas[index] = meta
        else:
            to_parse.append(index)

    def parse(index: int) -> tuple[dict | None, bool, list[Problem], str]:
        """The file's cache record (None if it has none), whether it is valid, problems,
        and the digest of the very bytes parsed (each file is read once)."""
        path, is_page, _, _ = looked.files[index]
        problems_here = ProblemList()
        try:
            data = path.read_bytes()
        except OSError:
            data = None  # split_source reports it
        hashed = digest(data if data is not None else b"")
        source = split_source(path, config.site_dir, problems_here, data)
        meta = None
        if source is not None:
            meta = (
                page_meta(source, problems_here, config)
                if is_page
                else article_meta(source, config, authors, problems_here)
            )
        if meta is None:
            return None, False, problems_here.items, hashed
        return _record(meta, hashed, problems_here.items), True, problems_here.items, hashed

    parsed = parallel_map(parse, to_parse, jobs)  # in this process when there are few
    for index, (record, valid, problems_here, hashed) in zip(to_parse, parsed, strict=True):
        path, is_page, rel, _ = looked.files[index]
        result.digests[rel] = hashed
        found_problems[index] = problems_here
        if record is not None:
            result.records[rel] = dict(record, stat=stats[rel])
            metas[index] = _from_record(record, path, rel, config)
            result.unread.add(path)
        elif valid:  # front matter a cache record cannot hold (not JSON-safe): parse here
            metas[index] = _parse_here(path, is_page, config, authors)
    for meta, problems_here in zip(metas, found_problems, strict=True):
        problems.items.extend(problems_here)
        if isinstance(meta, PageMeta):
            result.pages.append(meta)
        elif meta is not None:
            result.articles.append(meta)
    return result


# A file whose size, times and inode are as when it was hashed is not hashed again (as
# git does). Times less than this old are not trusted: a file changed again within the
# file system's clock tick would keep its modification time.
_SETTLED_NS = 2_000_000_000


def _stat_key(path: Path) -> list[int] | None:
    """What identifies this version of the file without reading it; None if too recent."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < _SETTLED_NS:
        return None
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


@dataclass(frozen=True)
class SourceLook:
    """Every source file found, with its `_stat_key`, and what the search found wrong."""

    files: list[tuple[Path, bool, str, list[int] | None]]  # path, is a page, rel, stat key
    problems: list[Problem]

    def stats(self) -> dict[str, list[int] | None] | None:
        """rel → stat key of every source; None if the folders hold anything a build
        would report (a link leading out, a bad name)."""
        return None if self.problems else {rel: stat for _, _, rel, stat in self.files}


def look_for_sources(config: SiteConfig) -> SourceLook:
    """Find the Markdown files and stat them, without reading any (the quick check's look,
    which the build's reading then reuses)."""
    problems = ProblemList()
    content = config.content_dir
    found = [
        *((p, False) for p in discover(content / "articles", "**/*.md", config.site_dir, problems)),
        *((p, True) for p in discover(content / "pages", "*.md", config.site_dir, problems)),
    ]
    site = f"{config.site_dir}/"
    files = []
    for path, is_page in found:
        rel = str(path).removeprefix(site) if str(path).startswith(site) else _rel_of(path, config)
        files.append((path, is_page, rel, _stat_key(path)))
    return SourceLook(files, list(problems.items))


def _rel_of(path: Path, config: SiteConfig) -> str:
    return path.relative_to(config.site_dir).as_posix()


def _parse_here(
    path: Path, is_page: bool, config: SiteConfig, authors: Mapping[str, Author] | None
) -> ArticleMeta | PageMeta | None:
    """Parse in this process: for front matter a cache record cannot hold (not JSON-safe)."""
    ignored = ProblemList()  # already reported by the worker that parsed it first
    source = split_source(path, config.site_dir, ignored)
    if source is None:
        return None
    if is_page:
        return page_meta(source, ignored, config)
    return article_meta(source, config, authors, ignored)


def body_key(meta: ArticleMeta | PageMeta, source_digest: str) -> str:
    """Bodies are keyed by the file's place and content (links are relative to the place)."""
    return digest(f"{meta.source.rel.as_posix()}\n{source_digest}")


RECENT_BODIES = 400  # bodies read back from the cache kept at hand, per process


@dataclass
class Bodies:
    """The HTML of every body, from the cache or rendered now, and how to get it back."""

    html: dict[Path, str]  # source path → HTML, for bodies held in memory
    digests: dict[Path, str]  # source path → digest of the HTML, for every body
    cache: BuildCache
    keys: dict[Path, str]  # source path → body key in the cache
    render_again: Callable[[Path], str] = lambda path: ""  # for a body gone from the cache

    recent: OrderedDict[Path, str] = field(default_factory=OrderedDict)  # bodies just read

    def full(self, article: Article, path: Path) -> Article:
        """`article` with its real body (articles from the cache carry an empty one)."""
        if path in self.html or article.body_html:
            return article
        html = self.recent.get(path)
        if html is None:
            record = self.cache.body(self.keys[path])
            html = record.html if record is not None else self.render_again(path)
            self.recent[path] = html
            if len(self.recent) > RECENT_BODIES:  # a newest article is in many feeds
                self.recent.popitem(last=False)
        else:
            self.recent.move_to_end(path)
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
        record = read.records.get(rel, {})
        known = record.get("body")
        if known is not None and record.get("digest") == read.digests[rel]:
            key = known[0]  # body_key of this very file: same place, same digest
        else:
            key = body_key(meta, read.digests[rel])
        bodies.keys[path] = key
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

    def render_one(meta: ArticleMeta | PageMeta) -> BodyRecord:
        found = ProblemList()
        lookups: dict = {}
        html = render(reread(meta), found, lookups)
        return BodyRecord(html, lookups, tuple(found.items))

    def one(meta: ArticleMeta | PageMeta) -> BodyRecord | StoredBody:
        """Render a body; one that need not stay in memory goes to the cache right here."""
        body = render_one(meta)
        if not cache.enabled or keep_in_memory(meta):
            return body
        cache.store_body(bodies.keys[meta.source.path], body)
        return StoredBody(digest(body.html), body.lookups, body.problems)

    by_path = {meta.source.path: meta for meta in metas}
    bodies.render_again = lambda path: render_one(by_path[path]).html  # a damaged cached body
    for meta, body in zip(missing, parallel_map(one, missing, jobs, tick), strict=True):
        path = meta.source.path
        if isinstance(body, StoredBody):
            cache.stored_body(bodies.keys[path])
            bodies.digests[path] = body.digest
        else:
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


@dataclass(frozen=True)
class StoredBody:
    """What a worker sends back for a body it wrote to the cache: not the HTML itself."""

    digest: str
    lookups: dict[tuple[str, str], str | None]
    problems: tuple[Problem, ...]


def _load(bodies: Bodies, path: Path, key: str) -> bool:
    record = bodies.cache.body(key)
    if record is not None:
        bodies.html[path] = record.html
    return record is not None


def _problem_fields(problem: Problem) -> list:
    return [str(problem.path), problem.line, problem.message, problem.hint, problem.severity]


def reread(meta: ArticleMeta | PageMeta, site_dir: Path) -> ArticleMeta | PageMeta:
    """The metadata with its Markdown body, for one that came from the cache without it.

    The front matter was checked already; the body is the text from its first line on.
    """
    if meta.source.body or meta.source.body_line == 0:
        return meta
    problems = ProblemList()
    text = read_text(meta.source.path, site_dir, problems)
    if text is None:
        raise SiteError(problems.items)
    body = "\n".join(text.split("\n")[meta.source.body_line - 1 :])
    return dataclasses.replace(meta, source=dataclasses.replace(meta.source, body=body))


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


def _from_record(
    record: dict, path: Path, rel: str, config: SiteConfig
) -> ArticleMeta | PageMeta | None:
    """The metadata a cache record holds for the file at `path` (`rel` in the site)."""
    try:
        meta, key_lines, body_line = record["source"]
        source = SourceFile(
            path,
            Path(rel),
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
