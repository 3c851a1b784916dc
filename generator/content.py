"""Turn split source files into validated article and page metadata.

Each rule about the front matter lives here, and each broken rule becomes a Problem
naming the file, the key's line and what to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from generator.config import SiteConfig
from generator.errors import ProblemList
from generator.model import Author
from generator.reader import FrontMatterLoader, SourceFile, read_text, strip_control_characters
from generator.slugs import is_valid_slug, slugify

ARTICLE_KEYS = frozenset(
    {
        "title",
        "date",
        "lead",
        "section",
        "tags",
        "authors",
        "slug",
        "updated",
        "draft",
        "image",
        "image_alt",
        "aliases",
    }
)
PAGE_KEYS = frozenset({"title", "lead", "slug", "aliases"})
MAX_TITLE_LENGTH = 300
DATE_HINT = "write it like 2021-06-14 09:30 (or 2021-06-14T09:30:00+02:00)"


@dataclass(frozen=True)
class ArticleMeta:
    """Everything about an article except its rendered body."""

    source: SourceFile
    title: str
    slug: str
    date: dt.datetime
    lead: str
    section: str
    tags: tuple[str, ...]
    authors: tuple[Author, ...]
    updated: dt.datetime | None
    draft: bool
    image: str | None
    image_alt: str
    extra: MappingProxyType[str, Any]
    aliases: tuple[str, ...] = ()  # old site-relative URLs that redirect here


@dataclass(frozen=True)
class PageMeta:
    source: SourceFile
    title: str
    slug: str
    lead: str
    extra: MappingProxyType[str, Any]
    aliases: tuple[str, ...] = ()


def load_authors(config: SiteConfig, problems: ProblemList) -> dict[str, Author] | None:
    """Read content/authors.yaml: name → email, initials, bio. None when there is no file."""
    path = config.content_dir / "authors.yaml"
    if not path.is_file():
        return None
    rel = path.relative_to(config.site_dir)
    text = read_text(path, config.site_dir, problems)
    if text is None:
        return {}
    try:
        data = yaml.load(text, Loader=FrontMatterLoader) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problems.add(rel, line, f"invalid YAML: {exc.problem}", "check indentation and quoting")
        return {}
    if not isinstance(data, dict):
        problems.add(
            rel,
            1,
            "authors.yaml must map each name to its details",
            "write Name: then indented email:, initials:, bio:",
        )
        return {}
    authors = {}
    for name, details in data.items():
        details = details or {}
        if not isinstance(details, dict):
            problems.add(
                rel, _line_in(text, str(name)), f"details of {name!r} must be key: value lines"
            )
            continue
        unknown = set(details) - {"email", "initials", "bio"}
        if unknown:
            problems.add(
                rel,
                _line_in(text, str(name)),
                f"unknown key {sorted(unknown)[0]!r} for author {name!r}",
                "authors know email, initials and bio",
            )
        slug = slugify(str(name))
        if not slug:
            problems.add(rel, _line_in(text, str(name)), f"author name {name!r} has no letters")
            continue
        authors[str(name)] = Author(
            str(name),
            slug,
            str(details.get("email") or ""),
            str(details.get("initials") or ""),
            str(details.get("bio") or ""),
        )
    return authors


def article_meta(
    src: SourceFile, config: SiteConfig, authors: Mapping[str, Author] | None, problems: ProblemList
) -> ArticleMeta | None:
    """Validate one article's front matter; None (with problems added) when it is unusable."""
    before = len(problems.errors)
    meta = src.meta
    title = _text(src, "title", problems, required=True)
    if title and len(title) > MAX_TITLE_LENGTH:
        problems.add(
            src.rel,
            src.line_of("title"),
            f"the title is {len(title)} characters long",
            f"keep it under {MAX_TITLE_LENGTH}",
        )
    date = _datetime(src, "date", config.tz, problems, required=True)
    updated = _datetime(src, "updated", config.tz, problems)
    if date and updated and updated < date:
        problems.add(
            src.rel,
            src.line_of("updated"),
            "updated is earlier than date",
            "updated is when the article was last changed, after it was published",
        )
    lead = _text(src, "lead", problems)
    section = _text(src, "section", problems) or config.default_section
    _check_name(src, "section", section, problems)
    tags = _text_list(src, "tags", problems)
    for tag in tags:
        _check_name(src, "tag", tag, problems)
    author_names = _text_list(src, "authors", problems)
    article_authors = []
    for name in author_names:
        author = _find_author(name, authors)
        if author is None:
            known = ", ".join(sorted(authors or {})) or "none"
            problems.add(
                src.rel,
                src.line_of("authors"),
                f"unknown author {name!r}",
                f"add them to content/authors.yaml or use a known name ({known})",
            )
        elif _check_name(src, "author", author.name, problems, key="authors"):
            article_authors.append(author)
    slug = _slug(src, title, problems) if title or "slug" in meta else ""
    draft = meta.get("draft", False)
    if not isinstance(draft, bool):
        problems.add(src.rel, src.line_of("draft"), "draft must be true or false")
        draft = True
    if not draft and not src.body.strip():
        problems.add(
            src.rel,
            src.body_line - 1,
            "the article has front matter but no text",
            "write the article below the second ---, or add draft: true until it is ready",
        )
    image, image_alt = _image(src, config, problems)
    aliases = _aliases(src, config, problems)
    if len(problems.errors) > before or title is None or date is None:
        return None
    extra = {k: v for k, v in meta.items() if k not in ARTICLE_KEYS}
    return ArticleMeta(
        src,
        title,
        slug,
        date,
        lead or "",
        section,
        tuple(tags),
        tuple(article_authors),
        updated,
        draft,
        image,
        image_alt,
        MappingProxyType(extra),
        aliases,
    )


