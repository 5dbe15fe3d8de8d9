"""GET /new: title (with ?parent=), template picker, then the editor."""

from tests.conftest import save_page


def test_new_form_prefills_the_parent_and_lists_templates(client, editor):
    save_page(client, "Python", "lang")
    save_page(client, "Templates/How-to", "## Steps\n1. …")
    response = client.get("/new?parent=Python")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Python/"' in text and "New sub-page of Python" in text
    assert 'value="Templates/How-to"' in text


def test_new_redirects_to_the_editor_with_the_template(client, editor):
    save_page(client, "Templates/How-to", "## Steps\n1. first")
    response = client.get("/new?title=Python/Testing&template=Templates/How-to")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/edit/Python/Testing?template=Templates/How-to")
    editor_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "## Steps" in editor_page


def test_new_refuses_bad_or_taken_titles_and_keeps_the_form(client, editor):
    save_page(client, "Python", "lang")
    taken = client.get("/new?title=python")
    assert taken.status_code == 400 and 'href="/wiki/Python"' in taken.get_data(as_text=True)
    bad = client.get("/new?title=a//b")
    assert bad.status_code == 400 and "Invalid title" in bad.get_data(as_text=True)
    exists = client.get("/new?title=Python")
    assert exists.status_code == 400 and "exists already" in exists.get_data(as_text=True)
    assert client.get("/new?title=").status_code == 400
    # An unknown template is ignored rather than trusted.
    odd = client.get("/new?title=Fresh&template=Secret")
    assert odd.status_code == 302 and "template" not in odd.headers["Location"]


def test_new_is_for_editors_only(client):
    response = client.get("/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_delete_asks_first_and_the_confirmation_posts_the_delete(client, auth):
    auth.register("alice")  # the first account is the administrator
    save_page(client, "Scratch", "text")
    save_page(client, "Scratch/Child", "child")
    view = client.get("/wiki/Scratch").get_data(as_text=True)
    assert 'href="/delete/Scratch"' in view and 'action="/delete/Scratch"' not in view
    confirm = client.get("/delete/Scratch")
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and 'action="/delete/Scratch"' in text
    assert "sub-page" in text and client.get("/wiki/Scratch").status_code == 200
    assert client.post("/delete/Scratch").status_code == 302
    assert client.get("/wiki/Scratch").status_code == 404
    assert client.get("/delete/Scratch").status_code == 404


def test_delete_confirmation_is_for_admins_only(client, editor):
    save_page(client, "Scratch", "text")
    assert client.get("/delete/Scratch").status_code == 403


def test_source_tab_shows_the_markdown_in_the_layout(client, editor, auth):
    save_page(client, "Notes", "# Notes\n\n<b>raw & **bold**</b>")
    save_page(client, "Notes", "# Notes\n\nsecond")
    auth.logout()
    response = client.get("/source/Notes?rev=1")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'class="site-header"' in text
    assert "&lt;b&gt;raw &amp; **bold**&lt;/b&gt;" in text  # shown as text, never as HTML
    assert 'href="/raw/Notes?rev=1"' in text and 'href="/source/Notes"' in client.get(
        "/wiki/Notes"
    ).get_data(as_text=True)
    assert client.get("/source/Nope").status_code == 404
    assert client.get("/source/Notes?rev=9").status_code == 404


def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"
