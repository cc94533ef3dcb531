from datetime import date

import pytest

from disclosure.demo import seed_demo_publications
from inspections.enums import InspectionTaskStatus as S
from inspections.models import Publication

pytestmark = pytest.mark.django_db


def test_demo_publishes_the_older_half_and_leaves_the_rest_due(make, bureau, alice):
    tasks = [make(inspected_on=date(2026, 10, day)) for day in (20, 9, 27, 14)]
    make(status=S.RESULT_RECORDED)
    assert seed_demo_publications(bureau) == 2
    published = set(Publication.objects.values_list("task_id", flat=True))
    assert published == {tasks[1].pk, tasks[3].pk}  # inspected on 9 and 14 October
    assert Publication.objects.filter(published_by=alice).count() == 2
    assert seed_demo_publications(bureau) == 1  # of the two still due, the older one


def test_demo_without_approved_results_does_nothing(bureau, alice):
    assert seed_demo_publications(bureau) == 0
    assert Publication.objects.count() == 0
