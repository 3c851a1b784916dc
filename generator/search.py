"""Full-text search with Pagefind, built from the finished pages before they go live.

Pagefind (the PyPI package `pagefind[extended]`, which bundles the binary) reads the
staged HTML and writes a static index under pagefind/. Only articles are indexed: their
template marks the text with data-pagefind-body, the section and year as filters and the
date as the sort key. The language comes from <html lang="da">, which gives Danish
stemming. The search page's own script (assets/soeg.js) loads the index in the browser,
so search works on any static host.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from generator.errors import Problem, SiteError
from generator.search_order import make_deterministic

SEARCH_FOLDER = "pagefind"
TIMEOUT_SECONDS = 900
# The index and the small API the search page imports; Pagefind's ready-made UIs are not
# used (the theme has its own accessible Danish search page), so they are not published.
_UNUSED_PREFIXES = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.")
_UNUSED_FILES = {"pagefind-highlight.js"}


def pagefind_command() -> list[str]:
    """The bundled Pagefind binary, run through the Python package's entry point."""
    return [sys.executable, "-m", "pagefind"]


def build_index(site_folder: Path, work_folder: Path) -> list[tuple[str, Path]]:
    """Index the HTML in `site_folder`; return (site-relative URL, file) of each index file.

    The files are written into `work_folder`, which the caller removes after copying.
    """
    out = work_folder / SEARCH_FOLDER
    command = [
        *pagefind_command(),
        "--site",
        str(site_folder),
        "--output-path",
        str(out),
        "--quiet",
    ]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(_problem(f"Pagefind could not run: {exc}")) from None
    if result.returncode != 0 or not (out / "pagefind.js").is_file():
        details = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise SiteError(_problem("Pagefind failed: " + " / ".join(details)))
    make_deterministic(out)  # same pages, same bytes (Pagefind orders some maps randomly)
    files = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        name = path.name
        if name in _UNUSED_FILES or name.startswith(_UNUSED_PREFIXES):
            continue
        files.append((f"{SEARCH_FOLDER}/{path.relative_to(out).as_posix()}", path))
    return files


def temporary_folder(near: Path) -> Path:
    """A scratch folder beside the output (same disk, so copies can become hard links)."""
    return Path(tempfile.mkdtemp(prefix=".kommunenyt-search-", dir=near))


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _problem(message: str) -> Problem:
    return Problem(
        "search index",
        None,
        message,
        "reinstall with pip install 'pagefind[extended]'; the build stopped and the "
        "site was not changed",
    )
