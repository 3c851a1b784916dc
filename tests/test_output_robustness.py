"""Builds that are killed, interrupted, run twice at once or hit a full disk lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.errors import SiteError
from generator.writer import MANIFEST
from tests.test_output import snapshot

REPO = Path(__file__).parent.parent


def many_articles(site, count: int, marker: str) -> None:
    body = "Et afsnit om kommunal it med æ, ø og å. " * 40 + "\n\n## Mellemrubrik\n\nMere tekst.\n"
    for n in range(count):
        site.article(
            f"{n // 100}/a{n}.md",
            f"""
            title: Artikel {n} {marker}
            date: 2024-0{1 + n % 9}-1{n % 10} 10:00
            section: Sektion {n % 5}
            tags: [Emne {n % 17}, Emne {n % 7}]
        """,
            body,
        )


def start_build(site) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "build"],
        cwd=site.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def leftovers(site) -> list[str]:
    return sorted(p.name for p in site.root.iterdir() if ".staging-" in p.name or ".old-" in p.name)


def consistent(output: Path) -> bool:
    """Every file the manifest lists is there, and nothing else was written."""
    import json

    listed = set(json.loads((output / MANIFEST).read_text("utf-8"))["files"])
    present = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    return present - {MANIFEST} == listed


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_build_leaves_the_previous_site_exactly(site, sig):
    many_articles(site, 300, "gammel")
    assert start_build(site).wait(timeout=300) == 0
    before = snapshot(site.output)
    many_articles(site, 300, "ny")
    killed_mid_build = 0
    for delay in (0.3, 0.6, 0.9, 1.2):
        process = start_build(site)
        time.sleep(delay)
        if process.poll() is None:
            process.send_signal(sig)
            killed_mid_build += 1
        code = process.wait(timeout=300)
        if code != 0:
            assert snapshot(site.output) == before
        if sig == signal.SIGINT and code == 130:  # -2 when it came before Python's handler
            assert "Traceback" not in process.stderr.read().decode()
        if sig == signal.SIGINT:
            assert leftovers(site) == []  # an interrupted build cleans up after itself
    assert killed_mid_build >= 2
    assert start_build(site).wait(timeout=300) == 0
    assert leftovers(site) == []
    assert "Artikel 0 ny" in site.read("artikel/artikel-0-ny/")
    assert consistent(site.output)


def test_two_builds_at_once_leave_one_consistent_site(site):
    many_articles(site, 150, "x")
    first, second = start_build(site), start_build(site)
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0
    assert consistent(site.output)
    assert leftovers(site) == []


def test_full_disk_fails_clearly_and_keeps_the_previous_site(site, tmp_path, monkeypatch):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True
        ).returncode
        == 0
    )
    try:
        output = disk / "output"
        site.article("a.md", "title: Lille\ndate: 2024-01-02 10:00")
        site.build(output=output)
        before = snapshot(output)
        site.write("content/static/stor.bin", os.urandom(3 * 1024 * 1024))
        if not mounted:  # not root: make the disk "full" at the operating-system call instead
            monkeypatch.setattr("shutil.copyfile", _raise_enospc)
        with pytest.raises(SiteError) as error:
            site.build(output=output)
        assert "could not write the output" in str(error.value)
        assert "free some disk space" in str(error.value)
        assert snapshot(output) == before
        assert [p.name for p in disk.iterdir()] == ["output"] or sorted(
            p.name for p in disk.iterdir()
        ) == [".output.kommunenyt-lock", "output"]
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=False)


def _raise_enospc(*_args, **_kwargs):
    import errno

    raise OSError(errno.ENOSPC, "No space left on device")
