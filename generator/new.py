"""`kommunenyt new "Titel"`: start an article with its front matter filled in.

The file goes to content/articles/YYYY/<slug>.md, dated now in the site's timezone and
marked as a draft, so it shows in the preview but is not published by accident. An
existing file is never overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import yaml

from generator.config import load_config
from generator.errors import Problem, SiteError
from generator.slugs import is_valid_slug, slugify


def new_article(
    site_dir: Path,
    title: str,
    section: str | None = None,
    tags: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> Path:
    """Create the article file and return its path; SiteError if it exists or cannot be made."""
    config = load_config(site_dir)
    title = " ".join(title.split())
    slug = slugify(title)
    if not title or not is_valid_slug(slug):
        raise SiteError(
            Problem(
                "kommunenyt new",
                None,
                f"no URL can be made from the title {title!r}",
                'give a title with letters, like kommunenyt new "Køge flytter it-driften"',
            )
        )
    when = (now or dt.datetime.now(dt.UTC)).astimezone(config.tz)
    path = config.content_dir / "articles" / f"{when:%Y}" / f"{slug}.md"
    front = {
        "title": title,
        "date": f"{when:%Y-%m-%d %H:%M}",
        "slug": slug,
        "lead": "",
        "section": section or config.default_section,
        "tags": [t.strip() for t in tags if t.strip()],
        "draft": True,
    }
    text = (
        "---\n"
        + yaml.safe_dump(
            front, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=None
        )
        + "---\n\nSkriv artiklen her. Slet linjen draft: true, når den skal udgives.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(text)
    except FileExistsError:
        raise SiteError(
            Problem(
                path.relative_to(config.site_dir),
                None,
                "the file already exists; kommunenyt new never overwrites a file",
                "open it in your editor, or choose another title",
            )
        ) from None
    return path
