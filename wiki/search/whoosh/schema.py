"""The Whoosh index layout: schema, code-aware analyzer, field names, generations on disk.

``index_dir`` holds generation directories (``gen-*``, each a Whoosh index) and a symlink
``CURRENT`` naming the live one. Only the Whoosh backend modules import this.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from itertools import islice

from whoosh import index as whoosh_index
from whoosh.analysis import (
    CompositeAnalyzer,
    Filter,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.lang.porter import stem
from whoosh.reading import IndexReader

from wiki.search.documents import IndexCorrupt, SearchDoc
from wiki.search.text import STOP_WORDS, WORD_RE, identifier_parts, title_key

# Bump when the schema or the analysis changes: older indexes then report needs_rebuild().
# 4: the analyzer moved to wiki.search.whoosh.schema; Whoosh pickles it by dotted path, so an
# index written before the move is rebuilt on first use rather than unpickled.
# 5: the Snowball English stop words (as PostgreSQL's); terms with symbols (N+1, C++, C#,
# .NET, HTTP/2, @login_required) are whole tokens, with
# their segments and letter/digit runs as parts; suggestions start at such terms too.
SCHEMA_VERSION = "nexus-search-5"
MAX_TOKEN_CHARS = 64
CURRENT_LINK = "CURRENT"
_VERSION_FILE = "SCHEMA_VERSION"
WRITE_LOCK = "MAIN_WRITELOCK"  # the lock file Whoosh's own writers take


class IdentifierSplitFilter(Filter):
    """Lower-cases each token and adds its identifier parts at the same position.

    ``select_related`` gives ``select_related``, ``select`` and ``related``, so a phrase still
    matches whole tokens while single parts can be found. Each token carries ``part``.
    """

    def __call__(self, tokens: Iterator) -> Iterator:
        for t in tokens:
            original = t.text
            start = t.startchar if t.chars else 0
            # Later filters rewrite t.text in place, so work from the saved original.
            t.text, t.part = original.lower(), False
            yield t
            seen = {original.lower()}
            for s, e in identifier_parts(original):
                text = original[s:e].lower()
                if text not in seen:
                    seen.add(text)
                    t.text, t.part = text, True
                    if t.chars:
                        t.startchar, t.endchar = start + s, start + e
                    yield t


# (word, no_morph) -> the terms the analyzer's stages make of it; shared by all instances.
_TERMS: dict[tuple[str, bool], tuple[tuple[str, bool], ...]] = {}
_TERMS_MAX = 50_000  # about 15 MB; cleared when full


class CodeAnalyzer(CompositeAnalyzer):
    """The stages of :func:`code_analyzer`, with a fast path for indexing.

    Passing every token of a 100 KB page through four generator stages was most of the cost
    of indexing it. For calls that want positions at most (indexing, spelling, queries: no
    character offsets, stop words removed) the terms of each distinct word are worked out
    once, by the same stages, and reused; a word's terms do not depend on its neighbours, so
    the stream is the same. Other calls (highlighting) run the stages as they are.
    """

    _FAST_OK = frozenset({"positions", "boosts", "mode", "start_pos"})

    def __call__(self, value, no_morph=False, **kwargs):
        if kwargs.keys() - self._FAST_OK or kwargs.get("mode", "") not in ("index", ""):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._indexing_tokens(value, no_morph, kwargs)

    def _indexing_tokens(self, value, no_morph, kwargs) -> Iterator[Token]:
        positions = kwargs.get("positions", False)
        token = Token(
            positions=positions, chars=False, removestops=True, mode=kwargs.get("mode", "")
        )
        stages = super().__call__
        if len(_TERMS) > _TERMS_MAX:
            _TERMS.clear()
        for pos, match in enumerate(
            self.items[0].expression.finditer(value), kwargs.get("start_pos", 0)
        ):
            word = match.group()
            terms = _TERMS.get((word, no_morph))
            if terms is None:
                terms = tuple((t.text, t.part) for t in stages(word, no_morph=no_morph))
                _TERMS[word, no_morph] = terms
            for text, part in terms:
                token.text, token.part, token.boost, token.stopped = text, part, 1.0, False
                if positions:
                    token.pos = pos
                yield token


def code_analyzer() -> CompositeAnalyzer:
    """The analyzer of every text field, at index and at query time."""
    return CodeAnalyzer(
        RegexTokenizer(WORD_RE.pattern),
        IdentifierSplitFilter(),
        StopFilter(STOP_WORDS, minsize=2, maxsize=MAX_TOKEN_CHARS, renumber=False),
        StemFilter(),
    )


ANALYZER = code_analyzer()

TITLE = "title"  # page title, stemmed words; stored for results, a column for suggest()
TITLE_EXACT = "title_exact"  # title_key(title) as one term: exact match and "go to page"
TITLE_STARTS = "title_starts"  # the title from each word start, spaces as "_": suggest()
PATH = "path"  # every ancestor path and the title (title_key, spaces as "_"): under:
BODY = "body"  # prose without headings and code blocks; stored for snippets
HEADINGS = "headings"  # heading text, weighted above prose
CODE = "code"  # text of code blocks, weighted below prose; stored for snippets
TAGS = "tags"  # lower-cased tags, comma separated
AUTHOR = "author"  # last author, matched lower-cased, stored as given
UPDATED = "updated"  # last change, naive UTC (Whoosh cannot take aware datetimes)
REV = "rev"  # indexed revision number, for indexed_revisions() and stale-write checks
PAGE_ID = "page_id"  # the page's database id, unique key of the index

# Applied at query time: index-time field_boost is flattened by BM25's tf saturation.
Weights = tuple[tuple[str, float], ...]
FIELD_WEIGHTS: Weights = ((TITLE, 5.0), (HEADINGS, 2.0), (BODY, 1.0), (CODE, 0.5))
TEXT_FIELDS = tuple(name for name, _ in FIELD_WEIGHTS)
# Spelling corrections come from these fields' unstemmed words (Whoosh "spell_*" fields).
SPELLING_FIELDS = (TITLE, BODY)


def make_schema() -> Schema:
    """The index schema; fields are described at their name constants."""
    return Schema(
        **{
            TITLE: TEXT(analyzer=ANALYZER, stored=True, sortable=True, spelling=True),
            TITLE_EXACT: ID,
            TITLE_STARTS: KEYWORD,
            PATH: KEYWORD,
            BODY: TEXT(analyzer=ANALYZER, stored=True, spelling=True),
            HEADINGS: TEXT(analyzer=ANALYZER),
            CODE: TEXT(analyzer=ANALYZER, stored=True),
            TAGS: KEYWORD(lowercase=True, commas=True, stored=True),
            AUTHOR: ID(stored=True, analyzer=IDTokenizer() | LowercaseFilter()),
            UPDATED: DATETIME(stored=True, sortable=True),
            REV: NUMERIC(stored=True, sortable=True),
            PAGE_ID: ID(unique=True, stored=True, sortable=True),
        }
    )


def naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def keyword(key: str) -> str:
    """A title_key as one KEYWORD token (titles treat "_" and space alike, so this is lossless)."""
    return key.replace(" ", "_")


def doc_fields(doc: SearchDoc) -> dict[str, object]:
    key = title_key(doc.title)
    segments = key.split("/")
    word_starts = {m.start() for m in re.finditer(r"(?<!\w)\w", key)}
    starts = sorted(word_starts | {m.start() for m in WORD_RE.finditer(key)})[:20]
    fields: dict[str, object] = {
        PAGE_ID: str(doc.page_id),
        TITLE: doc.title,
        TITLE_STARTS: " ".join(keyword(key[i:]) for i in starts),
        PATH: " ".join(keyword("/".join(segments[: n + 1]).strip()) for n in range(len(segments))),
        BODY: doc.body_text,
        HEADINGS: doc.headings,
        CODE: doc.code,
        TAGS: ",".join(" ".join(t.replace(",", " ").split()) for t in doc.tags),
        UPDATED: naive_utc(doc.updated),
        REV: doc.rev,
    }
    if key:
        fields[TITLE_EXACT] = key
    if doc.author:
        fields[AUTHOR] = doc.author
    return fields


def open_or_create(index_dir: str) -> whoosh_index.FileIndex:
    """Open the live generation of ``index_dir``, creating an empty index when there is none.

    :raises IndexCorrupt: the live generation cannot be opened.
    """
    return open_live(index_dir)[0]


def open_live(index_dir: str) -> tuple[whoosh_index.FileIndex, str, bool]:
    """(index, generation name, whether it was just created). :raises IndexCorrupt:"""
    os.makedirs(index_dir, exist_ok=True)
    link = os.path.join(index_dir, CURRENT_LINK)
    created = False
    try:
        gen = os.readlink(link)
    except FileNotFoundError:
        gen = new_generation(index_dir)
        try:
            os.symlink(gen, link)  # fails if another process won the race: use theirs
            created = True
        except FileExistsError:
            shutil.rmtree(os.path.join(index_dir, gen), ignore_errors=True)
            gen = os.readlink(link)
    return open_generation(os.path.join(index_dir, gen)), gen, created


def is_healthy(index_dir: str) -> bool:
    """True when ``index_dir`` holds a readable index of this schema version."""
    try:
        gen = os.readlink(os.path.join(index_dir, CURRENT_LINK))
        ix = open_generation(os.path.join(index_dir, gen))
        with ix.reader() as reader:
            touch(reader)
    except Exception:  # any failure to read means the index needs rebuilding
        return False
    return True


def new_generation(index_dir: str) -> str:
    path = tempfile.mkdtemp(prefix="gen-", dir=index_dir)
    whoosh_index.create_in(path, make_schema())
    with open(os.path.join(path, _VERSION_FILE), "w", encoding="utf-8") as f:
        f.write(SCHEMA_VERSION)
    return os.path.basename(path)


def open_generation(path: str) -> whoosh_index.FileIndex:
    """:raises IndexCorrupt: after retrying files that a concurrent commit just replaced."""
    missing: OSError | None = None
    for _ in range(10):
        try:
            with open(os.path.join(path, _VERSION_FILE), encoding="utf-8") as f:
                if f.read().strip() != SCHEMA_VERSION:
                    raise IndexCorrupt(f"{path}: index of another schema version")
            return whoosh_index.open_dir(path)
        except FileNotFoundError as exc:  # the TOC we listed was superseded: look again
            missing = exc
            time.sleep(0.02)
        except IndexCorrupt:
            raise
        except Exception as exc:  # Whoosh raises many types for unreadable files
            raise IndexCorrupt(f"{path}: {exc!r}") from exc
    raise IndexCorrupt(f"{path}: {missing!r}") from missing


def touch(reader: IndexReader) -> None:
    """Read a little of everything so broken segment files show up now, not mid-search."""
    ids = list(reader.all_doc_ids())
    for docnum in ids[:1] + ids[-1:]:
        reader.stored_fields(docnum)
    for name in (PAGE_ID, TITLE_EXACT):
        for term in islice(reader.lexicon(name), 1):
            reader.postings(name, term).all_ids()


@lru_cache(maxsize=50_000)
def stem_word(word: str) -> str:
    return stem(word)
