# Nexus Wiki production image: gunicorn on wsgi:app, instance/ as a volume.
# Same steps as the Makefile: pinned requirements, migrations at start (bin/serve).
# No apt packages: libvips comes inside the pyvips-binary wheel (manylinux, fine on slim).
# MALLOC_ARENA_MAX: libvips' threads would each grow a glibc arena that is never given back.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BIND=0.0.0.0:8000 WEB_CONCURRENCY=4 \
    MALLOC_ARENA_MAX=2

WORKDIR /app
RUN useradd --create-home --uid 1000 wiki
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=wiki:wiki . .
RUN mkdir -p /app/instance && chown wiki:wiki /app/instance

USER wiki
VOLUME ["/app/instance"]
EXPOSE 8000
CMD ["bin/serve"]
