"""The XSS corpus: 150+ known injection vectors saved as page bodies, titles, summaries, tags
(front matter) and usernames, then every view that shows them is parsed the way a browser
parses it and checked for anything that could run script.

The site's own markup is told apart by where and how it appears: scripts only as ``src``
files under ``/static/`` outside ``<main>``; forms only with same-site actions and, when they
POST, a CSRF token; ``<meta>``/``<link>`` only in ``<head>``; and inside page content
(``.markdown-body``) only the renderer's allowlisted elements and prefixed ids.

One wiki is seeded per module (per database backend) and only read by the tests, so the
corpus is saved once: vectors are batched many to a page.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, replace
from urllib.parse import quote

import pytest
from bleach._vendor import html5lib  # the HTML5 parsing algorithm, as a browser runs it

from tests.conftest import BACKENDS, CSRFClient, _truncate_all, save_page
from tests.xss_vectors import (
    BODY_VECTORS,
    FRONT_MATTER_TAGS,
    INVALID_TITLE_VECTORS,
    SEARCH_VECTORS,
    SUMMARY_VECTORS,
    TITLE_VECTORS,
    USERNAME_VECTORS,
    batch_body,
    batches,
)
from wiki import create_app
from wiki.extensions import db
from wiki.rendering.sanitize import ALLOWED_ID, ALLOWED_TAGS
from wiki.text.titles import title_to_path

SECRET = "xss-corpus-secret"
BATCH_SIZE = 16
TARGET = "Xss target"

# --- the checker ------------------------------------------------------------------------

NEVER_TAGS = frozenset(
    "iframe frame frameset object embed applet base portal style noscript template isindex"
    " keygen plaintext xmp listing noembed noframes marquee video audio source track param"
    " bgsound layer ilayer".split()
)
URL_ATTRIBUTES = frozenset(
    "href src action formaction data poster background lowsrc dynsrc srcset ping cite"
    " longdesc codebase archive manifest icon usemap classid".split()
)
BAD_SCHEMES = frozenset({"javascript", "data", "vbscript", "livescript", "mocha"})
SITE_META_NAMES = frozenset({"viewport", "csrf-token", "description", "color-scheme"})
SITE_SCRIPT_ATTRIBUTES = frozenset({"src", "defer", "async", "type"})
# Characters a browser drops or ignores inside a URL before reading its scheme.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\xa0\u2028\u2029\ufeff]")
_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):")


def url_scheme(value: str) -> str | None:
    match = _SCHEME.match(_URL_IGNORED.sub("", value).lower())
    return match.group(1) if match else None


def same_site(url: str) -> bool:
    plain = _URL_IGNORED.sub("", url).replace("\\", "/")
    return plain == "" or (plain.startswith("/") and not plain.startswith("//"))


@dataclass(frozen=True)
class _Where:
    head: bool = False
    main: bool = False
    content: bool = False  # inside sanitized page content
    fragment: bool = False


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _attribute_problems(tag: str, attrs: dict[str, str]) -> Iterator[str]:
    for raw_name, value in attrs.items():
        name = _local(raw_name)
        if name.startswith("on"):
            yield f"<{tag} {name}=…> event handler"
        if name in ("srcdoc", "formaction", "http-equiv", "style"):
            yield f"<{tag} {name}={value!r}>"
        if name in URL_ATTRIBUTES or raw_name.endswith("}href"):
            urls = [part.split()[0] for part in value.split(",") if part.split()]
            urls = urls if name == "srcset" else [value]
            for url in urls:
                if url_scheme(url) in BAD_SCHEMES:
                    yield f"<{tag} {name}={value!r}> executable URL"


def _site_element_problems(el: ET.Element, tag: str, attrs: dict[str, str], where: _Where):
    """Elements only the site's templates may use, and only in the site's own way."""
    if tag == "script":
        src = attrs.get("src", "")
        if not (
            src.startswith("/static/")
            and not (el.text or "").strip()
            and {a for a in attrs if not a.startswith("data-")} <= SITE_SCRIPT_ATTRIBUTES
            and not where.main
            and not where.fragment
        ):
            yield f"<script {attrs}> {el.text!r} is not one of the site's script files"
    elif tag in ("meta", "link", "title") and not where.head:
        yield f"<{tag} {attrs}> outside <head>"
    elif tag == "meta" and not ("charset" in attrs or attrs.get("name") in SITE_META_NAMES):
        yield f"<meta {attrs}>"
    elif tag == "link" and not (same_site(attrs.get("href", "")) and attrs.get("rel")):
        yield f"<link {attrs}>"
    elif tag == "form":
        if not same_site(attrs.get("action", "")):
            yield f"<form action={attrs.get('action')!r}>"
        if attrs.get("method", "get").lower() == "post" and not any(
            i.get("name") == "csrf_token" for i in el.iter("input")
        ):
            yield f"<form {attrs}> posts without a CSRF token"


def _content_problems(tag: str, attrs: dict[str, str]) -> Iterator[str]:
    """Inside page content only the renderer's allowlist: no clobbering ids or names."""
    if tag not in ALLOWED_TAGS:
        yield f"<{tag}> inside page content"
    if "id" in attrs and not ALLOWED_ID.match(attrs["id"]):
        yield f"<{tag} id={attrs['id']!r}> inside page content"
    if "name" in attrs:
        yield f"<{tag} name={attrs['name']!r}> inside page content"
    if tag == "input" and (attrs.get("type") != "checkbox" or "disabled" not in attrs):
        yield f"<input {attrs}> inside page content"


