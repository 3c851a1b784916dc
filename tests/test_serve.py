"""The live preview for real: `kommunenyt serve` in a subprocess on a free port, files
edited on disk, pages fetched over HTTP and reload events read from the SSE stream."""

from __future__ import annotations

import http.client
import http.server
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Site, wait_until

ARTICLE = """\
title: Køge flytter driften
date: 2021-06-14 09:30
section: Drift
tags: [Cloud]
"""


class Preview:
    """A running `kommunenyt serve`, its base URL and a reader of its event stream."""

    def __init__(self, process: subprocess.Popen, url: str, log: queue.Queue[str]):
        self.process = process
        self.url = url
        self.log = log
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        threading.Thread(target=self._listen, daemon=True).start()

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def status(self) -> dict:
        return json.loads(self.get("__kommunenyt/status")[1])

    def _listen(self) -> None:
        host, port = self.url.removeprefix("http://").strip("/").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        connection.request("GET", "/__kommunenyt/events")
        response = connection.getresponse()
        name = None
        for raw in response:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name:
                self.events.put((name, json.loads(line.removeprefix("data: "))))

    def next_event(self, name: str, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got, data = self.events.get(timeout=deadline - time.monotonic())
            except queue.Empty:
                break
            if got == name:
                return data
        raise AssertionError(f"no {name!r} event within {timeout} s")


def wait_for(check: Callable[[], object], timeout: float = 15) -> object:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("the preview did not change in time")
        time.sleep(0.05)


@pytest.fixture
def preview_site(site: Site) -> Site:
    site.article("2021/koege.md", ARTICLE, "Første udgave af teksten.\n")
    site.article(
        "2021/roskilde.md",
        "title: Roskilde deler koden\ndate: 2021-05-01 08:00\nsection: Drift\n",
        "Roskilde lægger koden ud.\n",
    )
    site.page("om", "Om os")
    return site


def start_preview(site: Site, *extra: str) -> Preview:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "serve",
            "--site",
            str(site.root),
            "--port",
            "0",
            *extra,
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("Serving "):
            url = line.split(" on ", 1)[1].split(" ")[0]
            preview = Preview(process, url, lines)
            preview.startup = "".join(seen)  # what it logged before serving
            preview.next_event("hello")
            return preview
    process.kill()
    raise AssertionError("serve did not start:\n" + "".join(seen))


@pytest.fixture
def preview(preview_site: Site) -> Iterator[Preview]:
    running = start_preview(preview_site)
    try:
        yield running
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)


def test_editing_a_body_announces_its_page_first_then_the_feeds(preview_site, preview):
    status, html = preview.get("artikel/koege-flytter-driften/")
    assert status == 200 and "Første udgave" in html
    before = preview.status()["generation"]
    preview_site.article("2021/koege.md", ARTICLE, "Anden udgave af teksten.\n")
    article = "artikel/koege-flytter-driften/index.html"
    first = preview.next_event("reload")  # the tab reloads before the feeds are rendered …
    assert article in first["changed"]
    assert first["error"] is False and first["generation"] == before + 1
    if first["changed"] == [article]:
        preview.next_event("reload")  # … and hears of the feeds in a second event
    # … unless the stream woke up only after both (a loaded machine): then it got them
    # joined, one reload. Either way the server announced the page alone, first:
    status = preview.status()
    page, feeds = status["recent"][-2:]
    assert page["changed"] == [article]
    assert "feed.xml" in feeds["changed"]  # the site feed carries the body
    assert article not in feeds["changed"]  # no second reload of the page
    assert "index.html" not in feeds["changed"]  # the front page shows only the card
    assert page["generation"] == feeds["generation"] == before + 1 == status["generation"]
    assert "Anden udgave" in preview.get("artikel/koege-flytter-driften/")[1]
    assert "Anden udgave" in preview.get("feed.xml")[1]


def test_added_and_deleted_articles_appear_and_disappear(preview_site, preview):
    path = preview_site.article(
        "2022/ny.md", "title: Helt ny artikel\ndate: 2022-01-02 10:00\n", "Ny tekst.\n"
    )
    wait_for(lambda: preview.get("artikel/helt-ny-artikel/")[0] == 200)
    assert "Helt ny artikel" in preview.get("")[1]  # the front page lists it
    path.unlink()
    wait_for(lambda: preview.get("artikel/helt-ny-artikel/")[0] == 404)
    assert "Helt ny artikel" not in preview.get("")[1]


