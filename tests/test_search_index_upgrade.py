"""An index written before the domain-packages move (issue 13) is rebuilt, never an error.

Whoosh pickles the analyzer by its dotted path. Before the move it lived at
``wiki.search_whoosh_schema``; that module no longer exists, so such an index cannot even be
unpickled. Its SCHEMA_VERSION file says an older version, which makes the wiki rebuild it from
the database on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from wiki import create_app
from wiki.extensions import db

OLD_PATH, NEW_PATH = b"wiki.search_whoosh_schema", b"wiki.search.whoosh.schema"


def _age_index(index_dir: Path) -> Path:
    """Make the live index look exactly as the code before the move wrote it."""
    live = index_dir / os.readlink(index_dir / "CURRENT")
    assert len(OLD_PATH) == len(NEW_PATH)  # the TOC's length-prefixed pickle stays valid
    tocs = list(live.glob("*.toc"))
    assert tocs
    for toc in tocs:
        data = toc.read_bytes()
        assert NEW_PATH in data
        toc.write_bytes(data.replace(NEW_PATH, OLD_PATH))
    (live / "SCHEMA_VERSION").write_text("nexus-search-3")
    return live


def test_an_index_from_before_the_move_is_rebuilt(app_config, client, auth) -> None:
    auth.register("alice")
    auth.login("alice")
    form = {"body": "Descaling the kettle", "summary": "", "base_rev": ""}
    client.post("/edit/Kettle", data=form)
    assert "Kettle" in client.get("/search?q=descaling").get_data(as_text=True)
    live = _age_index(Path(app_config["SEARCH_INDEX_DIR"]))
    with pytest.raises(ModuleNotFoundError):  # really unreadable by the new code
        whoosh_index.open_dir(str(live)).schema  # noqa: B018

    # A new process (a restart after upgrading) meets the old index.
    restarted = create_app(**app_config)
    restarted.test_client_class = type(client)
    response = restarted.test_client().get("/search?q=descaling")
    assert response.status_code == 200
    assert "Kettle" in response.get_data(as_text=True)
    with restarted.app_context():
        db.engine.dispose()
