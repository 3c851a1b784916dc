"""Rendering in several processes gives exactly the output of one process."""

from __future__ import annotations

import os
import re

import pytest

from generator import parallel
from generator.build import BuildOptions, build
from generator.config import load_config
from generator.errors import Problem, SiteError
from tests.conftest import NOW
from tests.test_cache_equivalence import make_site
from tests.test_output import snapshot


@pytest.fixture(autouse=True)
def fork_even_for_small_sites(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 2)


def build_with(site, jobs, folder):
    options = BuildOptions(folder, now=NOW, jobs=jobs, cache=False)
    return build(load_config(site.root), options)


def test_jobs_1_and_jobs_2_give_identical_trees(site, tmp_path):
    make_site(site)
    for number in range(30):
        site.article(
            f"2022/n{number}.md", f"title: Nyhed {number}\ndate: 2022-02-{number % 28 + 1:02d}"
        )
    one = build_with(site, 1, tmp_path / "one")
    two = build_with(site, 2, tmp_path / "two")
    assert (one.files, one.rendered) == (two.files, two.rendered)
    first, second = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    assert any(name.startswith("pagefind/") for name in first)
    assert first == second


def test_a_template_error_in_a_worker_is_the_same_clear_error(site, tmp_path):
    make_site(site)
    site.write(
        "templates/article.html",
        "{% extends 'base.html' %}{% block content %}{{ article.title.nope() }}{% endblock %}",
    )
    messages = []
    for jobs in (1, 2):
        with pytest.raises(SiteError) as caught:
            build_with(site, jobs, tmp_path / f"out{jobs}")
        messages.append([str(p) for p in caught.value.problems])
        assert not (tmp_path / f"out{jobs}").exists()
    assert messages[0] == messages[1]
    assert "templates/article.html:1" in messages[0][0]


def test_front_matter_errors_found_by_reader_workers_are_listed_in_file_order(site, tmp_path):
    make_site(site)
    site.article("2021/b-fejl.md", "title: Uden dato")
    site.article("2021/a-fejl.md", "title: [ikke lukket\ndate: 2021-01-01")
    site.article("2021/c-fejl.md", "title: God\ndate: 2021-13-01 09:00")
    messages = []
    for jobs in (1, 2):
        with pytest.raises(SiteError) as caught:
            build_with(site, jobs, tmp_path / f"out{jobs}")
        messages.append([str(p) for p in caught.value.problems])
    assert messages[0] == messages[1]
    assert [m.split(":")[0] for m in messages[0]] == [
        "content/articles/2021/a-fejl.md",
        "content/articles/2021/b-fejl.md",
        "content/articles/2021/c-fejl.md",
    ]


def test_parallel_map_keeps_order_and_reports_problems_from_workers():
    items = list(range(300))
    assert parallel.parallel_map(lambda n: (n, os.getpid()), items, 2)[:3][0][0] == 0
    results = parallel.parallel_map(lambda n: n * n, items, 2)
    assert results == [n * n for n in items]
    pids = {pid for _, pid in parallel.parallel_map(lambda n: (n, os.getpid()), items, 2)}
    assert len(pids) == 2

    def fails(n):
        if n == 201:
            raise SiteError(Problem("content/x.md", 3, "broken"))
        return n

    with pytest.raises(SiteError, match=re.escape("content/x.md:3: error: broken")):
        parallel.parallel_map(fails, items, 2)


def test_a_worker_that_dies_is_an_error_not_a_missing_result():
    build_process = os.getpid()

    def dies(n):
        if os.getpid() != build_process:  # a forked worker, never the build itself
            os._exit(3)
        return n

    with pytest.raises(SiteError, match="worker process"):
        parallel.parallel_map(dies, list(range(40)), 2)


def test_workers_take_runs_of_neighbours_and_results_come_back_in_order():
    items = list(range(100))
    owners = parallel.parallel_map(lambda n: os.getpid(), items, 2)
    runs = [owners[i : i + parallel.BLOCK] for i in range(0, 100, parallel.BLOCK)]
    assert all(len(set(run)) == 1 for run in runs)  # the formats of one feed stay together
    assert len(set(owners)) == 2
