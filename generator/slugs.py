"""Danish slugs: æ→ae, ø→oe, å→aa, lower case, hyphens.

Input is NFC-normalised first, so an å stored as `a` + combining ring (NFD, as some
Mac editors save it) slugs the same as a precomposed å.
"""

from __future__ import annotations

import functools
import unicodedata

from slugify import slugify as _slugify

_DANISH = [
    ["æ", "ae"],
    ["ø", "oe"],
    ["å", "aa"],
    ["Æ", "ae"],
    ["Ø", "oe"],
    ["Å", "aa"],
    ["&", " og "],
]

MAX_SLUG_LENGTH = 80

# Names Windows cannot store as folder names; a site must be copyable to any disk.
RESERVED_SLUGS = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)


@functools.lru_cache(maxsize=65536)
def slugify(text: str, separator: str = "-") -> str:
    """Return the URL slug of `text`; empty when nothing letter- or digit-like remains.

    Memoised: a site's few hundred tag and section names are slugged on every build, and
    the live preview rebuilds on every save.
    """
    normalised = unicodedata.normalize("NFC", str(text))
    return _slugify(
        normalised,
        replacements=_DANISH,
        separator=separator,
        max_length=MAX_SLUG_LENGTH,
        word_boundary=True,
        save_order=True,
    )


def is_valid_slug(slug: str) -> bool:
    """True for a slug that is safe as one URL path segment and one folder name."""
    return bool(slug) and slugify(slug) == slug and slug not in RESERVED_SLUGS
