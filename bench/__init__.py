"""Benchmarks (see bench/README.md). Importable so that gunicorn and Celery can load
``bench.settings``, ``bench.wsgi`` and ``bench.noop_task``."""
