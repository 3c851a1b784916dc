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
a spare whose manifest names its files is used; anything else is deleted and the build
starts from an empty folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import posixpath
import shutil
import signal
import stat
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from generator.errors import Problem, SiteError

MANIFEST = ".kommunenyt-manifest.json"


class OutputWriter:
    """Collects the new site in a staging folder; `commit` swaps it in, `abort` discards it.

    One writer at a time per output folder: a second build of the same site waits for the
    first (an exclusive lock beside the folder), so concurrent builds cannot mix their files.
    """

    def __init__(self, output_dir: Path, site_dir: Path, reuse_spare: bool = True):
        self.output_dir = output_dir.resolve()
        _refuse_dangerous_output(self.output_dir, site_dir.resolve())
        name = self.output_dir.name
        self.lock_path = self.output_dir.parent / f".{name}.kommunenyt-lock"
        self.staging = (
            self.output_dir.parent / f".{name}.staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self.spare = self.output_dir.parent / f".{name}.kommunenyt-spare"
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
            # Holding the lock, any staging folder left beside the output is from a dead build.
            _remove_stale_folders(self.output_dir)
            self.previous = _read_manifest(self.output_dir)
            self._take_spare()
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

    def _take_spare(self) -> None:
        """Start from the spare folder when it can be trusted, else from an empty folder."""
        base = None
        if self._reuse_spare and self.output_dir.is_dir() and self.spare.is_dir():
            base = _spare_files(self.spare)
        folders = _folders_of(base) if base is not None else set()
        if base is not None and not _real_folders(self.spare, folders):
            base = None  # a folder replaced by a link could lead a write out of the site
        if base is None:
            shutil.rmtree(self.spare, ignore_errors=True)
            self.staging.mkdir()
            return
        # Renamed first: if this build dies, the folder is a stale staging folder and goes.
        os.rename(self.spare, self.staging)
        self._base = base
        self._dirs = folders

    def _target(self, rel: PurePosixPath) -> str:
        key = rel.as_posix()
        if key in self.written:
            raise SiteError(
                Problem(key, None, "two outputs write the same file", "rename one of the sources")
            )
        self.written.add(key)
        # The staging folder holds no links until commit, so a lexical check is as good as
        # resolving the path (which costs a system call per folder and file).
        if rel.is_absolute() or ".." in rel.parts or not key:
            raise SiteError(Problem(key, None, "output path escapes the output folder"))
        folder = posixpath.dirname(key)
        if folder not in self._dirs:
            with _disk_errors(rel):
                self._make_folder(folder)
        return f"{self.staging}/{key}"

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

    def reserve(self, rel: PurePosixPath) -> None:
        """Claim `rel` for this build (before `keep` or `write_reserved`)."""
        self._target(rel)

    def keep(self, rel: PurePosixPath) -> bool:
        """Link the previous build's file unchanged; the caller knows its bytes are right."""
        key = rel.as_posix()
        try:
            self._placed(key, lambda target: _place_link(f"{self.output_dir}/{key}", target))
        except OSError:
            return False
        return True

    def write_reserved(self, rel: PurePosixPath, data: bytes) -> bool:
        """Write a reserved file; True if its bytes changed. Safe in a forked worker."""
        key = rel.as_posix()
        old = f"{self.output_dir}/{key}"
        with contextlib.suppress(OSError):
            info = os.stat(old)
            if info.st_size == len(data) and _read(old) == data:
                self._placed(key, lambda target: _place_link(old, target))
                return False
        with _disk_errors(rel):
            self._placed(key, lambda target: _place_bytes(target, data))
        return True

    def _placed(self, key: str, place: Callable[[str], None]) -> None:
        """place(target); once more after repairing its folder if the spare was damaged."""
        target = f"{self.staging}/{key}"
        try:
            place(target)
        except (FileNotFoundError, NotADirectoryError):
            if not self._base:
                raise
            self._make_folder(posixpath.dirname(key), trust_known=False)
            place(target)

    def write(self, rel: PurePosixPath, data: bytes) -> None:
        self._target(rel)
        self.changed += self.write_reserved(rel, data)

    def copy(self, rel: PurePosixPath, source: Path) -> None:
        target = self._target(rel)
        old = self.output_dir / rel
        with contextlib.suppress(OSError):
            if (
                old.is_file()
                and old.stat().st_size == source.stat().st_size
                and old.read_bytes() == source.read_bytes()
            ):
                _place_link(str(old), target)
                return
        with _disk_errors(rel):
            temporary = f"{target}.kommunenyt-tmp"
            shutil.copyfile(source, temporary)
            _replace(temporary, target)
        self.changed += 1

    def remove_stale(self) -> None:
        """Delete what the spare held that this build did not write (before reading staging)."""
        stale = self._base - self.written
        if not stale:
            return
        needed = _folders_of(self.written)
        for key in sorted(stale, reverse=True):
            if key in needed:
                continue  # already replaced by a folder this build needs (_make_folder)
            _remove_entry(f"{self.staging}/{key}")
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
        """Carry over foreign files, write the manifest, then swap the staging folder in."""
        self.remove_stale()
        carried = self._carry_over_foreign_files()
        manifest = {"generator": "kommunenyt", "files": sorted(self.written), "carried": carried}
        with _disk_errors(PurePosixPath(MANIFEST)):
            _place_bytes(
                f"{self.staging}/{MANIFEST}", json.dumps(manifest, indent=0).encode("utf-8")
            )
        if not self.output_dir.exists():
            os.rename(self.staging, self.output_dir)
            return
        with _signals_held():  # Ctrl+C comes after the swap and the spare's rename, not between
            swapped = _exchange(self.staging, self.output_dir)
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

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def _carry_over_foreign_files(self) -> list[str]:
        """Link the files a user put in the output folder into the new site; their names."""
        if not self.output_dir.is_dir():
            return []
        written_folders = _folders_of(self.written)
        conflicts, carried = [], []
        for key, is_link in _walk_files(str(self.output_dir)):
            if key == MANIFEST or key in self.previous:
                continue
            parents = []
            folder = posixpath.dirname(key)
            while folder:
                parents.append(folder)
                folder = posixpath.dirname(folder)
            if (
                key in self.written
                or key in written_folders
                or any(p in self.written for p in parents)
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
                _remove_entry(target)
                os.symlink(os.readlink(source), target)
            else:
                try:
                    _place_link(source, target)
                except OSError:
                    _remove_entry(target)
                    shutil.copy2(source, target)
            carried.append(key)
        if conflicts:
            raise SiteError(conflicts)
        return carried


@contextlib.contextmanager
def _signals_held():
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


def _folders_of(keys: set[str]) -> set[str]:
    """Every folder on the way to the files `keys` ("" for the top)."""
    folders = {""}
    for key in keys:
        folder = posixpath.dirname(key)
        while folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return folders


def _real_folders(root: Path, folders: set[str]) -> bool:
    """Every one of `folders` under `root` is a folder of its own, not a link (or missing)."""
    for folder in folders:
        if not folder:
            continue
        try:
            mode = os.lstat(f"{root}/{folder}").st_mode
        except FileNotFoundError:
            continue  # made again when needed
        except OSError:
            return False
        if not stat.S_ISDIR(mode):
            return False
    return True


def _walk_files(root: str) -> list[tuple[str, bool]]:
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


def _spare_files(spare: Path) -> set[str] | None:
    """The files in a spare folder by its manifest; None when it cannot be trusted."""
    try:
        data = json.loads((spare / MANIFEST).read_text(encoding="utf-8"))
        files, carried = data["files"], data["carried"]
        if data.get("generator") != "kommunenyt":
            return None
        names = {*files, *carried}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(n, str) and n and ".." not in n.split("/") for n in names):
        return None
    return names


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _remove_entry(path: str) -> None:
    """Remove whatever a spare left at `path` (file, link or folder)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _place_link(source: str, target: str) -> None:
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
    _replace(temporary, target)


def _place_bytes(target: str, data: bytes) -> None:
    """Write `data` as a new file at `target`, never into a file that may be linked elsewhere."""
    if not os.path.lexists(target):
        with open(target, "xb") as file:
            file.write(data)
        return
    temporary = f"{target}.kommunenyt-tmp"
    with open(temporary, "wb") as file:
        file.write(data)
    _replace(temporary, target)


def _replace(temporary: str, target: str) -> None:
    try:
        os.replace(temporary, target)
    except IsADirectoryError:  # a folder of an older build has this name now
        shutil.rmtree(target)
        os.replace(temporary, target)


def _read_manifest(output_dir: Path) -> set[str]:
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


def _refuse_dangerous_output(output_dir: Path, site_dir: Path) -> None:
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


def _remove_stale_folders(output_dir: Path) -> None:
    """Staging and old folders left by builds that were killed (called holding the lock)."""
    for prefix in (f".{output_dir.name}.staging-", f".{output_dir.name}.old-"):
        for folder in output_dir.parent.glob(prefix + "*"):
            shutil.rmtree(folder, ignore_errors=True)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> bool:
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
def _disk_errors(rel: PurePosixPath):
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
                rel.as_posix(),
                None,
                f"could not write the output: {exc.strerror or exc}",
                f"{hint}; the previous site is untouched",
            )
        ) from None
