"""adminapp: a self-hosted team admin portal.

Deliberately empty: ``adminapp.client`` (the SDK) lives inside this package and must be
importable without Django or Celery, so the Celery app is loaded by ``adminapp.ops``'s
``AppConfig.ready()`` instead of here.
"""
