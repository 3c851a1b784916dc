"""Pagefind on the 10,000-article corpus: index size, indexing time and query time.

    python bench/search.py [--articles 10000] [--folder /tmp/kommunenyt-bench-search] [--site DIR]

Builds the corpus from bench/make_corpus.py (deterministic), then serves the output on
127.0.0.1 and runs queries in headless Chromium through Pagefind's own browser API, the
way the search page does. Prints medians; nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import make_site

from generator.build import BuildOptions, build
from generator.config import load_config
from generator.serve import serve_in_thread

# The corpus has a small vocabulary, so common words hit nearly every article (the worst
# case for ranking); town names hit one in eight; a title number hits one or two.
QUERIES = [
    "kommunen",
    "budgettet leverandøren",
    "sikkerheden",
    "Køge",
    "Aalborg",
    "4711",
    "samler 250",
]
REPEATS = 5
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MEASURE = """async ([query, filters]) => {
  const pagefind = window.__pf;
  const start = performance.now();
  const search = await pagefind.search(query, {filters});
  const searched = performance.now();
  await Promise.all(search.results.slice(0, 10).map(r => r.data()));
  return [performance.now() - start, searched - start, search.results.length];
}"""
# As assets/soeg.js loads the index: the newest shard, the others merged into it.
LOAD = """async () => {
  const start = performance.now();
  const {shards} = await (await fetch('/pagefind/shards.json')).json();
  const pf = await import(`/pagefind/${shards[0]}/pagefind.js`);
  await pf.options({excerptLength: 28});
  await pf.init();
  const merge = (s) => pf.mergeIndex(`/pagefind/${s}/`, {excerptLength: 28});
  await Promise.all(shards.slice(1).map(merge));
  window.__pf = pf;
  return performance.now() - start;
}"""


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}"


def folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--site", type=Path, help="an existing site instead of a new corpus")
    args = parser.parse_args()
    root = args.folder or Path(tempfile.mkdtemp(prefix="kommunenyt-bench-search-"))
    site = args.site or root / "site"
    if not args.site:
        make_site(site, args.articles)
    config = load_config(site)
    output = root / "output"
    start = time.perf_counter()
    report = build(config, BuildOptions(output))
    total = time.perf_counter() - start
    size, count = folder_size(output / "pagefind")
    html_size, _ = folder_size(output / "artikel")
    print(f"corpus: {report.articles} articles, {report.files} files, built in {total:.1f} s")
    print(f"pagefind indexing (part of the build): {report.timings.get('search', 0):.1f} s")
    print(
        f"index: {size / 1e6:.1f} MB in {count} files ({size / html_size:.0%} of the article HTML)"
    )

    from playwright.sync_api import sync_playwright

    server, _ = serve_in_thread(output)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            cold, warm, ranking, hits = [], [], [], {}
            for query in QUERIES:
                context = browser.new_context()
                page = context.new_page()
                transferred = []
                page.on(
                    "requestfinished",
                    lambda r, t=transferred: t.append(r.sizes()["responseBodySize"]),
                )
                # The page's own script would load the index too: this measures it alone.
                page.route("**/assets/soeg.js", lambda route: route.abort())
                page.goto(base + "soeg/")
                loaded = page.evaluate(LOAD)
                first = page.evaluate(MEASURE, [query, {}])
                cold.append(loaded + first[0])
                hits[query] = (first[2], sum(transferred))
                times = [page.evaluate(MEASURE, [query, {}]) for _ in range(REPEATS)]
                times.append(page.evaluate(MEASURE, [query, {"sektion": "Sikkerhed"}]))
                warm += [t[0] for t in times]
                ranking += [t[1] for t in times]
                context.close()
            browser.close()
    finally:
        server.shutdown()
    print(f"first query in a fresh page, index loading included: median {median(cold)} ms")
    print(f"repeated query, search + top 10 results: median {median(warm)} ms")
    print(f"repeated query, search (ranking) only: median {median(ranking)} ms")
    for query, (found, sent) in hits.items():
        print(f"  {query!r}: {found} results; page + index fetched {sent / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
