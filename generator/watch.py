"""Watch a site's sources with watchdog and hand over bursts of changes as one batch.

Editors' autosave and `git checkout` touch many files within milliseconds; the preview
should rebuild once, after the burst, not once per file. Events are collected until
nothing has happened for `quiet` seconds (or `longest` seconds have passed since the
first), then `on_changes` is called with all of them. Events that arrive while a
rebuild runs are kept for the next batch.

The quiet period exists for files still being written. A file whose last event says its
writing is over (closed after writing, renamed into place, deleted) needs no such wait:
when every pending file is in that state, only `settled_quiet` (a few milliseconds, to
gather the rest of a burst) passes before the rebuild, so a saved article shows sooner.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from generator.changes import Changes, classify
from generator.config import CONFIG_NAME

QUIET_SECONDS = 0.12
SETTLED_QUIET_SECONDS = 0.02
LONGEST_SECONDS = 1.5
_IGNORED_EVENTS = {"opened", "closed_no_write"}
_SETTLING_EVENTS = {"closed", "moved", "deleted"}  # the file is as it will stay


class Debouncer:
    """Collects paths and calls `flush(paths)` once a burst is over, on its own thread."""

    def __init__(
        self,
        flush: Callable[[frozenset[Path]], None],
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_SECONDS,
        settled_quiet: float = SETTLED_QUIET_SECONDS,
    ):
        self.flush = flush
        self.quiet = quiet
        self.longest = longest
        self.settled_quiet = min(settled_quiet, quiet)
        self._pending: dict[Path, bool] = {}  # path → its last event said writing is over
        self._first = 0.0
        self._latest = 0.0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="kommunenyt-debounce", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, path: Path, settled: bool = False) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending[path] = settled
            self._latest = now
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopped)
                while not self._stopped:
                    now = time.monotonic()
                    quiet = self.settled_quiet if all(self._pending.values()) else self.quiet
                    due = min(self._latest + quiet, self._first + self.longest)
                    if now >= due:
                        break
                    self._cond.wait(due - now)
                if self._stopped:
                    return
                batch, self._pending = frozenset(self._pending), {}
            self.flush(batch)


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: SiteWatcher):
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a file inside changed; that file has its own event
        settled = event.event_type in _SETTLING_EVENTS
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self.watcher.saw(Path(raw if isinstance(raw, str) else raw.decode()), settled)


class SiteWatcher:
    """Watches content/, templates/ and site.toml; reports batches of relevant changes."""

    def __init__(
        self,
        site_dir: Path,
        on_changes: Callable[[Changes], None],
        quiet: float = QUIET_SECONDS,
        longest: float = LONGEST_SECONDS,
    ):
        self.site_dir = site_dir.resolve()
        self.on_changes = on_changes
        self._debouncer = Debouncer(self._flush, quiet, longest)
        self._observer = Observer()
        self._handler = _Handler(self)
        self._watched: set[Path] = set()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._observer.schedule(self._handler, str(self.site_dir), recursive=False)
        self._watch_folders()
        self._observer.start()
        self._debouncer.start()

    def stop(self) -> None:
        self._observer.stop()
        self._observer.join(timeout=5)
        self._debouncer.stop()

    def saw(self, path: Path, settled: bool = False) -> None:
        if path.parent == self.site_dir and path.name in ("content", "templates"):
            self._watch_folders()  # created after we started
        if classify(self.site_dir, path) is not None or path.name == CONFIG_NAME:
            self._debouncer.add(path, settled)

    def _watch_folders(self) -> None:
        with self._lock:
            for name in ("content", "templates"):
                folder = self.site_dir / name
                if folder.is_dir() and folder not in self._watched:
                    self._observer.schedule(self._handler, str(folder), recursive=True)
                    self._watched.add(folder)

    def _flush(self, paths: frozenset[Path]) -> None:
        self.on_changes(Changes(paths))
