"""What each output file depends on, as a signature that changes when its inputs change.

A job's signature is its data encoded as nested tuples, with every article replaced by a
digest: the *full* digest (body included) for the article a page is about and for the
articles in a feed, the *card* digest (everything but the body) for articles merely
listed, linked or counted. So editing an article's body changes the signature of its own
page and of the feeds that carry it, and nothing else; editing its title also changes the
lists, archives and neighbours that show it.

The library is in every page's context, but templates read only parts of it. Which parts
is found by scanning the templates for `library.<name>`; the navigation lists (sections,
tags, authors, pages, years) are encoded by their names only, `library.articles` by the
card digests of all articles, and anything else by the card digests of all articles too.

Digests are BLAKE2b over the fields' repr, so they are stable between processes (a
persistent cache can store them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from generator.library import Library
from generator.model import Article, Month, Page, Taxon, Year
from generator.plan import CopyJob, FeedJob, Job, PageJob, Pagination

_LIBRARY_USE = re.compile(r"\blibrary\.(\w+)")
_ANY_LIBRARY = re.compile(r"\blibrary\b")
_NAMES_ONLY = {"sections", "tags", "authors", "pages", "years"}
_ATOMS = (str, int, float, bool, type(None), dt.date, dt.datetime, dt.time)


def digest(text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def card_digest(article: Article) -> str:
    """Every field of the article except its body: what a list or link shows."""
    values = [
        (f.name, getattr(article, f.name))
        for f in dataclasses.fields(article)
        if f.name != "body_html"
    ]
    return digest(repr(values))


def library_uses(template_texts: Iterable[str]) -> frozenset[str]:
    """The attributes of `library` the templates read; "*" when they use it otherwise."""
    used: set[str] = set()
    for text in template_texts:
        used.update(_LIBRARY_USE.findall(text))
        if len(_ANY_LIBRARY.findall(text)) > len(_LIBRARY_USE.findall(text)):
            used.add("*")  # passed on whole, e.g. {% set lib = library %}
    return frozenset(used)


class Signatures:
    """Signatures of the jobs of one build; article digests are kept between builds."""

    def __init__(
        self,
        feed_items: int,
        library_attributes: frozenset[str],
        body_digest: Callable[[Article], str] | None = None,
    ):
        self.feed_items = feed_items
        self.library_attributes = library_attributes
        # Articles whose body is still on disk (generator.sources) give its digest here.
        self.body_digest = body_digest or (lambda article: digest(article.body_html))
        self._cards: dict[int, tuple[Article, str, str]] = {}  # id → (article, card, body)
        self._memo: dict[int, tuple[object, Hashable]] = {}
        self._library: tuple[Library, Hashable] | None = None

    def start(self, articles: Iterable[Article]) -> None:
        """Begin a build: forget per-build memos and digests of articles no longer there."""
        current = {id(a): a for a in articles}
        self._cards = {k: v for k, v in self._cards.items() if current.get(k) is v[0]}
        self._memo = {}
        self._library = None

    def job(self, job: Job) -> Hashable:
        """The signature of `job`: equal signatures mean equal output."""
        if isinstance(job, PageJob):
            main = job.context.get("article")
            context = tuple(
                (
                    key,
                    self.full(value) if value is main and key == "article" else self.encode(value),
                )
                for key, value in job.context.items()
            )
            return ("page", job.url, job.template, job.source, context)
        if isinstance(job, FeedJob):
            fields = [
                (f.name, self.encode(getattr(job, f.name)))
                for f in dataclasses.fields(job)
                if f.name != "articles"
            ]
            carried = tuple(self.full(a) for a in job.articles[: self.feed_items])
            return ("feed", tuple(fields), carried)
        if isinstance(job, CopyJob):
            try:
                stat = job.path.stat()
            except OSError:
                return ("copy", job.url, str(job.path), None)
            return ("copy", job.url, str(job.path), stat.st_mtime_ns, stat.st_size)
        return (type(job).__name__, self.encode(job))

    @staticmethod
    def bodies_shown(job: Job, feed_items: int) -> frozenset[str]:
        """Slugs of the articles whose body (not just card) appears in the job's output."""
        if isinstance(job, PageJob) and isinstance(job.context.get("article"), Article):
            return frozenset((job.context["article"].slug,))
        if isinstance(job, FeedJob):
            return frozenset(a.slug for a in job.articles[:feed_items])
        return frozenset()

    def card(self, article: Article) -> str:
        return self._digests(article)[0]

    def full(self, article: Article) -> tuple[str, str]:
        card, body = self._digests(article)
        return (card, body)

    def _digests(self, article: Article) -> tuple[str, str]:
        found = self._cards.get(id(article))
        if found is None or found[0] is not article:
            found = (article, card_digest(article), self.body_digest(article))
            self._cards[id(article)] = found
        return found[1], found[2]

    def encode(self, value: Any) -> Hashable:
        if isinstance(value, _ATOMS):
            return value
        if isinstance(value, Article):
            return self.card(value)
        key = id(value)
        memo = self._memo.get(key)
        if memo is not None and memo[0] is value:
            return memo[1]
        encoded = self._encode(value)
        self._memo[key] = (value, encoded)
        return encoded

    def _encode(self, value: Any) -> Hashable:
        if isinstance(value, Library):
            return self.library(value)
        if isinstance(value, Taxon):
            author = self.encode(value.author)
            return ("taxon", value.kind, value.slug, value.name, len(value.articles), author)
        if isinstance(value, Month):
            return ("month", value.year, value.month, tuple(self.card(a) for a in value.articles))
        if isinstance(value, Year):
            return ("year", value.year, tuple(self.encode(m) for m in value.months))
        if isinstance(value, Pagination):
            items = tuple(self.card(a) for a in value.items)
            target = self.encode(value.target)
            return ("pagination", target, value.number, value.count, value.total, items)
        if isinstance(value, (Mapping, MappingProxyType)):
            return tuple((str(k), self.encode(v)) for k, v in value.items())
        if isinstance(value, (list, tuple, set, frozenset)):
            items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
            return tuple(self.encode(v) for v in items)
        if isinstance(value, Path):
            return str(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            return (
                type(value).__name__,
                tuple(self.encode(getattr(value, f.name)) for f in fields),
            )
        return (type(value).__name__, repr(value))

    def library(self, library: Library) -> Hashable:
        """The parts of the library the templates read (see the module docstring)."""
        if self._library is not None and self._library[0] is library:
            return self._library[1]
        parts: list[Hashable] = []
        for name in sorted(self.library_attributes):
            if name in _NAMES_ONLY:
                parts.append((name, tuple(_name_of(x) for x in getattr(library, name))))
            else:
                parts.append((name, tuple(self.card(a) for a in library.articles)))
        key = ("library", digest(repr(parts)))  # in every page: one short string, not a tree
        self._library = (library, key)
        return key


def _name_of(item: object) -> Hashable:
    if isinstance(item, Taxon):
        return (item.kind, item.slug, item.name)
    if isinstance(item, Page):
        return (item.slug, item.title)
    if isinstance(item, Year):
        return (item.year, tuple(m.month for m in item.months))
    return repr(item)


def replace_articles(value: Any, new: Mapping[str, Article], depth: int = 0) -> Any:
    """`value` with every article whose slug is in `new` swapped for the new one.

    Used when only article bodies changed: the plan stays as it was, and the few jobs
    that show those bodies get the new articles without planning the site again.
    """
    if isinstance(value, Article):
        return new.get(value.slug, value)
    if depth > 4 or isinstance(value, (*_ATOMS, Library, Path)):
        return value
    if isinstance(value, (list, tuple)):
        items = [replace_articles(v, new, depth + 1) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items) if isinstance(value, list) else tuple(items)
    if isinstance(value, (dict, MappingProxyType)):
        swapped = {k: replace_articles(v, new, depth + 1) for k, v in value.items()}
        if all(swapped[k] is value[k] for k in value):
            return value
        return swapped if isinstance(value, dict) else MappingProxyType(swapped)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            swapped = replace_articles(old, new, depth + 1)
            if swapped is not old:
                changes[f.name] = swapped
        return dataclasses.replace(value, **changes) if changes else value
    return value


def with_bodies(job: Job, articles: Mapping[str, Article]) -> Job:
    """`job` with the articles whose body it shows (`Signatures.bodies_shown`) swapped for
    `articles`, the same ones with their body: only there is a body read."""
    if isinstance(job, PageJob) and isinstance(job.context.get("article"), Article):
        main = job.context["article"]
        context = {**job.context, "article": articles.get(main.slug, main)}
        return dataclasses.replace(job, context=context)
    if isinstance(job, FeedJob):
        carried = tuple(articles.get(a.slug, a) for a in job.articles)
        return dataclasses.replace(job, articles=carried)
    return job
