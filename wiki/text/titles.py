"""Page titles: normalisation, validation and the URL form.

A title is stored in its normalised form (see :func:`normalize_title`); every other
function here expects an already-normalised title. Nothing in this module touches
Flask or the database.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

__all__ = [
    "MAX_TITLE_LENGTH",
    "TitleError",
    "ancestors",
    "leaf_name",
    "normalize_title",
    "path_to_title",
    "segments",
    "title_to_path",
    "top_level",
]

MAX_TITLE_LENGTH = 200
SEPARATOR = "/"

# Characters that would break URLs, wiki-link syntax ([[A|b]]) or templates.
FORBIDDEN_CHARACTERS = frozenset("#?%[]{}|\\<>")

# Invisible characters that let two different titles look identical, or make a title
# display in a different order than it is stored (spoofing).
BIDI_CHARACTERS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
ZERO_WIDTH_CHARACTERS = frozenset(
    ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"]
    + [chr(c) for c in range(0x2061, 0x2065)]  # invisible maths operators
)

# After the control-character check only ordinary spaces remain as whitespace.
_WHITESPACE_RUN = re.compile(r"\s+")

# URL characters that may stay literal in a path segment (RFC 3986 pchar, plus '/').
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


class TitleError(ValueError):
    """A title broke one of the title rules; ``str(error)`` explains which, in plain words."""


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}".rstrip()


def _check_characters(text: str) -> None:
    """Reject characters that are never allowed anywhere in a title.

    :raises TitleError: for the first offending character.
    """
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" or category in ("Zl", "Zp"):
            raise TitleError(
                "Titles cannot contain control characters such as tabs or line breaks "
                f"(found {_describe(char)})."
            )
        if category == "Cs":
            raise TitleError("Titles cannot contain invalid (unpaired surrogate) characters.")
        if char in BIDI_CHARACTERS:
            raise TitleError(
                "Titles cannot contain invisible text-direction characters "
                f"(found {_describe(char)})."
            )
        if char in ZERO_WIDTH_CHARACTERS:
            raise TitleError(
                f"Titles cannot contain invisible zero-width characters (found {_describe(char)})."
            )
        if char in FORBIDDEN_CHARACTERS:
            allowed = " ".join(sorted(FORBIDDEN_CHARACTERS))
            raise TitleError(f'Titles cannot contain the character "{char}" (none of {allowed}).')


def _normalize_segments(text: str) -> str:
    """Trim each '/'-separated level and reject empty, '.' and '..' levels.

    :raises TitleError: for a leading/trailing '/', an empty level, or a '.'/'..' level.
    """
    if text.startswith(SEPARATOR):
        raise TitleError('Titles cannot start with "/".')
    if text.endswith(SEPARATOR):
        raise TitleError('Titles cannot end with "/".')
    parts = [part.strip() for part in text.split(SEPARATOR)]
    for part in parts:
        if not part:
            raise TitleError('Titles cannot contain an empty level, as in "a//b".')
        if part in (".", ".."):
            raise TitleError(f'Titles cannot contain a level that is just "{part}".')
    return SEPARATOR.join(parts)


def normalize_title(raw: str) -> str:
    """Return the canonical form of a user-typed title, or explain why it is invalid.

    Applies NFKC, turns underscores into spaces, trims, collapses inner whitespace and
    trims every '/'-separated level (``"a / b"`` becomes ``"a/b"``). The result is
    idempotent (``normalize_title(normalize_title(x)) == normalize_title(x)``), at most
    :data:`MAX_TITLE_LENGTH` characters, and free of control, bidirectional,
    zero-width and ``# ? % [ ] { } | \\ < >`` characters.

    :raises TitleError: if the title is empty, too long, or breaks a character or level rule.
    """
    if not isinstance(raw, str):
        raise TitleError("A title must be text.")
    # NFKC first: fullwidth forms such as "．．" or "＃" must meet the same rules as ASCII.
    text = unicodedata.normalize("NFKC", raw)
    _check_characters(text)
    text = _WHITESPACE_RUN.sub(" ", text.replace("_", " ")).strip()
    if not text:
        raise TitleError("The title is empty.")
    text = _normalize_segments(text)
    if len(text) > MAX_TITLE_LENGTH:
        raise TitleError(
            f"Titles can be at most {MAX_TITLE_LENGTH} characters long (this one has {len(text)})."
        )
    return text


def title_to_path(title: str) -> str:
    """Return the URL path form of a normalised title: spaces as '_', the rest percent-encoded.

    '/' stays literal, so sub-pages keep readable URLs (``Django/ORM``).
    """
    return quote(title.replace(" ", "_"), safe=_PATH_SAFE)


def path_to_title(path: str) -> str:
    """Return the title for an already percent-decoded URL path (``'_'`` becomes ``' '``).

    Does not validate; pass the result through :func:`normalize_title` when it comes
    from a request.
    """
    return path.replace("_", " ")


def segments(title: str) -> list[str]:
    """Return the levels of a title: ``"Django/ORM"`` -> ``["Django", "ORM"]``."""
    return title.split(SEPARATOR)


def ancestors(title: str) -> list[str]:
    """Return the titles of all parent pages, outermost first: ``"A/B/C"`` -> ``["A", "A/B"]``."""
    parts = segments(title)
    return [SEPARATOR.join(parts[:i]) for i in range(1, len(parts))]


def leaf_name(title: str) -> str:
    """Return the last level of a title: ``"A/B/C"`` -> ``"C"``."""
    return segments(title)[-1]


def top_level(title: str) -> str:
    """Return the first level of a title: ``"A/B/C"`` -> ``"A"``."""
    return segments(title)[0]
