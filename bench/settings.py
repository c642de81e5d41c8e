"""Benchmark settings: the product's settings, plus the baseline views' URLs.

The baselines live in ``bench/baseline_urls.py`` and are never part of the product's URLs.
"""

from adminapp.settings import *  # noqa: F403
from adminapp.settings import BASE_DIR, TEMPLATES, VAR_DIR

# The product's URLs (adminapp.urls, included unchanged) plus /bench/… baseline views.
ROOT_URLCONF = "bench.baseline_urls"

TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]}]

# DEBUG=false serves static files from a manifest; the benchmark builds it in its temp dir.
STATIC_ROOT = VAR_DIR / "staticfiles"
