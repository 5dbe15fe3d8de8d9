"""Every line of a hostile-titles list through create, view, rename, history, diff, raw,
blame, backlinks and files: the answer is the right 2xx/3xx/4xx, never a 500.

Each line is tried the way a person could send it: typed into the address bar (``%``
escapes in the line are kept, so ``..%2F..`` arrives decoded) and fully percent-encoded
(so ``%`` itself is part of the title). Where the title is valid the page must really be
created and shown; where it is not, the answer is 400 (or 404 when no route matches).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from tests.conftest import save_page
from wiki.text.titles import TitleError, normalize_title, path_to_title, title_to_path

HOSTILE_TITLES = [
    # path traversal, raw and encoded
    "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..%2f..", "..", ".", "a/../b", "a/./b",
    "./a", "a/..", "%2e%2e", "%2e%2e%2f", "%252e%252e", "..%252f..", "..\\..\\windows",
    "....//....//etc", "%c0%ae%c0%ae/", "/etc/passwd", "a//b", "//evil.example", "a/", "/",
    # NUL and other controls
    "\x00", "a\x00b", "%00", "a%00b", "a\tb", "a\nb", "a\r\nb", "\x1b[31mred", "a\x7fb",
    # bidi overrides, zero-width, invisible
    "\u202egnp.exe", "a\u202db", "\u2066x\u2069", "a\u200bb", "\u200d", "\ufeffBOM", "a\u00adb",
    # fullwidth forms that normalise to something forbidden
    "．．／．．／etc", "．．", "ａ／／ｂ", "＃x", "％00", "＜script＞",
    # length
    "x" * 10_000, "é" * 5_000, "a/" * 100 + "b", "x" * 200, "x" * 201,
    # reserved-looking words
    "CON", "con", "PRN", "AUX", "NUL", "COM1", "LPT1", "index.php", "index.html", "wiki",
    "edit", "static", "static/css/wiki.css", "wiki/Home", "edit/Home", "history", "search",
    "login", "admin", "api", "files", "raw", ".git", ".env", ".htaccess", "__init__", "null",
    "undefined", "None", "Home", "home", "HOME",
    # percent, query and fragment characters
    "%", "%%", "%zz", "%u002e", "?", "#", "a?b=c", "a#b", "100%", "%25",
    # emoji, combining marks, scripts
    "😀", "👩\u200d💻", "e\u0301", "\u0301", "Ω≈ç√", "Ελληνικά", "Русский", "中文页面", "עברית",
    "العربية", "Latin Кириллица 漢字 mixed", "ＦｕｌｌＷｉｄｔｈ", "ﬁ ligature", "Ⅻ",
    "\U0001f3f3\ufe0f",
    # whitespace and separators
    " ", "   ", "_", "__", " a ", "a_b", "a\u2028b", "a\u3000b", "\ufffe", "\U0010ffff",
    # syntax from other languages
    "<>", "[[a]]", "{}", "|", "\\", "' OR '1'='1", '"; DROP TABLE page;--', "${jndi:ldap://x}",
    "{{7*7}}", "~", "~root", "-", "+", "a+b", "&", "a&b=c", ";", "@", ":", "a:b",
    "http://evil.example", "javascript:alert(1)", "mailto:x@y.example",
]  # fmt: skip

OK = {200, 301, 302, 303, 308}


def _typed(line: str) -> str:
    """The line as typed into the address bar: its own %-escapes are kept."""
    return quote(line, safe="/%:@!$&'()*+,;=-._~")


def _encoded(line: str) -> str:
    return quote(line, safe="")


def _title_of(path: str) -> str | None:
    """The normalised title the app sees for ``path``, or None when it is invalid."""
    if "?" in unquote(path.split("?")[0]) or not path:
        return None
    try:
        return normalize_title(path_to_title(unquote(path, errors="replace")))
    except TitleError:
        return None


def _expect_refused(status: int, what: str) -> None:
    # The router does not merge doubled slashes (create_app), so "/etc/passwd" is refused too.
    assert status in (400, 404), what


def test_there_are_many_hostile_titles() -> None:
    assert len(set(HOSTILE_TITLES)) >= 120


def _paths(line: str) -> list[str]:
    """The typed form, plus the encoded one when it reaches the app as a different title."""
    typed, encoded = _typed(line), _encoded(line)
    return [typed] if unquote(typed) == unquote(encoded) else [typed, encoded]


PAGE_ROUTES = ("/history/{}", "/diff/{}?from=1&to=2", "/raw/{}", "/blame/{}", "/backlinks/{}")
PAGE_ROUTES += ("/files/{}", "/rename/{}")


def test_create_view_and_read_hostile_titles(client, editor) -> None:
    for n, line in enumerate(HOSTILE_TITLES):
        for path in _paths(line):
            title = _title_of(path)
            what = f"{line[:40]!r} as {path[:60]}"
            page = client.get(f"/edit/{path}")
            data = {
                "body": f"Body number {n}.",
                "summary": line[:200],
                "base_rev": "",
                "save": "Save",
            }
            saved = client.post(f"/edit/{path}", data=data)
            if title is None:
                _expect_refused(page.status_code, what)
                _expect_refused(saved.status_code, what)
                for route in PAGE_ROUTES:
                    _expect_refused(client.get(route.format(path)).status_code, route + what)
                continue
            assert page.status_code == 200, (what, page.status_code)
            assert saved.status_code in (302, 409), (what, saved.status_code)
            view = client.get(f"/wiki/{title_to_path(title)}")
            assert view.status_code == 200, (what, view.status_code)
            if saved.status_code == 302:
                assert f"Body number {n}.".encode() in view.data, what
            assert client.get(f"/wiki/{path}").status_code in OK, what
            for route in PAGE_ROUTES:
                status = client.get(route.format(path)).status_code
                assert status in OK or status == 404, (route + what, status)


def test_hostile_names_elsewhere(client, editor) -> None:
    """Titles as user names, tags and attachment names: never a 500. (Arbitrary search
    queries are fuzzed in test_fuzz_app.py.)"""
    save_page(client, "Existing", "Links to [[Home]].")
    for line in HOSTILE_TITLES:
        path, arg = _typed(line), _encoded(line)
        for url in (
            f"/files/Existing/{path}",
            f"/user/{path}",
            f"/tags/{path}",
            f"/recent?user={arg}",
            f"/recent.atom?user={arg}",
        ):
            status = client.get(url).status_code
            assert status < 500, (line[:40], url[:80], status)


def test_rename_to_hostile_titles(client, editor) -> None:
    """A chain of renames: each valid hostile title becomes the page's title in turn."""
    current = "Rename source"
    assert save_page(client, current, "Moving around.").status_code == 302
    renamed = 0
    for line in HOSTILE_TITLES:
        response = client.post(f"/rename/{title_to_path(current)}", data={"new_title": line})
        what = (line[:40], response.status_code)
        assert response.status_code in (302, 400, 409), what
        try:
            valid = normalize_title(line)
        except TitleError:
            valid = None
        if valid is None or len(line) > 200:
            assert response.status_code == 400, what
        elif valid != current and response.status_code == 302:
            assert client.get(f"/wiki/{title_to_path(valid)}").status_code == 200, what
            current, renamed = valid, renamed + 1
    assert renamed >= 50
    history = client.get(f"/history/{title_to_path(current)}")
    assert history.status_code == 200
