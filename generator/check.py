"""`kommunenyt check`: everything a build would reject, plus what a good editor wants to know.

Each finding is a Problem (file, line, what is wrong, what to do). Errors are what a build
rejects, and a few things the law or the newsroom does not accept (an image without alt
text); warnings are advice. The exit code is non-zero when there is an error, or with
--strict any warning, so the command fits a pre-commit hook and CI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.articles import (
    LinkTargets,
    check_unique_slugs,
    read_sources,
    render_body,
    static_files,
)
from generator.build import check_banners
from generator.config import load_config
from generator.content import ArticleMeta, PageMeta, load_authors
from generator.errors import Problem, ProblemList, SiteError
from generator.markdown_render import MarkdownRenderer, is_dialogue_text
from generator.urls import Links

TITLE_ADVICE_LENGTH = 100  # longer headlines are cut off in search results and on phones
SPEECH = re.compile(
    r"\b(siger|sagde|fortæller|fortalte|forklarer|forklarede|mener|understreger|tilføjer|"
    r"spørger|svarer|lyder det|påpeger|uddyber|konstaterer)\b",
    re.IGNORECASE,
)
_ITEM = re.compile(r"^([-*+]) +(\S.*)$")
_TYPED_DASH = re.compile(r"^[–—] +\S")
_FENCE = re.compile(r"^(```|~~~)")
_MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ALT = re.compile(r"\balt\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.IGNORECASE)


@dataclass(frozen=True)
class CheckReport:
    problems: tuple[Problem, ...]
    files: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))


def check_site(site_dir: Path) -> CheckReport:
    """Read and check every source of the site; never raises for a problem in the content."""
    site_dir = site_dir.resolve()
    try:
        config = load_config(site_dir)
    except SiteError as exc:
        return CheckReport(tuple(exc.problems), 1)
    problems = ProblemList()
    authors = load_authors(config, problems)
    articles, pages = read_sources(config, authors, problems)
    _collect(problems, check_unique_slugs, articles)
    _collect(problems, check_banners, config)
    try:
        statics = static_files(config)
    except SiteError as exc:
        problems.items.extend(exc.problems)
        statics = []
    targets = LinkTargets.of(config, Links(config), articles, pages, statics)
    renderer = MarkdownRenderer()
    for meta in [*articles, *pages]:
        render_body(renderer, targets, meta, problems)
        editor_advice(meta, problems)
    files = len(list(config.content_dir.glob("articles/**/*.md"))) + len(pages)
    ordered = sorted(problems.items, key=lambda p: (str(p.path), p.line or 0, p.message))
    return CheckReport(tuple(ordered), files + 1)


def _collect(problems: ProblemList, check, *args) -> None:
    try:
        check(*args)
    except SiteError as exc:
        problems.items.extend(exc.problems)


def editor_advice(meta: ArticleMeta | PageMeta, problems: ProblemList) -> None:
    """What the build accepts but a reader would notice."""
    source = meta.source
    if isinstance(meta, ArticleMeta):
        if not meta.lead:
            problems.warn(
                source.rel,
                source.line_of("lead") if "lead" in source.meta else source.line_of("title"),
                "the article has no lead",
                "write lead: with one or two sentences; lists, feeds and search show it",
            )
        if len(meta.title) > TITLE_ADVICE_LENGTH:
            problems.warn(
                source.rel,
                source.line_of("title"),
                f"the title is {len(meta.title)} characters long",
                f"keep it under {TITLE_ADVICE_LENGTH}; search results and phones cut it off",
            )
    lines = source.body.split("\n")
    for number, text in _prose_lines(lines):
        _image_alt(text, source.rel, source.body_line + number, problems)
    for problem in dialogue_advice(lines, source.body_line):
        problems.items.append(Problem(source.rel, *problem, severity="warning"))


def _image_alt(text: str, rel: Path, line: int, problems: ProblemList) -> None:
    for match in _MD_IMAGE.finditer(text):
        if not match.group(1).strip():
            problems.add(
                rel,
                line,
                f"the image {match.group(2)!r} has no alt text",
                "describe the image between the brackets: ![Hvad billedet viser](sti.jpg)",
            )
    for tag in _HTML_IMAGE.findall(text):
        alt = _ALT.search(tag)
        if alt is None or not alt.group(1).strip("\"' "):
            problems.add(
                rel,
                line,
                "an <img> has no alt text",
                'add alt="…" describing what the image shows',
            )


def _prose_lines(lines: list[str]) -> Iterable[tuple[int, str]]:
    """(index, line) of lines outside fenced code blocks."""
    fenced = False
    for index, line in enumerate(lines):
        if _FENCE.match(line.strip()):
            fenced = not fenced
            continue
        if not fenced:
            yield index, line


def dialogue_advice(lines: list[str], first_line: int) -> list[tuple[int, str, str]]:
    """(line, problem, hint) for dashes that will not render the way they look.

    The newsroom rule (generator.markdown_render): a one-item list whose text is a full
    sentence of at least six words is a dialogue quote, `– Sætning, siger X.`
    """
    found: list[tuple[int, str, str]] = []
    for items in _lists(lines):
        texts = [text for _, text in items]
        line = first_line + items[0][0]
        if len(items) == 1:
            text = texts[0]
            quote = is_dialogue_text(_plain(text))
            if not quote and SPEECH.search(text):
                found.append(
                    (
                        line,
                        "this one-item list looks like a dialogue quote but will be shown "
                        "as a bullet point",
                        "a quote needs a full sentence of six words or more ending in . ! or ?, "
                        "like - Det går godt, siger hun.",
                    )
                )
            elif quote and not SPEECH.search(text):
                found.append(
                    (
                        line,
                        "this one-item list will be shown as a dialogue quote (– …), "
                        "not as a bullet point",
                        "fine if it is a quote; for a list, add the other items or end the "
                        "line without a full stop",
                    )
                )
        elif sum(1 for t in texts if is_dialogue_text(_plain(t)) and SPEECH.search(t)) >= 2:
            found.append(
                (
                    line,
                    f"these {len(items)} dash lines form one bullet list, so the quotes in it "
                    "are not shown as dialogue",
                    "give each quote its own paragraph with a normal paragraph between them",
                )
            )
    for index, text in _prose_lines(lines):
        if _TYPED_DASH.match(text) and (index == 0 or not lines[index - 1].strip()):
            found.append(
                (
                    first_line + index,
                    "a paragraph starts with a typed dash, which is not styled as a quote",
                    "start the line with a hyphen and a space (- ) instead",
                )
            )
    return found


def _lists(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Top-level dash/star/plus lists as Markdown sees them: [(index, item text), …]."""
    lists: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] | None = None
    blank = False
    for index, line in _prose_lines(lines):
        match = _ITEM.match(line)
        if match:
            if current is None:
                current = []
                lists.append(current)
            current.append((index, match.group(2)))
            blank = False
        elif not line.strip():
            blank = True
        elif current is not None and (not blank or line.startswith(("  ", "\t"))):
            last_index, text = current[-1]
            current[-1] = (last_index, f"{text} {line.strip()}")
            blank = False
        else:
            current, blank = None, False
    return lists


def _plain(text: str) -> str:
    """Markdown emphasis and links removed, as the rule sees the rendered text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]+", "", text)


def format_report(report: CheckReport, strict: bool) -> list[str]:
    """The lines `kommunenyt check` prints, the summary last."""
    lines = [str(p) for p in report.problems]
    errors, warnings = len(report.errors), len(report.warnings)
    verdict = "FAILED" if report.failed(strict) else "ok"
    lines.append(
        f"check {verdict}: {errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''} in {report.files} files"
        + (" (--strict: warnings fail)" if strict and warnings else "")
    )
    return lines
