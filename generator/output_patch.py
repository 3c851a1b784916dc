"""Patching the output folder in place: the few files a small rebuild changed, and no more.

A rebuild after one edit changes a few dozen of a big site's files. Building a whole new
folder for them and swapping it in (generator.writer) costs a link per file of the site;
patching costs a rename per changed file. The guarantee stays: the new files are staged
in a patch folder beside the output, and nothing in the output changes until a journal
naming every step is in place. From then on the patch is finished even if the build is
killed: the next build (holding the same lock) completes it before anything else. Each
file is replaced by a rename, so a reader never sees half a file.

Only an ordinary patch is taken: a new name where a file of the user already lies, or a
folder where a file is needed (or the other way round), goes through the folder swap,
whose checks explain such conflicts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Iterable
from pathlib import Path

import orjson

from generator.atomic import write_atomically
from generator.output_files import (
    MANIFEST,
    manifest_bytes,
    parents_of,
    place_bytes,
    read_bytes_of,
    safe_key,
)

JOURNAL = ".kommunenyt-journal.json"


def _kind(path: str) -> str:
    """ "missing", "folder" (a real one) or "file" (anything else, links included)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return "missing"
    return "folder" if stat.S_ISDIR(mode) else "file"


def patch_fits(
    output_dir: Path,
    staged: Iterable[str],
    new_names: Iterable[str],
    removed: Iterable[str],
) -> bool:
    """The patch only replaces, adds and removes the site's own files along real folders.

    `staged`: files with new bytes; `new_names`: files the last build did not write (staged
    or not: a file of the user with the very bytes of a new page is still the user's);
    `removed`: files of the last build this one no longer writes.
    """
    checked: dict[str, str] = {}

    def kind(rel: str) -> str:
        if rel not in checked:
            checked[rel] = _kind(f"{output_dir}/{rel}")
        return checked[rel]

    new_names = set(new_names)
    for key in {*staged, *new_names}:
        if any(kind(folder) == "file" for folder in parents_of(key)):
            return False  # a file or a link where this build needs a folder
        here = kind(key)
        if here == "folder" or (here == "file" and key in new_names):
            return False  # a folder in the way, or a file the last build did not write
    for key in removed:
        if kind(key) == "folder" or any(kind(f) != "folder" for f in parents_of(key)):
            return False
    return True


def commit_patch(
    output_dir: Path, patch_dir: Path, staged: list[str], removed: list[str], files: Iterable[str]
) -> None:
    """Write the journal (from here on the patch happens), then carry it out; `files`: every
    file of the new site, for its manifest."""
    journal = {"replace": staged, "remove": removed, "files": sorted(files)}
    write_atomically(patch_dir / JOURNAL, orjson.dumps(journal))
    _apply(output_dir, patch_dir, journal)
    shutil.rmtree(patch_dir, ignore_errors=True)


def finish_patch(output_dir: Path, patch_dir: Path) -> None:
    """Complete a patch a killed build had committed to; drop one it had not."""
    if not os.path.lexists(patch_dir):
        return
    journal = _read_journal(patch_dir)
    if journal is not None and output_dir.is_dir():
        _apply(output_dir, patch_dir, journal)
    shutil.rmtree(patch_dir, ignore_errors=True)


def _read_journal(patch_dir: Path) -> dict | None:
    """The journal if it is whole and names only paths inside the output folder."""
    try:
        journal = json.loads((patch_dir / JOURNAL).read_text(encoding="utf-8"))
        replace, remove, files = journal["replace"], journal["remove"], journal["files"]
        if not all(isinstance(names, list) for names in (replace, remove, files)):
            return None
        if not all(safe_key(k) for k in [*replace, *remove, *files]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return journal


def _apply(output_dir: Path, patch_dir: Path, journal: dict) -> None:
    """Move the staged files in, delete the removed ones, then write the new manifest.

    Every step can be taken again: a file already moved is skipped, a removed one is gone.
    A folder is made only where nothing is in the way and never through a link, so a
    file whose way was blocked since the patch was planned is left out (the manifest then
    names a missing file, which the next build notices and renders).
    """
    for key in journal["replace"]:
        source = f"{patch_dir}/{key}"
        target = f"{output_dir}/{key}"
        if os.path.lexists(source) and _make_folders(output_dir, key) and _kind(target) != "folder":
            os.replace(source, target)
    for key in journal["remove"]:
        if not all(_kind(f"{output_dir}/{f}") == "folder" for f in parents_of(key)):
            continue
        path = f"{output_dir}/{key}"
        if _kind(path) == "file":
            os.unlink(path)
        for folder in reversed(parents_of(key)):  # folders it leaves empty go too
            try:
                os.rmdir(f"{output_dir}/{folder}")
            except OSError:
                break
    manifest, listed = f"{output_dir}/{MANIFEST}", manifest_bytes(journal["files"])
    with contextlib.suppress(OSError):
        if read_bytes_of(manifest) == listed:
            return  # the same files as before: the manifest is not rewritten either
    place_bytes(manifest, listed)


def _make_folders(output_dir: Path, key: str) -> bool:
    """Make the folders on the way to `key` that are missing; False if a file is in the way."""
    for folder in parents_of(key):
        path = f"{output_dir}/{folder}"
        kind = _kind(path)
        if kind == "file":
            return False
        if kind == "missing":
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
    return True
