"""The mails the signup service sends, rendered from templates a site can override."""

from __future__ import annotations

from urllib.parse import urlencode

import jinja2

from generator.config import SiteConfig
from generator.newsletter.mailer import Mail
from generator.newsletter.settings import NewsletterList
from generator.render import render_template
from generator.urls import url_of


def confirm_url(config: SiteConfig, token: str) -> str:
    return config.base_url + url_of("newsletter_confirm") + "?" + urlencode({"token": token})


def unsubscribe_url(config: SiteConfig, key: str, list_id: str = "") -> str:
    query = {"token": key, **({"liste": list_id} if list_id else {})}
    return config.base_url + url_of("newsletter_unsubscribe") + "?" + urlencode(query)


def lists_named(config: SiteConfig, ids: tuple[str, ...]) -> list[NewsletterList]:
    return [x for x in config.newsletter.lists if x.id in ids]


def join_names(names: list[str]) -> str:
    """Ugebrevet, Udbudsnyt og Jobnyt"""
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def list_names(config: SiteConfig, ids: tuple[str, ...]) -> str:
    return join_names([x.name for x in lists_named(config, ids)])


def confirmation_mail(
    env: jinja2.Environment,
    config: SiteConfig,
    to: str,
    token: str,
    lists: tuple[str, ...],
    key: str,
    token_hours: int,
) -> Mail:
    """Asks the owner of the address to confirm; the link opens a page with a button."""
    context = {
        "confirm_url": confirm_url(config, token),
        "unsubscribe_url": unsubscribe_url(config, key),
        "list_names": list_names(config, lists),
        "hours": token_hours,
    }
    return _mail(env, config, to, "newsletter/mail_confirm", context)


def already_mail(
    env: jinja2.Environment, config: SiteConfig, to: str, lists: tuple[str, ...], key: str
) -> Mail:
    """Tells the owner (and only the owner) that the address was already subscribed."""
    context = {
        "list_names": list_names(config, lists),
        "unsubscribe_url": unsubscribe_url(config, key),
    }
    return _mail(env, config, to, "newsletter/mail_already", context)


def _mail(
    env: jinja2.Environment, config: SiteConfig, to: str, name: str, context: dict[str, object]
) -> Mail:
    text = render_template(env, f"{name}.txt", context, config.site_dir)
    subject, _, body = text.partition("\n\n")
    html = render_template(env, f"{name}.html", context, config.site_dir)
    return Mail(
        to=to,
        subject=subject.removeprefix("Emne:").strip(),
        text=body.lstrip("\n"),
        html=html,
        unsubscribe_url=str(context["unsubscribe_url"]),
    )
