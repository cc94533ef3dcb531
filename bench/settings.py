"""Settings of the benchmark server: the project's own settings, with the URLconf of ``bench/urls.py``.

Only ``bench/bench_public.py`` starts gunicorn with ``DJANGO_SETTINGS_MODULE=bench.settings``, so the bare
view exists in the benchmark and nowhere else. Everything else (SSJ_ENV=production, DEBUG off, the
database pool, the cache) comes from the environment exactly as in ``config/settings.py``.
"""

import os

from config.settings import *  # noqa: F403 - the project's settings, unchanged

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_TIMING_FILE"):  # bench_load.py --timing: each request's time, outermost
    MIDDLEWARE = ["bench.timing.TimingMiddleware", *MIDDLEWARE]  # noqa: F405
