"""Notification mail (issue 16) through a real SMTP server (aiosmtpd on a free port): the
address is verified by a link first, then each event or a daily digest, text and HTML parts,
an unsubscribe link that works."""

from __future__ import annotations

import copy
import re

import pytest

from tests.collab_support import SMTPServer, drain, save_as, users
from tests.openapi_docs import document, fence
from wiki.notify.mail import mail_server


@pytest.fixture
def smtp():
    server = SMTPServer()
    yield server
    server.close()


@pytest.fixture
def app_config(app_config, smtp):
    return {
        **app_config,
        "MAIL_URL": smtp.url,
        "MAIL_FROM": "Wiki <wiki@example.org>",
        "WIKI_BASE_URL": "https://wiki.example.org",
        "WIKI_DIGEST_HOURS": 0,
    }


def _parts(msg) -> tuple[str, str]:
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return text, html


def _link(text: str, path: str) -> str:
    return re.search(rf"https://wiki\.example\.org({path}/\S+)", text).group(1)


def _subscribe(client, auth, smtp, mode: str) -> None:
    auth.login("carol")
    saved = client.post(
        "/settings",
        data={"email": "carol@example.org", "email_notifications": mode, "auto_watch": "y"},
    )
    assert saved.status_code == 302
    drain(client.application)
    (verify,) = smtp.messages
    assert verify["To"] == "carol@example.org" and verify["From"] == "Wiki <wiki@example.org>"
    text, html = _parts(verify)
    link = _link(text, "/settings/verify")
    assert link in html
    assert client.get(link).status_code == 302
    assert "This address is confirmed" in client.get("/settings").get_data(as_text=True)
    smtp.messages.clear()
    auth.logout()


def test_each_event_mail_after_verification_and_unsubscribe(client, auth, smtp):
    users(auth, "alice", "bob", "carol")
    save_as(auth, client, "carol", "Topic", "carol's page")  # carol watches it
    drain(client.application)
    auth.login("carol")
    client.post(
        "/settings",
        data={"email": "carol@example.org", "email_notifications": "each", "auto_watch": "y"},
    )
    auth.logout()
    save_as(auth, client, "bob", "Topic", "bob's change", summary="typo")
    drain(client.application)
    # only the verification link went out: no event mail to an unconfirmed address
    (verify,) = smtp.messages
    assert verify["Subject"] == "Confirm your address for Nexus Wiki"
    smtp.messages.clear()
    assert client.get(_link(_parts(verify)[0], "/settings/verify")).status_code == 302
    save_as(auth, client, "bob", "Topic", "bob's second change", summary="more")
    drain(client.application)
    (msg,) = smtp.messages
    assert msg["Subject"] == "[Nexus Wiki] bob edited Topic: more"
    assert msg["X-Nexus-Delivery"]
    text, html = _parts(msg)
    assert (
        "https://wiki.example.org/wiki/Topic" in text
        and 'href="https://wiki.example.org/wiki/Topic"' in html
    )
    unsubscribe = _link(text, "/notifications/unsubscribe")
    assert msg["List-Unsubscribe"] == f"<https://wiki.example.org{unsubscribe}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert client.get(unsubscribe).status_code == 200
    # a mail client's one-click POST carries no CSRF token: the signed link is enough
    one_click = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, csrf=False)
    assert one_click.status_code == 200
    smtp.messages.clear()
    save_as(auth, client, "bob", "Topic", "third change")
    drain(client.application)
    assert smtp.messages == []
    assert client.get("/notifications/unsubscribe/forged").status_code == 400
    assert client.get("/settings/verify/forged").status_code == 400


def test_daily_digest(client, auth, smtp):
    users(auth, "alice", "bob", "carol")
    save_as(auth, client, "carol", "One", "1")
    save_as(auth, client, "carol", "Two", "2")
    drain(client.application)
    _subscribe(client, auth, smtp, "daily")
    save_as(auth, client, "bob", "One", "1 more")
    save_as(auth, client, "bob", "Two", "2 more")
    drain(client.application)
    (digest,) = smtp.messages
    assert digest["Subject"] == "Nexus Wiki: 2 notifications today"
    text, html = _parts(digest)
    assert "bob edited One" in text and "bob edited Two" in text
    assert "bob edited One" in html and "/notifications/unsubscribe/" in html
    smtp.messages.clear()
    drain(client.application)
    assert smtp.messages == []  # nothing new since the last digest


def test_mail_says_what_an_edit_did_to_the_api(client, auth, smtp):
    old = document(4)
    new = copy.deepcopy(old)
    del new["paths"]["/things0/{id}"]["delete"]
    users(auth, "alice", "bob", "carol")
    save_as(auth, client, "carol", "Books API", fence(old))
    save_as(auth, client, "carol", "Notes", "notes")
    drain(client.application)
    _subscribe(client, auth, smtp, "each")
    save_as(auth, client, "bob", "Books API", fence(new), summary="drop delete")
    save_as(auth, client, "bob", "Notes", "plain edit", summary="typo")
    drain(client.application)
    api_mail, plain = sorted(smtp.messages, key=lambda m: "Notes" in m["Subject"])
    line = "bob edited Books API: drop delete (API: 1 breaking change)"
    assert api_mail["Subject"].strip() == f"[Nexus Wiki] {line}"  # folded: long
    text, html = _parts(api_mail)
    assert line in text and line in html
    assert plain["Subject"] == "[Nexus Wiki] bob edited Notes: typo"
    assert "API:" not in _parts(plain)[0]


def test_digest_says_what_an_edit_did_to_the_api(client, auth, smtp):
    old = document(4)
    users(auth, "alice", "bob", "carol")
    save_as(auth, client, "carol", "Books API", fence(old))
    drain(client.application)
    _subscribe(client, auth, smtp, "daily")
    del old["paths"]["/things0/{id}"]["delete"]
    save_as(auth, client, "bob", "Books API", fence(old))
    drain(client.application)
    (digest,) = smtp.messages
    text, html = _parts(digest)
    assert "- bob edited Books API [API: 1 breaking change]" in text
    assert "[API: 1 breaking change]" in html


def test_mail_url_forms():
    plain = mail_server("smtp://user%40x:p%3Ass@mail.example.org:2525")
    assert (plain.host, plain.port, plain.starttls) == ("mail.example.org", 2525, False)
    assert (plain.username, plain.password) == ("user@x", "p:ss")
    tls = mail_server("smtp+starttls://mail.example.org")
    assert (tls.port, tls.starttls, tls.username) == (587, True, None)
    assert mail_server(None) is None
    with pytest.raises(ValueError):
        mail_server("http://mail.example.org")


def test_bad_settings_are_refused_and_kept(client, auth):
    users(auth, "alice")
    auth.login("alice")
    bad = client.post("/settings", data={"email": "not an address", "email_notifications": "each"})
    assert bad.status_code == 400 and "not an address" in bad.get_data(as_text=True)
    assert (
        client.post("/settings", data={"email": "", "email_notifications": "hourly"}).status_code
        == 400
    )
