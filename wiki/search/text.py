"""Text handling shared by the query parser and every search backend.

``WORD_RE`` finds whole tokens (``docker-compose.yml``, ``rest_framework.permissions``) and
``split_identifier`` adds their snake/camel/dotted/dashed parts, so ``select_related``,
``select`` and ``related`` can all be found. ``parse_synonyms`` reads the synonyms list kept
as a wiki page. Everything here is pure and never raises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# A whole token: a word, or words joined by "." or "-" (identifiers, file names, versions).
WORD_RE = re.compile(r"\w+(?:[.\-]\w+)*")
_PIECE_RE = re.compile(r"[^\W_]+")
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_text(text: str) -> str:
    """NFKC-normalise and turn control, format and unassigned characters into spaces."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(" " if unicodedata.category(ch) in _DROPPED_CATEGORIES else ch for ch in text)


def title_key(title: str) -> str:
    """A title (or typed text) as compared for "exact title match": underscores read as
    spaces (as in wiki titles), whitespace collapsed, lower-cased."""
    return " ".join(title.replace("_", " ").split()).lower()


def replace_words(text: str, corrections: Mapping[str, str]) -> str:
    """Replace whole words of ``text`` case-insensitively (keys are lower-cased words)."""
    if not corrections:
        return text
    pattern = r"(?<!\w)(" + "|".join(re.escape(k) for k in corrections) + r")(?!\w)"
    return re.sub(
        pattern, lambda m: corrections.get(m.group(1).lower(), m.group(1)), text, flags=re.I
    )


def identifier_parts(token: str) -> list[tuple[int, int]]:
    """Spans of the snake/camel/dotted/dashed parts of ``token``; empty when it has one part.

    Only ASCII pieces are split by case, so words in other scripts stay whole.
    """
    if token.isdigit() or (
        token.isalpha() and (token.islower() or token.isupper() or token.istitle())
    ):
        return []  # the common case, a plain word: skip the regexes
    spans: list[tuple[int, int]] = []
    for piece in _PIECE_RE.finditer(token):
        if piece.group().isascii():
            base = piece.start()
            camel = _CAMEL_RE.finditer(piece.group())
            spans.extend((base + m.start(), base + m.end()) for m in camel)
        else:
            spans.append(piece.span())
    return spans if len(spans) > 1 else []


def split_identifier(token: str) -> list[str]:
    """The lower-cased whole token followed by its distinct parts.

    ``"getElementById"`` gives ``["getelementbyid", "get", "element", "by", "id"]``;
    ``"@shared_task"`` gives ``["shared_task", "shared", "task"]``. Never raises.
    """
    core = re.sub(r"^\W+|\W+$", "", token)
    if not core:
        return []
    words = [core.lower()] + [core[s:e].lower() for s, e in identifier_parts(core)]
    return list(dict.fromkeys(words))


def parse_synonyms(text: str) -> dict[str, list[str]]:
    """Read ``A = B`` (or ``A = B = C``) lines into a lower-cased mapping that works both ways.

    List markers (``- ``, ``* ``) are ignored, as are lines without ``=`` and lines starting
    with ``#``. Each line is one group: ``A = B`` and ``B = C`` give ``b -> [a, c]`` but do not
    make ``a`` and ``c`` synonyms. Never raises.
    """
    synonyms: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*+]\s+)?", "", line)
        if line.startswith("#") or "=" not in line:
            continue
        group = [" ".join(clean_text(part).lower().split()) for part in line.split("=")]
        group = list(dict.fromkeys(word for word in group if word))
        for word in group:
            known = synonyms.setdefault(word, [])
            known.extend(other for other in group if other != word and other not in known)
    return {word: others for word, others in synonyms.items() if others}


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``limit + 1`` when it is over ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return limit + 1
        previous = current
    return min(previous[-1], limit + 1)
