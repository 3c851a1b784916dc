"""Write the site atomically: into a staging folder beside the output, then swap it in.

A failed or interrupted build never leaves a half-written site: until the swap the old
output is untouched. Files in the output folder that kommunenyt did not write (listed
nowhere in its manifest) are carried over, never deleted. A file whose bytes did not
change is hard-linked from the previous build, so its timestamp stays and rsync or a
CDN sees only real changes.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import json
import os
import shutil
import uuid
from pathlib import Path, PurePosixPath

from generator.errors import Problem, SiteError

MANIFEST = ".kommunenyt-manifest.json"


class OutputWriter:
    """Collects the new site in a staging folder; `commit` swaps it in, `abort` discards it.

    One writer at a time per output folder: a second build of the same site waits for the
    first (an exclusive lock beside the folder), so concurrent builds cannot mix their files.
    """

    def __init__(self, output_dir: Path, site_dir: Path):
        self.output_dir = output_dir.resolve()
        _refuse_dangerous_output(self.output_dir, site_dir.resolve())
        name = self.output_dir.name
        self.lock_path = self.output_dir.parent / f".{name}.kommunenyt-lock"
        self.staging = (
            self.output_dir.parent / f".{name}.staging-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )
        self.previous: set[str] = set()
        self.written: set[str] = set()
        self.changed = 0
        self._lock: int | None = None

    def __enter__(self) -> OutputWriter:
        try:
            self.output_dir.parent.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            # Holding the lock, any staging folder left beside the output is from a dead build.
            _remove_stale_folders(self.output_dir)
            self.previous = _read_manifest(self.output_dir)
            self.staging.mkdir()
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

    def _target(self, rel: PurePosixPath) -> Path:
        key = rel.as_posix()
        if key in self.written:
            raise SiteError(
                Problem(key, None, "two outputs write the same file", "rename one of the sources")
            )
        self.written.add(key)
        target = self.staging / key
        # The staging folder is new and holds no links until commit, so a lexical check is
        # as good as resolving the path (which costs a system call per folder and file).
        if rel.is_absolute() or ".." in rel.parts or not key:
            raise SiteError(Problem(key, None, "output path escapes the output folder"))
        with _disk_errors(rel):
            target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def reserve(self, rel: PurePosixPath) -> None:
        """Claim `rel` for this build (before `keep` or `write_reserved`)."""
        self._target(rel)

    def keep(self, rel: PurePosixPath) -> bool:
        """Link the previous build's file unchanged; the caller knows its bytes are right."""
        try:
            os.link(self.output_dir / rel, self.staging / rel)
        except OSError:
            return False
        return True

    def write_reserved(self, rel: PurePosixPath, data: bytes) -> bool:
        """Write a reserved file; True if its bytes changed. Safe in a forked worker."""
        target = self.staging / rel
        if self._link_if_unchanged(self.output_dir / rel, target, data):
            return False
        with _disk_errors(rel):
            target.write_bytes(data)
        return True

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
                os.link(old, target)
                return
        with _disk_errors(rel):
            shutil.copyfile(source, target)
        self.changed += 1

    @staticmethod
    def _link_if_unchanged(old: Path, target: Path, data: bytes) -> bool:
        try:
            if old.is_file() and old.stat().st_size == len(data) and old.read_bytes() == data:
                os.link(old, target)
                return True
        except OSError:
            pass
        return False

    def commit(self) -> None:
        """Carry over foreign files, write the manifest, then swap the staging folder in."""
        self._carry_over_foreign_files()
        manifest = {"generator": "kommunenyt", "files": sorted(self.written)}
        with _disk_errors(PurePosixPath(MANIFEST)):
            (self.staging / MANIFEST).write_text(json.dumps(manifest, indent=0), encoding="utf-8")
        if not self.output_dir.exists():
            os.rename(self.staging, self.output_dir)
        elif _exchange(self.staging, self.output_dir):
            shutil.rmtree(self.staging, ignore_errors=True)  # now holds the previous site
        else:  # no atomic exchange on this system: two renames, a moment without output
            old = self.output_dir.parent / f".{self.output_dir.name}.old-{os.getpid()}"
            os.rename(self.output_dir, old)
            os.rename(self.staging, self.output_dir)
            shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def _carry_over_foreign_files(self) -> None:
        if not self.output_dir.is_dir():
            return
        conflicts = []
        for path in sorted(self.output_dir.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                continue
            key = path.relative_to(self.output_dir).as_posix()
            if key == MANIFEST or key in self.previous:
                continue
            target = self.staging / key
            try:
                if key in self.written or os.path.lexists(target):
                    raise FileExistsError(key)
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
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
            if path.is_symlink():
                os.symlink(os.readlink(path), target)
            else:
                try:
                    os.link(path, target)
                except OSError:
                    shutil.copy2(path, target)
        if conflicts:
            raise SiteError(conflicts)


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
