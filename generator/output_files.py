"""The file-system steps the output writer (generator.writer) is made of.

Hard links and atomic placement of single files, the manifest that names a build's files,
the checks that keep writes inside the output folder, and the atomic exchange of two
folders. Each is one step on paths it is given and knows nothing of a build.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import posixpath
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path

import orjson

from generator.errors import Problem, SiteError

MANIFEST = ".kommunenyt-manifest.json"


def manifest_bytes(files: Iterable[str]) -> bytes:
    """The manifest naming a build's files, the same bytes however the build was written."""
    return orjson.dumps({"generator": "kommunenyt", "files": sorted(files)})


@contextlib.contextmanager
def signals_held():
    """Hold back SIGINT and SIGTERM for a few system calls that belong together."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # no signal masks here, or not main thread
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def safe_key(key: object) -> bool:
    """A relative path that stays below the folder it is joined to."""
    return (
        isinstance(key, str)
        and bool(key)
        and not key.startswith("/")
        and ".." not in key.split("/")
    )


def parents_of(key: str) -> list[str]:
    """The folders on the way to `key`, outermost first ("" not included)."""
    parents = []
    folder = posixpath.dirname(key)
    while folder and folder != "/":
        parents.append(folder)
        folder = posixpath.dirname(folder)
    return parents[::-1]


def folders_of(keys: set[str]) -> set[str]:
    """Every folder on the way to the files `keys` ("" for the top)."""
    folders = {""}
    for key in keys:
        folder = posixpath.dirname(key)
        while folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return folders


def walk_files(root: str) -> list[tuple[str, bool]]:
    """(relative path, is a link) of every file and link under `root`; links not followed."""
    found = []
    pending = [""]
    while pending:
        folder = pending.pop()
        with os.scandir(f"{root}/{folder}" if folder else root) as entries:
            for entry in entries:
                key = f"{folder}/{entry.name}" if folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    pending.append(key)
                else:
                    found.append((key, entry.is_symlink()))
    return sorted(found)


def spare_files(spare: Path) -> set[str] | None:
    """The files and links in a spare folder; None when it is not one kommunenyt made.

    Looked at, not taken from the manifest: the manifest names the site's files, but not
    the ones the user put in the folder since (a patched output is never walked, which is
    what makes a patch cheap), and a spare file nobody names would come back into the site.
    """
    try:
        data = json.loads((spare / MANIFEST).read_text(encoding="utf-8"))
        if data.get("generator") != "kommunenyt" or not isinstance(data["files"], list):
            return None
        return {key for key, _ in walk_files(str(spare)) if key != MANIFEST}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def read_bytes_of(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def remove_entry(path: str) -> None:
    """Remove whatever a spare left at `path` (file, link or folder)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def place_link(source: str, target: str) -> None:
    """`target` becomes a hard link to `source`, replacing what was there atomically."""
    try:
        os.link(source, target)
        return
    except FileExistsError:
        pass
    with contextlib.suppress(OSError):
        a, b = os.stat(source), os.lstat(target)
        if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev):
            return  # the spare already holds this very file
    temporary = f"{target}.kommunenyt-tmp"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temporary)
    os.link(source, temporary)
    replace_entry(temporary, target)


def place_bytes(target: str, data: bytes) -> None:
    """Write `data` as a new file at `target`, never into a file that may be linked elsewhere."""
    if not os.path.lexists(target):
        with open(target, "xb") as file:
            file.write(data)
        return
    temporary = f"{target}.kommunenyt-tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    replace_entry(temporary, target)


def replace_entry(temporary: str, target: str) -> None:
    try:
        os.replace(temporary, target)
    except IsADirectoryError:  # a folder of an older build has this name now
        shutil.rmtree(target)
        os.replace(temporary, target)


def read_manifest(output_dir: Path) -> set[str]:
    """Files the previous build wrote; refuses a non-empty folder kommunenyt never wrote."""
    if not output_dir.exists():
        return set()
    if not output_dir.is_dir():
        raise SiteError(
            Problem(
                output_dir,
                None,
                "the output path is a file, not a folder",
                "choose another --output",
            )
        )
    manifest = output_dir / MANIFEST
    if not manifest.is_file():
        if any(output_dir.iterdir()):
            raise SiteError(
                Problem(
                    output_dir,
                    None,
                    "the output folder holds files kommunenyt did not write",
                    "empty it or choose another --output; kommunenyt never "
                    "deletes files it did not make",
                )
            )
        return set()
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        return set(data["files"])
    except (ValueError, KeyError, TypeError):
        raise SiteError(
            Problem(
                manifest,
                None,
                "the output manifest is damaged",
                "empty the output folder and build again",
            )
        ) from None


def refuse_dangerous_output(output_dir: Path, site_dir: Path) -> None:
    """The output folder may never be, or contain, the site's sources."""
    protected = [site_dir, site_dir / "content", site_dir / "templates"]
    for folder in protected:
        if output_dir == folder or folder.is_relative_to(output_dir):
            raise SiteError(
                Problem(
                    output_dir,
                    None,
                    f"the output folder would replace {folder}",
                    "choose an output folder of its own, such as output/",
                )
            )
    if output_dir.is_relative_to(site_dir / "content") or output_dir.is_relative_to(
        site_dir / "templates"
    ):
        raise SiteError(
            Problem(
                output_dir,
                None,
                "the output folder lies inside the sources",
                "choose an output folder outside content/ and templates/",
            )
        )


def remove_stale_folders(output_dir: Path) -> None:
    """Staging and old folders left by builds that were killed (called holding the lock)."""
    for prefix in (f".{output_dir.name}.staging-", f".{output_dir.name}.old-"):
        for folder in output_dir.parent.glob(prefix + "*"):
            shutil.rmtree(folder, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return result == 0


@contextlib.contextmanager
def disk_errors(key: str):
    """A full disk or a read-only folder is the user's to fix: say so, without a traceback."""
    try:
        yield
    except OSError as exc:
        hint = (
            "free some disk space and build again"
            if exc.errno in (errno.ENOSPC, errno.EDQUOT)
            else "check the permissions of the output folder and build again"
        )
        raise SiteError(
            Problem(
                key,
                None,
                f"could not write the output: {exc.strerror or exc}",
                f"{hint}; the previous site is untouched",
            )
        ) from None
