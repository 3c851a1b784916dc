"""Saves that changed only the Markdown body of articles already on the site.

Such an edit can change only those articles' pages and the feeds carrying their bodies,
so the live preview can skip its passes over every article (validation, link checks,
library, plan): what an editor typing in one article waits for. Anything more — front
matter, a new or gone warning, a changed card, a new or deleted file — is not a body edit,
and the full rebuild runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.articles import LinkLookups, make_article, render_body
from generator.content import ArticleMeta, article_meta
from generator.errors import ProblemList
from generator.markdown_render import MarkdownRenderer
from generator.model import Article
from generator.preview_state import (
    CheckedMeta,
    PreviewState,
    RenderedBody,
    SourceRead,
    article_key,
)
from generator.reader import split_source


@dataclass(frozen=True)
class BodyEdit:
    """What the preview keeps for one edited article, once its edit is taken."""

    path: Path
    read: SourceRead
    meta: CheckedMeta
    body: RenderedBody
    key: tuple  # what the article was made from (as IncrementalSite keys it)
    article: Article


def body_edits(
    state: PreviewState, paths: Iterable[Path], site_dir: Path, renderer: MarkdownRenderer
) -> list[BodyEdit] | None:
    """The edits of `paths`, when every one changed only its body; else None."""
    if not state.jobs or state.env is None or state.signatures is None:
        return None
    if state.targets is None or state.names is None:
        return None
    edits = []
    for path in paths:
        edit = _edited_body(state, path, site_dir, renderer)
        if edit is None:
            return None
        edits.append(edit)
    return edits


def take_body_edits(
    state: PreviewState, edits: list[BodyEdit]
) -> tuple[dict[str, Article], list[Article]]:
    """Keep the edits in `state`; the changed articles by slug and the plan's new article
    list (to be taken once their pages and feeds are rendered)."""
    changed = {}
    for edit in edits:
        state.reads[edit.path], state.metas[edit.path] = edit.read, edit.meta
        state.bodies[edit.path] = edit.body
        state.articles[edit.path] = (edit.key, edit.article)
        changed[edit.article.slug] = edit.article
    plan = [changed.get(article.slug, article) for article in state.articles_in_plan]
    return changed, plan


def _edited_body(
    state: PreviewState, path: Path, site_dir: Path, renderer: MarkdownRenderer
) -> BodyEdit | None:
    """The new state of one article whose body alone changed, or None."""
    assert state.targets and state.names and state.signatures  # checked by body_edits
    read, known, body, cached = (
        state.reads.get(path),
        state.metas.get(path),
        state.bodies.get(path),
        state.articles.get(path),
    )
    if read is None or known is None or body is None or cached is None:
        return None
    if not isinstance(known.meta, ArticleMeta) or known.epoch != state.epoch:
        return None
    previous = cached[1]
    if not any(a is previous for a in state.articles_in_plan):
        return None  # not on the site (a draft while drafts are hidden)
    problems = ProblemList()
    try:
        source = split_source(path, site_dir, problems)
    except FileNotFoundError:
        return None
    if tuple(problems.items) != read.problems:
        return None
    found = ProblemList()
    meta = article_meta(source, state.config, state.authors, found)
    if (
        meta is None
        or tuple(found.items) != known.problems
        or dataclasses.replace(meta, source=known.meta.source) != known.meta
    ):
        return None
    shown = ProblemList()
    lookups: LinkLookups = {}
    html = render_body(renderer, state.targets, meta, shown, lookups)
    if tuple(shown.items) != body.problems:
        return None
    key = article_key(meta, html, state.names)
    article = make_article(meta, html, state.names)
    if state.signatures.card(article) != state.signatures.card(previous):
        return None
    return BodyEdit(
        path,
        SourceRead(source, read.problems),
        CheckedMeta(source, state.epoch, meta, known.problems),
        RenderedBody(source.body, lookups, html, body.problems, source),
        key,
        article,
    )
