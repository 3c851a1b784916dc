"""The builtin signup service as a WSGI application: signup, confirm (POST), unsubscribe.

Runs under the standard library (`kommunenyt signup-server`), inside `kommunenyt serve`,
or under gunicorn/waitress as `generator.newsletter.app:create_app()`. Answers a plain
form post with a redirect or a page, and a fetch (Accept: application/json) with JSON.
Addresses and tokens never reach the log.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from generator.config import SiteConfig, load_config
from generator.newsletter.addresses import MAX_NAME, AddressProblem, canonical_address, clean_name
from generator.newsletter.backup import hold_service_lock
from generator.newsletter.form import signup_form
from generator.newsletter.mailer import MailError, Outbox, SmtpMailer, build_message, make_mailer
from generator.newsletter.messages import already_mail, confirmation_mail, join_names
from generator.newsletter.pages import ServicePages
from generator.newsletter.ratelimit import RateLimiter
from generator.newsletter.store import BUSY_TIMEOUT, Store, StoreUnavailable, utc_now
from generator.newsletter.web import (
    SECURITY_HEADERS,
    Answer,
    BadRequest,
    Request,
    html,
    json_answer,
    not_allowed,
    origin_of,
    read_request,
    redirect,
)
from generator.urls import url_of

log = logging.getLogger("kommunenyt.newsletter")
StartResponse = Callable[..., Any]
MESSAGES = {
    "email_missing": "Skriv din e-mailadresse.",
    "email_invalid": "Skriv en gyldig e-mailadresse, for eksempel navn@kommune.dk.",
    "email_lookalike": "Adressen blander bogstaver fra forskellige alfabeter eller bruger tegn, "
    "der ligner almindelige bogstaver. Skriv adressen igen med almindelige bogstaver.",
    "lists_missing": "Vælg mindst ét nyhedsbrev.",
    "lists_unknown": "Vi har ikke et nyhedsbrev med det navn. Vælg blandt nyhedsbrevene på siden.",
    "consent_missing": "Du skal give samtykke, før vi kan tilmelde dig.",
    "name_long": "Navnet må højst være 200 tegn.",
}
# Every accepted signup is answered no sooner than this after it arrived, whether the
# address was new, waiting or already subscribed: the time an answer takes tells nothing.
ANSWER_FLOOR = 0.15
RETRY_AFTER_UNAVAILABLE = 30  # seconds; a lock or a full disk is usually gone by then


PURGE_EVERY = dt.timedelta(hours=1)
UNSUBSCRIBED_KEEP_DAYS = 30  # as `kommunenyt subscribers purge` by default


class SignupApp:
    """The WSGI callable. One instance per process; it holds no subscriber data itself."""

    def __init__(
        self,
        config: SiteConfig,
        store: Store,
        mailer: Outbox | SmtpMailer,
        pages: ServicePages,
        clock: Callable[[], dt.datetime] = utc_now,
        extra_origins: Iterable[str] = (),
        answer_floor: float = ANSWER_FLOOR,
    ):
        self.answer_floor = answer_floor
        self.config = config
        self.settings = config.newsletter
        self.store = store
        self.mailer = mailer
        self.pages = pages
        self.clock = clock
        self.limiter = RateLimiter(self.settings.rate_limit, self.settings.rate_window)
        self.origins = set(self.settings.allowed_origins or (config.origin,)) | set(extra_origins)
        base = config.base_path
        self._last_purge: dt.datetime | None = None
        self.routes = {
            base + url_of("newsletter_signup"): self.signup,
            base + url_of("newsletter_confirm"): self.confirm,
            base + url_of("newsletter_unsubscribe"): self.unsubscribe,
        }

    service_lock: int | None = None  # held while this process serves (see backup.py)

    def close(self) -> None:
        """Let go of the database and the service lock (then `subscribers restore` may run)."""
        self.store.close()
        if self.service_lock is not None:
            os.close(self.service_lock)
            self.service_lock = None

    def handles(self, path: str) -> bool:
        return path.rstrip("/") in self.routes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).rstrip("/")
        handler = self.routes.get(path)
        request = None
        try:
            request = read_request(environ, path, self.settings.trusted_proxies)
            if handler is None:
                answer = self._page("404 Not Found", "Siden findes ikke", request)
            else:
                answer = handler(request)
        except BadRequest as exc:
            answer = Answer(exc.status, str(exc).encode(), [("Content-Type", "text/plain")])
        except StoreUnavailable as exc:
            log.error("subscriber database unavailable (%s): answered 503", exc.reason)
            answer = self._unavailable(request)
        except Exception:  # a bug: log it whole, tell the reader nothing about the inside
            log.exception("signup service error on %s", path)
            answer = self._unavailable(request, "500 Internal Server Error")
        log.info("%s %s → %s", environ.get("REQUEST_METHOD"), path, answer.status.split()[0])
        headers = [*answer.headers, *SECURITY_HEADERS]
        headers.append(("Content-Length", str(len(answer.body))))
        start_response(answer.status, headers)
        return [answer.body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

    def _unavailable(self, request: Request | None, status: str = "") -> Answer:
        """A plain Danish answer when the database (or a bug) stops us; no stack trace."""
        status = status or "503 Service Unavailable"
        title = "Tilmeldingen virker ikke lige nu"
        text = (
            "Vi kan ikke gemme tilmeldinger i øjeblikket. Intet er gemt, og der er ikke sendt "
            "nogen mail. Prøv igen om et øjeblik."
        )
        headers = [("Retry-After", str(RETRY_AFTER_UNAVAILABLE))]
        if request is not None:
            try:  # the site's own page frame, unless rendering is what failed
                return self._message(request, status, title, text, headers)
            except Exception:
                log.exception("could not render the error page")
        body = f"<!doctype html><html lang=da><title>{title}</title><h1>{title}</h1><p>{text}"
        answer = html(status, body)
        return Answer(answer.status, answer.body, [*answer.headers, *headers])

    # --- the three endpoints -------------------------------------------------------------

    def signup(self, request: Request) -> Answer:
        started = time.monotonic()
        self._purge_when_due()
        answer = self._signup(request)
        if answer.status.startswith(("200", "303")):  # accepted: new, waiting or subscribed
            time.sleep(max(0.0, started + self.answer_floor - time.monotonic()))
        return answer

    def _purge_when_due(self) -> None:
        """Erase signups whose link expired unconfirmed, as the confirmation mail promises.

        Runs at most once an hour, on a signup request, so a running service keeps that
        promise without a cron job; `kommunenyt subscribers purge` does the same by hand.
        """
        now = self.clock()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        try:
            removed = self.store.purge(UNSUBSCRIBED_KEEP_DAYS)
        except StoreUnavailable:
            log.warning("could not erase expired signups now: the database is busy")
            return
        if removed:
            log.info("erased %d people whose signup expired or who left long ago", removed)

    def _signup(self, request: Request) -> Answer:
        if request.method != "POST":
            if request.method in ("GET", "HEAD"):
                return redirect(self.config.base_path + url_of("newsletter"))
            return not_allowed("POST")
        refused = self._refuse_foreign(request)
        if refused:
            return refused
        wait = self.limiter.hit(request.client)
        if wait:
            log.warning("signup rate limit reached for a client")
            return self._message(
                request,
                "429 Too Many Requests",
                "For mange forsøg",
                "Der er sendt for mange tilmeldinger fra din adresse på kort tid. "
                f"Prøv igen om {_minutes(wait)}.",
                [("Retry-After", str(wait))],
            )
        if request.value(self.settings.honeypot_field):
            log.info("signup dropped: the honeypot field was filled in")
            return self._signup_done(request)
        email, name, lists, errors = self._validate(request)
        if errors:
            return self._signup_errors(request, errors)
        outcome = self.store.signup(
            email, name, lists, self.settings.consent_text, self.settings.token_hours
        )
        env = self.pages.env
        if outcome.token:
            mail = confirmation_mail(
                env,
                self.config,
                email,
                outcome.token,
                outcome.pending,
                outcome.unsubscribe_key,
                self.settings.token_hours,
            )
        else:
            mail = already_mail(env, self.config, email, outcome.confirmed, outcome.unsubscribe_key)
        try:
            with self.mailer.session() as send:
                send(build_message(self.config, mail, self.clock()))
        except MailError as exc:
            log.error("confirmation mail not sent: %s", exc)
            return self._message(
                request,
                "503 Service Unavailable",
                "Vi kunne ikke sende mailen",
                "Din tilmelding er gemt, men vi kunne ikke sende mailen, du skal bekræfte med. "
                "Prøv igen om lidt.",
                [("Retry-After", "300")],
            )
        log.info("signup stored: %d list(s) waiting for confirmation", len(outcome.pending))
        return self._signup_done(request)

    def confirm(self, request: Request) -> Answer:
        if request.method in ("GET", "HEAD"):
            check = self.store.check_token(request.value("token", "query"))
            if check.state == "valid":
                body = self.pages.render(
                    "newsletter/confirm.html",
                    url_of("newsletter_confirm"),
                    token=request.value("token", "query"),
                    list_names=join_names([x.name for x in self._lists(check.lists)]),
                    action=self.config.base_path + url_of("newsletter_confirm"),
                )
                return html("200 OK", body)
            return self._token_problem(request, check.state)
        if request.method != "POST":
            return not_allowed("GET, POST")
        refused = self._refuse_foreign(request)
        if refused:
            return refused
        result = self.store.confirm(request.value("token") or request.value("token", "query"))
        if result.state != "valid":
            return self._token_problem(request, result.state)
        log.info("subscription confirmed: %d list(s)", len(result.lists))
        names = join_names([x.name for x in self._lists(result.lists)])
        return self._message(
            request,
            "200 OK",
            "Tak – din tilmelding er bekræftet",
            f"Du får nu {names} fra {self.config.title}. Du kan altid afmelde dig igen "
            "med linket nederst i hver mail.",
            links=[("Læs de seneste nyheder", self.config.base_path + url_of("front"))],
        )

    def unsubscribe(self, request: Request) -> Answer:
        key = request.value("token", "query") or request.value("token")
        list_id = request.value("liste", "query") or request.value("liste") or None
        if list_id and not self.settings.list_by_id(list_id):
            list_id = None
        if request.method in ("GET", "HEAD"):
            current = self.store.lists_of_key(key)
            if current is None:
                return self._token_problem(request, "unknown")
            if not current:
                return self._message(
                    request, "200 OK", "Du er afmeldt", "Du får ingen nyhedsbreve fra os."
                )
            body = self.pages.render(
                "newsletter/unsubscribe.html",
                url_of("newsletter_unsubscribe"),
                token=key,
                chosen=self.settings.list_by_id(list_id) if list_id in current else None,
                lists=self._lists(current),
                list_names=join_names([x.name for x in self._lists(current)]),
                action=self.config.base_path + url_of("newsletter_unsubscribe"),
            )
            return html("200 OK", body)
        if request.method != "POST":
            return not_allowed("GET, POST")
        one_click = request.form.get("List-Unsubscribe") == ["One-Click"]
        if not one_click:  # RFC 8058 posts come from mail providers, without an Origin
            refused = self._refuse_foreign(request)
            if refused:
                return refused
        if request.value("alle"):
            list_id = None
        left = self.store.unsubscribe(key, list_id)
        if left is None:
            return self._token_problem(request, "unknown")
        log.info("unsubscribed from %d list(s)%s", len(left), " (one-click)" if one_click else "")
        if one_click:
            return Answer("200 OK", b"Afmeldt.\n", [("Content-Type", "text/plain")])
        names = [x.name for x in self._lists(left)] or ["nyhedsbrevet"]
        return self._message(
            request,
            "200 OK",
            "Du er afmeldt",
            f"Du er nu afmeldt {join_names(names)} og får ikke flere mails om det fra os.",
            links=[("Tilmeld dig igen", self.config.base_path + url_of("newsletter"))],
        )

    # --- helpers ---------------------------------------------------------------------------

    def _validate(self, request: Request) -> tuple[str, str, tuple[str, ...], dict[str, str]]:
        errors: dict[str, str] = {}
        raw_email = request.value("email")
        email = ""
        if not raw_email:
            errors["email"] = MESSAGES["email_missing"]
        else:
            try:
                email = canonical_address(raw_email)
            except AddressProblem as problem:
                errors["email"] = MESSAGES[problem.reason]
        name = clean_name(request.value("name"))
        if len(name) > MAX_NAME:
            errors["name"] = MESSAGES["name_long"]
        chosen = tuple(dict.fromkeys(x.strip() for x in request.form.get("lists", []) if x))
        if not chosen:
            errors["lists"] = MESSAGES["lists_missing"]
        elif any(self.settings.list_by_id(x) is None for x in chosen):
            errors["lists"] = MESSAGES["lists_unknown"]
        if not request.value("consent"):
            errors["consent"] = MESSAGES["consent_missing"]
        return email, name, chosen, errors

    def _signup_done(self, request: Request) -> Answer:
        if request.wants_json:
            return json_answer(
                "200 OK",
                {
                    "ok": True,
                    "message": "Tak! Vi har sendt dig en mail. Klik på linket i mailen for at "
                    "bekræfte din tilmelding – først da begynder du at få nyhedsbrevet.",
                },
            )
        return redirect(self.config.base_path + url_of("newsletter_thanks"))

    def _signup_errors(self, request: Request, errors: dict[str, str]) -> Answer:
        summary = "Tilmeldingen blev ikke sendt. Ret det, der står herunder, og prøv igen."
        if request.wants_json:
            return json_answer(
                "400 Bad Request", {"ok": False, "message": summary, "errors": errors}
            )
        values = {
            "email": request.value("email"),
            "name": request.value("name"),
            "lists": request.form.get("lists", []),
            "consent": bool(request.value("consent")),
        }
        body = self.pages.render(
            "newsletter.html",
            url_of("newsletter"),
            newsletter=self.settings,
            form=signup_form(self.config),
            errors=errors,
            error_summary=summary,
            values=values,
        )
        return html("400 Bad Request", body)

    def _refuse_foreign(self, request: Request) -> Answer | None:
        """Browsers name the page a post comes from; only the site's own pages may post."""
        origin = origin_of(request)
        if not origin or origin in self.origins:
            return None
        log.warning("refused a post from another origin")
        return self._message(
            request,
            "403 Forbidden",
            "Formularen blev sendt fra et andet websted",
            f"Af hensyn til din sikkerhed tager vi kun imod formularer fra {self.config.title}.",
            links=[("Gå til tilmeldingen", self.config.base_path + url_of("newsletter"))],
        )

    def _token_problem(self, request: Request, state: str) -> Answer:
        signup = [("Tilmeld dig igen", self.config.base_path + url_of("newsletter"))]
        if state == "used":
            return self._message(
                request,
                "410 Gone",
                "Linket er allerede brugt",
                "Du har allerede brugt dette link. Har du bekræftet din tilmelding, "
                "behøver du ikke gøre mere.",
                links=signup,
            )
        if state == "expired":
            return self._message(
                request,
                "410 Gone",
                "Linket er udløbet",
                f"Linket virker kun i {self.settings.token_hours} timer. Tilmeld dig igen, "
                "så sender vi en ny mail.",
                links=signup,
            )
        return self._message(
            request,
            "404 Not Found",
            "Linket virker ikke",
            "Vi kan ikke finde det, linket peger på. Kopiér hele linket fra mailen, "
            "eller tilmeld dig igen.",
            links=signup,
        )

    def _message(
        self,
        request: Request,
        status: str,
        title: str,
        text: str,
        headers: list[tuple[str, str]] | None = None,
        links: list[tuple[str, str]] | None = None,
    ) -> Answer:
        if request.wants_json:
            ok = status.startswith("2")
            answer = json_answer(status, {"ok": ok, "title": title, "message": text})
        else:
            answer = self._page(status, title, request, text, links)
        return Answer(answer.status, answer.body, [*answer.headers, *(headers or [])])

    def _page(
        self,
        status: str,
        title: str,
        request: Request,
        text: str = "Siden findes ikke. Måske er linket forkert.",
        links: list[tuple[str, str]] | None = None,
    ) -> Answer:
        body = self.pages.render(
            "newsletter/message.html",
            request.path.removeprefix(self.config.base_path),
            title=title,
            text=text,
            links=links or [("Gå til forsiden", self.config.base_path + url_of("front"))],
            error=not status.startswith("2"),
        )
        return html(status, body)

    def _lists(self, ids: Iterable[str]) -> list[Any]:
        wanted = set(ids)
        return [x for x in self.settings.lists if x.id in wanted]


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return "et minut" if minutes == 1 else f"{minutes} minutter"


