"""Lighthouse scores (performance, accessibility, best practices, SEO) of the sample site.

    npm ci --prefix bench          # once: installs the pinned lighthouse 12
    python bench/lighthouse.py     # prints the four scores for the front page and an article

Builds the repository's sample site into a temporary folder with base_url set to the
local server, so canonical links and feeds point where Lighthouse looks. Uses Debian's
Chromium (CHROME_PATH, default /usr/bin/chromium). A benchmark, not a test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from generator.build import BuildOptions, build
from generator.config import load_config
from generator.serve import serve_in_thread

REPO = Path(__file__).resolve().parent.parent

LIGHTHOUSE = REPO / "bench" / "node_modules" / ".bin" / "lighthouse"
PAGES = {"front page": "", "article": "artikel/koege-kommune-lukker-sit-eget-serverrum/"}
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync"


def run_lighthouse(url: str, report: Path) -> dict[str, int]:
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        check=True,
        env=env,
        timeout=300,
    )
    data = json.loads(report.read_text("utf-8"))
    failed = [
        f"{audit['id']} ({audit['score']})"
        for audit in data["audits"].values()
        if audit.get("score") is not None
        and audit["score"] < 1
        and audit.get("scoreDisplayMode") == "binary"
    ]
    if failed:
        print(f"    audits below full marks: {', '.join(sorted(failed))}")
    return {name: round(data["categories"][name]["score"] * 100) for name in CATEGORIES}


def main() -> None:
    if not LIGHTHOUSE.exists():
        sys.exit("lighthouse is missing: run `npm ci --prefix bench` first")
    work = Path(tempfile.mkdtemp(prefix="kommunenyt-lighthouse-"))
    try:
        site = work / "site"
        site.mkdir()
        shutil.copy(REPO / "site.toml", site / "site.toml")
        shutil.copytree(REPO / "content", site / "content")
        output = work / "output"
        output.mkdir()
        server, _ = serve_in_thread(output)
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        try:
            build(load_config(site).with_base_url(base), BuildOptions(output))
            for name, path in PAGES.items():
                print(f"{name} ({base}{path}):")
                scores = run_lighthouse(base + path, work / "report.json")
                print("    " + "  ".join(f"{k}: {v}" for k, v in scores.items()))
        finally:
            server.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