def page_meta(
    src: SourceFile, problems: ProblemList, config: SiteConfig | None = None
) -> PageMeta | None:
    before = len(problems.errors)
    title = _text(src, "title", problems, required=True)
    lead = _text(src, "lead", problems) or ""
    slug = _slug(src, src.path.stem, problems, from_filename=True)
    aliases = _aliases(src, config, problems) if config else ()
    if len(problems.errors) > before or title is None:
        return None
    extra = {k: v for k, v in src.meta.items() if k not in PAGE_KEYS}
    return PageMeta(src, title, slug, lead, MappingProxyType(extra), aliases)


def parse_datetime(value: Any, tz: ZoneInfo) -> dt.datetime:
    """Parse an ISO date or date-time; a value without offset is in the site's timezone.

    Raises ValueError with a message an editor understands.
    """
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        match = re.fullmatch(
            r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2})[:.](\d{2})(?::(\d{2}))?)?"
            r"(Z|[+-]\d{2}:?\d{2})?",
            text,
        )
        if not match:
            raise ValueError(f"{text!r} is not a date")
        year, month, day, hour, minute, second, offset = match.groups()
        try:
            parsed = dt.datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            raise ValueError(f"the date {text!r} does not exist") from None
        if offset:
            parsed = dt.datetime.fromisoformat(
                parsed.isoformat()
                + (
                    "+00:00"
                    if offset == "Z"
                    else offset
                    if ":" in offset
                    else offset[:3] + ":" + offset[3:]
                )
            )
    else:
        raise ValueError(f"{value!r} is not a date")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz)


_NAME_KEYS = {"section": "section", "tag": "tags", "author": "authors"}


def _check_name(
    src: SourceFile, kind: str, name: str, problems: ProblemList, key: str | None = None
) -> bool:
    """A section, tag or author name becomes a folder of the site: it needs a usable slug."""
    slug = slugify(name)
    if is_valid_slug(slug):
        return True
    line = src.line_of(key or _NAME_KEYS[kind])
    if not slug:
        problems.add(
            src.rel,
            line,
            f"the {kind} {name!r} has no letters or digits",
            f"remove it or give the {kind} a name with letters",
        )
    else:
        problems.add(
            src.rel,
            line,
            f"the {kind} {name!r} would get the address {slug}/, a name Windows cannot store",
            f"give the {kind} a longer name",
        )
    return False


def _find_author(name: str, authors: Mapping[str, Author] | None) -> Author | None:
    if authors is None:
        return Author(name, slugify(name))
    if name in authors:
        return authors[name]
    wanted = slugify(name)
    return next((a for a in authors.values() if a.slug == wanted), None)


def _text(src: SourceFile, key: str, problems: ProblemList, required: bool = False) -> str | None:
    value = src.meta.get(key)
    if value is None:
        if required:
            problems.add(
                src.rel,
                src.line_of(key) if key in src.meta else 1,
                f"{key} is missing" if key not in src.meta else f"{key} is empty",
                f"add a line {key}: … to the front matter",
            )
        return None
    if isinstance(value, (list, dict)):
        problems.add(
            src.rel,
            src.line_of(key),
            f"{key} must be a single text, not a list or mapping",
            f"write {key}: followed by the text on one line",
        )
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat()
    text = " ".join(strip_control_characters(str(value)).split())
    if required and not text:
        problems.add(src.rel, src.line_of(key), f"{key} is empty", f"write the {key} after {key}:")
        return None
    return text


def _text_list(src: SourceFile, key: str, problems: ProblemList) -> list[str]:
    value = src.meta.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(isinstance(v, (list, dict)) or v is None for v in value):
        problems.add(
            src.rel,
            src.line_of(key),
            f"{key} must be a list of names",
            f"write {key}: [Første, Anden]",
        )
        return []
    seen: dict[str, str] = {}
    for item in value:
        text = " ".join(strip_control_characters(str(item)).split())
        if text and slugify(text) not in seen:
            seen[slugify(text)] = text
    return list(seen.values())


