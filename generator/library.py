"""The library: every published article, indexed by section, tag, author and date.

Built once from the frozen articles; templates and feeds only read from it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from generator.model import Article, Author, Month, Page, Taxon, Year
from generator.slugs import slugify

RELATED_COUNT = 3
_DANISH_ORDER = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}", "ä": "z{", "ö": "z|", "ü": "y"})


def danish_sort_key(text: str) -> str:
    """Sort as a Danish reader expects: æ, ø, å after z."""
    return text.casefold().translate(_DANISH_ORDER)


def newest_first(articles: Iterable[Article]) -> tuple[Article, ...]:
    return tuple(sorted(articles, key=lambda a: (a.date, a.slug), reverse=True))


def canonical_names(names: Iterable[str]) -> dict[str, str]:
    """One display name per slug: the most used spelling ("KMD" over a lone "kmd")."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name in names:
        counts[slugify(name)][name] += 1
    return {
        slug: min(spellings, key=lambda s: (-spellings[s], s.islower(), s))
        for slug, spellings in counts.items()
    }


@dataclass(frozen=True)
class Library:
    articles: tuple[Article, ...]  # newest first
    pages: tuple[Page, ...]
    sections: tuple[Taxon, ...]
    tags: tuple[Taxon, ...]
    authors: tuple[Taxon, ...]
    years: tuple[Year, ...]  # newest first
    neighbours: Mapping[str, tuple[Article | None, Article | None]]  # slug → (older, newer)
    related: Mapping[str, tuple[Article, ...]]
    _by_slug: Mapping[tuple[str, str], Taxon]

    def taxon(self, kind: str, name: str) -> Taxon:
        return self._by_slug[(kind, slugify(name))]

    def section_of(self, article: Article) -> Taxon:
        return self.taxon("section", article.section)

    def tags_of(self, article: Article) -> tuple[Taxon, ...]:
        return tuple(self.taxon("tag", t) for t in article.tags)

    def authors_of(self, article: Article) -> tuple[Taxon, ...]:
        return tuple(self.taxon("author", a.name) for a in article.authors)


def build_library(
    articles: Iterable[Article],
    pages: Iterable[Page],
    known_related: Mapping[str, Sequence[str]] | None = None,
) -> Library:
    """The site's articles ordered and grouped; `known_related` is the last build's related
    slugs, given when no article's front matter changed since (they are then the same)."""
    ordered = newest_first(articles)
    sections = _taxa("section", ((a.section, a) for a in ordered))
    tags = _taxa("tag", ((t, a) for a in ordered for t in a.tags))
    authors = _author_taxa(ordered)
    by_slug = {(t.kind, t.slug): t for t in (*sections, *tags, *authors)}
    return Library(
        articles=ordered,
        pages=tuple(sorted(pages, key=lambda p: p.slug)),
        sections=sections,
        tags=tags,
        authors=authors,
        years=_years(ordered),
        neighbours=MappingProxyType(_neighbours(ordered)),
        related=MappingProxyType(_known_related(ordered, known_related) or _related(ordered, tags)),
        _by_slug=MappingProxyType(by_slug),
    )


def _taxa(kind: str, pairs: Iterable[tuple[str, Article]]) -> tuple[Taxon, ...]:
    grouped: dict[str, list[Article]] = defaultdict(list)
    names: dict[str, str] = {}
    for name, article in pairs:
        slug = slugify(name)
        names.setdefault(slug, name)
        grouped[slug].append(article)
    taxa = [Taxon(kind, names[slug], slug, tuple(items)) for slug, items in grouped.items()]
    return tuple(sorted(taxa, key=lambda t: danish_sort_key(t.name)))


def _author_taxa(ordered: tuple[Article, ...]) -> tuple[Taxon, ...]:
    grouped: dict[str, list[Article]] = defaultdict(list)
    people: dict[str, Author] = {}
    for article in ordered:
        for author in article.authors:
            people.setdefault(author.slug, author)
            grouped[author.slug].append(article)
    taxa = [
        Taxon("author", people[s].name, s, tuple(items), people[s]) for s, items in grouped.items()
    ]
    return tuple(sorted(taxa, key=lambda t: danish_sort_key(t.name)))


def _years(ordered: tuple[Article, ...]) -> tuple[Year, ...]:
    grouped: dict[int, dict[int, list[Article]]] = defaultdict(lambda: defaultdict(list))
    for article in ordered:
        grouped[article.date.year][article.date.month].append(article)
    return tuple(
        Year(
            year,
            tuple(
                Month(year, m, tuple(grouped[year][m])) for m in sorted(grouped[year], reverse=True)
            ),
        )
        for year in sorted(grouped, reverse=True)
    )


def _neighbours(ordered: tuple[Article, ...]) -> dict[str, tuple[Article | None, Article | None]]:
    result = {}
    for index, article in enumerate(ordered):
        newer = ordered[index - 1] if index > 0 else None
        older = ordered[index + 1] if index + 1 < len(ordered) else None
        result[article.slug] = (older, newer)
    return result


def _known_related(
    ordered: tuple[Article, ...], known: Mapping[str, Sequence[str]] | None
) -> dict[str, tuple[Article, ...]] | None:
    """`known` (slugs) as articles; None if it does not fit these articles."""
    if not known or len(known) != len(ordered):
        return None
    by_slug = {a.slug: a for a in ordered}
    try:
        return {a.slug: tuple(by_slug[s] for s in known[a.slug]) for a in ordered}
    except KeyError:
        return None


def related_slugs(library: Library) -> dict[str, list[str]]:
    """The library's related articles as slugs, for `build_library(known_related=...)`."""
    return {slug: [a.slug for a in articles] for slug, articles in library.related.items()}


def _related(
    ordered: tuple[Article, ...], tags: tuple[Taxon, ...]
) -> dict[str, tuple[Article, ...]]:
    """Articles sharing the most tags, then the same section; newest first among equals.

    Articles with the same tags share one ranking, so a site of 10,000 articles with a few
    hundred tag combinations ranks a few hundred times, not 10,000 (the live preview
    rebuilds the library on every save).
    """
    rank = {a.slug: i for i, a in enumerate(ordered)}
    # Each tag's newest articles by their place in `ordered` (small ints: fast to count).
    by_tag = {t.slug: [rank[a.slug] for a in t.articles[:200]] for t in tags}
    by_section: dict[str, list[Article]] = defaultdict(list)
    for article in ordered:
        by_section[article.section].append(article)
    ranked: dict[tuple[str, ...], list[str]] = {}
    result = {}
    for article in ordered:
        key = tuple(sorted(slugify(tag) for tag in article.tags))
        best = ranked.get(key)
        if best is None:
            shared: Counter[int] = Counter()
            for tag in key:
                shared.update(by_tag[tag])
            # Newest first, then (a stable sort) most shared tags first.
            by_shared = sorted(sorted(shared), key=shared.__getitem__, reverse=True)
            best = [ordered[r].slug for r in by_shared[: RELATED_COUNT + 1]]
            ranked[key] = best
        chosen = [s for s in best if s != article.slug][:RELATED_COUNT]
        if len(chosen) < RELATED_COUNT:
            for other in by_section[article.section]:
                if other.slug != article.slug and other.slug not in chosen:
                    chosen.append(other.slug)
                    if len(chosen) == RELATED_COUNT:
                        break
        result[article.slug] = tuple(ordered[rank[s]] for s in chosen)
    return result
