"""A real RQ worker process for the fault tests: python -m tests.faults.worker [--burst]."""

import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import django_rq  # noqa: E402
from rq import Worker  # noqa: E402

import tests.faults.handlers  # noqa: E402, F401 - registers the handlers

queue = django_rq.get_queue("default")
# A short monitoring interval makes the heartbeat of a killed worker expire sooner (its TTL is this + 60 s).
interval = int(os.environ.get("SSJ_WORKER_MONITORING_INTERVAL", "30"))
Worker([queue], connection=queue.connection, job_monitoring_interval=interval).work(burst="--burst" in sys.argv)
