"""Write the site atomically: into a staging folder beside the output, then swap it in.

A failed or interrupted build never leaves a half-written site: until the swap the old
output is untouched. Files in the output folder that kommunenyt did not write (listed
nowhere in its manifest) are carried over, never deleted. A file whose bytes did not
change is hard-linked from the previous build, so its timestamp stays and rsync or a
CDN sees only real changes.

The folder swapped out is kept as a spare (`.output.kommunenyt-spare`) and becomes the
next build's staging folder: it already holds nearly every file and folder of the site,
so a rebuild after a small change links or writes only what differs from it and deletes
only what is gone, instead of recreating and deleting tens of thousands of entries. Only
a spare with kommunenyt's manifest is used (its files are looked at, not taken from the
manifest); anything else is deleted and the build starts from an empty folder.

A rebuild that renders only a small share of the site's files (one edited article: its
page, the lists and feeds showing it) patches the output in place instead
(generator.output_patch): its new files are staged in a patch folder and renamed into the
output under a journal, so the swap's link per file of the site is saved and the output
still never holds a half-done build (an interrupted patch is finished by the next build).

The single steps (linking, placing a file atomically, the manifest, the folder exchange)
are in generator.output_files; this module decides which to take, and when.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import posixpath
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from generator.errors import Problem, SiteError
from generator.output_files import (
    MANIFEST,
    disk_errors,
    exchange,
    folders_of,
    manifest_bytes,
    parents_of,
    place_bytes,
    place_link,
    read_bytes_of,
    read_manifest,
    refuse_dangerous_output,
    remove_entry,
    remove_stale_folders,
    replace_entry,
    safe_key,
    signals_held,
    spare_files,
    walk_files,
)
from generator.output_patch import JOURNAL, commit_patch, finish_patch, patch_fits

# A rebuild rendering at most this share of the site's files patches the output in place;
# more (a template or settings change) builds a new folder and swaps it in atomically.
PATCH_SHARE = 0.05


class OutputWriter:
    """Collects the new site in a staging folder; `commit` swaps it in, `abort` discards it.

    `start` comes first: it chooses between the swap and the in-place patch.

    One writer at a time per output folder: a second build of the same site waits for the
    first (an exclusive lock beside the folder), so concurrent builds cannot mix their files.
    """

    def __init__(self, output_dir: Path, site_dir: Path, reuse_spare: bool = True):
        self.output_dir = output_dir.resolve()
        refuse_dangerous_output(self.output_dir, site_dir.resolve())
        name = self.output_dir.name
        self.lock_path = self.output_dir.parent / f".{name}.kommunenyt-lock"
        self.staging = (
            self.output_dir.parent / f".{name}.staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self.spare = self.output_dir.parent / f".{name}.kommunenyt-spare"
        self.patch_dir = self.output_dir.parent / f".{name}.kommunenyt-patch"
        self.patching = False  # chosen by `start`
        self._started = False
        self.previous: set[str] = set()
        self.written: set[str] = set()
        self.changed = 0
        self._reuse_spare = reuse_spare
        self._base: set[str] = set()  # files already in staging (from the spare)
        self._dirs: set[str] = {""}  # folders known to exist in staging
        self._lock: int | None = None

    def __enter__(self) -> OutputWriter:
        try:
            self.output_dir.parent.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            # Holding the lock, what a dead build left beside the output is finished or goes.
            finish_patch(self.output_dir, self.patch_dir)
            remove_stale_folders(self.output_dir)
            self.previous = read_manifest(self.output_dir)
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            if exc_type is not None:
                self.abort()
        finally:
            self._unlock()

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    def start(self, files: int, to_render: int) -> None:
        """Choose the way to the output for a build of `files` files, `to_render` of them
        rendered (the rest are the last build's, unchanged): patch it in place or swap."""
        self._started = True
        self.patching = (
            self._reuse_spare and bool(self.previous) and to_render <= files * PATCH_SHARE
        )
        if self.patching:
            self.patch_dir.mkdir()  # none is left: finish_patch ran when the lock was taken
        else:
            self._take_spare()

    @property
    def _root(self) -> str:
        """Where this build's new files go until `commit`."""
        return str(self.patch_dir if self.patching else self.staging)

    def current(self, key: str) -> str:
        """The path of a file this build wrote or kept, as it is before `commit`."""
        if self.patching:
            staged = f"{self.patch_dir}/{key}"
            return staged if os.path.lexists(staged) else f"{self.output_dir}/{key}"
        return f"{self.staging}/{key}"

    def _take_spare(self) -> None:
        """Start from the spare folder when it can be trusted, else from an empty folder."""
        base = None
        if self._reuse_spare and self.output_dir.is_dir() and self.spare.is_dir():
            base = spare_files(self.spare)
        if base is None:
            shutil.rmtree(self.spare, ignore_errors=True)
            self.staging.mkdir()
            return
        # Renamed first: if this build dies, the folder is a stale staging folder and goes.
        os.rename(self.spare, self.staging)
        self._base = base
        # Real folders only: the walk does not enter a link, it lists it as a file.
        self._dirs = folders_of(base)

    def _target(self, key: str) -> str:
        if not self._started:
            raise RuntimeError("OutputWriter.start must come before the first file")
        if key in self.written:
            raise SiteError(
                Problem(key, None, "two outputs write the same file", "rename one of the sources")
            )
        self.written.add(key)
        # The staging folder holds no links until commit, so a lexical check is as good as
        # resolving the path (which costs a system call per folder and file).
        if not safe_key(key):
            raise SiteError(Problem(key, None, "output path escapes the output folder"))
        if not self.patching:  # a patch makes a folder only when it stages a file there
            folder = posixpath.dirname(key)
            if folder not in self._dirs:
                with disk_errors(key):
                    self._make_folder(folder)
        return f"{self._root}/{key}"

    def _make_folder(self, folder: str, trust_known: bool = True) -> None:
        """Create `folder` in staging; a file of an older build in its way is removed."""
        parts = folder.split("/") if folder else []
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            if trust_known and path in self._dirs:
                continue
            if path in self.written:
                raise FileExistsError(f"{path} is a file of this site and a folder of another")
            full = f"{self.staging}/{path}"
            if os.path.lexists(full) and not (os.path.isdir(full) and not os.path.islink(full)):
                os.unlink(full)  # only a spare's leftover can be here (written names are unique)
            with contextlib.suppress(FileExistsError):
                os.mkdir(full)
            self._dirs.add(path)

    def reserve(self, key: str) -> None:
        """Claim the file `key` ("artikel/x/index.html") for this build (before `keep` or
        `write_reserved`)."""
        self._target(key)

    def keep(self, key: str) -> bool:
        """Link the previous build's file unchanged; the caller knows its bytes are right."""
        if self.patching:
            return True  # it is in the output already, and stays
        try:
            self._placed(key, lambda target: place_link(f"{self.output_dir}/{key}", target))
        except OSError:
            return False
        return True

    def write_reserved(self, key: str, data: bytes) -> bool:
        """Write a reserved file; True if its bytes changed. Safe in a forked worker."""
        old = f"{self.output_dir}/{key}"
        with contextlib.suppress(OSError):
            info = os.stat(old)
            if info.st_size == len(data) and read_bytes_of(old) == data:
                if not self.patching:
                    self._placed(key, lambda target: place_link(old, target))
                return False
        with disk_errors(key):
            self._placed(key, lambda target: place_bytes(target, data))
        return True

    def _placed(self, key: str, place: Callable[[str], None]) -> None:
        """place(target); once more after making its folder (a patch makes folders only when
        a file is staged in them) or repairing it (if the spare was damaged)."""
        target = f"{self._root}/{key}"
        try:
            place(target)
        except (FileNotFoundError, NotADirectoryError):
            if self.patching:
                os.makedirs(posixpath.dirname(target), exist_ok=True)
            elif self._base:
                self._make_folder(posixpath.dirname(key), trust_known=False)
            else:
                raise
            place(target)

    def write(self, key: str, data: bytes) -> None:
        self._target(key)
        self.changed += self.write_reserved(key, data)

    def copy(self, key: str, source: Path) -> None:
        self._target(key)
        old = self.output_dir / key
        with contextlib.suppress(OSError):
            if (
                old.is_file()
                and old.stat().st_size == source.stat().st_size
                and old.read_bytes() == source.read_bytes()
            ):
                if not self.patching:
                    place_link(str(old), f"{self.staging}/{key}")
                return

        def copied(target: str) -> None:
            temporary = f"{target}.kommunenyt-tmp"
            shutil.copyfile(source, temporary)
            replace_entry(temporary, target)

        with disk_errors(key):
            self._placed(key, copied)
        self.changed += 1

    def remove_stale(self) -> None:
        """Delete what the spare held that this build did not write (before reading staging)."""
        stale = self._base - self.written
        if not stale:
            return
        needed = folders_of(self.written)
        for key in sorted(stale, reverse=True):
            if key in needed:
                continue  # already replaced by a folder this build needs (_make_folder)
            remove_entry(f"{self.staging}/{key}")
            folder = posixpath.dirname(key)
            while folder and folder not in needed:  # emptied folders go too
                try:
                    os.rmdir(f"{self.staging}/{folder}")
                except OSError:
                    break
                self._dirs.discard(folder)
                folder = posixpath.dirname(folder)
        self._base -= stale

    def commit(self) -> None:
        """Patch the output in place, or carry over foreign files, write the manifest, then
        swap the staging folder in."""
        if self.patching:
            staged = [key for key, _ in walk_files(str(self.patch_dir))]
            # Never a path out of the output folder, whatever the manifest was made to say.
            removed = sorted(k for k in self.previous - self.written if safe_key(k))
            if patch_fits(self.output_dir, staged, self.written - self.previous, removed):
                with disk_errors(MANIFEST), signals_held():
                    commit_patch(self.output_dir, self.patch_dir, staged, removed, self.written)
                return
            self._swap_instead(set(staged))
        self.remove_stale()
        self._carry_over_foreign_files()
        with disk_errors(MANIFEST):
            place_bytes(f"{self.staging}/{MANIFEST}", manifest_bytes(self.written))
        if not self.output_dir.exists():
            os.rename(self.staging, self.output_dir)
            return
        with signals_held():  # Ctrl+C comes after the swap and the spare's rename, not between
            swapped = exchange(self.staging, self.output_dir)
            if swapped:  # the staging folder now holds the previous site: the next spare
                with contextlib.suppress(OSError):
                    os.rename(self.staging, self.spare)
        if swapped:
            shutil.rmtree(self.staging, ignore_errors=True)  # only if it could not be kept
        else:  # no atomic exchange on this system: two renames, a moment without output
            old = self.output_dir.parent / f".{self.output_dir.name}.old-{os.getpid()}"
            os.rename(self.output_dir, old)
            os.rename(self.staging, self.output_dir)
            shutil.rmtree(old, ignore_errors=True)

    def _swap_instead(self, staged: set[str]) -> None:
        """Turn the patch into a whole staging folder: the files it staged, the rest linked."""
        patch, self.patching = self.patch_dir, False
        self._take_spare()
        for key in sorted(self.written):
            folder = posixpath.dirname(key)
            with disk_errors(key):
                if folder not in self._dirs:
                    self._make_folder(folder)
                new = f"{patch}/{key}"
                if key in staged:
                    self._placed(key, lambda target, new=new: replace_entry(new, target))
                else:
                    old = f"{self.output_dir}/{key}"
                    self._placed(key, lambda target, old=old: place_link(old, target))
        shutil.rmtree(patch, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        # A patch with its journal written is committed: the next build finishes it.
        if self.patching and not (self.patch_dir / JOURNAL).exists():
            shutil.rmtree(self.patch_dir, ignore_errors=True)

    def _carry_over_foreign_files(self) -> None:
        """Link the files a user put in the output folder into the new site."""
        if not self.output_dir.is_dir():
            return
        written_folders = folders_of(self.written)
        conflicts = []
        for key, is_link in walk_files(str(self.output_dir)):
            if key == MANIFEST or key in self.previous:
                continue
            if (
                key in self.written
                or key in written_folders
                or any(p in self.written for p in parents_of(key))
            ):
                # the name (or a folder on its way) is now one of the site's own files or
                # folders; a link is never followed, so nothing outside is written through it
                conflicts.append(
                    Problem(
                        self.output_dir / key,
                        None,
                        "a file you put in the output folder has the name of a "
                        "file the site now generates",
                        "move it to content/static/ or delete it, then build again",
                    )
                )
                continue
            source, target = f"{self.output_dir}/{key}", f"{self.staging}/{key}"
            self._make_folder(posixpath.dirname(key))
            if is_link:
                remove_entry(target)
                os.symlink(os.readlink(source), target)
            else:
                try:
                    place_link(source, target)
                except OSError:
                    remove_entry(target)
                    shutil.copy2(source, target)
        if conflicts:
            raise SiteError(conflicts)
