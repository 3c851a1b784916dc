"""`kommunenyt serve` on a big site: from saving an article to the new text in the browser.

Generates a corpus (bench/corpus.py), starts `python -m generator serve` on a free port,
opens the newest article in headless Chromium (Debian's, through Playwright) and then,
N times, appends a sentence to the article's file and measures until the open tab shows
it: the watcher's wait, the rebuild in memory, the reload event and the browser loading
the page again, i.e. what an editor waits for. Also prints the preview's start-up time.

The end is read from the tab's own clock (performance.timeOrigin + first contentful paint
of the reloaded page), compared with the wall-clock time of the save; the script only looks
every 50 ms whether the edit is shown, because each look is a round trip into the tab (an
earlier version looked every 2 ms and its looks slowed the reload it measured by ≈ 50 ms).

    python bench/serve_browser.py --articles 10000 --edits 9
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from generator.slugs import slugify  # noqa: E402

CHROMIUM = os.environ.get("KOMMUNENYT_CHROMIUM", "/usr/bin/chromium")
POLL_SECONDS = 0.05  # how often the script looks whether the tab shows the edit


def start_serve(site: Path) -> tuple[subprocess.Popen, str, float]:
    """The preview process, its URL and how long it took to start serving."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--site", str(site), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)},
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stderr], daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=600)
        except queue.Empty:
            process.kill()
            raise SystemExit("serve did not start within 10 minutes") from None
        if line.startswith("Serving "):
            url = line.split(" on ", 1)[1].split(" ")[0]
            return process, url, time.perf_counter() - start


def newest_article(site: Path) -> tuple[Path, str]:
    """The newest article's file and URL path (artikel/<slug>/)."""
    best: tuple[str, Path, str] | None = None
    for path in (site / "content" / "articles").rglob("*.md"):
        head = path.read_text(encoding="utf-8")[:600]
        date = re.search(r"^date: (.+)$", head, re.M)
        title = re.search(r'^title: "?(.*?)"?$', head, re.M)
        draft = re.search(r"^draft: true$", head, re.M)
        if date and title and not draft and (best is None or date.group(1) > best[0]):
            best = (date.group(1), path, title.group(1))
    assert best, "no article found"
    return best[1], f"artikel/{slugify(best[2])}/"


def shows(page, marker: str) -> bool:
    from playwright.sync_api import Error

    try:
        return bool(page.evaluate("m => document.body.innerText.includes(m)", marker))
    except Error:  # the page is being replaced by the reload
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=9)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        corpus = [sys.executable, str(HERE / "corpus.py"), "--n", str(args.articles)]
        subprocess.run([*corpus, "--out", str(site / "content")], check=True)
        (site / "site.toml").write_text(
            '[site]\ntitle = "Benchmark"\nbase_url = "https://bench.example/"\npage_size = 10\n',
            encoding="utf-8",
        )
        article, url = newest_article(site)
        process, base, started = start_serve(site)
        times: list[float] = []
        until_reload: list[float] = []  # save → the tab starts reloading (preview's part)
        reload_took: list[float] = []  # reload → the page's content loaded (browser's part)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
                )
                page = browser.new_page()
                page.goto(base + url)
                time.sleep(1)  # the reload stream is connected
                for number in range(args.edits):
                    marker = f"Rettelse nummer {number} set i browseren"
                    saved, saved_epoch = time.perf_counter(), time.time()
                    with article.open("a", encoding="utf-8") as out:
                        out.write(f"\n{marker}.\n")
                    while not shows(page, marker):
                        if time.perf_counter() - saved > 30:
                            raise SystemExit(f"edit {number} not shown after 30 s")
                        # Rarely: each look is a round trip into the tab, which would slow
                        # the very reload being measured. The times come from the tab's clock.
                        time.sleep(POLL_SECONDS)
                    # the tab's own clock: when its reload began and when the new text was
                    # first painted (the DOM's end if the browser reports no paint)
                    origin, loaded, painted = page.evaluate(
                        "() => [performance.timeOrigin, performance.getEntriesByType("
                        "'navigation')[0].domContentLoadedEventEnd, (performance."
                        "getEntriesByName('first-contentful-paint')[0] || {}).startTime]"
                    )
                    shown = painted if painted else loaded
                    times.append((origin + shown) / 1000 - saved_epoch)
                    until_reload.append(origin / 1000 - saved_epoch)
                    reload_took.append(shown / 1000)
                    time.sleep(0.5)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"serve start-up with {args.articles:,} articles: {started:.1f} s")
    print(
        f"save → new text shown in Chromium: median {statistics.median(times) * 1000:.0f} ms, "
        f"best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms over {len(times)} edits"
    )
    print(
        f"  of which save → the tab starts reloading (watcher, rebuild, event): median "
        f"{statistics.median(until_reload) * 1000:.0f} ms; the reload until the new text is "
        f"painted: median {statistics.median(reload_took) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