def test_a_template_change_rerenders_every_page(preview_site, preview):
    theme = Path(__file__).parent.parent / "templates"
    original = (theme / "article.html").read_text(encoding="utf-8")
    marked = original.replace("{% block content %}", "{% block content %}<p>MÆRKE-1</p>", 1)
    preview_site.write("templates/article.html", marked)
    event = preview.next_event("reload")
    assert event["changed"] is None  # everything was rebuilt
    wait_for(lambda: "MÆRKE-1" in preview.get("artikel/roskilde-deler-koden/")[1])
    preview_site.write("templates/article.html", marked.replace("MÆRKE-1", "MÆRKE-2"))
    wait_for(lambda: "MÆRKE-2" in preview.get("artikel/koege-flytter-driften/")[1])
    (preview_site.root / "templates/article.html").unlink()
    wait_for(lambda: "MÆRKE" not in preview.get("artikel/koege-flytter-driften/")[1])


def test_a_broken_save_shows_the_error_page_and_a_good_save_clears_it(preview_site, preview):
    preview_site.write(
        "content/articles/2021/koege.md",
        '---\ntitle: "Køge flytter driften\ndate: 2021-06-14\n---\n\nTekst.\n',
    )
    event = preview.next_event("reload")
    assert event["error"] is True
    status, html = preview.get("artikel/roskilde-deler-koden/")
    assert status == 500
    assert "Sitet kan ikke bygges" in html
    assert "content/articles/2021/koege.md" in html
    assert "linje" in html and "invalid YAML" in html
    assert preview.process.poll() is None  # the server lives on
    preview_site.article("2021/koege.md", ARTICLE, "Rettet tekst.\n")
    assert preview.next_event("reload")["error"] is False
    status, html = preview.get("artikel/koege-flytter-driften/")
    assert status == 200 and "Rettet tekst" in html


def test_a_template_error_names_the_template_and_line(preview_site, preview):
    preview_site.write(
        "templates/page.html",
        '{% extends "base.html" %}\n{% block content %}\n{{ page.title }\n{% endblock %}\n',
    )
    assert preview.next_event("reload")["error"] is True
    status, html = preview.get("om/")
    assert status == 500
    assert "templates/page.html" in html and "linje 3" in html
    (preview_site.root / "templates/page.html").unlink()
    assert preview.next_event("reload")["error"] is False
    assert preview.get("om/")[0] == 200


def test_a_burst_of_saves_is_one_rebuild(preview_site, preview):
    before = preview.status()["generation"]
    for number in range(25):
        preview_site.article(
            f"2023/burst-{number}.md", f"title: Burst {number}\ndate: 2023-01-01 10:00\n"
        )
    event = preview.next_event("reload")
    time.sleep(1.0)  # any second rebuild would have happened by now
    assert preview.status()["generation"] == before + 1 == event["generation"]
    assert preview.get("artikel/burst-24/")[0] == 200


def test_pages_get_an_external_reload_script_only_in_the_preview(preview_site, preview):
    html = preview.get("artikel/koege-flytter-driften/")[1]
    assert '<script src="/__kommunenyt/livereload.js?' in html
    status, script = preview.get("__kommunenyt/livereload.js")
    assert status == 200 and "EventSource" in script
    preview_site.build()
    built = "".join(p.read_text(encoding="utf-8") for p in preview_site.output.rglob("*.html"))
    assert "livereload" not in built and "__kommunenyt" not in built
    assert not list(preview_site.output.rglob("livereload.js"))


def test_drafts_are_shown_marked_unless_no_drafts(preview_site):
    preview_site.article(
        "2021/kladde.md", "title: Halvfærdig\ndate: 2021-07-01 10:00\ndraft: true\n"
    )
    running = start_preview(preview_site)
    try:
        status, html = running.get("artikel/halvfaerdig/")
        assert status == 200 and "Kladde" in html
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)
    running = start_preview(preview_site, "--no-drafts")
    try:
        assert running.get("artikel/halvfaerdig/")[0] == 404
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)


