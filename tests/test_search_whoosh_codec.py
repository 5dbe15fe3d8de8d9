"""wiki.search.whoosh.write's codec: postings lists shorter than INLINE_POSTINGS are kept in
their term's entry (Whoosh 2.7.4 meant to, but its writer calls a method its term info
lacks), and every term reads back as Whoosh's own codec writes it: documents, weights and
values (positions), across commits, deletions and merges."""

from __future__ import annotations

from datetime import UTC, datetime

from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.writing import SegmentWriter

from wiki.search.documents import SearchDoc
from wiki.search.whoosh.schema import BODY, PAGE_ID, doc_fields, make_schema
from wiki.search.whoosh.write import INLINE_POSTINGS, open_writer

JAN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
WORDS = "celery broker docker compose_file cache-aside N+1 select_related".split()


def _doc(n: int) -> SearchDoc:
    words = [WORDS[(n * k) % len(WORDS)] for k in (1, 2, 5)]
    body = " ".join(words * (1 + n % 3)) + f" unique{n} marker-{n:04x} common"
    return SearchDoc(n, f"Page {n}", body, "", f"run_{n}()", (), "alice", JAN, 1)


def _fill(path, writer_of) -> whoosh_index.Index:
    ix = whoosh_index.create_in(str(path), make_schema())
    for batch in (range(1, 13), range(13, 20), range(5, 8)):  # 3 segments, replacements
        writer: SegmentWriter = writer_of(ix)
        for n in batch:
            writer.delete_by_term(PAGE_ID, str(n))
            writer.add_document(**doc_fields(_doc(n)))
        writer.commit(merge=False)
    writer = writer_of(ix)
    writer.delete_by_term(PAGE_ID, "2")
    writer.commit(optimize=True)  # a merge reads every term back and writes it again
    return ix


def _postings(ix) -> dict:
    out = {}
    with ix.reader() as reader:
        for field, text in reader.all_terms():
            matcher = reader.postings(field, text)
            items = []
            while matcher.is_active():
                items.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            out[field, text] = items
    return out


def test_short_lists_are_inlined_and_every_term_reads_back_as_whoosh_writes_it(tmp_path):
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "ours").mkdir()
    theirs = _fill(tmp_path / "whoosh", lambda ix: ix.writer())
    ours = _fill(tmp_path / "ours", open_writer)
    expected, found = _postings(theirs), _postings(ours)
    assert found == expected
    assert len(expected) > 100 and any(value for items in expected.values() for *_, value in items)
    with ours.reader() as reader:
        inlined = {term: reader.term_info(*term).is_inlined() for term in expected}
    assert inlined[BODY, b"unique9"] and inlined[BODY, b"common"] is False
    assert all(inlined[term] == (len(items) < INLINE_POSTINGS) for term, items in expected.items())
    # Its segments name Whoosh's own codec, which reads them: the index's table of contents
    # (a pickle) does not name our codec class.
    with ours.reader() as reader:
        assert {type(leaf.codec()) for leaf, _ in reader.leaf_readers()} == {W3Codec}
    with theirs.reader() as reader:  # Whoosh's own codec inlines nothing
        assert not any(reader.term_info(*term).is_inlined() for term in expected)
