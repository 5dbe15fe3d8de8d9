"""WSGI entry point: ``gunicorn wsgi:app``, ``flask --app wsgi ...`` and
``celery -A wsgi.celery worker`` (the jobs' Celery path, used when CELERY_BROKER_URL is set)."""

from wiki import create_app
from wiki.jobs.celery_app import celery_for

app = create_app()
celery = celery_for(app)
