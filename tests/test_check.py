"""`kommunenyt check` on small fixture sites: one problem each, reported with file and line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator.check import check_site
from generator.cli import main
from tests.conftest import Site

GOOD = "title: God artikel\ndate: 2021-06-14 09:30\nlead: En kort indledning.\n"


def findings(site: Site) -> list[str]:
    return [str(p) for p in check_site(site.root).problems]


def only(site: Site, text: str, severity: str = "error") -> str:
    found = [line for line in findings(site) if text in line]
    assert len(found) == 1, findings(site)
    assert f": {severity}: " in found[0]
    return found[0]


def test_a_clean_site_passes(site, capsys):
    site.article("2021/god.md", GOOD)
    assert main(["check", "--site", str(site.root)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out


def test_invalid_yaml_is_an_error_with_its_line(site):
    site.write("content/articles/2021/x.md", '---\ntitle: "Ikke lukket\ndate: 2021-01-01\n---\n')
    assert only(site, "invalid YAML").startswith("content/articles/2021/x.md:3:")


def test_missing_required_keys(site):
    site.article("2021/x.md", "title: Uden dato\n")
    assert "content/articles/2021/x.md:1:" in only(site, "date is missing")


def test_a_date_that_does_not_exist(site):
    site.article("2021/x.md", "title: Skæv dato\ndate: 2021-02-30\nlead: x\n")
    assert only(site, "does not exist").startswith("content/articles/2021/x.md:3:")


def test_unknown_authors_when_authors_yaml_exists(site):
    site.write("content/authors.yaml", "Mette Lindberg:\n  email: ml@example.dk\n")
    site.article("2021/x.md", GOOD + "authors: [Mette Lindberg, Ukendt Person]\n")
    assert only(site, "unknown author 'Ukendt Person'").startswith("content/articles/2021/x.md:5:")


def test_duplicate_slugs(site):
    site.article("2021/a.md", GOOD)
    site.article("2022/b.md", GOOD)
    assert "like content/articles/2021/a.md" in only(site, "gets the URL /artikel/god-artikel/")


def test_internal_links_and_images_that_lead_nowhere(site):
    site.article(
        "2021/x.md",
        GOOD,
        "Første linje.\n\nSe [den anden](../2020/findes-ikke.md).\n\n![Kort](static/mangler.png)\n",
    )
    assert only(site, "findes-ikke.md").startswith("content/articles/2021/x.md:9:")
    assert only(site, "static/mangler.png").startswith("content/articles/2021/x.md:11:")


def test_images_without_alt_text(site):
    site.write("content/static/kort.png", b"\x89PNG\r\n\x1a\n")
    site.article("2021/top.md", "title: Med billede\ndate: 2021-06-14\nimage: static/kort.png\n")
    assert only(site, "needs image_alt").startswith("content/articles/2021/top.md:4:")
    site.article(
        "2021/x.md", GOOD, 'Tekst.\n\n![](static/kort.png)\n\n<img src="/static/kort.png">\n'
    )
    assert only(site, "has no alt text — describe").startswith("content/articles/2021/x.md:9:")
    assert only(site, "an <img> has no alt text").startswith("content/articles/2021/x.md:11:")


def test_an_empty_lead_and_a_long_title_are_warnings(site):
    site.article("2021/x.md", f"title: {'Lang ' * 30}\ndate: 2021-06-14\nlead: ''\n")
    assert only(site, "has no lead", "warning").startswith("content/articles/2021/x.md:4:")
    assert only(site, "characters long", "warning").startswith("content/articles/2021/x.md:2:")


def test_dialogue_quotes_that_will_not_render_as_quotes(site):
    site.article(
        "2021/x.md",
        GOOD,
        "Indledning.\n\n"
        "- Det går godt, siger hun\n\n"  # line 9: no full stop, so a bullet
        "Mellemtekst.\n\n"
        "- Vi flytter driften til skyen i løbet af året, siger direktøren.\n"  # line 13: one list
        "- Det bliver billigere for alle borgerne i kommunen, siger han.\n\n"
        "Mere tekst.\n\n"
        "- Husk at tilmelde dig inden fredag den 14. juni i år.\n\n"  # line 18: a quote
        "– Det her er skrevet med en tastet tankestreg.\n",  # line 20
    )
    assert only(site, "looks like a dialogue quote", "warning").startswith(
        "content/articles/2021/x.md:9:"
    )
    assert only(site, "form one bullet list", "warning").startswith(
        "content/articles/2021/x.md:13:"
    )
    assert only(site, "will be shown as a dialogue quote", "warning").startswith(
        "content/articles/2021/x.md:18:"
    )
    assert only(site, "typed dash", "warning").startswith("content/articles/2021/x.md:20:")


def test_a_proper_dialogue_quote_gives_no_warning(site):
    site.article(
        "2021/x.md", GOOD, "Tekst.\n\n- Det er en god dag for kommunen, siger borgmesteren.\n"
    )
    assert findings(site) == []


def test_files_that_are_not_utf8(site):
    site.write("content/articles/2021/x.md", f"---\n{GOOD}---\n\nKøge\n".encode("latin-1"))
    assert only(site, "not UTF-8").startswith("content/articles/2021/x.md:7:")


def test_bom_crlf_and_nfd_files_are_read_correctly(site):
    text = f"---\n{GOOD}section: Køge\n---\n\nTekst om Ærø.\n"
    nfd = "\N{LATIN SMALL LETTER O WITH STROKE}"  # ø has no NFD form; use å and æ below
    text = text.replace("Tekst", "Ålborg" + "\u0041\u030a".lower() + nfd)
    data = "\ufeff".encode() + text.replace("\n", "\r\n").encode("utf-8")
    site.write("content/articles/2021/x.md", data)
    assert findings(site) == []
    site.build()
    assert "sektion/koege/" in site.read("artikel/god-artikel/")
    assert "Ålborgåø" in site.read("artikel/god-artikel/")


def test_warnings_fail_only_with_strict(site):
    site.article("2021/x.md", "title: Uden lead\ndate: 2021-06-14\n")
    assert main(["check", "--site", str(site.root)]) == 0
    assert main(["check", "--site", str(site.root), "--strict"]) == 1


def test_errors_fail_and_build_says_the_same_without_a_traceback(site):
    site.article("2021/x.md", "title: Skæv dato\ndate: 2021-02-30\nlead: x\n")
    checked = subprocess.run(
        [sys.executable, "-m", "generator", "check", "--site", str(site.root)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 1
    built = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--site", str(site.root)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 1
    message = next(line for line in checked.stdout.splitlines() if "does not exist" in line)
    assert message in built.stderr
    assert "Traceback" not in built.stderr
    debug = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--site", str(site.root), "--debug"],
        capture_output=True,
        text=True,
    )
    assert "Traceback" in debug.stderr


@pytest.mark.parametrize("broken", ['[site\ntitle = "x"\n', '[site]\ntitel = "x"\n'])
def test_a_broken_site_toml_is_reported_not_raised(site, broken):
    site.write("site.toml", broken)
    report = check_site(site.root)
    assert report.failed() and str(report.errors[0].path).endswith("site.toml")