def _datetime(
    src: SourceFile, key: str, tz: ZoneInfo, problems: ProblemList, required: bool = False
) -> dt.datetime | None:
    if key not in src.meta or src.meta[key] in (None, ""):
        if required:
            problems.add(
                src.rel,
                src.line_of(key) if key in src.meta else 1,
                f"{key} is missing",
                f"add {key}: and {DATE_HINT}",
            )
        return None
    try:
        return parse_datetime(src.meta[key], tz)
    except ValueError as exc:
        problems.add(src.rel, src.line_of(key), f"{key}: {exc}", DATE_HINT)
        return None


def _slug(
    src: SourceFile, fallback: str | None, problems: ProblemList, from_filename: bool = False
) -> str:
    explicit = src.meta.get("slug")
    if explicit is not None:
        text = str(explicit).strip()
        if not is_valid_slug(text):
            suggestion = slugify(text)
            hint = (
                f"use slug: {suggestion}"
                if suggestion and is_valid_slug(suggestion)
                else "use lower-case letters a–z, digits and hyphens"
            )
            problems.add(
                src.rel, src.line_of("slug"), f"the slug {text!r} cannot be used in a URL", hint
            )
            return ""
        return text
    slug = slugify(fallback or "")
    if not is_valid_slug(slug):
        where = "file name" if from_filename else "title"
        problems.add(
            src.rel,
            1 if from_filename else src.line_of("title"),
            f"no usable URL slug can be made from the {where}",
            "add slug: with lower-case letters, digits and hyphens",
        )
        return ""
    return slug


def _image(src: SourceFile, config: SiteConfig, problems: ProblemList) -> tuple[str | None, str]:
    image = src.meta.get("image")
    alt = src.meta.get("image_alt")
    if image in (None, ""):
        return None, ""
    if not isinstance(image, str):
        problems.add(src.rel, src.line_of("image"), "image must be a path like static/billede.jpg")
        return None, ""
    image = image.strip().lstrip("/")
    static_root = (config.content_dir / "static").resolve()
    target = (config.content_dir / image).resolve()
    if "://" in image or not target.is_relative_to(static_root):
        problems.add(
            src.rel,
            src.line_of("image"),
            f"the image {image!r} is not in content/static/",
            "put the image in content/static/ and write image: static/navn.jpg",
        )
    elif not target.is_file():
        problems.add(
            src.rel,
            src.line_of("image"),
            f"the image {image!r} does not exist",
            "check the file name, or add the file to content/static/",
        )
    if not isinstance(alt, str) or not alt.strip():
        problems.add(
            src.rel,
            src.line_of("image_alt") if "image_alt" in src.meta else src.line_of("image"),
            "an image needs image_alt, the text read aloud to blind readers",
            "add image_alt: describing what the image shows",
        )
        alt = ""
    return image, " ".join(str(alt).split())


_ALIAS_CHARS = re.compile(r"[A-Za-z0-9._~/-]+")
ALIAS_HINT = "write old addresses as a list, like aliases: [/artikel/gammel-adresse/]"


def _aliases(src: SourceFile, config: SiteConfig, problems: ProblemList) -> tuple[str, ...]:
    """Old URLs of this file, site-relative ("artikel/gammel/"), each becoming a redirect page."""
    value = src.meta.get("aliases")
    if value in (None, "", []):
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        problems.add(
            src.rel, src.line_of("aliases"), "aliases must be a list of addresses", ALIAS_HINT
        )
        return ()
    found: list[str] = []
    for raw in values:
        alias = raw.strip()
        if alias.startswith(config.base_url):
            alias = alias[len(config.base_url) :]
        elif alias.startswith(config.base_path):
            alias = alias[len(config.base_path) :]
        alias = alias.lstrip("/")
        parts = alias.split("/")
        if (
            not alias
            or not _ALIAS_CHARS.fullmatch(alias)
            or any(p in (".", "..") for p in parts)
            or "" in parts[:-1]
        ):
            problems.add(
                src.rel,
                src.line_of("aliases"),
                f"the alias {raw!r} is not an address on this site",
                "use the old path, like /artikel/gammel-adresse/ (letters a–z, digits, - . / _)",
            )
            continue
        if not alias.endswith("/") and "." not in parts[-1]:
            alias += "/"  # a pretty URL: served as folder/index.html
        if alias not in found:
            found.append(alias)
    return tuple(found)


def _line_in(text: str, key: str) -> int | None:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith(key + ":") or line.startswith(f'"{key}":'):
            return number
    return None
