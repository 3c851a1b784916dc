"""The [newsletter] table of site.toml: provider, lists, the builtin service, SMTP.

Kept apart from generator.config so the site configuration module stays small; the
checker that validates keys and finds their lines is passed in by generator.config.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from generator.config import _Checker

PROVIDERS = ("builtin", "listmonk", "form")
DEFAULT_CONSENT = (
    "Jeg giver samtykke til, at kommunenyt gemmer min e-mailadresse og mit navn for at sende "
    "mig de valgte nyhedsbreve. Jeg kan til enhver tid afmelde mig via linket i hver mail."
)


@dataclass(frozen=True)
class NewsletterList:
    id: str
    name: str
    description: str = ""
    default: bool = False
    listmonk_uuid: str = ""  # the list's UUID in Listmonk (provider "listmonk")
    sections: tuple[str, ...] = ()  # the digest takes only these sections (all when empty)
    tags: tuple[str, ...] = ()  # … or only articles with one of these tags


@dataclass(frozen=True)
class SmtpConfig:
    """Outgoing mail. No host means mail is written to the outbox folder instead."""

    host: str = ""
    port: int = 587
    user: str = ""
    sender: str = ""  # the From address; `from` in site.toml
    starttls: bool = True
    ssl: bool = False  # implicit TLS, usually port 465
    password_env: str = "KOMMUNENYT_SMTP_PASSWORD"  # the password is read from this variable
    timeout: int = 30


@dataclass(frozen=True)
class NewsletterConfig:
    """Which provider receives signups, the lists offered, and the builtin service's settings."""

    provider: str = "builtin"
    lists: tuple[NewsletterList, ...] = (
        NewsletterList("ugebrev", "Ugebrevet", "De vigtigste nyheder fra ugen, hver fredag.", True),
    )
    consent_text: str = DEFAULT_CONSENT
    honeypot_field: str = "website"
    # provider "form": any other receiver
    action: str = ""
    method: str = "post"
    email_field: str = "email"
    name_field: str = "name"
    lists_field: str = "lists"
    consent_field: str = "consent"
    # provider "listmonk": the instance's root URL
    listmonk_url: str = ""
    # provider "builtin": paths are relative to the site folder
    database: str = "var/subscribers.sqlite3"
    outbox: str = "var/outbox"
    token_hours: int = 48
    rate_limit: int = 30  # signups per client address …
    rate_window: int = 600  # … within this many seconds
    allowed_origins: tuple[str, ...] = ()  # empty: the origin of [site] base_url
    trusted_proxies: tuple[str, ...] = ()  # X-Forwarded-For is believed from these only
    smtp: SmtpConfig = field(default_factory=SmtpConfig)

    def list_by_id(self, list_id: str) -> NewsletterList | None:
        return next((x for x in self.lists if x.id == list_id), None)

    @property
    def default_list(self) -> NewsletterList:
        return next((x for x in self.lists if x.default), self.lists[0])


NEWSLETTER_KEYS: dict[str, Any] = {
    "provider": str,
    "lists": list,
    "consent_text": str,
    "honeypot_field": str,
    "builtin": dict,
    "smtp": dict,
    "listmonk": dict,
    "form": dict,
}
_LIST_KEYS: dict[str, Any] = {
    "id": str,
    "name": str,
    "description": str,
    "default": bool,
    "listmonk_uuid": str,
    "sections": list,
    "tags": list,
}
_BUILTIN_KEYS: dict[str, Any] = {
    "database": str,
    "outbox": str,
    "token_hours": int,
    "rate_limit": int,
    "rate_window": int,
    "allowed_origins": list,
    "trusted_proxies": list,
}
_SMTP_KEYS: dict[str, Any] = {
    "host": str,
    "port": int,
    "user": str,
    "from": str,
    "starttls": bool,
    "ssl": bool,
    "password_env": str,
    "timeout": int,
}
_FORM_KEYS: dict[str, Any] = {"action": str, "method": str, "fields": dict}
_FIELD_KEYS = {"email", "name", "lists", "consent"}
_LEGACY_FORM_KEYS = ("action", "method", "fields")  # before providers, these sat in [newsletter]
_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def parse_newsletter(table: Any, checker: _Checker) -> NewsletterConfig:
    """Validate [newsletter]; every problem is added to the checker's list."""
    add = checker.problems.add
    path = checker.path
    if not isinstance(table, dict):
        add(path, checker.line_of("newsletter"), "[newsletter] must be a table")
        return NewsletterConfig()
    table = _legacy_form_keys(table, checker)
    values = checker.typed(table, NEWSLETTER_KEYS, "newsletter")
    kwargs: dict[str, Any] = {
        k: values[k] for k in ("provider", "consent_text", "honeypot_field") if k in values
    }
    provider = kwargs.get("provider", "builtin")
    if provider not in PROVIDERS:
        add(
            path,
            checker.line_of("provider"),
            f"unknown newsletter provider {provider!r}",
            'use "builtin", "listmonk" or "form"',
        )
    if "lists" in values:
        kwargs["lists"] = _parse_lists(values["lists"], checker)
    kwargs.update(_parse_builtin(values.get("builtin", {}), checker))
    kwargs["smtp"] = _parse_smtp(values.get("smtp", {}), checker)
    listmonk = checker.typed(values.get("listmonk", {}), {"url": str}, "newsletter.listmonk")
    if listmonk.get("url"):
        if not _is_http_url(listmonk["url"]):
            add(path, checker.line_of("url"), "[newsletter.listmonk] url must be an http(s) URL")
        kwargs["listmonk_url"] = listmonk["url"].rstrip("/") + "/"
    kwargs.update(_parse_form(values.get("form", {}), checker))
    config = NewsletterConfig(**kwargs)
    _check_provider(config, checker)
    return config


