"""Where the default theme lives, in a source checkout and in an installed wheel."""

from __future__ import annotations

from pathlib import Path

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
