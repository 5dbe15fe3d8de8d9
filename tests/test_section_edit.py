"""Section editing through the app: /edit/<title>?section=N shows one section, saving splices
it into its base revision and goes through the normal save path (merge, 409, drafts)."""

import html
import re

from tests.conftest import save_page

BODY = (
    "Intro.\n\n## Install\npip install x\n\n## Use\nimport x\n\n### Details\nmore\n\n## Last\nend\n"
)


def _textarea(response) -> str:
    match = re.search(
        r'<textarea[^>]*name="body"[^>]*>(?:\r?\n)?(.*?)</textarea>',
        response.get_data(as_text=True),
        re.S,
    )
    assert match, "no editor textarea"
    return html.unescape(match.group(1))


def _raw(client, title="Guide") -> str:
    return client.get(f"/raw/{title}").get_data(as_text=True)


def test_get_shows_only_that_section_with_its_subsections(client, editor):
    save_page(client, "Guide", BODY)
    response = client.get("/edit/Guide?section=2")
    assert response.status_code == 200
    assert _textarea(response) == "## Use\nimport x\n\n### Details\nmore\n\n"
    assert 'action="/edit/Guide?section=2"' in response.get_data(as_text=True)
    assert _textarea(client.get("/edit/Guide?section=3")) == "### Details\nmore\n\n"


def test_out_of_range_or_bad_section_is_404(client, editor):
    save_page(client, "Guide", BODY)
    for arg in ("0", "5", "99", "x", "-1", "1.5"):
        assert client.get(f"/edit/Guide?section={arg}").status_code == 404, arg
    assert client.get("/edit/Nowhere?section=1").status_code == 404


def test_saving_a_section_changes_only_that_section(client, editor):
    save_page(client, "Guide", BODY)
    response = client.post(
        "/edit/Guide?section=1",
        data={
            "body": "## Install\nuv pip install x\n",
            "summary": "",
            "base_rev": "1",
            "save": "Save",
        },
    )
    assert response.status_code == 302
    assert _raw(client) == BODY.replace("pip install x\n", "uv pip install x\n")


def test_section_save_merges_with_a_concurrent_edit_elsewhere(client, editor):
    save_page(client, "Guide", BODY)
    # Someone else changes the last section (revision 2) while we edit section 1 of revision 1.
    assert save_page(client, "Guide", BODY.replace("end\n", "the end\n")).status_code == 302
    response = client.post(
        "/edit/Guide?section=1",
        data={
            "body": "## Install\nuv pip install x\n",
            "summary": "",
            "base_rev": "1",
            "save": "Save",
        },
    )
    assert response.status_code == 302
    assert _raw(client) == BODY.replace("pip install x\n", "uv pip install x\n").replace(
        "end\n", "the end\n"
    )
    assert "merged" in client.get("/wiki/Guide").get_data(as_text=True)


def test_section_conflict_is_409_with_the_whole_page_in_the_chooser(client, editor):
    save_page(client, "Guide", BODY)
    save_page(client, "Guide", BODY.replace("pip install x", "pipx install x"))
    response = client.post(
        "/edit/Guide?section=1",
        data={
            "body": "## Install\nuv pip install x\n",
            "summary": "",
            "base_rev": "1",
            "save": "Save",
        },
    )
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "uv pip install x" in text and "pipx install x" in text
    assert "import x" in text  # the rest of the page is there too, not just the section
    # The user's text is kept as a whole-page draft.
    draft = client.get("/draft/Guide", headers={"Accept": "application/json"}).get_json()
    assert draft["body"] == BODY.replace("pip install x\n", "uv pip install x\n")


def test_section_autosave_stores_the_whole_page(client, editor):
    save_page(client, "Guide", BODY)
    response = client.post(
        "/draft/Guide",
        data={"body": "## Last\nfinal\n", "summary": "", "base_rev": "1", "section": "4"},
    )
    assert response.status_code == 200, response.data
    draft = client.get("/draft/Guide", headers={"Accept": "application/json"}).get_json()
    assert draft["body"] == BODY.replace("end\n", "final\n")
    missing = client.post(
        "/draft/Guide", data={"body": "x", "summary": "", "base_rev": "1", "section": "9"}
    )
    assert missing.status_code == 404


def test_a_refused_section_save_keeps_the_users_text(client, editor):
    save_page(client, "Guide", BODY)
    response = client.post(
        "/edit/Guide?section=9",
        data={"body": "## Ghost\nmy words\n", "summary": "", "base_rev": "1", "save": "Save"},
    )
    assert response.status_code == 404
    assert "my words" in response.get_data(as_text=True)
    assert _raw(client) == BODY


def test_page_view_has_an_edit_link_per_heading_for_editors_only(client, editor, auth):
    save_page(client, "Guide", BODY + "\n```\n# not a heading\n```\n")
    text = client.get("/wiki/Guide").get_data(as_text=True)
    links = re.findall(r'href="/edit/Guide\?section=(\d+)"', text)
    assert links == ["1", "2", "3", "4"]
    auth.logout()
    assert "?section=" not in client.get("/wiki/Guide").get_data(as_text=True)


def test_preview_with_card_shows_the_front_matter_card_escaped(client, editor):
    body = "---\nlevel: beginner\nverified_with: <script>alert(1)</script>\n---\n# T\n\ntext"
    plain = client.post("/preview", data={"body": body, "title": "T"}).get_data(as_text=True)
    assert "learning-card" not in plain and "<h1" in plain
    card = client.post("/preview", data={"body": body, "title": "T", "card": "1"})
    text = card.get_data(as_text=True)
    assert 'class="learning-card"' in text and "Beginner" in text and "<h1" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
