"""What a build's output depends on, reduced to hashes the build cache is keyed by.

`settings_key`: everything that may change any page (site.toml, options, templates,
theme assets, banners active today, the clock if a template reads it). When it changes,
every page is rendered again. `inputs_key`: that plus every source file and everything
else read from the site folder, and what the clock decides (which articles are out, which
are in the news sitemap); when it is unchanged, the last build's output is still right.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.cache import digest
from generator.config import SiteConfig
from generator.content import ArticleMeta
from generator.newsletter.archive import issues_dir
from generator.seo import NEWS_WINDOW, news_articles
from generator.theme import template_dirs

_READS_CLOCK = re.compile(r"\bnow\b")


def listing(folder: Path) -> list[tuple[str, int, int]]:
    """Name, size and modification time of every file under `folder`."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.rglob("*")):
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            found.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
    return found


def settings_key(
    config: SiteConfig,
    include_drafts: bool,
    search: bool,
    texts: Iterable[str],
    now: dt.datetime,
) -> str:
    texts = list(texts)
    today = now.astimezone(config.tz).date()
    parts = [
        repr(config),
        include_drafts,
        search,
        digest("\0".join(texts)),
        [listing(folder / "assets") for folder in template_dirs(config.templates_dir)],
        listing(config.content_dir / "static"),  # image sizes are written into pages
        [repr(b) for b in config.banners if b.is_active(today)],
        now.isoformat() if any(_READS_CLOCK.search(t) for t in texts) else None,
    ]
    return digest(repr(parts))


def meta_key(config: SiteConfig) -> str:
    """What validating front matter reads besides the file: authors.yaml and static files."""
    authors = config.content_dir / "authors.yaml"
    text = authors.read_bytes() if authors.is_file() else b""
    return digest(repr((digest(text), listing(config.content_dir / "static"))))


def clock_key(published: Iterable[ArticleMeta], include_drafts: bool, now: dt.datetime) -> str:
    """What `now` decides on the pages: news-sitemap entries, and 'scheduled' badges."""
    metas = list(published)
    window = [m.slug for m in news_articles(metas, now)]  # type: ignore[arg-type]
    scheduled = [m.slug for m in metas if m.date > now] if include_drafts else []
    return digest(repr((window, scheduled)))


def inputs_key(
    settings: str,
    meta: str,
    digests: dict[str, str],
    published: Iterable[str],
    clock: str,
    config: SiteConfig,
) -> str:
    return digest(
        repr(
            (
                settings,
                meta,
                sorted(digests.items()),
                sorted(published),
                clock,
                listing(issues_dir(config)),
            )
        )
    )


def front_matter_digests(
    digests: dict[str, str], records: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """Per source file: for an article, a digest of its front matter only; else its digest.

    `inputs_key` over these instead of the files' digests is the `cards_key`: when it is
    the last build's, only article bodies changed, so every output file that shows none of
    the changed bodies is made from exactly the same inputs as last time.
    """
    result = dict(digests)
    for rel, record in records.items():
        if rel in result and "article" in record:
            if "card" not in record:  # kept in the record: the next build reads it back
                card = (record["source"][0], record["article"])
                record["card"] = digest(json.dumps(card, sort_keys=True, ensure_ascii=False))
            result[rel] = record["card"]
    return result


def quick_key(
    settings: str, meta: str, stats: dict[str, list[int] | None] | None, config: SiteConfig
) -> str:
    """Every input as far as file sizes, times and inodes tell ("" when they cannot tell).

    Equal to the last build's, and before its `clock_valid_until`, the last build's output is
    still this build's: no source needs reading (generator.sources trusts the same stats)."""
    if stats is None or any(stat is None for stat in stats.values()):
        return ""
    return digest(repr((settings, meta, sorted(stats.items()), listing(issues_dir(config)))))


def clock_valid_until(metas: Iterable[ArticleMeta], now: dt.datetime) -> str:
    """The first moment after `now` at which the clock may decide differently: a scheduled
    article comes out, or one leaves the news sitemap's window (ISO 8601; "" for never)."""
    moments = []
    for meta in metas:
        if meta.date > now:
            moments.append(meta.date)
        elif meta.date + NEWS_WINDOW >= now:
            moments.append(meta.date + NEWS_WINDOW)
    return min(moments).isoformat() if moments else ""


def clock_still_valid(valid_until: str, now: dt.datetime) -> bool:
    return not valid_until or now < dt.datetime.fromisoformat(valid_until)
