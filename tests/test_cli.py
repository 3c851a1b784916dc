"""The command line as an editor uses it: one command, a summary, clear errors, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from generator.cli import main

REPO = Path(__file__).parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_build_in_the_current_folder_prints_a_summary(site):
    site.article("a.md", "title: A\ndate: 2024-01-02 10:00")
    result = run("build", cwd=site.root)
    assert result.returncode == 0, result.stderr
    assert "Built 1 article, 0 pages, 6 feeds" in result.stderr
    assert (site.root / "output/artikel/a/index.html").is_file()


def test_build_options_site_output_base_url_drafts(site, tmp_path):
    site.article("d.md", "title: Kladde\ndate: 2024-01-02 10:00\ndraft: true")
    out = tmp_path / "ud"
    assert (
        main(
            [
                "build",
                "--site",
                str(site.root),
                "--output",
                str(out),
                "--drafts",
                "--base-url",
                "https://preview.example.dk/nyt",
            ]
        )
        == 0
    )
    html = (out / "artikel/kladde/index.html").read_text("utf-8")
    assert 'href="/nyt/assets/kommunenyt.css"' in html
    assert '<link rel="canonical" href="https://preview.example.dk/nyt/artikel/kladde/">' in html


def test_bad_content_fails_with_file_and_line_and_no_traceback(site):
    site.article("bad.md", "title: A\ndate: 2021-02-30")
    result = run("build", cwd=site.root)
    assert result.returncode == 1
    assert (
        "content/articles/bad.md:3: error: date: the date '2021-02-30' does not exist"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert "nothing was written" in result.stderr


def test_debug_shows_the_traceback(site):
    site.article("bad.md", "title: A\ndate: 2021-02-30")
    result = run("build", "--debug", cwd=site.root)
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_no_site_toml(tmp_path):
    result = run("build", cwd=tmp_path)
    assert result.returncode == 1 and "no site.toml here" in result.stderr


def test_console_script_is_installed():
    result = subprocess.run(["kommunenyt", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("kommunenyt ")


def test_serve_builds_and_serves_the_site_on_localhost(site):
    import socket

    site.article("a.md", "title: Forhåndsvisning\ndate: 2024-01-02 10:00")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--port", str(port)],
        cwd=site.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        html = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/artikel/forhaandsvisning/", timeout=2
                ) as response:
                    html = response.read().decode()
                    break
            except OSError:
                time.sleep(0.1)
        assert html is not None and "<h1>Forhåndsvisning</h1>" in html
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/findes-ikke/", timeout=2)
            raise AssertionError("expected 404")
        except urllib.error.HTTPError as error:
            assert error.code == 404 and "Siden findes ikke" in error.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
