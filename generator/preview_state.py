"""What the live preview keeps between rebuilds (generator.incremental), per source file.

Each entry is keyed by the source's absolute path and is valid while its inputs are the
same objects: a source read again, or validated in a new epoch, replaces them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from generator.articles import CanonicalNames, LinkLookups, LinkTargets
from generator.config import SiteConfig
from generator.content import ArticleMeta, PageMeta
from generator.deps import Signatures
from generator.errors import Problem
from generator.images import ImageSet
from generator.model import Article
from generator.plan import Job
from generator.reader import SourceFile
from generator.slugs import slugify
from generator.urls import Links


@dataclass
class SourceRead:
    """A source file as split, or None when it could not be read; the problems found."""

    source: SourceFile | None
    problems: tuple[Problem, ...]


@dataclass
class CheckedMeta:
    """Validated front matter of one source, and the `epoch` it was validated in."""

    source: SourceFile | None
    epoch: int
    meta: ArticleMeta | PageMeta | None
    problems: tuple[Problem, ...]


@dataclass
class RenderedBody:
    """One body's HTML and every link target it looked up (to know when to render again)."""

    text: str | None  # None: rendered from a file whose body was not read (the cache's)
    lookups: LinkLookups
    html: str
    problems: tuple[Problem, ...]
    source: SourceFile | None = None  # the body is still right while this is the source


@dataclass
class PreviewState:
    """Everything derived from site.toml and the templates; dropped when they change."""

    config: SiteConfig
    links: Links
    now: dt.datetime
    epoch: int  # bumped when authors.yaml changes: every article is validated again
    authors: dict | None = None
    author_problems: tuple[Problem, ...] = ()
    reads: dict[Path, SourceRead] = field(default_factory=dict)
    metas: dict[Path, CheckedMeta] = field(default_factory=dict)
    bodies: dict[Path, RenderedBody] = field(default_factory=dict)
    articles: dict[Path, tuple[tuple, Article]] = field(default_factory=dict)
    discovery_problems: tuple[Problem, ...] = ()
    statics: list[tuple[str, Path]] | None = None
    images: ImageSet | None = None
    assets: list[tuple[str, Path]] | None = None
    env: object | None = None
    signatures: Signatures | None = None
    rendered: dict[str, tuple[object, bytes]] = field(default_factory=dict)
    # The last plan, for rebuilding after edits that changed article bodies only.
    jobs: list[Job] = field(default_factory=list)
    articles_in_plan: list[Article] = field(default_factory=list)
    pages_in_plan: list[PageMeta] = field(default_factory=list)
    showing_body: dict[str, list[int]] = field(default_factory=dict)  # slug → job indexes
    content_rels: dict[Path, str] = field(default_factory=dict)
    # The link targets and canonical names of the last full rebuild, for body edits.
    targets: LinkTargets | None = None
    names: CanonicalNames | None = None


def forget_source(state: PreviewState, path: Path) -> None:
    """Drop everything kept for a source file that is gone."""
    for kept in (state.reads, state.metas, state.bodies, state.articles):
        kept.pop(path, None)


def article_key(meta: ArticleMeta, html: str, names: CanonicalNames) -> tuple:
    """What an article is made from (`make_article`): equal keys, the same article."""
    return (
        meta,
        html,
        names.sections[slugify(meta.section)],
        *(names.tags[slugify(t)] for t in meta.tags),
    )
