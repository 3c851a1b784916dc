"""Load and save time of the build cache's index (generator/cache.py) at a big site's size.

    python bench/cache_index.py                        # a synthetic index of 10,000 articles
    python bench/cache_index.py --articles 100000
    python bench/cache_index.py --site /tmp/site10k    # the real index of a built site

Each run loads the index into a fresh BuildCache, then saves it after changing one source
record and two output records: what a rebuild after an editor's one-article change does.
Prints the median of each. The synthetic records have the shapes and sizes of a real
10,000-article site's (~1.2 KB per source, 1.8 output files per article). With --site, the
site's cache (in the format this code reads) is read from a copy, and saved into a
temporary site: the site's own cache is left alone. The garbage collector is tuned as the
command line tool tunes it. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from generator.cache import CACHE_DIR, BuildCache, CacheIndex, OutputRecord
from generator.cli import GC_THRESHOLDS

VERSION = "bench"


def synthetic_index(articles: int, seed: int = 1) -> CacheIndex:
    """An index shaped like a real site's: every record with its real members and sizes."""
    rng = random.Random(seed)

    def hex32() -> str:
        return f"{rng.getrandbits(128):032x}"

    slugs = [f"kommune-{i}-vaelger-it-system-til-{rng.randrange(10**6)}" for i in range(articles)]
    sources = {}
    for number, slug in enumerate(slugs):
        title = f"Kommune {number} vælger nyt it-system: leverandør vinder {number % 97} mio. kr."
        lead = "Forvaltningen arbejder på at udskifte servicedesken på trods af kritikken."
        tags = [f"tag-{rng.randrange(362)}", f"tag-{rng.randrange(362)}"]
        author = ["Anne Kjærgaard", "anne-kjaergaard", "anne.kjaergaard@example.dk", "ANK", ""]
        date = f"20{10 + number % 15}-04-13T19:06:00+02:00"
        front = {"title": title, "date": date, "lead": lead, "section": "Udbud", "tags": tags}
        sources[f"content/articles/20{10 + number % 15}/{slug}.md"] = {
            "digest": hex32(),
            "problems": [],
            "source": [{**front, "authors": [author[0]]}, {k: 2 for k in front}, 13],
            "article": [
                *(title, slug, date, lead, "Udbud", tags, [author]),
                *(None, False, None, "", {}, []),  # updated, draft, image, alt, extra, aliases
            ],
            "stat": [7206, 1795888536390537166, 1795888536390537166, 2278932 + number, 65024],
            "card": hex32(),
            "body": [hex32(), hex32(), [], []],
        }
    outputs = {}
    for number, slug in enumerate(slugs):
        outputs[f"artikel/{slug}/index.html"] = record(hex32(), hex32(), number)
        if number % 5 < 4:  # lists, archives, tag pages and feeds: ~0.8 per article
            outputs[f"side/{number}/index.html"] = record(hex32(), hex32(), number)
    related = {slug: rng.sample(slugs, 3) for slug in slugs}
    return CacheIndex(
        settings=hex32(),
        meta_key=hex32(),
        sources=sources,
        outputs=outputs,
        inputs_key=hex32(),
        cards_key=hex32(),
        quick=["", "", articles, 0],
        related=related,
    )


def record(signature: str, digest: str, number: int) -> OutputRecord:
    return OutputRecord(signature, digest, 9707 + number % 500, 1795910542516774248 + number)


def site_index(site: Path) -> CacheIndex:
    """The cache index of a built site, read by this code (so in this code's format) from a
    copy: a cache this code rejects is deleted when loaded, and the site's must stay."""
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder)
        shutil.copytree(site / CACHE_DIR / "build", copy / CACHE_DIR / "build")
        index_path = copy / CACHE_DIR / "build/index.json"
        head, _, payload = index_path.read_bytes().partition(b"\n")
        header = {**json.loads(head), "site": str(copy.resolve())}
        index_path.write_bytes(json.dumps(header).encode() + b"\n" + payload)
        cache = BuildCache(copy, header["version"])
        cache.load("")
        if cache.warnings:
            raise SystemExit(f"{site}: {cache.warnings[0].message}")
        return cache.loaded


def one_article_changed(index: CacheIndex, run: int) -> CacheIndex:
    """The index after an edit: one source's record and two output files' records are new
    (two far apart: an article's page and a feed, say)."""
    rel = list(index.sources)[run * 7 % len(index.sources)]
    sources = {**index.sources, rel: {**index.sources[rel], "digest": f"{run:032x}"}}
    outputs = dict(index.outputs)
    targets = list(outputs)
    for number in (run * 11, run * 11 + len(targets) // 2):
        target = targets[number % len(targets)]
        outputs[target] = dataclasses.replace(outputs[target], mtime_ns=run)
    return dataclasses.replace(index, sources=sources, outputs=outputs)


def measure(index: CacheIndex, runs: int) -> tuple[list[float], list[float], int]:
    """Seconds of each load and each save, and the cache's size in bytes."""
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        BuildCache(site, VERSION).save(index)
        size = sum(p.stat().st_size for p in (site / CACHE_DIR).rglob("*") if p.is_file())
        loads, saves = [], []
        for run in range(1, runs + 1):
            cache = BuildCache(site, VERSION)
            start = time.perf_counter()
            cache.load(index.settings)
            loads.append(time.perf_counter() - start)
            assert not cache.warnings and len(cache.index.sources) == len(index.sources)
            changed = one_article_changed(cache.index, run)
            start = time.perf_counter()
            cache.save(changed)
            saves.append(time.perf_counter() - start)
            assert not cache.warnings
    return loads, saves, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--site", type=Path, help="use this built site's cache index")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    gc.set_threshold(*GC_THRESHOLDS)  # as `kommunenyt build` runs
    index = site_index(args.site) if args.site else synthetic_index(args.articles)
    loads, saves, size = measure(index, args.runs)
    print(
        f"{len(index.sources)} sources, {len(index.outputs)} outputs, "
        f"{len(index.related)} related; cache {size / 1e6:.1f} MB"
    )
    print(f"load: median {statistics.median(loads) * 1000:.0f} ms over {args.runs} runs")
    print(f"save: median {statistics.median(saves) * 1000:.0f} ms (one article changed)")


if __name__ == "__main__":
    main()