def _walk(el: ET.Element, where: _Where, out: list[str]) -> None:
    for child in el:
        if not isinstance(child.tag, str):  # comments
            continue
        tag = _local(child.tag)
        attrs = {k: v or "" for k, v in child.attrib.items()}
        if child.tag.startswith("{"):
            out.append(f"foreign element <{tag}> (SVG/MathML)")
        if tag in NEVER_TAGS:
            out.append(f"<{tag}> element")
        out.extend(_attribute_problems(tag, attrs))
        out.extend(_site_element_problems(child, tag, attrs, where))
        if where.content:
            out.extend(_content_problems(tag, attrs))
        classes = attrs.get("class", "").split()
        _walk(
            child,
            replace(
                where,
                head=where.head or tag == "head",
                main=where.main or tag == "main",
                content=where.content or "markdown-body" in classes,
            ),
            out,
        )


def parse(html: str, *, fragment: bool = False) -> ET.Element:
    build = html5lib.parseFragment if fragment else html5lib.parse
    return build(html, treebuilder="etree", namespaceHTMLElements=False)


def script_problems(html: str, *, fragment: bool = False) -> list[str]:
    """Everything in ``html`` (a page, or a content fragment) that could run script."""
    out: list[str] = []
    _walk(parse(html, fragment=fragment), _Where(content=fragment, fragment=fragment), out)
    return out


def text_of(html: str) -> str:
    return "".join(parse(html).itertext())


def test_checker_catches_what_it_must() -> None:
    page = '<html><head></head><body><main id="content">{}</main></body></html>'
    bad = [
        "<script>x()</script>",
        '<script src="/static/js/editor.js"></script>',  # a site file, but inside <main>
        '<img src=x onerror="x()">',
        '<a href="java\tscript:x()">x</a>',
        '<a href="&#106;avascript:x()">x</a>',
        '<iframe srcdoc="x"></iframe>',
        '<svg><a href="/x">x</a></svg>',
        '<meta http-equiv="refresh" content="0;url=https://e.example">',
        '<form action="https://e.example"></form>',
        '<form action="/logout" method="post"><button>x</button></form>',
        '<div class="markdown-body"><form></form></div>',
        '<div class="markdown-body"><a id="content">x</a></div>',
        '<div class="markdown-body"><img name="csrf-token"></div>',
        '<button formaction="/x">x</button>',
        '<img src=x srcset="a 1x, data:image/svg+xml,x 2x">',
        '<p style="color:red">x</p>',
        "<base href=/x>",
    ]
    for html in bad:
        assert script_problems(page.format(html)), html
    good = (
        '<form action="/search" method="get"><input name="q"></form>'
        '<form action="/logout" method="post"><input type="hidden" name="csrf_token" value="t">'
        '</form><div class="markdown-body"><h2 id="h-x">x</h2><a href="https://e.org">e</a>'
        '<input type="checkbox" disabled></div>'
    )
    assert script_problems(page.format(good)) == []
    assert script_problems('<img src="x"><a href="/wiki/A">a</a>', fragment=True) == []


# --- the seeded wiki --------------------------------------------------------------------


