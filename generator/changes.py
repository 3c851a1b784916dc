"""What changed on disk, as the live preview sees it: each path's kind and what a rebuild did."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from generator.config import CONFIG_NAME
from generator.errors import SiteError

# What a changed path is, for deciding what to redo.
ARTICLE, PAGE, AUTHORS, STATIC, TEMPLATE, CONFIG = (
    "article",
    "page",
    "authors",
    "static",
    "template",
    "config",
)
_EDITOR_LITTER = (".swp", ".swx", ".swo", ".tmp", "~", ".part", ".crdownload")


def classify(site_dir: Path, path: Path) -> str | None:
    """The kind of a changed path, or None when it cannot affect the site."""
    try:
        rel = path.relative_to(site_dir)
    except ValueError:
        return None
    parts = rel.parts
    if (
        not parts
        or any(p.startswith((".", "#")) for p in parts)
        or path.name.endswith(_EDITOR_LITTER)
    ):
        return None
    if parts == (CONFIG_NAME,):
        return CONFIG
    if parts[0] == "templates":
        return STATIC if len(parts) > 1 and parts[1] == "assets" else TEMPLATE
    if parts[0] != "content" or len(parts) < 2:
        return None
    if parts[1:] == ("authors.yaml",):
        return AUTHORS
    if parts[1] == "static":
        return STATIC
    if parts[1] == "articles" and (path.suffix == ".md" or "." not in path.name):
        return ARTICLE  # a .md file or a folder of them
    if parts[1] == "pages" and (path.suffix == ".md" or len(parts) == 2):
        return PAGE
    return None


@dataclass(frozen=True)
class Changes:
    """Paths that changed since the last rebuild; `everything` for the first build."""

    paths: frozenset[Path] = frozenset()
    everything: bool = False

    def kinds(self, site_dir: Path) -> dict[str, set[Path]]:
        found: dict[str, set[Path]] = {}
        for path in self.paths:
            kind = classify(site_dir, path)
            if kind:
                found.setdefault(kind, set()).add(path)
        return found


@dataclass(frozen=True)
class RebuildResult:
    generation: int
    changed: frozenset[str] | None  # output files that changed; None: all of them
    error: SiteError | None
    timings: Mapping[str, float]
    rendered: int = 0  # files rendered anew (the rest came from memory)

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())