@pytest.mark.browser
def test_the_open_tab_reloads_itself_after_a_save(preview_site, preview, browser):
    page = browser.new_page()
    try:
        page.goto(preview.url + "artikel/koege-flytter-driften/")
        assert "Første udgave" in page.content()
        preview_site.article("2021/koege.md", ARTICLE, "Udgave set i browseren.\n")
        wait_until(
            page, "document.body.innerText.includes('Udgave set i browseren')", timeout=15000
        )
        preview_site.write("content/articles/2021/koege.md", "---\ntitle: [\n---\n")
        wait_until(page, "document.body.innerText.includes('Sitet kan ikke bygges')", timeout=15000)
        preview_site.article("2021/koege.md", ARTICLE, "Igen i orden.\n")
        wait_until(page, "document.body.innerText.includes('Igen i orden')", timeout=15000)
    finally:
        page.close()


@pytest.mark.browser
def test_a_body_edit_shows_before_its_feeds_are_done_and_reloads_the_tab_once(
    preview_site, browser, monkeypatch
):
    """In process, with feeds made slow: the tab must show the edit while the feeds are
    still being rendered, and must not load again when they are done, even when its event
    stream (re)connects only after that (its `hello` then tells the final generation)."""
    import generator.incremental as incremental
    from generator.changes import Changes
    from generator.plan import FeedJob
    from generator.serve import LivePreview, PreviewRequestHandler, bind_handler

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PreviewRequestHandler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    preview = LivePreview(incremental.IncrementalSite(preview_site.root, base_url=base))
    bind_handler(server, preview)
    preview.rebuild()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    render_job = incremental.render_job
    feeds_done = threading.Event()

    def slow_feeds(job, *args):
        if isinstance(job, FeedJob):
            time.sleep(0.4)  # 12 feeds: ≈ 5 s
        return render_job(job, *args)

    event_stream = PreviewRequestHandler._event_stream

    def late_hello(handler):
        if edited.is_set():
            feeds_done.wait(30)
        event_stream(handler)

    edited = threading.Event()
    page = browser.new_page()
    try:
        page.goto(base + "artikel/koege-flytter-driften/")
        wait_until(page, "true")
        time.sleep(0.5)  # its event stream is connected
        monkeypatch.setattr(incremental, "render_job", slow_feeds)
        monkeypatch.setattr(PreviewRequestHandler, "_event_stream", late_hello)
        edited.set()
        path = preview_site.article("2021/koege.md", ARTICLE, "Udgave nummer to.\n")
        thread = threading.Thread(
            target=lambda: (preview.rebuild(Changes(frozenset({path}))), feeds_done.set())
        )
        thread.start()
        wait_until(page, "document.body.innerText.includes('Udgave nummer to')", timeout=4000)
        assert not feeds_done.is_set()  # shown while the feeds were still being rendered
        page.evaluate("window.stillTheSameTab = true")  # gone if the tab loads again
        thread.join(timeout=30)
        assert feeds_done.is_set() and "Udgave nummer to" in preview.site.outputs[
            "feed.xml"
        ].decode("utf-8")
        time.sleep(1.5)  # longer than the reload script's reconnect delay
        assert page.evaluate("window.stillTheSameTab === true")
    finally:
        page.close()
        preview.close()
        server.shutdown()
        server.server_close()


def test_a_damaged_build_cache_is_named_in_the_log_and_the_preview_still_works(preview_site):
    preview_site.build()
    index = preview_site.root / ".kommunenyt-cache/build/index.json"
    index.write_bytes(index.read_bytes()[:-40])  # truncated
    running = start_preview(preview_site)
    try:
        assert "the build cache was not used: it is damaged" in running.startup
        status, html = running.get("artikel/koege-flytter-driften/")
        assert status == 200 and "Første udgave af teksten." in html
    finally:
        running.process.terminate()
        running.process.wait(timeout=10)


def test_an_event_stream_that_wakes_late_gets_every_change_since_it_last_looked(tmp_path):
    from generator.incremental import IncrementalSite
    from generator.serve import LivePreview, ReloadEvent

    preview = LivePreview(IncrementalSite(tmp_path))
    start = preview.last_event().sequence
    preview._publish(ReloadEvent(2, frozenset({"artikel/a/index.html"}), False))  # the page
    preview._publish(ReloadEvent(2, frozenset({"feed.xml"}), False))  # then its feeds
    event = preview.wait_for_event(start, timeout=0)
    assert event.changed == {"artikel/a/index.html", "feed.xml"} and event.generation == 2
    assert preview.wait_for_event(event.sequence, timeout=0) is None
    for generation in range(3, 100):  # so far behind that the first are forgotten
        preview._publish(ReloadEvent(generation, frozenset({"feed.xml"}), False))
    assert preview.wait_for_event(start, timeout=0).changed is None  # then: everything
