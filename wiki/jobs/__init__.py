"""Background jobs: one interface (:mod:`wiki.jobs.runner`), run by an in-app worker thread or by
Celery workers when ``CELERY_BROKER_URL`` is set."""
