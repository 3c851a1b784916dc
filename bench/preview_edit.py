"""How fast the live preview shows an edit on a big site.

Generates a corpus (bench/make_corpus.py), starts the preview engine in memory, then
edits one article's body N times and measures save → page updated in memory, i.e. the
rebuild the browser waits for (the watcher waits 20 ms after a save before it starts;
bench/serve_browser.py measures the whole way to the browser).
Prints the cold build time, the median and worst body edit, and a front-matter edit.

    python bench/preview_edit.py --articles 10000 --edits 15
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import make_site

from generator.changes import Changes
from generator.incremental import IncrementalSite
from generator.watch import SETTLED_QUIET_SECONDS


def timed_edit(site: IncrementalSite, path: Path, text: str) -> float:
    path.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    result = site.rebuild(Changes(frozenset({path})))
    seconds = time.perf_counter() - start
    if result.error:
        raise SystemExit(str(result.error))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "site"
        paths = make_site(folder, args.articles)
        site = IncrementalSite(folder, base_url="http://127.0.0.1:8000/")
        start = time.perf_counter()
        cold = site.rebuild()
        print(f"cold build of {args.articles} articles: {time.perf_counter() - start:.1f} s")
        assert cold.error is None, cold.error
        newest, middle = paths[-1], paths[len(paths) // 2]
        body_times = []
        for number in range(args.edits):
            path = newest if number % 2 else middle  # in the feeds, and not
            text = path.read_text(encoding="utf-8") + f"\nRettelse nummer {number}.\n"
            body_times.append(timed_edit(site, path, text))
        title_times = []
        for number in range(3):
            text = re.sub(
                r"^title: .*$", f"title: Ny titel {number}", newest.read_text(), flags=re.M
            )
            title_times.append(timed_edit(site, newest, text))
        median = statistics.median(body_times)
        print(
            f"body edit → page rebuilt: median {median * 1000:.0f} ms, "
            f"worst {max(body_times) * 1000:.0f} ms over {len(body_times)} edits "
            f"(+ {SETTLED_QUIET_SECONDS * 1000:.0f} ms watcher wait = "
            f"{(median + SETTLED_QUIET_SECONDS) * 1000:.0f} ms)"
        )
        print(
            f"title edit (lists, archives, neighbours): median "
            f"{statistics.median(title_times):.2f} s over {len(title_times)} edits"
        )


if __name__ == "__main__":
    main()