def _legacy_form_keys(table: dict[str, Any], checker: _Checker) -> dict[str, Any]:
    """Older sites wrote action/method/fields in [newsletter]: that is provider "form"."""
    legacy = {k: table[k] for k in _LEGACY_FORM_KEYS if k in table}
    if not legacy:
        return table
    rest = {k: v for k, v in table.items() if k not in legacy}
    if "form" in rest:
        checker.problems.add(
            checker.path,
            checker.line_of(next(iter(legacy))),
            f"[newsletter] {next(iter(legacy))} is also set in [newsletter.form]",
            "keep it only under [newsletter.form]",
        )
        return rest
    rest["form"] = legacy
    if "action" in legacy:
        rest.setdefault("provider", "form")
    return rest


def _parse_lists(items: list[Any], checker: _Checker) -> tuple[NewsletterList, ...]:
    add, path = checker.problems.add, checker.path
    lists = []
    for item in items:
        if not isinstance(item, dict):
            add(
                path,
                checker.line_of("lists"),
                "each newsletter list must be a table with id and name",
            )
            continue
        item = checker.typed(item, _LIST_KEYS, "newsletter.lists")
        if not item.get("id") or not item.get("name"):
            add(path, checker.line_of("lists"), "a newsletter list needs both id and name")
            continue
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", item["id"]):
            add(
                path,
                checker.line_of("id"),
                f"the list id {item['id']!r} may hold only a-z, 0-9, - and _",
                'write it like id = "ugebrev"',
            )
            continue
        for key in ("sections", "tags"):
            if key in item:
                item[key] = tuple(str(x) for x in item[key])
        lists.append(NewsletterList(**item))
    if not lists:
        add(path, checker.line_of("lists"), "at least one newsletter list is needed")
        return NewsletterConfig().lists
    ids = [x.id for x in lists]
    if len(set(ids)) != len(ids):
        add(path, checker.line_of("lists"), "two newsletter lists share an id")
    return tuple(lists)


def _parse_builtin(table: Any, checker: _Checker) -> dict[str, Any]:
    add, path = checker.problems.add, checker.path
    values = checker.typed(_table(table, "builtin", checker), _BUILTIN_KEYS, "newsletter.builtin")
    for key in ("token_hours", "rate_limit", "rate_window"):
        if key in values and values[key] < 1:
            add(path, checker.line_of(key), f"[newsletter.builtin] {key} must be at least 1")
    origins = []
    for origin in values.get("allowed_origins", []):
        parts = urlsplit(str(origin))
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            add(
                path,
                checker.line_of("allowed_origins"),
                f"{origin!r} is not an origin",
                'write scheme and host only, like "https://kommunenyt.dk"',
            )
        else:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    if origins:
        values["allowed_origins"] = tuple(origins)
    if "trusted_proxies" in values:
        values["trusted_proxies"] = tuple(str(x) for x in values["trusted_proxies"])
    return values


def _parse_smtp(table: Any, checker: _Checker) -> SmtpConfig:
    values = checker.typed(_table(table, "smtp", checker), _SMTP_KEYS, "newsletter.smtp")
    if "from" in values:
        values["sender"] = values.pop("from")
    if "port" in values and not 0 < values["port"] < 65536:
        checker.problems.add(checker.path, checker.line_of("port"), "the SMTP port is out of range")
    if values.get("ssl") and values.get("starttls"):
        checker.problems.add(
            checker.path,
            checker.line_of("ssl"),
            "choose either ssl (port 465) or starttls (port 587), not both",
        )
    if values.get("ssl") and "starttls" not in values:
        values["starttls"] = False
    return SmtpConfig(**values)


def _parse_form(table: Any, checker: _Checker) -> dict[str, Any]:
    add, path = checker.problems.add, checker.path
    values = checker.typed(_table(table, "form", checker), _FORM_KEYS, "newsletter.form")
    kwargs = {k: values[k] for k in ("action", "method") if k in values}
    if "method" in kwargs and kwargs["method"].lower() not in ("get", "post"):
        add(path, checker.line_of("method"), "method must be get or post")
    fields = values.get("fields", {})
    checker.unknown(fields, _FIELD_KEYS, "newsletter.form.fields")
    for name in _FIELD_KEYS & fields.keys():
        if not isinstance(fields[name], str) or not fields[name]:
            add(
                path,
                checker.line_of(name),
                f"newsletter.form.fields.{name} must be a name in quotes",
            )
        else:
            kwargs[f"{name}_field"] = fields[name]
    return kwargs


def _check_provider(config: NewsletterConfig, checker: _Checker) -> None:
    add, path = checker.problems.add, checker.path
    if config.provider == "listmonk":
        if not config.listmonk_url:
            add(
                path,
                checker.line_of("provider"),
                "provider listmonk needs the Listmonk address",
                'add [newsletter.listmonk] with url = "https://lister.example.dk"',
            )
        for item in config.lists:
            if not _UUID.fullmatch(item.listmonk_uuid):
                add(
                    path,
                    checker.line_of("lists"),
                    f"the list {item.id!r} needs its Listmonk list UUID",
                    'copy it from Listmonk (Lists → the list) into listmonk_uuid = "…"',
                )
    if config.provider == "form" and not config.action:
        add(
            path,
            checker.line_of("provider"),
            "provider form needs the address the form posts to",
            'add [newsletter.form] with action = "https://…"',
        )


def _table(value: Any, name: str, checker: _Checker) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    checker.problems.add(
        checker.path, checker.line_of(name), f"[newsletter.{name}] must be a table"
    )
    return {}


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
