"""Pages the signup service renders, in the site's own templates and navigation.

The service never reads the articles: the build writes the little the page frame needs
(sections and plain pages for header and footer) to nyhedsbrev/tjeneste.json, and the
service reads that file again whenever a new build has replaced it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from generator.config import SiteConfig
from generator.library import Library, build_library
from generator.model import Page, Taxon
from generator.render import make_environment, render_template
from generator.urls import Links, url_of

log = logging.getLogger("kommunenyt.newsletter")
PRIVACY_SLUG = "privatlivspolitik"


def service_data(library: Library) -> dict[str, Any]:
    """What the build writes for the service: the navigation, nothing personal or large."""
    return {
        "sections": [{"name": s.name, "slug": s.slug} for s in library.sections],
        "pages": [{"title": p.title, "slug": p.slug} for p in library.pages],
    }


def light_library(data: Mapping[str, Any]) -> Library:
    """A Library with sections and pages but no articles: enough for base.html."""
    pages = [Page(Path(), p["title"], p["slug"], "") for p in data.get("pages", [])]
    sections = tuple(Taxon("section", s["name"], s["slug"], ()) for s in data.get("sections", []))
    return replace(build_library([], pages), sections=sections)


@dataclass
class _Cached:
    stamp: tuple[int, int] | None
    library: Library


class ServicePages:
    """Renders service pages; reloads the navigation when the built site changes."""

    def __init__(self, config: SiteConfig, site_output: Path | None):
        self.config = config
        self.data_file = site_output / url_of("newsletter_service_data") if site_output else None
        self.links = Links(config)
        self.env = make_environment(config, self.links, dt.datetime.now(dt.UTC))
        self._cached = _Cached(None, light_library({}))
        self._warned = False

    def library(self) -> Library:
        path = self.data_file
        try:
            info = path.stat() if path else None
        except OSError:
            info = None
        if info is None:
            if not self._warned:
                log.warning(
                    "no %s: build the site so service pages show its navigation",
                    url_of("newsletter_service_data"),
                )
                self._warned = True
            return self._cached.library
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != self._cached.stamp:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
                self._cached = _Cached(stamp, light_library(data))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("cannot read the service navigation: %s", exc)
        return self._cached.library

    def privacy_page(self, library: Library) -> Page | None:
        return next((p for p in library.pages if p.slug == PRIVACY_SLUG), None)

    def render(self, template: str, page_url: str, **context: Any) -> str:
        library = self.library()
        full = {
            "library": library,
            "page_url": page_url,
            "feeds": [],
            "privacy_page": self.privacy_page(library),
            **context,
        }
        return render_template(self.env, template, full, self.config.site_dir)
