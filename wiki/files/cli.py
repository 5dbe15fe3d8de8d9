"""``flask --app wsgi files strip-metadata``."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from wiki.extensions import db
from wiki.files.stored_metadata import count_stored_images, strip_stored_images

files_cli = AppGroup("files", help="Maintain stored attachments.")


@files_cli.command("strip-metadata")
def files_strip_metadata() -> None:
    """Remove EXIF/XMP/text metadata from every stored image, with a progress bar.

    The migration c24_strip_image_metadata already did this once; run it again after
    restoring an old backup or copying blobs in. Idempotent: clean images are only read.
    """
    conn = db.session.connection()
    total = count_stored_images(conn)
    with click.progressbar(length=total, label="Checking images", file=sys.stderr) as bar:
        report = strip_stored_images(conn, progress=bar.update)
    db.session.commit()
    click.echo(str(report))
