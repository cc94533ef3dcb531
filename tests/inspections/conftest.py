"""Fixtures of the inspection tests: a draw led by frank (created, ran) and alice (approved), and a task of it
whose team is bob (inspector ZF001, team lead) and a second inspector without an account.
"""

import pytest
from django.utils import timezone

from core.enums import Role
from inspections import services
from inspections.codes import code_issue
from tests.factories import InspectorFactory, MembershipFactory, UserFactory

from .factories import DrawFactory, findings_for, make_task


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The personas' passwords hashed with MD5 here: PBKDF2 made each test spend a second hashing them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded evidence goes to a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def grace(bureau):
    """A third team lead who had nothing to do with the draw."""
    user = UserFactory(username="grace", first_name="吴组长")
    MembershipFactory(user=user, bureau=bureau, role=Role.TEAM_LEAD)
    return user


@pytest.fixture
def partner(bureau):
    """Bob's team mate: an inspector without a login."""
    return InspectorFactory(bureau=bureau, code="ZF002", name="陈执法", certificate_number="豫环执20260002")


@pytest.fixture
def draw(bureau, alice, frank):
    return DrawFactory(task__plan__bureau=bureau, created_by=frank, executed_by=frank, approved_by=alice)


@pytest.fixture
def task(bureau, draw, bob, partner):
    task = make_task(bureau=bureau, inspectors=[bob.inspector, partner], draw=draw, joint_units="县公安局")
    task.enterprise.contact_email = "contact@enterprise.example"
    task.enterprise.save(update_fields=["contact_email"])
    return task


@pytest.fixture
def checked_in(task):
    """``task`` after the enterprise confirmed the arrival just now."""
    services.checkin_confirm(
        code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待", ip="10.0.0.9", user_agent="pytest"
    )
    task.refresh_from_db()
    return task


@pytest.fixture
def recorded(checked_in, bob):
    """``checked_in`` with a result 未发现问题 recorded by bob today."""
    result, _changed = services.result_record(
        actor=bob,
        task=checked_in,
        outcome="no_problem",
        inspected_on=timezone.localdate(),
        findings=findings_for(checked_in),
        summary="现场检查未发现问题。",
    )
    checked_in.refresh_from_db()
    return result


@pytest.fixture
def approved(recorded, frank):
    result = services.result_approve(actor=frank, result=recorded)
    result.task.refresh_from_db()
    return result


def enterprise_code(task, purpose):
    """A one-time code for ``task`` as if sent to the enterprise (issue 13 item 2)."""
    return code_issue(task=task, purpose=purpose)
