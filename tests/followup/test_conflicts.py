"""Two administrators open the follow-up settings and both submit: the first is saved, the second is told
(core/versions.py), its input kept."""

from core.enums import Role
from core.models import AuditEntry
from followup.models import BureauPolicy
from tests.conftest import _member
from tests.edit_forms import assert_conflict, english_client, shown_form

URL = "/followup/settings/"


def test_a_stale_settings_form_is_refused_with_409(bureau, erin):
    ivy = _member("ivy", bureau, Role.ADMIN, first_name="吴管理")
    first, second = english_client(erin), english_client(ivy)
    form_a, form_b = shown_form(first, URL), shown_form(second, URL)
    assert form_a["rectification_working_days"] == "20"

    assert first.post(URL, {**form_a, "rectification_working_days": "15"}).status_code == 302
    response = second.post(URL, {**form_b, "rectification_working_days": "30"})

    assert_conflict(
        response,
        typed={"days": 'name="rectification_working_days" value="30"'},
        changed=[("Working days to rectify", "20", "15")],
        by="孙管理",
    )
    assert BureauPolicy.objects.get(bureau=bureau).rectification_working_days == 15
    assert AuditEntry.objects.filter(action="followup.policy_updated").count() == 1
    # a form opened now carries the current version: submitting it replaces the first change knowingly
    again = shown_form(second, URL)
    assert second.post(URL, {**again, "rectification_working_days": "30"}).status_code == 302
    assert BureauPolicy.objects.get(bureau=bureau).rectification_working_days == 30
