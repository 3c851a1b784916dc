"""The newsletter commands: signup-server, subscribers (export, show, delete…), newsletter.

Their arguments are in generator.newsletter.arguments."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import sys

from generator.config import SiteConfig, load_config
from generator.errors import Problem, SiteError
from generator.newsletter.addresses import AddressProblem, canonical_address
from generator.newsletter.backup import backup, restore, service_stopped
from generator.newsletter.mailer import MailError, Outbox, make_mailer
from generator.newsletter.store import Store, StoreError, StoreUnavailable


def _builtin_config(args: argparse.Namespace) -> SiteConfig:
    config = load_config(args.site.resolve())
    if config.newsletter.provider != "builtin":
        raise SiteError(
            Problem(
                "site.toml",
                None,
                f"the newsletter provider is {config.newsletter.provider!r}; subscribers live "
                "there, not in kommunenyt",
                'set provider = "builtin" under [newsletter] to use kommunenyt\'s own service',
            )
        )
    return config


def _store(config: SiteConfig) -> Store:
    try:
        return Store(config.site_dir / config.newsletter.database)
    except StoreError as exc:
        raise SiteError(Problem(config.newsletter.database, None, str(exc))) from None


def run_server(args: argparse.Namespace) -> int:
    from generator.newsletter.app import build_app
    from generator.newsletter.server import make_wsgi_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = _builtin_config(args)
    output = (args.output or config.site_dir / "output").resolve()
    try:
        app = build_app(config, output)
    except (StoreError, MailError) as exc:
        raise SiteError(Problem("site.toml", None, str(exc))) from None
    server = make_wsgi_server(app, args.host, args.port)
    where = "the outbox " + str(app.mailer.folder) if isinstance(app.mailer, Outbox) else "SMTP"
    print(
        f"Signup service on http://{args.host}:{server.server_port}/ (mail goes to {where}) "
        "— Ctrl+C stops",
        file=sys.stderr,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def run_subscribers(args: argparse.Namespace) -> int:
    config = _builtin_config(args)
    if args.action in ("backup", "restore"):
        return _backup_or_restore(args, config)
    store = _store(config)
    if args.action == "export":
        if args.list_id and not config.newsletter.list_by_id(args.list_id):
            known = ", ".join(x.id for x in config.newsletter.lists)
            raise SiteError(Problem("--list", None, f"no list {args.list_id!r}", f"use {known}"))
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(
            ["email", "name", "lists", "confirmed_at", "consent_given_at", "consent_text"]
        )
        for s in store.confirmed(args.list_id):
            writer.writerow(
                [s.email, s.name, " ".join(s.lists), s.confirmed_at, s.consent_at, s.consent_text]
            )
        return 0
    if args.action == "count":
        counts = store.counts()
        for item in config.newsletter.lists:
            numbers = counts.get(item.id, {})
            print(
                f"{item.id}: {numbers.get('confirmed', 0)} confirmed, "
                f"{numbers.get('pending', 0)} pending, "
                f"{numbers.get('unsubscribed', 0)} unsubscribed"
            )
        return 0
    if args.action == "purge":
        removed = store.purge(args.days)
        print(f"Erased {removed} people with no confirmed subscription left.", file=sys.stderr)
        return 0
    try:
        email = canonical_address(args.email.strip())
    except AddressProblem:
        email = args.email.strip().lower()
    if args.action == "show":
        person = store.person(email)
        if person is None:
            print(f"No data stored about {email}.", file=sys.stderr)
            return 1
        print(json.dumps(person, ensure_ascii=False, indent=2))
        return 0
    if store.delete(email):
        print(f"Erased {email} and everything stored about it.", file=sys.stderr)
        return 0
    print(f"No data stored about {email}; nothing erased.", file=sys.stderr)
    return 1


def _backup_or_restore(args: argparse.Namespace, config: SiteConfig) -> int:
    database = config.site_dir / config.newsletter.database
    try:
        if args.action == "backup":
            if not database.is_file():
                raise StoreError(f"there is no database at {database} yet")
            counts = backup(database, args.file.resolve())
            print(
                f"Backed up {counts.get('subscribers', 0)} people "
                f"({counts.get('subscriptions', 0)} subscriptions) to {args.file}; "
                "integrity_check: ok.",
                file=sys.stderr,
            )
            return 0
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        keep = database.with_name(f"{database.stem}.before-restore-{stamp}{database.suffix}")
        with service_stopped(database):
            counts = restore(args.file.resolve(), database, keep)
    except (StoreError, StoreUnavailable) as exc:
        raise SiteError(Problem(args.file, None, str(exc))) from None
    print(
        f"Restored {counts.get('subscribers', 0)} people from {args.file}."
        + (f" The database as it was is kept in {keep}." if keep.exists() else ""),
        file=sys.stderr,
    )
    return 0


def run_newsletter(args: argparse.Namespace) -> int:
    from generator.newsletter.digest import (
        choose_list,
        make_issue,
        newest_articles,
        parse_since,
        render_issue,
        resume_or_record,
        send_issue,
    )
    from generator.newsletter.messages import unsubscribe_url
    from generator.render import make_environment
    from generator.urls import Links

    config = load_config(args.site.resolve())
    now = dt.datetime.now(dt.UTC)
    chosen = choose_list(config, args.list_id)
    since = parse_since(args.since, now, config.tz)
    articles = newest_articles(config, chosen, since, now)
    issue = make_issue(config, chosen, articles, now)
    if args.send:
        issue = resume_or_record(config, issue, articles)
    if not issue.articles:
        raise SiteError(
            Problem(
                "content/articles",
                None,
                f"no published articles for {chosen.name} since {since:%Y-%m-%d %H:%M}",
                "nothing to send; choose an earlier --since",
            )
        )
    env = make_environment(config, Links(config), now)
    if not args.send:
        sample = unsubscribe_url(config, "EKSEMPEL-PAA-AFMELDINGSNOEGLE-TIL-FORHAANDSVISNING", "")
        copy = render_issue(env, config, issue, sample)
        folder = config.site_dir / "var" / "newsletter"
        folder.mkdir(parents=True, exist_ok=True)
        html, text = folder / f"{issue.slug}.html", folder / f"{issue.slug}.txt"
        html.write_text(copy.html, encoding="utf-8")
        text.write_text(f"Emne: {copy.subject}\n\n{copy.text}", encoding="utf-8")
        print(
            f"{issue.title}: {len(issue.articles)} articles since {since:%Y-%m-%d %H:%M}.\n"
            f"Preview: {html}\n         {text}\nSend it with --send.",
            file=sys.stderr,
        )
        return 0
    if config.newsletter.provider != "builtin":
        raise SiteError(
            Problem(
                "site.toml",
                None,
                f"--send needs the builtin provider; with {config.newsletter.provider!r} "
                "send the newsletter from that system",
            )
        )
    store = _store(config)
    try:
        mailer = make_mailer(config)
        report = send_issue(env, config, issue, store, mailer, lambda: dt.datetime.now(dt.UTC))
    except MailError as exc:
        raise SiteError(
            Problem(
                "[newsletter.smtp]",
                None,
                f"sending stopped: {exc}",
                "fix it and run the same command again; nobody gets the issue twice",
            )
        ) from None
    where = f"the outbox {mailer.folder}" if isinstance(mailer, Outbox) else "SMTP"
    record = report.record.relative_to(config.site_dir)
    print(
        f"{issue.title}: sent to {report.sent} subscribers through {where}"
        + (f" ({report.skipped} had it already)" if report.skipped else "")
        + f".\n{'Recorded' if report.record_created else 'Record'}: {record} — commit it and "
        "build the site to publish the issue in the newsletter archive.",
        file=sys.stderr,
    )
    return 0
