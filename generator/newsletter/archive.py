"""Sent newsletters as part of the site: one small YAML record per issue in content/nyhedsbreve/.

`kommunenyt newsletter --send` writes the record; the build reads every record and
publishes the issue as a page in the newsletter archive. Records belong to the site's
sources, so they are versioned with the articles and never written over.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from generator.config import SiteConfig
from generator.errors import Problem, SiteError
from generator.model import Article
from generator.urls import newsletter_issue_url

ISSUES_DIR = "nyhedsbreve"


@dataclass(frozen=True)
class Issue:
    """One newsletter issue: what was (or will be) sent, in order."""

    slug: str  # 2021-06-18-ugebrev
    title: str
    list_id: str
    list_name: str
    date: dt.datetime
    articles: tuple[Article, ...]
    source: str = ""  # the record file, relative to the site folder

    @property
    def url(self) -> str:
        return newsletter_issue_url(self.slug)


def issues_dir(config: SiteConfig) -> Path:
    return config.content_dir / ISSUES_DIR


def record_path(config: SiteConfig, slug: str) -> Path:
    return issues_dir(config) / f"{slug}.yaml"


def write_record(config: SiteConfig, issue: Issue) -> Path:
    """Write the issue's record; refuses to replace one that exists."""
    path = record_path(config, issue.slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "title": issue.title,
        "list": issue.list_id,
        "date": issue.date.isoformat(timespec="seconds"),
        "articles": [a.slug for a in issue.articles],
    }
    text = (
        "# Sent by `kommunenyt newsletter --send`; the build publishes it in the archive.\n"
        + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    )
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return path


def read_record(config: SiteConfig, path: Path) -> dict[str, object]:
    """The raw record, checked; a mistake names the file and line."""
    rel = path.relative_to(config.site_dir).as_posix()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SiteError(
            Problem(rel, mark.line + 1 if mark else None, f"not valid YAML: {exc}", "fix it")
        ) from None
    problems = []
    if not isinstance(data, dict):
        data = {}
        problems.append(Problem(rel, 1, "a newsletter record must be a YAML mapping"))
    for key, kind in (("title", str), ("list", str), ("date", str), ("articles", list)):
        if not isinstance(data.get(key), kind):
            problems.append(
                Problem(
                    rel,
                    _line_of(path, key),
                    f"the newsletter record needs {key}",
                    "kommunenyt newsletter --send writes these files; restore it from git",
                )
            )
    if isinstance(data.get("date"), str):
        try:
            date = dt.datetime.fromisoformat(str(data["date"]))
            if date.tzinfo is None:
                raise ValueError("no timezone")
            data["date"] = date
        except ValueError:
            problems.append(
                Problem(rel, _line_of(path, "date"), "the date is not an ISO time with timezone")
            )
    if problems:
        raise SiteError(problems)
    return data


def read_issues(config: SiteConfig, articles: Sequence[Article]) -> tuple[Issue, ...]:
    """Every recorded issue, newest first, with the articles that are still published."""
    folder = issues_dir(config)
    if not folder.is_dir():
        return ()
    by_slug = {a.slug: a for a in articles}
    issues = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", path.stem):
            problems.append(
                Problem(
                    path.relative_to(config.site_dir).as_posix(),
                    None,
                    "the file name becomes the issue's web address",
                    "use only a-z, 0-9 and -, like 2021-06-18-ugebrev.yaml",
                )
            )
            continue
        try:
            data = read_record(config, path)
        except SiteError as exc:
            problems.extend(exc.problems)
            continue
        found = config.newsletter.list_by_id(str(data["list"]))
        issues.append(
            Issue(
                slug=path.stem,
                title=str(data["title"]),
                list_id=str(data["list"]),
                list_name=found.name if found else str(data["list"]),
                date=data["date"],  # type: ignore[arg-type]
                articles=tuple(
                    by_slug[str(s)]
                    for s in data["articles"]  # type: ignore[attr-defined]
                    if str(s) in by_slug
                ),
                source=path.relative_to(config.site_dir).as_posix(),
            )
        )
    if problems:
        raise SiteError(problems)
    return tuple(sorted(issues, key=lambda i: (i.date, i.slug), reverse=True))


def _line_of(path: Path, key: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None
