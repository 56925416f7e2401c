# The one image for every application service in docker-compose.yml (migrate, web, worker, beat);
# each service picks its process with `command`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PORT=8000

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. requirements.txt pins torch to the
# version (torch==2.13.0) so that no newer, larger build sneaks in.
# PyPI's torch for Linux is the CUDA build; pass --build-arg PIP_EXTRA_INDEX_URL=<a PyTorch CPU wheel index>
# to get the CPU wheel of the same pinned version instead.
ARG PIP_EXTRA_INDEX_URL=
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Production settings refuse to load without a real-looking secret, a broker and a database, so
# collectstatic gets throwaway values that exist only in this build step (none of them is contacted).
ARG BUILD_SECRET_KEY=collectstatic-only-build-key-never-used-at-runtime-0123456789abcdefghijklmnop
RUN SECRET_KEY="$BUILD_SECRET_KEY" \
    CELERY_BROKER_URL=redis://collectstatic.invalid:6379/0 \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    python manage.py collectstatic --noinput

# Run as an unprivileged user that cannot change the code. It writes only to its home (gunicorn's control
# socket goes to ~/.gunicorn) and to the beat schedule directory, the mount point of a compose volume.
# The more-like-this index (voc/search/neighbours.py): the worker writes it, web processes map it; compose mounts
# one volume here for both.
ENV VOC_INDEX_DIR=/var/lib/voc/index
RUN useradd --system --create-home --home-dir /home/voc voc \
    && mkdir -p /var/lib/voc/beat /var/lib/voc/index \
    && chown voc /var/lib/voc/beat /var/lib/voc/index
USER voc

EXPOSE 8000
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi"]
