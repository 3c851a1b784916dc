"""`kommunenyt serve`: build in memory, serve on 127.0.0.1, rebuild on every save.

Wires the parts together: generator.incremental keeps the site, generator.watch reports
changes, generator.serve answers the browser and streams reload events.
"""

from __future__ import annotations

import http.server
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from generator.changes import RebuildResult
from generator.config import load_config
from generator.incremental import IncrementalSite, Progress
from generator.serve import LivePreview, PreviewRequestHandler, bind_handler
from generator.watch import SiteWatcher

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_preview(
    site_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    include_drafts: bool = True,
    debug: bool = False,
    progress: Progress | None = None,
    log: Log = _stderr,
) -> None:
    """Serve `site_dir` until interrupted; a broken save shows an error page, never stops it."""
    site_dir = site_dir.resolve()
    load_config(site_dir)  # no site.toml at all, or a broken one at start: say so and stop
    server = http.server.ThreadingHTTPServer((host, port), PreviewRequestHandler)
    server.daemon_threads = True
    service_dir = Path(tempfile.mkdtemp(prefix="kommunenyt-preview-"))
    watcher = None
    preview = None
    try:
        shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        base_url = f"http://{shown_host}:{server.server_address[1]}/"
        site = IncrementalSite(
            site_dir,
            include_drafts=include_drafts,
            base_url=base_url,
            progress=progress,
            debug=debug,
        )
        preview = LivePreview(site, service_dir)
        bind_handler(server, preview, _signup_app(site_dir, base_url, service_dir))
        report(preview.rebuild(), site, log)
        watcher = SiteWatcher(site_dir, lambda changes: report(preview.rebuild(changes), site, log))
        watcher.start()
        log(f"Serving {site_dir.name or site_dir} on {base_url} — Ctrl+C stops")
        server.serve_forever()
    finally:
        if watcher is not None:
            watcher.stop()
        if preview is not None:
            preview.close()
        server.server_close()
        shutil.rmtree(service_dir, ignore_errors=True)


def _signup_app(site_dir: Path, base_url: str, service_dir: Path):
    """The builtin newsletter service, so signing up works in the preview too."""
    from generator.newsletter.app import preview_app

    config = load_config(site_dir).with_base_url(base_url)
    port = int(base_url.rsplit(":", 1)[1].strip("/"))
    return preview_app(config, service_dir, port)


def report(result: RebuildResult, site: IncrementalSite, log: Log) -> None:
    """One line per rebuild, or the problems with file and line."""
    for warning in site.warnings:
        log(str(warning))
    if result.error is not None:
        for problem in result.error.problems:
            log(str(problem))
        log("The preview shows these problems until the next good save.")
        return
    changed = "all" if result.changed is None else str(len(result.changed))
    log(
        f"Built {site.articles} article{'' if site.articles == 1 else 's'} "
        f"in {result.seconds:.2f} s: "
        f"{result.rendered} files rendered, {changed} changed"
    )
