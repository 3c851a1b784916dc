"""Building the same content twice gives byte-identical output, search index included.

Two copies of the sample site in different folders are built by separate processes with
different hash seeds, a few seconds apart: set ordering, absolute paths, the clock of the
build or the search indexer's own randomness would all show up as a differing file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from generator.writer import MANIFEST
from tests.test_output import snapshot

REPO = Path(__file__).parent.parent


def build_copy(folder: Path, seed: str) -> Path:
    site = folder / "site"
    site.mkdir(parents=True)
    shutil.copy(REPO / "site.toml", site / "site.toml")
    shutil.copytree(REPO / "content", site / "content")
    result = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--site", str(site)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": seed},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return site / "output"


def test_two_builds_of_the_same_content_are_byte_identical(tmp_path):
    first = build_copy(tmp_path / "en", "1")
    time.sleep(1.1)  # a timestamp with seconds in it would differ
    second = build_copy(tmp_path / "to" / "dybere", "2")
    one, two = snapshot(first), snapshot(second)
    assert any(name.startswith("pagefind/") for name in one), "search is part of the build"
    differing = sorted(n for n in one.keys() | two.keys() if one.get(n) != two.get(n))
    pages = [n for n in differing if not n.startswith("pagefind/") and n != MANIFEST]
    assert pages == [], "pages, feeds and assets"
    assert differing == [], "the Pagefind index (its file names are content hashes)"