def build_app(
    config: SiteConfig,
    site_output: Path | None,
    *,
    clock: Callable[[], dt.datetime] = utc_now,
    environ: Mapping[str, str] | None = None,
    extra_origins: Iterable[str] = (),
    busy_timeout: float = BUSY_TIMEOUT,
) -> SignupApp:
    """Wire the service from the site's configuration."""
    database = config.site_dir / config.newsletter.database
    store = Store(database, clock, busy_timeout)
    app = SignupApp(
        config,
        store,
        make_mailer(config, environ),
        ServicePages(config, site_output),
        clock,
        extra_origins,
    )
    app.service_lock = hold_service_lock(database)  # `subscribers restore` waits for us
    return app


def create_app() -> SignupApp:
    """Factory for gunicorn/waitress: the site folder comes from KOMMUNENYT_SITE (default: .)."""
    site = Path(os.environ.get("KOMMUNENYT_SITE", ".")).resolve()
    output = os.environ.get("KOMMUNENYT_OUTPUT")
    return build_app(load_config(site), Path(output) if output else site / "output")


def preview_app(config: SiteConfig, preview: Path, port: int) -> SignupApp | None:
    """The service for `kommunenyt serve`: same database and outbox, the preview's origin."""
    if config.newsletter.provider != "builtin":
        return None
    origins = [f"http://localhost:{port}", f"http://127.0.0.1:{port}"]
    return build_app(config, preview, extra_origins=origins)
