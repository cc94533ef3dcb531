"""Job handlers used by the fault tests; imported by the test and by the worker it starts."""

import time

from core.jobs import job_handler, job_progress
from core.models import CalendarDay, CalendarYear


@job_handler("faults.slow_mark")
def slow_mark(job):
    """Idempotent and slow: a worker can be killed half-way through."""
    year = job.params["year"]
    CalendarYear.objects.get_or_create(year=year, defaults={"source": "fault test"})
    job_progress(job, 50, "half-way")
    time.sleep(job.params.get("sleep", 0))
    CalendarDay.objects.get_or_create(date=f"{year}-01-01", defaults={"kind": "holiday", "name": "test"})
    return {"summary": "marked"}
