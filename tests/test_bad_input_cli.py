"""The corpus of bad input, through the real command line: each mistake an editor can make
gives `file:line: error: …` with a hint, exit code 1, no traceback, and no output written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.reader import MAX_SOURCE_BYTES
from tests.conftest import Site

REPO = Path(__file__).parent.parent
GOOD = "---\ntitle: God\ndate: 2024-01-02 10:00\n---\n\nTekst.\n"


def article(front: str, body: str = "Tekst.\n") -> str:
    return f"---\n{front}\n---\n\n{body}"


# (id, files to write, the location the error must name, words the message must hold)
CORPUS = [
    ("invalid-yaml", {"a.md": article("title: God\ndate: 2024-01-02\ntags: [a, b\nlead: x")},
     "content/articles/a.md:5", "invalid YAML"),
    ("tab-in-yaml", {"a.md": article("title: God\ndate: 2024-01-02\ntags:\n\t- a")},
     "content/articles/a.md:5", "tabs"),
    ("missing-title", {"a.md": article("date: 2024-01-02")},
     "content/articles/a.md:1", "title is missing"),
    ("empty-title", {"a.md": article("date: 2024-01-02\ntitle: ''")},
     "content/articles/a.md:3", "title is empty"),
    ("impossible-date", {"a.md": article("title: God\ndate: 2021-02-30")},
     "content/articles/a.md:3", "does not exist"),
    ("date-without-year", {"a.md": article("title: God\ndate: 14. juni")},
     "content/articles/a.md:3", "is not a date"),
    ("date-month-day-only", {"a.md": article("title: God\ndate: 06-14 09:30")},
     "content/articles/a.md:3", "is not a date"),
    ("number-as-date", {"a.md": article("title: God\ndate: 2021")},
     "content/articles/a.md:3", "is not a date"),
    ("list-for-text", {"a.md": article("title: God\nlead: [en, to]\ndate: 2024-01-02")},
     "content/articles/a.md:3", "must be a single text"),
    ("not-utf8", {"a.md": "---\ntitle: Kø\ndate: 2024-01-02\n---\n".encode("latin-1")},
     "content/articles/a.md:2", "not UTF-8"),
    ("empty-file", {"a.md": ""}, "content/articles/a.md:1", "the file is empty"),
    ("front-matter-only", {"a.md": "---\ntitle: God\ndate: 2024-01-02\n---\n"},
     "content/articles/a.md:4", "no text"),
    ("front-matter-never-closed", {"a.md": "---\ntitle: God\ndate: 2024-01-02\n"},
     "content/articles/a.md:1", "never closed"),
    ("no-front-matter", {"a.md": "# Bare en overskrift\n"},
     "content/articles/a.md:1", "does not start with front matter"),
    ("binary-named-md", {"a.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"},
     "content/articles/a.md:1", "binary"),
    ("slug-path-traversal", {"a.md": article("title: God\ndate: 2024-01-02\nslug: ../../etc/passwd")},
     "content/articles/a.md:4", "cannot be used in a URL"),
    ("slug-con", {"a.md": article("title: God\ndate: 2024-01-02\nslug: con")},
     "content/articles/a.md:4", "cannot be used in a URL"),
    ("title-con", {"a.md": article("title: CON\ndate: 2024-01-02")},
     "content/articles/a.md:2", "no usable URL slug"),
    ("tag-con", {"a.md": article("title: God\ndate: 2024-01-02\ntags: [Con]")},
     "content/articles/a.md:4", "Windows cannot store"),
    ("page-named-aux", {"../pages/aux.md": "---\ntitle: Aux\n---\n\nTekst.\n"},
     "content/pages/aux.md:1", "no usable URL slug"),
    ("slug-collision", {"a.md": GOOD, "b.md": GOOD},
     "content/articles/b.md:2", "gets the URL /artikel/god/, like content/articles/a.md"),
    ("section-punctuation", {"a.md": article("title: God\ndate: 2024-01-02\nsection: '!?'")},
     "content/articles/a.md:4", "no letters or digits"),
    ("tag-punctuation", {"a.md": article("title: God\ndate: 2024-01-02\ntags: ['---']")},
     "content/articles/a.md:4", "no letters or digits"),
    ("unknown-author", {"a.md": article("title: God\ndate: 2024-01-02\nauthors: [Ukendt]"),
                        "../authors.yaml": "Mette Lindberg:\n  email: ml@example.dk\n"},
     "content/articles/a.md:4", "unknown author 'Ukendt'"),
    ("missing-image", {"a.md": article("title: God\ndate: 2024-01-02\nimage: static/nej.jpg\n"
                                       "image_alt: Et billede")},
     "content/articles/a.md:4", "does not exist"),
    ("missing-image-in-body", {"a.md": article("title: God\ndate: 2024-01-02",
                                               "Tekst.\n\n![Kort](static/nej.png)\n")},
     "content/articles/a.md:8", "leads nowhere"),
    ("broken-authors-yaml", {"../authors.yaml": "Mette: [\n"},
     "content/authors.yaml:2", "invalid YAML"),
    ("broken-template", {"a.md": GOOD, "../../templates/article.html":
                         "{% extends 'base.html' %}\n{% block content %}\n{{ x( }}\n{% endblock %}"},
     "templates/article.html:3", "template syntax error"),
    ("unknown-template-variable", {"a.md": GOOD, "../../templates/article.html":
                                   "{% extends 'base.html' %}\n{% block content %}\n"
                                   "{{ article.titel.upper() }}\n{% endblock %}"},
     "templates/article.html:3", "template error"),
    ("broken-site-toml", {"../../site.toml": '[site]\ntitle = "x\nbase_url = "https://x.dk/"\n'},
     "site.toml:2", "not valid TOML"),
]  # fmt: skip


def run_build(site: Site, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", "build", "--site", str(site.root), *extra],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )


def assert_clear_failure(site: Site, where: str, words: str) -> str:
    result = run_build(site)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{where}: error: ")]
    assert lines, f"expected {where}: error: …{words}… in\n{result.stderr}"
    assert any(words in line for line in lines), result.stderr
    assert any(" — " in line for line in lines), "every error says what to do"
    assert "nothing was written" in result.stderr
    assert not site.output.exists()
    return result.stderr


@pytest.mark.parametrize(
    ("files", "where", "words"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_each_bad_input_fails_with_file_line_and_hint(site, files, where, words):
    for rel, text in files.items():
        site.write(os.path.normpath(f"content/articles/{rel}"), text)
    assert_clear_failure(site, where, words)


def test_symlinks_leaving_the_site_are_refused(site, tmp_path):
    outside = tmp_path / "hemmelig.md"
    outside.write_text(GOOD, "utf-8")
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0\n", "utf-8")
    (site.root / "content/articles").mkdir(parents=True)
    (site.root / "content/static").mkdir(parents=True)
    (site.root / "content/articles/link.md").symlink_to(outside)
    (site.root / "content/static/passwd").symlink_to(secret)
    (site.root / "content/static/mappe").symlink_to(tmp_path)
    assert_clear_failure(site, "content/articles/link.md:1", "outside the site folder")
    (site.root / "content/articles/link.md").unlink()
    stderr = assert_clear_failure(site, "content/static/passwd:1", "outside the site folder")
    assert "content/static/mappe:1: error: symbolic link points outside" in stderr


def test_a_symlink_inside_the_site_is_followed(site):
    site.write("content/articles/rigtig.md", GOOD)
    (site.root / "content/articles/2024").mkdir()
    (site.root / "content/articles/2024/link.md").symlink_to(
        site.root / "content/articles/rigtig.md"
    )
    # The same article twice (through the link) is a slug collision, named as one.
    assert_clear_failure(site, "content/articles/rigtig.md:2", "gets the URL /artikel/god/")


def test_a_50_mb_article_is_refused_before_it_is_read(site):
    path = site.root / "content/articles/stor.md"
    path.parent.mkdir(parents=True)
    with path.open("w", encoding="utf-8") as file:
        file.write("---\ntitle: Stor\ndate: 2024-01-02\n---\n\n")
        paragraph = "Kommunen flytter it-driften til et nyt datacenter i Køge. " * 20 + "\n\n"
        while file.tell() < 50 * 1024 * 1024:
            file.write(paragraph)
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "build", "--site", str(site.root)],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    stderr = process.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
    assert "content/articles/stor.md:1: error: the file is 50.0 MB" in stderr
    assert "at most 2 MB" in stderr and "Traceback" not in stderr
    assert usage.ru_maxrss < 150 * 1024, "kilobytes: the 50 MB were never loaded"


def test_an_article_just_under_the_size_limit_builds(site):
    paragraph = "Kommunen flytter it-driften til et nyt datacenter i Køge. " * 20 + "\n\n"
    body = paragraph * ((MAX_SOURCE_BYTES - 200) // len(paragraph.encode()))
    site.write("content/articles/lang.md", f"---\ntitle: Lang\ndate: 2024-01-02\n---\n\n{body}")
    result = run_build(site)
    assert result.returncode == 0, result.stderr
    assert (site.output / "artikel/lang/index.html").stat().st_size > len(body)
