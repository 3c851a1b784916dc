"""The default theme ships inside the wheel, so an installed kommunenyt works outside the repo."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).parent.parent


def test_wheel_contains_the_theme_and_builds_a_site(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("kommunenyt-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "generator/_theme/base.html" in names
        assert "generator/_theme/assets/kommunenyt.css" in names
        assert not any(n.startswith(("content/", "tests/")) for n in names)
        archive.extractall(tmp_path / "installed")

    site = tmp_path / "site"
    (site / "content/articles").mkdir(parents=True)
    (site / "site.toml").write_text(
        '[site]\ntitle = "Hjul"\nbase_url = "https://hjul.dk/"\n', "utf-8"
    )
    (site / "content/articles/a.md").write_text(
        "---\ntitle: Fra hjulet\ndate: 2024-01-02\n---\nTekst\n", "utf-8"
    )
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import generator, generator.theme as t;"
        "assert generator.__file__.startswith(sys.argv[1]), generator.__file__;"
        "print(t.default_theme_dir());"
        "from generator.cli import main; raise SystemExit(main(['build', '--site', sys.argv[2]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "installed"), str(site)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "installed/generator/_theme")
    assert "<h1>Fra hjulet</h1>" in (site / "output/artikel/fra-hjulet/index.html").read_text(
        "utf-8"
    )
