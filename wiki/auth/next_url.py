"""Validation of ``?next=`` so log-in only ever redirects within the site."""

from urllib.parse import unquote, urlsplit

_FORBIDDEN = ("\\", "\r", "\n", "\t", "\x00")


def _is_local(value: str) -> bool:
    if not value.startswith("/") or value.startswith("//"):
        return False
    if any(ch in value for ch in _FORBIDDEN) or any(ord(ch) < 32 for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next(value: str | None, default: str = "/") -> str:
    """``value`` if it is a same-site path before and after percent-decoding, else ``default``."""
    if not value:
        return default
    decoded = value
    for _ in range(3):  # double-encoded tricks: check each decoding layer
        if not _is_local(decoded):
            return default
        again = unquote(decoded)
        if again == decoded:
            break
        decoded = again
    return value if _is_local(decoded) else default
