"""The newsletter issue: the newest articles of a list, as email-safe HTML and plain text.

`kommunenyt newsletter` renders a preview; `--send` records the issue in the site's
sources (so the next build publishes it in the archive) and mails it to every confirmed
subscriber of the list who has not had it yet, each with their own unsubscribe link.
An interrupted send is resumed by running the same command again.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from generator.articles import CanonicalNames, is_published, make_article, read_sources
from generator.config import SiteConfig
from generator.content import load_authors
from generator.errors import Problem, ProblemList, SiteError
from generator.model import Article
from generator.newsletter.archive import Issue, read_record, record_path, write_record
from generator.newsletter.mailer import Mail, Outbox, SmtpMailer, build_message
from generator.newsletter.messages import unsubscribe_url
from generator.newsletter.settings import NewsletterList
from generator.newsletter.store import Store
from generator.render import danish_date, render_template
from generator.slugs import slugify
from generator.urls import url_of

_SPAN = re.compile(r"(\d+)\s*([dhw])")


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@dataclass(frozen=True)
class SendReport:
    sent: int
    skipped: int  # had this issue already (an earlier, interrupted run)
    record: Path
    record_created: bool


def parse_since(text: str, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """'7d', '36h', '2w' before now, or a date such as 2021-06-11 (midnight, site time)."""
    match = _SPAN.fullmatch(text.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        hours = {"h": 1, "d": 24, "w": 24 * 7}[unit] * amount
        return now - dt.timedelta(hours=hours)
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise SiteError(
            Problem(
                "--since",
                None,
                f"cannot read {text!r}",
                "write a span such as 7d, 36h or 2w, or a date such as 2021-06-11",
            )
        ) from None
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def choose_list(config: SiteConfig, wanted: str | None) -> NewsletterList:
    if not wanted:
        return config.newsletter.default_list
    for item in config.newsletter.lists:
        if wanted in (item.id, item.name) or slugify(wanted) == slugify(item.name):
            return item
    known = ", ".join(x.id for x in config.newsletter.lists)
    raise SiteError(
        Problem("site.toml", None, f"no newsletter list {wanted!r}", f"known lists: {known}")
    )


def newest_articles(
    config: SiteConfig, newsletter_list: NewsletterList, since: dt.datetime, now: dt.datetime
) -> tuple[Article, ...]:
    """Published articles since `since` that belong in the list, newest first.

    Reads front matter only: the mail shows titles and leads, never the bodies.
    """
    problems = ProblemList()
    authors = load_authors(config, problems)
    metas, _ = read_sources(config, authors, problems)
    problems.raise_if_errors()
    published = [m for m in metas if is_published(m, now)]
    names = CanonicalNames.of(published)
    sections = {slugify(s) for s in newsletter_list.sections}
    tags = {slugify(t) for t in newsletter_list.tags}
    chosen = [
        m
        for m in published
        if m.date >= since
        and (not sections or slugify(m.section) in sections)
        and (not tags or any(slugify(t) in tags for t in m.tags))
    ]
    chosen.sort(key=lambda m: (m.date, m.slug), reverse=True)
    return tuple(make_article(m, "", names) for m in chosen)


def make_issue(
    config: SiteConfig,
    newsletter_list: NewsletterList,
    articles: Sequence[Article],
    now: dt.datetime,
) -> Issue:
    local = now.astimezone(config.tz)
    return Issue(
        slug=f"{local:%Y-%m-%d}-{newsletter_list.id}",
        title=f"{newsletter_list.name} {danish_date(local)}",
        list_id=newsletter_list.id,
        list_name=newsletter_list.name,
        date=local.replace(microsecond=0),
        articles=tuple(articles),
    )


def render_issue(
    env: jinja2.Environment, config: SiteConfig, issue: Issue, unsubscribe: str
) -> Rendered:
    """One subscriber's copy (only the unsubscribe link differs between copies)."""
    context = {
        "issue": issue,
        "web_url": config.base_url + issue.url,
        "unsubscribe_url": unsubscribe,
        "signup_url": config.base_url + url_of("newsletter"),
    }
    text = render_template(env, "newsletter/digest.txt", context, config.site_dir)
    subject, _, body = text.partition("\n\n")
    html = render_template(env, "newsletter/digest.html", context, config.site_dir)
    return Rendered(subject.removeprefix("Emne:").strip(), html, body.lstrip("\n"))


def resume_or_record(config: SiteConfig, issue: Issue, articles: Sequence[Article]) -> Issue:
    """A second run on the same day resumes the recorded issue instead of making another."""
    path = record_path(config, issue.slug)
    if not path.exists():
        return issue
    data = read_record(config, path)
    by_slug = {a.slug: a for a in articles}
    recorded = tuple(by_slug[s] for s in data["articles"] if s in by_slug)  # type: ignore[attr-defined]
    return Issue(
        issue.slug,
        str(data["title"]),
        issue.list_id,
        issue.list_name,
        data["date"],  # type: ignore[arg-type]
        recorded,
        path.relative_to(config.site_dir).as_posix(),
    )


def send_issue(
    env: jinja2.Environment,
    config: SiteConfig,
    issue: Issue,
    store: Store,
    mailer: Outbox | SmtpMailer,
    now: Callable[[], dt.datetime],
    progress: Callable[[int, int], None] | None = None,
) -> SendReport:
    """Record the issue, then mail it to each confirmed subscriber who has not had it."""
    path = record_path(config, issue.slug)
    created = not path.exists()
    if created:
        write_record(config, issue)
    done = store.delivered(issue.slug)
    recipients = [s for s in store.confirmed(issue.list_id) if s.id not in done]
    sent = 0
    with mailer.session() as send:
        for subscriber in recipients:
            link = unsubscribe_url(config, subscriber.unsubscribe_key, issue.list_id)
            copy = render_issue(env, config, issue, link)
            mail = Mail(
                to=subscriber.email,
                subject=copy.subject,
                text=copy.text,
                html=copy.html,
                unsubscribe_url=link,
                list_id=issue.list_id,
                list_name=issue.list_name,
                bulk=True,
            )
            send(build_message(config, mail, now()))
            store.record_delivery(issue.slug, subscriber.id)
            sent += 1
            if progress:
                progress(sent, len(recipients))
    return SendReport(sent, len(done), path, created)
