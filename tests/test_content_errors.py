"""Bad input gives a clear error naming the file, the line and what to do — all at once."""

from __future__ import annotations

import re

import pytest

from generator.errors import SiteError


def problems_of(site) -> list[str]:
    with pytest.raises(SiteError) as error:
        site.build()
    return [str(p) for p in error.value.problems]


def only_problem(site) -> str:
    problems = problems_of(site)
    assert len(problems) == 1, problems
    return problems[0]


def test_invalid_yaml_names_file_and_line(site):
    site.article("bad.md", "title: God\ndate: 2024-01-02 10:00\ntags: [a, b\nlead: x")
    problem = only_problem(site)
    assert problem.startswith("content/articles/bad.md:")
    assert "invalid YAML" in problem


def test_tab_in_yaml_gets_a_hint(site):
    site.article("tab.md", "title: God\ndate: 2024-01-02 10:00\ntags:\n\t- a")
    problem = only_problem(site)
    assert "content/articles/tab.md:5" in problem
    assert "tabs" in problem


def test_missing_title_points_at_the_file(site):
    site.article("notitle.md", "date: 2024-01-02 10:00")
    assert "content/articles/notitle.md:1: error: title is missing" in only_problem(site)


def test_empty_title_points_at_its_line(site):
    site.article("empty.md", "date: 2024-01-02 10:00\ntitle:")
    assert "content/articles/empty.md:3: error: title is empty" in only_problem(site)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2021-02-30 10:00", "does not exist"),
        ("30-02-2021", "is not a date"),
        ("14. juni", "is not a date"),
        ("2021-06-14 25:00", "does not exist"),
    ],
)
def test_bad_dates_are_explained(site, value, message):
    site.article("date.md", f"title: Dato\ndate: {value}")
    problem = only_problem(site)
    assert "content/articles/date.md:3" in problem and message in problem
    assert "2021-06-14 09:30" in problem  # the hint shows the format


def test_list_where_text_belongs(site):
    site.article("list.md", "title: [en, to]\ndate: 2024-01-02 10:00")
    assert "content/articles/list.md:2: error: title must be a single text" in only_problem(site)


def test_not_utf8(site):
    site.write(
        "content/articles/latin1.md", "---\ntitle: Kø\ndate: 2024-01-02\n---\n".encode("latin-1")
    )
    problem = only_problem(site)
    assert "content/articles/latin1.md:2" in problem and "not UTF-8" in problem


def test_empty_file_and_front_matter_only(site):
    site.write("content/articles/empty.md", "")
    site.write("content/articles/unclosed.md", "---\ntitle: x\n")
    site.write("content/articles/nofront.md", "# Bare Markdown\n")
    problems = problems_of(site)
    assert any("empty.md:1" in p and "empty" in p for p in problems)
    assert any("unclosed.md:1" in p and "never closed" in p for p in problems)
    assert any("nofront.md:1" in p and "front matter" in p for p in problems)


def test_binary_file_named_md(site):
    site.write("content/articles/image.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert "binary" in only_problem(site)


def test_unsafe_slugs(site):
    site.article("a.md", "title: A\ndate: 2024-01-02\nslug: ../../etc/passwd")
    site.article("b.md", "title: B\ndate: 2024-01-02\nslug: con")
    problems = problems_of(site)
    assert len(problems) == 2
    assert "a.md:4" in problems[0] and "cannot be used in a URL" in problems[0]
    assert "use slug: etc-passwd" in problems[0]
    assert "b.md:4" in problems[1]


def test_title_of_only_punctuation(site):
    site.article("p.md", "title: '!!!'\ndate: 2024-01-02")
    assert "no usable URL slug" in only_problem(site)


def test_section_or_tag_of_only_punctuation(site):
    site.article("p.md", "title: Fin\ndate: 2024-01-02\nsection: '---'\ntags: ['?!']")
    problems = problems_of(site)
    assert any("p.md:4" in p and "section" in p for p in problems)
    assert any("p.md:5" in p and "tag" in p for p in problems)


def test_unknown_author_when_authors_yaml_exists(site):
    site.write("content/authors.yaml", "Mette Lindberg:\n  email: ml@example.dk\n")
    site.article("a.md", "title: A\ndate: 2024-01-02\nauthors: [Mette Lindbjerg]")
    problem = only_problem(site)
    assert "a.md:4" in problem and "unknown author 'Mette Lindbjerg'" in problem
    assert "Mette Lindberg" in problem


def test_image_must_exist_and_have_alt_text(site):
    site.article("a.md", "title: A\ndate: 2024-01-02\nimage: static/mangler.jpg")
    problems = problems_of(site)
    assert any("a.md:4" in p and "does not exist" in p for p in problems)
    assert any("image_alt" in p for p in problems)


def test_image_outside_static_is_refused(site):
    site.write("secret.jpg", b"x")
    site.article("a.md", "title: A\ndate: 2024-01-02\nimage: ../../secret.jpg\nimage_alt: x")
    assert "not in content/static/" in only_problem(site)


def test_broken_internal_link_names_its_line(site):
    site.article(
        "a.md", "title: A\ndate: 2024-01-02", "Første linje.\n\nSe [her](../mangler.md).\n"
    )
    problem = only_problem(site)
    assert "content/articles/a.md:8" in problem and "leads nowhere" in problem


def test_duplicate_key(site):
    site.article("a.md", "title: A\ndate: 2024-01-02\ntitle: B")
    assert "a.md:4" in only_problem(site) and "twice" in only_problem(site)


def test_all_problems_are_reported_together(site):
    site.article("a.md", "date: 2024-01-02")
    site.article("b.md", "title: B\ndate: 2024-13-01")
    site.article("c.md", "title: C")
    assert len(problems_of(site)) == 3


def test_symlink_leaving_the_site_is_refused(site, tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Ude\ndate: 2024-01-02\n---\n", "utf-8")
    (site.root / "content/articles").mkdir(parents=True)
    (site.root / "content/articles/link.md").symlink_to(outside)
    assert "outside the site" in only_problem(site)


def test_bom_crlf_and_nfd_are_read_correctly(site):
    import unicodedata

    text = "---\r\ntitle: Åbne data i Køge\r\ndate: 2024-01-02 10:00\r\n---\r\n\r\nTekst.\r\n"
    site.write(
        "content/articles/win.md", "\ufeff".encode() + unicodedata.normalize("NFD", text).encode()
    )
    site.build()
    html = site.read("artikel/aabne-data-i-koege/")
    assert re.search(r"<h1[^>]*>Åbne data i Køge</h1>", html)


def test_broken_template_names_template_and_line(site):
    site.write(
        "templates/404.html",
        "{% extends 'base.html' %}\n{% block content %}\n{{ nope( }}\n{% endblock %}",
    )
    problem = only_problem(site)
    assert "templates/404.html:3" in problem and "template syntax error" in problem


def test_template_runtime_error_names_template_and_line(site):
    site.write(
        "templates/404.html",
        "{% extends 'base.html' %}\n{% block content %}\n\n{{ missing.thing }}\n{% endblock %}",
    )
    problem = only_problem(site)
    assert "templates/404.html:4" in problem and "missing" in problem
