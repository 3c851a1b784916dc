"""The content model: plain frozen dataclasses with no I/O, built once and never mutated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Author:
    name: str
    slug: str
    email: str = ""
    initials: str = ""
    bio: str = ""


@dataclass(frozen=True)
class Article:
    """A published (or previewed) news article, its body already rendered to HTML."""

    source: Path  # relative to the site folder, for messages
    title: str
    slug: str
    date: dt.datetime  # timezone-aware, in the site's timezone
    body_html: str
    lead: str = ""
    section: str = ""
    tags: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    updated: dt.datetime | None = None
    draft: bool = False
    image: str | None = None
    image_alt: str = ""
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    aliases: tuple[str, ...] = ()  # old site-relative URLs that redirect here

    @property
    def modified(self) -> dt.datetime:
        return self.updated or self.date

    def is_scheduled(self, now: dt.datetime) -> bool:
        return self.date > now


@dataclass(frozen=True)
class Page:
    """A plain page such as "Om" or "Privatlivspolitik"."""

    source: Path
    title: str
    slug: str
    body_html: str
    lead: str = ""
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxon:
    """A section, tag or author together with its articles, newest first."""

    kind: str  # "section", "tag" or "author"
    name: str
    slug: str
    articles: tuple[Article, ...]
    author: Author | None = None


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Year:
    year: int
    months: tuple[Month, ...]

    @property
    def articles(self) -> tuple[Article, ...]:
        return tuple(a for m in self.months for a in m.articles)
