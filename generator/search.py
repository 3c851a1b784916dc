"""Full-text search with Pagefind, built from the finished pages before they go live.

Pagefind (the PyPI package `pagefind[extended]`, which bundles the binary) reads HTML and
writes a static index. Only the pages marked with data-pagefind-body are indexed (the
article template marks the text, the section and year as filters and the date as the sort
key); the language comes from <html lang="da">, which gives Danish stemming.

The index is split into shards, each its own Pagefind bundle under pagefind/<shard>/, so
that an edit indexes one shard again and the others are linked from the last build. The
articles of one publication year, oldest first, fill shards of SHARD_SIZE: 2024-1 holds
the first SHARD_SIZE articles of 2024, 2024-2 the next. A new article therefore touches
only the newest shard, an edit only its own, and a deleted or re-dated one only the later
shards of its year. Pagefind's time and memory grow with the pages of one run (about 3-4
ms and 0.33 MB per article), so the size bounds both; the browser pays for the count (one
metadata file per shard, one index chunk per shard and word). pagefind/shards.json lists
the shards, newest first; the search page's script (assets/soeg.js) loads the newest and
merges the others into it (Pagefind's mergeIndex), so one query searches all of them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from generator.cache import OutputRecord, digest
from generator.errors import Problem, SiteError
from generator.outputs import reuse_search, search_key, search_records
from generator.search_order import make_deterministic
from generator.writer import OutputWriter

SEARCH_FOLDER = "pagefind"
SHARDS_FILE = "shards.json"  # our list of the bundles, read by assets/soeg.js
SHARD_SIZE = 500  # articles per shard: see the module docstring and docs/performance.md
JOBS = 2  # Pagefind runs at once in a cold build (each uses one core)
TIMEOUT_SECONDS = 900
# The index and the small API the search page imports; Pagefind's ready-made UIs are not
# used (the theme has its own accessible Danish search page), so they are not published.
_UNUSED_PREFIXES = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.")
_UNUSED_FILES = {"pagefind-highlight.js"}
_BODY = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?\sdata-pagefind-body\b[^>]*>")
_MARKED = re.compile(rb"data-pagefind-")
_ROOT = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)


@dataclass(frozen=True)
class Shard:
    """One Pagefind bundle: its name (its folder under pagefind/) and the pages in it."""

    name: str
    pages: tuple[str, ...]  # output paths, e.g. artikel/<slug>/index.html


@dataclass
class SearchIndex:
    key: str  # of the whole index: changes when any shard does
    files: list[str]  # every file of the index, the shard list included
    records: dict[str, OutputRecord]
    indexed: list[str]  # names of the shards Pagefind ran for (the rest were reused)


def plan_shards(pages: Mapping[str, dt.datetime | None], size: int | None = None) -> list[Shard]:
    """Split the indexed pages into shards, newest first; pages without a date go last."""
    size = size or SHARD_SIZE
    by_year: dict[int | None, list[tuple[dt.datetime | None, str]]] = {}
    for target, date in pages.items():
        by_year.setdefault(date.year if date else None, []).append((date, target))
    shards = []
    years = sorted((y for y in by_year if y is not None), reverse=True)
    for year in [*years, None] if None in by_year else years:
        ordered = [t for _, t in sorted(by_year[year], key=lambda p: (p[0] or 0, p[1]))]
        chunks = [ordered[i : i + size] for i in range(0, len(ordered), size)]
        prefix = "andre" if year is None else str(year)
        for number in reversed(range(len(chunks))):
            shards.append(Shard(f"{prefix}-{number + 1}", tuple(chunks[number])))
    return shards


def update_index(
    writer: OutputWriter,
    pages: Mapping[str, dt.datetime | None],
    records: Mapping[str, OutputRecord],
    previous: Mapping[str, OutputRecord],
    previous_files: Sequence[str],
    size: int | None = None,
) -> SearchIndex:
    """Index `pages` (already written by `writer`) in shards and add them to the output.

    A shard is keyed on what Pagefind reads of its pages (search_part), so a page whose
    "Læs også" list or navigation changed does not make its shard stale. A shard whose key
    is the last build's is linked from it (its files keep their inode and time); Pagefind
    runs only for the others, JOBS at a time, while the next shards are being checked.
    The page records come back with their `search` digest, which the cache keeps.
    """
    result = SearchIndex("", [], {}, [])
    known = dict(records)
    running: list[tuple[Shard, str, Future[list[tuple[str, Path]]]]] = []
    scratch: Path | None = None
    shards = plan_shards(pages, size)
    with ThreadPoolExecutor(max_workers=JOBS) as pool:
        try:
            for shard in shards:
                parts = {}
                for page in shard.pages:
                    if not known[page].search:
                        parts[page] = search_part(Path(writer.current(page)).read_bytes())
                        known[page] = replace(known[page], search=digest(parts[page]))
                        result.records[page] = known[page]
                key = search_key(known, shard.pages)
                old = [name for name in previous_files if name.startswith(_folder(shard))]
                reused = reuse_search(writer, old, previous, key)
                if reused is not None:
                    result.records.update(reused)
                    continue
                scratch = scratch or temporary_folder(writer.staging.parent)
                site = scratch / shard.name / "site"
                for page in shard.pages:
                    if page not in parts:
                        parts[page] = search_part(Path(writer.current(page)).read_bytes())
                    (site / page).parent.mkdir(parents=True, exist_ok=True)
                    (site / page).write_bytes(parts[page])
                running.append((shard, key, pool.submit(run_pagefind, scratch / shard.name)))
            for shard, key, future in running:
                files = [(f"{_folder(shard)}{rel}", path) for rel, path in future.result()]
                for name, path in files:
                    writer.copy(name, path)
                result.records.update(search_records(writer, [n for n, _ in files], key))
                result.indexed.append(shard.name)
        finally:
            for _, _, future in running:
                future.cancel()
            pool.shutdown(wait=True)
            if scratch is not None:
                remove_folder(scratch)
    listing = json.dumps({"shards": [s.name for s in shards]})
    name = f"{SEARCH_FOLDER}/{SHARDS_FILE}"
    writer.write(name, listing.encode())
    result.records.update(search_records(writer, [name], digest(listing)))
    result.files = sorted(n for n in result.records if n.startswith(f"{SEARCH_FOLDER}/"))
    result.key = digest(repr([(n, result.records[n].signature) for n in result.files]))
    return result


def _folder(shard: Shard) -> str:
    return f"{SEARCH_FOLDER}/{shard.name}/"


def search_part(html: bytes) -> bytes:
    """The part of a page Pagefind reads, as a page of its own: the data-pagefind-body
    element in <html lang>. The whole page if anything else might count (another marked
    element, a data-pagefind-* attribute outside it) or the element does not close."""
    start = _BODY.search(html)
    if start is None:
        return html
    depth, end = 1, None
    tags = re.compile(rb"<(/?)" + re.escape(start.group(1)) + rb"[\s/>]", re.IGNORECASE)
    for tag in tags.finditer(html, start.end()):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            end = html.find(b">", tag.start()) + 1
            break
    if not end or _MARKED.search(html, 0, start.start()) or _MARKED.search(html, end):
        return html
    root = _ROOT.search(html)
    return b"".join(
        [
            b"<!doctype html>\n",
            root.group(0) if root else b"<html>",
            b'<head><meta charset="utf-8"></head><body>',
            html[start.start() : end],
            b"</body></html>\n",
        ]
    )


def run_pagefind(work_folder: Path) -> list[tuple[str, Path]]:
    """Index the pages in `work_folder`/site as one Pagefind bundle; return (path in the
    bundle, file) of each file to publish. The caller removes `work_folder`."""
    site, out = work_folder / "site", work_folder / "bundle"
    command = [*pagefind_command(), "--site", str(site), "--output-path", str(out), "--quiet"]
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
        name = path.name
        if path.is_file() and not (name in _UNUSED_FILES or name.startswith(_UNUSED_PREFIXES)):
            files.append((path.relative_to(out).as_posix(), path))
    return files


def pagefind_command() -> list[str]:
    """The bundled Pagefind binary, run through the Python package's entry point."""
    return [sys.executable, "-m", "pagefind"]


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
