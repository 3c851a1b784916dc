"""Jinja rendering: one environment per build, autoescaping on, errors with file and line."""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date, format_time

from generator.config import SiteConfig
from generator.csp import content_security_policy
from generator.errors import Problem, SiteError
from generator.model import Article
from generator.theme import template_dirs
from generator.urls import Links, url_of

LOCALE = "da_DK"


def danish_date(value: dt.datetime | dt.date) -> str:
    """14. juni 2021"""
    return _danish_day(value.date() if isinstance(value, dt.datetime) else value)


# Babel takes ~40 µs a date and a site shows each article's date on many pages: memoized
# (pure functions of their argument; a few thousand distinct days, minutes and months).
@functools.lru_cache(maxsize=8192)
def _danish_day(day: dt.date) -> str:
    return format_date(day, "d. MMMM y", locale=LOCALE)


@functools.lru_cache(maxsize=8192)
def danish_time(value: dt.datetime) -> str:
    """kl. 09.30"""
    return format_time(value, "'kl.' HH.mm", locale=LOCALE)


@functools.lru_cache(maxsize=1024)
def danish_month(value: dt.date) -> str:
    """juni 2021"""
    return format_date(value, "MMMM y", locale=LOCALE)


def month_name(month: int) -> str:
    return format_date(dt.date(2000, month, 1), "MMMM", locale=LOCALE)


class _CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates, except that a damaged file is compiled again
    instead of failing the build (Jinja lets a truncated file's unpickling error through)."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:  # truncated or garbage, whatever the error: as if it were not there
            bucket.reset()


def make_environment(
    config: SiteConfig, links: Links, now: dt.datetime, compiled: Path | None = None
) -> jinja2.Environment:
    """The Jinja environment of the site's templates; `compiled`: a folder keeping the
    templates compiled (keyed by each template's source), for the next build."""
    dirs = template_dirs(config.templates_dir)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        bytecode_cache=_CompiledTemplates(str(compiled)) if compiled else None,
        autoescape=jinja2.select_autoescape(["html", "xml", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    local = lambda value: value.astimezone(config.tz)  # noqa: E731 - tiny adapter
    env.filters.update(
        dato=lambda v: danish_date(local(v) if isinstance(v, dt.datetime) else v),
        tid=lambda v: danish_time(local(v)),
        maaned=danish_month,
        maanedsnavn=month_name,
        iso=lambda v: local(v).isoformat(timespec="minutes"),
    )
    today = now.astimezone(config.tz).date()
    policies = {wasm: content_security_policy(config, wasm) for wasm in (False, True)}
    env.globals.update(
        site=config,
        csp=lambda wasm=False: policies[bool(wasm)],
        url=links.href,
        absolute_url=links.absolute,
        now=now,
        banners=lambda placement: [
            b for b in config.banners if placement in b.placement and b.is_active(today)
        ],
        status_of=lambda article: article_status(article, now),
        path_of=url_of,
    )
    return env


def article_status(article: Article, now: dt.datetime) -> str:
    """The preview badge: drafts and scheduled articles are marked, published ones are not."""
    if article.draft:
        return "Kladde – ikke offentliggjort"
    if article.is_scheduled(now):
        when = article.date.astimezone(article.date.tzinfo)
        return f"Planlagt til {danish_date(when)} {danish_time(when)}"
    return ""


def render_template(
    env: jinja2.Environment, name: str, context: Mapping[str, Any], site_dir: Path
) -> str:
    """Render `name`; a template mistake becomes a SiteError naming the template and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        raise SiteError(
            Problem(
                _display(exc.filename or name, site_dir),
                exc.lineno,
                f"template syntax error: {exc.message}",
                "fix the Jinja syntax at that line",
            )
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise SiteError(
            Problem(
                name,
                None,
                f"template {exc.name!r} not found",
                "check the name in {% extends %} or {% include %}",
            )
        ) from None
    except Exception as exc:  # an error raised while a template runs
        filename, line = _template_frame(exc)
        raise SiteError(
            Problem(
                _display(filename or name, site_dir),
                line,
                f"template error: {type(exc).__name__}: {exc}",
                "check the variable names used at that line",
            )
        ) from None


def _template_frame(exc: BaseException) -> tuple[str | None, int | None]:
    """Jinja rewrites tracebacks so template frames carry the template file and line."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__ or sys.exc_info()[2]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".j2")):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _display(filename: str, site_dir: Path) -> str:
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(site_dir.resolve()))
    except ValueError:
        return str(path)
