"""Mail: ``MAIL_URL`` (``smtp://user:pass@host:port`` or ``smtp+starttls://…``), messages with a
plain-text and an HTML part, signed verification and unsubscribe links."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import unquote, urlsplit

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

VERIFY_MAX_AGE = 3 * 24 * 3600


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    starttls: bool
    username: str | None
    password: str | None


def mail_server(url: str | None) -> MailServer | None:
    """The server of ``MAIL_URL``; None when mail is off. :raises ValueError: bad URL."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtp+starttls"):
        raise ValueError("MAIL_URL must start with smtp:// or smtp+starttls://")
    return MailServer(
        host=parts.hostname or "localhost",
        port=parts.port or (587 if parts.scheme == "smtp+starttls" else 25),
        starttls=parts.scheme == "smtp+starttls",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build(to: str, subject: str, text: str, html: str, *, key: str, unsubscribe: str | None):
    """An EmailMessage with both parts; ``key`` (the event's id) becomes its Message-ID."""
    msg = EmailMessage()
    msg["From"] = current_app.config.get("MAIL_FROM") or "Nexus Wiki <wiki@localhost>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(idstring=key, domain="nexus-wiki")
    msg["X-Nexus-Delivery"] = key
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def send(server: MailServer, msg: EmailMessage, timeout: float = 10.0) -> None:
    """Hand ``msg`` to the SMTP server. :raises OSError, smtplib.SMTPException:"""
    with smtplib.SMTP(server.host, server.port, timeout=timeout) as smtp:
        if server.starttls:
            smtp.starttls()
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(msg)


def _signer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def unsubscribe_token(user_id: int) -> str:
    return _signer("nexus-unsubscribe").dumps(user_id)


def unsubscribe_user(token: str) -> int | None:
    try:
        return int(_signer("nexus-unsubscribe").loads(token))
    except (BadSignature, TypeError, ValueError):
        return None


def verify_token(user_id: int, email: str) -> str:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="nexus-verify-email")
    return serializer.dumps([user_id, email])


def verified_address(token: str) -> tuple[int, str] | None:
    """(user id, address) of a valid link less than three days old; None otherwise."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="nexus-verify-email")
    try:
        user_id, email = serializer.loads(token, max_age=VERIFY_MAX_AGE)
        return int(user_id), str(email)
    except (BadSignature, TypeError, ValueError):
        return None
