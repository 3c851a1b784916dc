"""No path from content or config can write outside the output folder.

Hostile sites are built inside a small "world" of folders; afterwards every file and folder
of the world outside the output folder must be exactly as before. The only writes allowed
beside it are the build's lock file and the site's own cache folder.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from generator.errors import SiteError
from tests.conftest import Site

ALLOWED = (".kommunenyt-lock", ".kommunenyt-cache", ".kommunenyt-spare")  # beside the output


def world_state(world: Path, output: Path) -> dict[str, str]:
    """Every path of the world but the output folder: file hashes, link targets, folders."""
    state = {}
    for root, dirs, files in os.walk(world, followlinks=False):
        here = Path(root)
        for name in [*dirs, *files]:
            path = here / name
            rel = path.relative_to(world).as_posix()
            if path == output or output in path.parents or any(a in rel for a in ALLOWED):
                continue
            if path.is_symlink():
                state[rel] = "link→" + os.readlink(path)
            elif path.is_dir():
                state[rel] = "dir"
            else:
                state[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
    return state


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (20, 90, 140)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """world/site (the site), world/ude (someone else's files), world/rigtig-output."""
    world = tmp_path / "world"
    (world / "ude").mkdir(parents=True)
    (world / "ude/vigtig.txt").write_text("rør mig ikke\n", "utf-8")
    (world / "ude/index.html").write_text("ikke kommunenyts\n", "utf-8")
    (world / "rigtig-output").mkdir()
    return world


def hostile_site(world: Path) -> Site:
    site = Site(world / "site")
    site.config(
        """
        [[banners]]
        image = "static/banner.png"
        link = "../../ude/"
        alt = "Et banner"
        """
    )
    site.write("content/static/banner.png", png())
    site.write("content/static/billeder/foto..png", png())
    site.write("content/static/-rf.txt", "filnavn som et flag\n")
    site.write("content/static/%2e%2e/ude.txt", "kodede prikker\n")
    site.write("content/static/mappe med mellemrum/æøå.txt", "danske bogstaver\n")
    site.write("content/pages/%2e%2e.md", "---\ntitle: Prikker\n---\n\nTekst.\n")
    site.write("content/pages/..md", "---\ntitle: Skjult\n---\n\nTekst.\n")
    site.article(
        "2024/a.md",
        """
        title: ../../ude/index.html
        date: 2024-01-02 10:00
        section: ../../ude
        tags: ["../../x", "..\\\\..\\\\ude", "%2e%2e%2fude"]
        authors: ["../../ude"]
        image: static/billeder/foto..png
        image_alt: Et foto
        aliases: [/gammel/adresse/, /side.html]
        """,
        "Se [filen](static/-rf.txt) og ![foto](static/billeder/foto..png).\n",
    )
    site.write("content/newsletter/2024-01-05-ugebrev.yaml", "list: ugebrev\n")
    return site


def test_a_hostile_site_writes_only_into_its_output(world):
    site = hostile_site(world)
    output = site.output
    before = world_state(world, output)
    site.build()
    assert world_state(world, output) == before
    written = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assert {"static/-rf.txt", "static/%2e%2e/ude.txt", "2e-2e/index.html"} <= written
    assert (world / "ude/index.html").read_text("utf-8") == "ikke kommunenyts\n"


@pytest.mark.parametrize(
    "front",
    [
        "slug: ../../../ude",
        "slug: /etc/passwd",
        "slug: ..",
        "aliases: [../../ude/]",
        "aliases: ['/artikel/../../../ude/']",
        "aliases: ['artikel/%2e%2e/%2e%2e/ude/']",
        "aliases: ['https://andet.example/ude/']",
        "image: static/../../../ude/vigtig.txt\nimage_alt: x",
        "image: /etc/passwd\nimage_alt: x",
    ],
)
def test_refused_paths_write_nothing_anywhere(world, front):
    site = Site(world / "site")
    site.article("a.md", f"title: Ond\ndate: 2024-01-02 10:00\n{front}")
    before = world_state(world, site.output)
    with pytest.raises(SiteError):
        site.build()
    assert world_state(world, site.output) == before
    assert not site.output.exists()


def test_a_backslash_in_a_file_name_is_refused(world):
    site = Site(world / "site")
    site.write("content/static/ud\\..\\..\\ude\\x.txt", "omvendte skråstreger\n")
    before = world_state(world, site.output)
    with pytest.raises(SiteError, match="backslash") as error:
        site.build()
    assert str(error.value.problems[0]).startswith("content/static/ud\\..\\..\\ude\\x.txt:1:")
    assert world_state(world, site.output) == before


def test_output_given_as_a_symlink_builds_into_its_target_only(world):
    site = hostile_site(world)
    (world / "site/output").symlink_to(world / "rigtig-output")
    target = world / "rigtig-output"
    before = world_state(world, target)
    site.build(output=world / "site/output")
    assert world_state(world, target) == before
    assert (target / "artikel").is_dir() and (world / "site/output").is_symlink()


def test_links_the_user_put_in_the_output_are_kept_and_never_written_through(world):
    site = hostile_site(world)
    site.build()
    (site.output / "egen-mappe").symlink_to(world / "ude")
    (site.output / "statisk").symlink_to(world / "ude/vigtig.txt")
    site.article("2024/b.md", "title: Endnu en\ndate: 2024-01-03 10:00")
    before = world_state(world, site.output)
    site.build()
    assert world_state(world, site.output) == before
    assert os.readlink(site.output / "egen-mappe") == str(world / "ude")
    assert (world / "ude/vigtig.txt").read_text("utf-8") == "rør mig ikke\n"


def test_a_user_link_where_the_site_now_writes_a_folder_stops_the_build(world):
    site = hostile_site(world)
    site.build()
    (site.output / "sektion-ny").symlink_to(world / "ude")
    (site.output / "emne").rename(site.output / "emne-flyttet")  # not the user's, but moved
    os.symlink(world / "ude", site.output / "emne")
    before = world_state(world, site.output)
    with pytest.raises(SiteError, match="has the name of a file the site now generates"):
        site.build()
    assert world_state(world, site.output) == before
    assert sorted(p.name for p in (world / "ude").iterdir()) == ["index.html", "vigtig.txt"]
