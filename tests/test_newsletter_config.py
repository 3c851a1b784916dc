"""[newsletter] in site.toml, and the signup page generated for each provider."""

from __future__ import annotations

import pytest

from generator.config import load_config
from generator.errors import SiteError

UUID_A = "a132cb7d-6dc0-450c-8789-41d4fd880548"
UUID_B = "3c3bf41a-cda3-43b6-af42-452424b022df"


def problems(site, toml: str) -> str:
    site.config(toml)
    with pytest.raises(SiteError) as caught:
        load_config(site.root)
    return "\n".join(str(p) for p in caught.value.problems)


def test_defaults_are_the_builtin_service_with_local_files(site):
    newsletter = load_config(site.root).newsletter
    assert newsletter.provider == "builtin"
    assert newsletter.database == "var/subscribers.sqlite3"
    assert newsletter.outbox == "var/outbox"
    assert newsletter.smtp.host == ""  # no SMTP: the outbox
    assert newsletter.smtp.password_env == "KOMMUNENYT_SMTP_PASSWORD"
    assert newsletter.allowed_origins == ()  # the site's own origin


def test_builtin_service_settings_are_read(site):
    site.config("""
        [newsletter.builtin]
        database = "data/abonnenter.sqlite3"
        token_hours = 24
        rate_limit = 5
        rate_window = 60
        allowed_origins = ["https://www.kommune.dk/"]
        trusted_proxies = ["127.0.0.1"]

        [newsletter.smtp]
        host = "smtp.kommune.dk"
        port = 465
        ssl = true
        user = "nyhedsbrev"
        from = "Kommunenyt <nyhedsbrev@kommune.dk>"
    """)
    newsletter = load_config(site.root).newsletter
    assert newsletter.database == "data/abonnenter.sqlite3"
    assert (newsletter.token_hours, newsletter.rate_limit, newsletter.rate_window) == (24, 5, 60)
    assert newsletter.allowed_origins == ("https://www.kommune.dk",)
    assert newsletter.trusted_proxies == ("127.0.0.1",)
    smtp = newsletter.smtp
    assert (smtp.host, smtp.port, smtp.ssl, smtp.starttls) == ("smtp.kommune.dk", 465, True, False)
    assert smtp.sender == "Kommunenyt <nyhedsbrev@kommune.dk>"


def test_unknown_keys_are_rejected_with_file_line_and_hint(site):
    text = problems(site, '[newsletter.smtp]\nhost = "x"\npasword = "hemmeligt"\n')
    assert "site.toml:8: error: unknown key [newsletter.smtp] pasword" in text
    assert "did you mean 'password_env'?" in text
    text = problems(site, '[newsletter.builtin]\ndatabse = "x"\n')
    assert "unknown key [newsletter.builtin] databse" in text and "'database'" in text


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[newsletter]\nprovider = "mailchimp"', "unknown newsletter provider 'mailchimp'"),
        ('[newsletter]\nprovider = "listmonk"', "provider listmonk needs the Listmonk address"),
        ('[newsletter]\nprovider = "form"', "provider form needs the address the form posts to"),
        ("[newsletter.builtin]\ntoken_hours = 0", "token_hours must be at least 1"),
        ('[newsletter.builtin]\nallowed_origins = ["kommune.dk"]', "is not an origin"),
        ("[newsletter.smtp]\nport = 99999", "the SMTP port is out of range"),
        ("[newsletter.smtp]\nssl = true\nstarttls = true", "choose either ssl"),
        ('[[newsletter.lists]]\nid = "Uge Brev"\nname = "U"', "may hold only a-z"),
    ],
)
def test_mistakes_in_the_newsletter_table_are_explained(site, toml, message):
    assert message in problems(site, toml)


def test_listmonk_needs_every_lists_uuid(site):
    text = problems(
        site,
        f"""
[newsletter]
provider = "listmonk"
[newsletter.listmonk]
url = "https://lister.kommune.dk"
[[newsletter.lists]]
id = "ugebrev"
name = "Ugebrevet"
listmonk_uuid = "{UUID_A}"
[[newsletter.lists]]
id = "udbud"
name = "Udbudsnyt"
""",
    )
    assert "the list 'udbud' needs its Listmonk list UUID" in text
    assert "'ugebrev'" not in text


def test_signup_page_for_listmonk_posts_straight_to_listmonk(site):
    site.page("privatlivspolitik", "Privatlivspolitik")
    site.config(f"""
        [newsletter]
        provider = "listmonk"
        [newsletter.listmonk]
        url = "https://lister.kommune.dk/"
        [[newsletter.lists]]
        id = "ugebrev"
        name = "Ugebrevet"
        listmonk_uuid = "{UUID_A}"
        default = true
        [[newsletter.lists]]
        id = "udbud"
        name = "Udbudsnyt"
        listmonk_uuid = "{UUID_B}"
    """)
    site.build()
    page = site.read("nyhedsbrev/")
    assert 'action="https://lister.kommune.dk/subscription/form" method="post"' in page
    assert f'name="l" type="checkbox" value="{UUID_A}" checked' in page
    assert f'name="l" type="checkbox" value="{UUID_B}"' in page
    assert 'name="nonce"' in page  # Listmonk's own honeypot field
    assert 'name="next" value="https://testnyt.dk/nyhedsbrev/tak/"' in page
    assert '<input id="signup-consent" type="checkbox" value="ja" required' in page
    assert "novalidate" not in page  # the browser checks consent before leaving the site
    assert "signup.js" not in page  # Listmonk answers itself; nothing to enhance
    assert '<label for="signup-email">' in page and "<legend>Vælg nyhedsbreve</legend>" in page
    assert 'href="/privatlivspolitik/"' in page and 'role="status"' in page
    assert not site.exists("nyhedsbrev/tjeneste.json")  # no builtin service to serve


def test_signup_page_for_another_provider_uses_its_field_names(site):
    site.config("""
        [newsletter]
        provider = "form"
        honeypot_field = "hp"
        [newsletter.form]
        action = "https://nyhedsbrev.example.dk/tilmeld"
        method = "post"
        fields = { email = "EMAIL", name = "FNAME", lists = "group", consent = "gdpr" }
    """)
    site.build()
    page = site.read("nyhedsbrev/")
    assert 'action="https://nyhedsbrev.example.dk/tilmeld"' in page
    for name in ("EMAIL", "FNAME", "group", "gdpr", "hp"):
        assert f'name="{name}"' in page
    assert 'name="consent_text" value="Jeg giver samtykke' in page


def test_builtin_signup_page_posts_to_the_service_and_loads_the_script(site):
    site.write("site.toml", '[site]\ntitle = "Nyt"\nbase_url = "https://www.kommune.dk/nyt/"\n')
    site.build()
    page = site.read("nyhedsbrev/")
    assert 'action="/nyt/nyhedsbrev/tilmeld" method="post"' in page
    assert "novalidate data-signup" in page
    assert '<script src="/nyt/assets/signup.js" defer></script>' in page
    assert "<script>" not in page  # no inline script
    assert site.exists("assets/signup.js")
    assert '"sections": [' in site.read("nyhedsbrev/tjeneste.json")
