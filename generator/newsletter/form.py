"""The signup form as the chosen provider expects it: action, field names, list values."""

from __future__ import annotations

from dataclasses import dataclass

from generator.config import SiteConfig
from generator.newsletter.settings import NewsletterList
from generator.urls import url_of


@dataclass(frozen=True)
class ListChoice:
    list: NewsletterList
    value: str  # what the checkbox sends: our list id, or the list's UUID for Listmonk


@dataclass(frozen=True)
class SignupForm:
    """Everything templates/newsletter.html needs to build a form that the receiver accepts."""

    provider: str
    action: str
    method: str
    email_field: str
    name_field: str
    lists_field: str
    consent_field: str  # "" when the receiver has no such field (the browser still requires it)
    honeypot_field: str
    choices: tuple[ListChoice, ...]
    hidden: tuple[tuple[str, str], ...] = ()
    enhanced: bool = False  # our own service: Danish errors from the server, signup.js in place

    @property
    def browser_validates(self) -> bool:
        """Foreign receivers cannot answer in Danish, so the browser checks the fields first."""
        return not self.enhanced


def signup_form(config: SiteConfig) -> SignupForm:
    newsletter = config.newsletter
    if newsletter.provider == "listmonk":
        return SignupForm(
            provider="listmonk",
            action=newsletter.listmonk_url + "subscription/form",
            method="post",
            email_field="email",
            name_field="name",
            lists_field="l",
            consent_field="",
            honeypot_field="nonce",  # Listmonk drops a signup whose nonce is filled in
            choices=tuple(ListChoice(x, x.listmonk_uuid) for x in newsletter.lists),
            hidden=(("next", config.base_url + url_of("newsletter_thanks")),),
        )
    if newsletter.provider == "form":
        return SignupForm(
            provider="form",
            action=newsletter.action,
            method=newsletter.method.lower(),
            email_field=newsletter.email_field,
            name_field=newsletter.name_field,
            lists_field=newsletter.lists_field,
            consent_field=newsletter.consent_field,
            honeypot_field=newsletter.honeypot_field,
            choices=tuple(ListChoice(x, x.id) for x in newsletter.lists),
            hidden=(("consent_text", newsletter.consent_text),),
        )
    return SignupForm(
        provider="builtin",
        action=config.base_path + url_of("newsletter_signup"),
        method="post",
        email_field="email",
        name_field="name",
        lists_field="lists",
        consent_field="consent",
        honeypot_field=newsletter.honeypot_field,
        choices=tuple(ListChoice(x, x.id) for x in newsletter.lists),
        enhanced=True,
    )
