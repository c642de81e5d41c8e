# adminapp: one image for web (the default command), worker and beat (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ADMINAPP_ENV=production \
    ADMINAPP_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    WEB_CONCURRENCY=3

WORKDIR /app

RUN groupadd --system --gid 10001 adminapp \
    && useradd --system --uid 10001 --gid adminapp --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin adminapp

# git: plugin installs from git repositories (workers run it; see README "Plugins").
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install -r requirements.txt

# Code stays owned by root (read-only to the app); only var/ is the app's to write.
COPY . .

# Static files are collected (hashed, compressed, with a manifest) at build time; whitenoise
# serves them. The secrets below exist only for this one command and are not in the image.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    ADMINAPP_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    ALLOWED_HOSTS=build.invalid \
    ADMINAPP_VAR_DIR=/tmp/build-var \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var \
    && mkdir -p /app/var/media \
    && chown -R adminapp:adminapp /app/var

USER adminapp
EXPOSE 8000

# /healthz is answered before Django's host check (HealthCheckMiddleware); no curl in slim.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as r; r.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# Workers: WEB_CONCURRENCY (gunicorn reads it). Threads serve slow clients and downloads.
CMD ["gunicorn", "adminapp.wsgi", "--bind", "0.0.0.0:8000", "--threads", "4", \
     "--access-logfile", "-", "--no-control-socket"]
