"""Outgoing webhooks: which URLs are allowed, the body shapes, the signature, the POST.

A target is resolved once and the connection goes to the address that was checked, so a DNS
answer cannot change between the check and the connect. Loopback, private, link-local (cloud
metadata at 169.254.169.254) and other special addresses are refused unless the host is listed
in ``WIKI_WEBHOOK_ALLOW_HOSTS``; the wiki's own address always is. Redirects are not followed
and every socket operation times out, so no endpoint can hold a worker for long.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from wiki.refusals import Refusal


class UnsafeTarget(Refusal):
    """A webhook URL the wiki will not post to."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


def _special(ip: ipaddress._BaseAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
    )


def allowed_hosts(config) -> set[str]:
    raw = config.get("WIKI_WEBHOOK_ALLOW_HOSTS") or ""
    return {h.strip().lower() for h in raw.split(",") if h.strip()}


def check_target(url: str, *, allow: set[str], own: set[str]) -> Target:
    """The checked target of ``url``.

    :raises UnsafeTarget: not http(s), no host, the wiki itself, unresolvable, or a
        loopback/private/link-local address of a host not in ``allow``.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("That is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("A webhook URL must start with http:// or https:// and name a host.")
    host = parts.hostname.lower()
    if f"{host}:{port}" in own:
        raise UnsafeTarget("A webhook cannot point at the wiki itself.")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(f"The host “{host}” could not be resolved.") from None
    addresses = [info[4][0] for info in infos]
    if host not in allow:
        for address in addresses:
            if _special(ipaddress.ip_address(address.split("%")[0])):
                raise UnsafeTarget(
                    f"“{host}” is a loopback, private or link-local address ({address}); "
                    "an administrator can allow it with WIKI_WEBHOOK_ALLOW_HOSTS."
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def own_hosts(base_url: str, request_host: str | None = None) -> set[str]:
    """``host:port`` forms under which the wiki itself answers."""
    hosts = set()
    for url in filter(None, [base_url, request_host and f"http://{request_host}"]):
        parts = urlsplit(url)
        if parts.hostname:
            hosts.add(
                f"{parts.hostname.lower()}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
            )
    return hosts


def body_for(fmt: str, payload: dict, line: str) -> bytes:
    """The POST body: the contract's JSON, or Discord's / Slack's message shape."""
    page = payload.get("page") or {}
    if fmt == "discord":
        embed = {
            "title": page.get("title", "")[:256],
            "description": payload.get("summary", "")[:4096],
            "timestamp": payload["at"],
        }
        if page.get("url"):
            embed["url"] = page["url"]
        shaped = {"content": line[:2000], "embeds": [embed], "allowed_mentions": {"parse": []}}
    elif fmt == "slack":
        text = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if page.get("url"):
            text += f" <{page['url']}|open>"
        shaped = {
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
    else:
        shaped = payload
    return json.dumps(shaped, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class _Pinned(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class SendFailed(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body``; returns the 2xx status. :raises SendFailed: anything else."""
    conn = (_PinnedTLS if target.scheme == "https" else _Pinned)(target, timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(4096)
    except (OSError, http.client.HTTPException) as error:
        raise SendFailed(f"{type(error).__name__}: {error}"[:500]) from None
    finally:
        conn.close()
    if 300 <= response.status < 400:
        raise SendFailed(f"redirect ({response.status}) not followed", response.status)
    if not 200 <= response.status < 300:
        raise SendFailed(f"HTTP {response.status}", response.status)
    return response.status
