"""Text handling shared by the query parser and every search backend.

``WORD_RE`` finds whole tokens (``docker-compose.yml``, ``rest_framework.permissions``, and
terms with symbols: ``N+1``, ``C++``, ``C#``, ``.NET``, ``Node.js``, ``HTTP/2``,
``@login_required``) and ``split_identifier`` adds their snake/camel/dotted/dashed parts, so
``select_related``, ``select`` and ``related`` can all be found, and ``N+1`` is one term.
``parse_synonyms`` reads the synonyms list kept as a wiki page. Everything here is pure and
never raises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

# A whole token: a word, or words joined by ".", "-" or "+" (identifiers, file names, versions,
# N+1), or by "/" before a number (HTTP/2); it may start with "." or "@" (.NET, .env,
# @login_required) when that follows no word, and end in "+" or "#" (C++, C#, g++, c++20).
# So "+ - # / ." inside a term belong to it; at its edges they are punctuation.
WORD_RE = re.compile(
    r"(?:(?<![\w.@#+/])[.@](?=\w))?"
    r"\w+(?:[.\-+]\w+|/\d+(?!\w))*"
    r"(?:[+#]+\d*(?![\w+#]))?"
)
# Segments of a token between its symbols; a part when there are several (__init__.py).
_SEGMENT_RE = re.compile(r"\w+")
_PIECE_RE = re.compile(r"[^\W_]+")
_CAMEL_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_LETTERS_DIGITS_RE = re.compile(r"[A-Za-z]+|[0-9]+")
_SYMBOL_RE = re.compile(r"[^\w]")
_STRICT_RE = re.compile(r"[+#/@]|^[._]|_$")
# Words too common to search for: the Snowball English list PostgreSQL's 'english' search
# configuration uses, so both backends ignore the same words ("how do I …" questions).
STOP_WORDS = frozenset(
    """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what
    which who whom this that these those am is are was were be been being have has had
    having do does did doing a an the and but if or because as until while of at by for
    with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how
    all any both each few more most other some such no nor not only own same so than too
    very s t can will just don should now
    """.split()
)
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
    """Spans of the parts of ``token`` (never the whole of it); empty for a plain word.

    Parts are the segments between symbols when there are several (``__init__`` and ``py`` of
    ``__init__.py``, ``login_required`` of ``@login_required``), then the snake/camel/dotted/
    dashed pieces (``get``, ``element`` …), and letter or digit runs (``oauth`` of
    ``OAuth2``). Only ASCII pieces are split by case, so words in other scripts stay whole.
    """
    if token.isdigit() or (
        token.isalpha() and (token.islower() or token.isupper() or token.istitle())
    ):
        return []  # the common case, a plain word: skip the regexes
    spans: list[tuple[int, int]] = []
    segments = [m.span() for m in _SEGMENT_RE.finditer(token)]
    if len(segments) > 1 or (segments and segments[0] != (0, len(token))):
        spans.extend(segments)
    for piece in _PIECE_RE.finditer(token):
        if piece.group().isascii():
            base = piece.start()
            camel = [(base + m.start(), base + m.end()) for m in _CAMEL_RE.finditer(piece.group())]
            spans.extend(camel)
            if len(camel) > 1:
                runs = _LETTERS_DIGITS_RE.finditer(piece.group())
                spans.extend((base + m.start(), base + m.end()) for m in runs)
        else:
            spans.append(piece.span())
    spans = list(dict.fromkeys(span for span in spans if span != (0, len(token))))
    return spans


def has_symbols(token: str) -> bool:
    """True when ``token`` holds a character other than letters, digits and ``_``."""
    return _SYMBOL_RE.search(token) is not None


def is_symbol_term(token: str) -> bool:
    """True for terms whose symbols make them a different thing than their parts (``C++``
    is not ``C``, ``HTTP/2`` not ``HTTP``, ``__init__`` not ``init``), unlike a dotted or
    dashed name (``docker-compose``). Titles must hold such a term whole to rank first."""
    return _STRICT_RE.search(token) is not None


def split_identifier(token: str) -> list[str]:
    """The lower-cased whole token followed by its distinct parts.

    ``"getElementById"`` gives ``["getelementbyid", "get", "element", "by", "id"]``;
    ``"@shared_task"`` gives ``["@shared_task", "shared_task", "shared", "task"]``;
    ``"N+1"`` gives ``["n+1", "n", "1"]``. Punctuation around a token is dropped. Never raises.
    """
    match = WORD_RE.search(token)
    if not match:
        return []
    core = match.group()
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
