"""The site's configuration: read once from `site.toml`, validated, frozen, passed as an argument.

Unknown keys are an error with a did-you-mean hint, so a typo never silently does nothing.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.errors import Problem, ProblemList, SiteError
from generator.newsletter.settings import (  # re-exported: the site config holds them
    NewsletterConfig,
    NewsletterList,
    SmtpConfig,
    parse_newsletter,
)

__all__ = ["NewsletterConfig", "NewsletterList", "SiteConfig", "SmtpConfig", "load_config"]

CONFIG_NAME = "site.toml"


@dataclass(frozen=True)
class Banner:
    """A promotion shown between `start` and `end` (inclusive dates, site timezone)."""

    image: str
    link: str
    alt: str
    start: dt.date | None = None
    end: dt.date | None = None
    placement: tuple[str, ...] = ("front", "article")

    def is_active(self, today: dt.date) -> bool:
        return (self.start is None or self.start <= today) and (
            self.end is None or today <= self.end
        )


@dataclass(frozen=True)
class SiteConfig:
    title: str
    base_url: str
    site_dir: Path
    description: str = ""
    language: str = "da"
    timezone: str = "Europe/Copenhagen"
    default_section: str = "Nyheder"
    page_size: int = 10
    feed_items: int = 20
    publisher: str = ""
    accessibility_statement_url: str = ""
    contact_email: str = ""
    newsletter: NewsletterConfig = field(default_factory=NewsletterConfig)
    banners: tuple[Banner, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        return urlsplit(self.base_url).path or "/"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def content_dir(self) -> Path:
        return self.site_dir / "content"

    @property
    def templates_dir(self) -> Path:
        return self.site_dir / "templates"

    def with_base_url(self, base_url: str) -> SiteConfig:
        from dataclasses import replace

        return replace(self, base_url=_normalise_base_url(base_url))


_SITE_KEYS: dict[str, type | tuple[type, ...]] = {
    "title": str,
    "base_url": str,
    "description": str,
    "language": str,
    "timezone": str,
    "default_section": str,
    "page_size": int,
    "feed_items": int,
    "publisher": str,
    "accessibility_statement_url": str,
    "contact_email": str,
}
_BANNER_KEYS: dict[str, type | tuple[type, ...]] = {
    "image": str,
    "link": str,
    "alt": str,
    "start": (dt.date, str),
    "end": (dt.date, str),
    "placement": list,
}
_TOP_KEYS = {"site", "newsletter", "banners"}
_TYPE_NAMES = {
    str: "a string in quotes",
    int: "a whole number",
    bool: "true or false",
    dict: "a table",
    list: "a list [ … ]",
}


def load_config(site_dir: Path) -> SiteConfig:
    """Read and validate `site.toml` in `site_dir`; raise SiteError listing every problem."""
    path = site_dir / CONFIG_NAME
    if not path.is_file():
        raise SiteError(
            Problem(
                path,
                None,
                "no site.toml here",
                "run kommunenyt in a site folder or pass --site DIR",
            )
        )
    text = path.read_text(encoding="utf-8-sig")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        raise SiteError(
            Problem(
                Path(CONFIG_NAME),
                int(match.group(1)) if match else None,
                f"not valid TOML: {exc}",
                "check quotes, = signs and [section] headers",
            )
        ) from None
    # Messages name site.toml relative to the site folder, like content files.
    return parse_config(raw, text, Path(CONFIG_NAME), site_dir)


def parse_config(raw: dict[str, Any], text: str, path: Path, site_dir: Path) -> SiteConfig:
    problems = ProblemList()
    checker = _Checker(problems, text, path)
    checker.unknown(raw, _TOP_KEYS, "")
    site = raw.get("site", {})
    if not isinstance(site, dict):
        problems.add(path, checker.line_of("site"), "[site] must be a table")
        site = {}
    site = checker.typed(site, _SITE_KEYS, "site")
    for required in ("title", "base_url"):
        if not site.get(required):
            problems.add(
                path,
                checker.line_of("site"),
                f"[site] {required} is missing",
                f'add {required} = "…" under [site]',
            )
    if site.get("base_url"):
        parts = urlsplit(site["base_url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.add(
                path,
                checker.line_of("base_url"),
                "base_url must be an absolute URL",
                'write it like base_url = "https://kommunenyt.dk/"',
            )
        else:
            site["base_url"] = _normalise_base_url(site["base_url"])
    if "timezone" in site:
        try:
            ZoneInfo(site["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            problems.add(
                path,
                checker.line_of("timezone"),
                f"unknown timezone {site['timezone']!r}",
                'use an IANA name such as "Europe/Copenhagen"',
            )
    if "language" in site and not re.fullmatch(r"[a-z]{2,3}(-[A-Z]{2})?", site["language"]):
        problems.add(
            path,
            checker.line_of("language"),
            f"invalid language code {site['language']!r}",
            'use a code such as "da"',
        )
    for key in ("page_size", "feed_items"):
        if key in site and site[key] < 1:
            problems.add(path, checker.line_of(key), f"{key} must be at least 1")

    newsletter = parse_newsletter(raw.get("newsletter", {}), checker)
    banners = _parse_banners(raw.get("banners", []), checker)
    problems.raise_if_errors()
    return SiteConfig(site_dir=site_dir, newsletter=newsletter, banners=banners, **site)


def _normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _parse_banners(items: Any, checker: _Checker) -> tuple[Banner, ...]:
    if not isinstance(items, list):
        checker.problems.add(checker.path, checker.line_of("banners"), "use [[banners]] tables")
        return ()
    banners = []
    for item in items:
        if not isinstance(item, dict):
            continue
        values = checker.typed(item, _BANNER_KEYS, "banners")
        missing = [k for k in ("image", "link", "alt") if not values.get(k)]
        if missing:
            checker.problems.add(
                checker.path,
                checker.line_of("banners"),
                f"a banner misses {', '.join(missing)}",
                "every banner needs image, link and alt (the alt text readers hear)",
            )
            continue
        for key in ("start", "end"):
            if isinstance(values.get(key), str):
                try:
                    values[key] = dt.date.fromisoformat(values[key])
                except ValueError:
                    checker.problems.add(
                        checker.path,
                        checker.line_of(key),
                        f"banner {key} is not a date",
                        "write it as 2021-06-14",
                    )
                    values.pop(key)
            elif isinstance(values.get(key), dt.datetime):
                values[key] = values[key].date()
        if "placement" in values:
            placement = tuple(values["placement"])
            wrong = [p for p in placement if p not in ("front", "article")]
            if wrong:
                checker.problems.add(
                    checker.path,
                    checker.line_of("placement"),
                    f"unknown banner placement {wrong[0]!r}",
                    'use "front" and/or "article"',
                )
            values["placement"] = placement
        banners.append(Banner(**values))
    return tuple(banners)


class _Checker:
    """Validates tables against key specs and finds the line a key stands on."""

    def __init__(self, problems: ProblemList, text: str, path: Path):
        self.problems = problems
        self.lines = text.splitlines()
        self.path = path

    def line_of(self, key: str) -> int | None:
        pattern = re.compile(rf"^\s*(\[+\s*)?(\w+\.)*{re.escape(key)}\b")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return number
        return None

    def unknown(self, table: dict[str, Any], known: set[str] | dict[str, Any], where: str) -> None:
        for key in table:
            if key not in known:
                close = difflib.get_close_matches(key, list(known), n=1)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"known keys: {', '.join(sorted(known))}"
                )
                name = f"[{where}] {key}" if where else key
                self.problems.add(self.path, self.line_of(key), f"unknown key {name}", hint)

    def typed(self, table: dict[str, Any], spec: dict[str, Any], where: str) -> dict[str, Any]:
        self.unknown(table, spec, where)
        good = {}
        for key, value in table.items():
            if key not in spec:
                continue
            expected = spec[key]
            types = expected if isinstance(expected, tuple) else (expected,)
            if isinstance(value, bool) and bool not in types:
                ok = False
            else:
                ok = isinstance(value, types)
            if not ok:
                self.problems.add(
                    self.path,
                    self.line_of(key),
                    f"[{where}] {key} has the wrong type",
                    f"it must be {_TYPE_NAMES.get(types[0], types[0].__name__)}",
                )
                continue
            good[key] = value
        return good
