"""Where the default theme lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.config import SiteConfig

_PACKAGED = Path(__file__).parent / "_theme"  # copied here when the wheel is built
_SOURCE = Path(__file__).parent.parent / "templates"  # the repository's top-level templates/


def default_theme_dir() -> Path:
    """The folder of the default templates and assets."""
    for candidate in (_PACKAGED, _SOURCE):
        if (candidate / "base.html").is_file():
            return candidate
    raise FileNotFoundError("the default theme is missing: reinstall kommunenyt")


def template_dirs(site_templates: Path) -> list[Path]:
    """Search order: the site's own templates/ first, then the default theme."""
    dirs = [site_templates] if site_templates.is_dir() else []
    theme = default_theme_dir()
    if not dirs or dirs[0].resolve() != theme.resolve():
        dirs.append(theme)
    return dirs


def template_texts(config: SiteConfig) -> list[str]:
    """The text of every template the site may use, its own and the default theme's."""
    texts = []
    for folder in template_dirs(config.templates_dir):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "assets" not in path.relative_to(folder).parts:
                try:
                    texts.append(path.read_text(encoding="utf-8-sig"))
                except (UnicodeDecodeError, OSError):
                    continue
    return texts