@dataclass
class Corpus:
    app: object
    admin: CSRFClient  # alice: sees every button and form the site has
    anon: CSRFClient
    batches: list[str]  # titles of the pages holding BODY_VECTORS
    titles: list[str]  # pages named by TITLE_VECTORS
    renamed: str
    deleted: str

    def get(self, url: str, *, client: CSRFClient | None = None, status: int = 200):
        response = (client or self.admin).get(url)
        assert response.status_code == status, (url, response.status_code)
        assert SECRET not in response.get_data(as_text=True), url
        return response


def _path(title: str) -> str:
    return title_to_path(title)


def _register(client: CSRFClient, name: str) -> None:
    password = "password123"
    data = {"username": name, "password": password, "confirm": password}
    assert client.post("/register", data=data).status_code == 302


def _save(client: CSRFClient, title: str, body: str, summary: str) -> None:
    response = save_page(client, title, body, summary=summary)
    assert response.status_code == 302, (title, response.status_code)


def _seed(app) -> Corpus:
    admin = app.test_client()
    _register(admin, "alice")
    _save(admin, TARGET, "The page every batch links to.", "target")
    _save(admin, "Home", f"Welcome: [[{TARGET}]], [[{TITLE_VECTORS[2]}]].", SUMMARY_VECTORS[2])
    batch_titles = []
    for n, vectors in enumerate(batches(BODY_VECTORS, BATCH_SIZE)):
        title = f"Xss batch {n}"
        summaries = (
            SUMMARY_VECTORS[n % len(SUMMARY_VECTORS)],
            SUMMARY_VECTORS[(n + 1) % len(SUMMARY_VECTORS)],
        )
        _save(admin, title, f"Batch {n} before the vectors.\n", summaries[0])
        _save(admin, title, batch_body(vectors, n), summaries[1])
        batch_titles.append(title)
    links = " ".join(f"[[{t}]]" for t in TITLE_VECTORS)
    for n, title in enumerate(TITLE_VECTORS):
        _save(admin, title, f"Titled page {n} links to [[{TARGET}]].\n\n{links}\n", title)
    wanted = " ".join(f"[[Missing {t}]]" for t in TITLE_VECTORS)
    _save(admin, "Xss wanted", f"Red links: {wanted}\n", "wanted")
    _save(admin, "Xss rename me", "Soon renamed.\n", "before rename")
    renamed = 'Renamed x" onmouseover="xssTitle=1'
    response = admin.post(f"/rename/{_path('Xss rename me')}", data={"new_title": renamed})
    assert response.status_code == 302, response.status_code
    deleted = "Xss deleted ' onclick='xssTitle=1"
    _save(admin, deleted, "Soon deleted.\n", "before delete")
    assert admin.post(f"/delete/{_path(deleted)}").status_code == 302
    return Corpus(app, admin, app.test_client(), batch_titles, TITLE_VECTORS, renamed, deleted)


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(request, migrated, tmp_path_factory) -> Iterator[Corpus]:
    tmp = tmp_path_factory.mktemp(f"xss-{request.param}")
    if request.param == "sqlite":
        shutil.copy(migrated["sqlite"], tmp / "wiki.db")
        url = f"sqlite:///{tmp / 'wiki.db'}"
    else:
        _truncate_all(migrated["postgres"])
        url = migrated["postgres"]
    app = create_app(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=url,
        SEARCH_INDEX_DIR=str(tmp / "search-index"),
        SECRET_KEY=SECRET,
        RATELIMIT_STORAGE_URI="process-memory://",
        WIKI_RENDER_TIMEOUT=10.0,
        WIKI_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        SEARCH_SYNC="request",  # searched for right after saving
    )
    app.test_client_class = CSRFClient
    yield _seed(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def assert_inert(response, url: str = "", *, fragment: bool = False) -> str:
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html", (url, response.mimetype)
    problems = script_problems(html, fragment=fragment)
    assert not problems, (url, problems)
    return html


# --- the corpus -------------------------------------------------------------------------


def test_the_corpus_is_big_enough() -> None:
    every = (
        BODY_VECTORS
        + TITLE_VECTORS
        + INVALID_TITLE_VECTORS
        + SUMMARY_VECTORS
        + FRONT_MATTER_TAGS
        + USERNAME_VECTORS
        + SEARCH_VECTORS
    )
    assert len(set(BODY_VECTORS)) >= 150
    assert len(set(every)) >= 200


def _page_urls(title: str) -> list[str]:
    path = _path(title)
    diff = f"/diff/{path}?from=1&to=2&full=1"
    return [
        f"/wiki/{path}",
        f"/wiki/{path}?rev=1",
        f"/history/{path}",
        f"{diff}&view=inline",
        f"{diff}&view=split",
        f"{diff}&view=inline&mode=rendered",
        f"{diff}&view=split&mode=rendered",
        f"/blame/{path}",
        f"/edit/{path}",
        f"/files/{path}",
    ]


@pytest.mark.parametrize("n", range(len(batches(BODY_VECTORS, BATCH_SIZE))))
def test_every_view_of_a_vector_page_is_inert(corpus: Corpus, n: int) -> None:
    title = corpus.batches[n]
    for url in _page_urls(title):
        assert_inert(corpus.get(url), url)
    view = assert_inert(corpus.get(f"/wiki/{_path(title)}", client=corpus.anon))
    assert f"end of vector {n}.0" in text_of(view)  # the vectors really are on the page
    raw = corpus.get(f"/raw/{_path(title)}")
    assert raw.mimetype == "text/markdown"
    assert raw.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("n", range(len(batches(BODY_VECTORS, BATCH_SIZE))))
def test_the_source_diff_shows_every_vector_as_text(corpus: Corpus, n: int) -> None:
    path = _path(corpus.batches[n])
    stored = corpus.get(f"/raw/{path}").get_data(as_text=True)
    shown = text_of(corpus.get(f"/diff/{path}?from=1&to=2&full=1&view=inline").get_data(True))
    for line in stored.splitlines():
        if line.strip() and line.isprintable():
            assert line.strip() in shown, line


@pytest.mark.parametrize("n", range(len(batches(BODY_VECTORS, BATCH_SIZE))))
def test_preview_of_vectors_is_inert(corpus: Corpus, n: int) -> None:
    body = batch_body(batches(BODY_VECTORS, BATCH_SIZE)[n], n)
    response = corpus.admin.post("/preview", data={"body": body, "title": corpus.batches[n]})
    assert response.status_code == 200
    assert_inert(response, "/preview", fragment=True)
    response = corpus.admin.post(
        f"/edit/{_path(corpus.batches[n])}",
        data={"body": body, "summary": SUMMARY_VECTORS[0], "base_rev": "2", "preview": "Preview"},
    )
    assert response.status_code == 200
    assert_inert(response, "edit preview")


def test_an_edit_conflict_over_vectors_is_inert(corpus: Corpus) -> None:
    vectors = batches(BODY_VECTORS, BATCH_SIZE)[0]
    response = corpus.admin.post(
        f"/edit/{_path(corpus.batches[0])}",
        data={
            "body": "Batch 0 changed differently.\n" + "\n".join(vectors),
            "summary": SUMMARY_VECTORS[1],
            "base_rev": "1",
            "save": "Save",
        },
    )
    assert response.status_code == 409
    html = assert_inert(response, "conflict")
    assert "<<<<<<<" in text_of(html)


def test_listings_of_vector_pages_are_inert(corpus: Corpus) -> None:
    urls = [
        "/recent",
        "/recent?user=alice",
        "/recent?new=1",
        "/user/alice",
        "/pages",
        "/tags",
        f"/backlinks/{_path(TARGET)}",
        "/special/wanted",
        "/special/orphaned",
        "/special/deleted",
        "/special/stale",
        "/",
    ]
    for url in urls:
        assert_inert(corpus.get(url), url)
        if url != "/special/deleted":  # editors only
            assert_inert(corpus.get(url, client=corpus.anon), url)
    assert "Xss batch 0" in text_of(corpus.get(f"/backlinks/{_path(TARGET)}").get_data(True))


def test_tag_pages_are_inert(corpus: Corpus) -> None:
    listed = text_of(corpus.get("/tags").get_data(as_text=True))
    for tag in FRONT_MATTER_TAGS:
        assert tag.lower() in listed
        url = "/tags/" + quote(tag.lower(), safe="")
        assert_inert(corpus.get(url), url)


def test_front_matter_values_show_as_text(corpus: Corpus) -> None:
    shown = text_of(corpus.get(f"/wiki/{_path(corpus.batches[0])}").get_data(as_text=True))
    assert "<img src=x onerror=__xss=1> & 'quotes'" in shown  # verified_with, as text
    stale = text_of(corpus.get("/special/stale").get_data(as_text=True))
    assert "Xss batch 0" in stale


def test_summaries_show_as_text(corpus: Corpus) -> None:
    shown = text_of(corpus.get("/recent").get_data(as_text=True))
    shown += text_of(corpus.get("/user/alice").get_data(as_text=True))
    for summary in SUMMARY_VECTORS:
        if summary.isprintable():
            assert summary in shown, summary


@pytest.mark.parametrize("title", TITLE_VECTORS)
def test_hostile_titles_show_as_text_everywhere(corpus: Corpus, title: str) -> None:
    path = _path(title)
    for url in (
        f"/wiki/{path}",
        f"/history/{path}",
        f"/diff/{path}?to=1",
        f"/blame/{path}",
        f"/edit/{path}",
        f"/backlinks/{path}",
        f"/files/{path}",
        f"/rename/{path}",
    ):
        html = assert_inert(corpus.get(url), url)
        assert title.split("/")[-1] in text_of(html), url
    assert title in text_of(corpus.get(f"/backlinks/{_path(TARGET)}").get_data(as_text=True))


def test_renamed_and_deleted_hostile_titles_are_inert(corpus: Corpus) -> None:
    moved = corpus.get(f"/wiki/{_path('Xss rename me')}", status=302)
    assert moved.location.startswith("/wiki/")
    html = assert_inert(corpus.get(moved.location), moved.location)
    assert corpus.renamed in text_of(html)
    html = assert_inert(corpus.get("/special/deleted"), "/special/deleted")
    assert corpus.deleted in text_of(html)
    assert_inert(corpus.get(f"/wiki/{_path(corpus.deleted)}", status=404), "deleted page")


def test_search_results_and_suggestions_are_inert(corpus: Corpus) -> None:
    for q in [*SEARCH_VECTORS, "onerror", "xss", "batch", "script"]:
        url = "/search?q=" + quote(q, safe="")
        assert_inert(corpus.get(url), url)
    hits = corpus.get("/search?q=onerror").get_data(as_text=True)
    assert "Xss batch" in text_of(hits)  # the snippets of vector pages really are shown
    suggest = corpus.get("/search/suggest?q=" + quote('x" onmouseover', safe=""))
    assert suggest.mimetype == "application/json"
    json.loads(suggest.get_data(as_text=True))


def test_the_atom_feed_carries_vectors_as_text(corpus: Corpus) -> None:
    for url in ("/recent.atom", "/recent.atom?user=alice"):
        response = corpus.get(url)
        assert response.mimetype == "application/atom+xml"
        root = ET.fromstring(response.data)
        for el in root.iter():
            if _local(el.tag) in ("title", "summary", "content", "subtitle", "rights"):
                assert el.get("type", "text") == "text", ET.tostring(el)
            if _local(el.tag) == "link":
                # Absolute only with WIKI_BASE_URL or a trusted host (issue 20); else a path.
                href = el.get("href", "")
                assert url_scheme(href) in ("http", "https") or href.startswith("/"), el.attrib
                assert not href.startswith("//"), el.attrib
        feed_text = "".join(root.itertext())
        assert any(s in feed_text for s in SUMMARY_VECTORS if s.isprintable())


@pytest.mark.parametrize("name", USERNAME_VECTORS)
def test_hostile_usernames_are_refused_and_echoed_as_text(corpus: Corpus, name: str) -> None:
    client = corpus.app.test_client()
    password = "password123"
    data = {"username": name, "password": password, "confirm": password}
    response = client.post("/register", data=data)
    assert response.status_code in (200, 400), response.status_code
    assert_inert(response, "register")
    response = client.post("/login", data={"username": name, "password": password})
    assert response.status_code in (200, 400, 401), response.status_code
    assert_inert(response, "login")
    url = "/user/" + quote(name, safe="")
    response = client.get(url)
    assert response.status_code in (400, 404), (url, response.status_code)
    assert_inert(response, url)


@pytest.mark.parametrize("title", INVALID_TITLE_VECTORS)
def test_invalid_hostile_titles_get_inert_error_pages(corpus: Corpus, title: str) -> None:
    path = quote(title, safe="")
    for url in (f"/wiki/{path}", f"/edit/{path}", f"/history/{path}", f"/backlinks/{path}"):
        response = corpus.admin.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert_inert(response, url)
    response = corpus.admin.get("/recent?user=" + path)
    assert response.status_code in (200, 400, 404)
    assert_inert(response, "recent?user=")
