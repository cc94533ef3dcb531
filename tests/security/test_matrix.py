"""The permission matrix (issue 7): every URL × every persona × the states that matter.

The routes come from the URLconf (``matrix.url_names``): a new view fails
``test_every_route_is_in_the_matrix`` until its expected statuses are written below, so none can slip
past. Each cell is ``GET/POST`` as observed for, in order: anonymous, registry staff, an inspector on no
team, an inspector on the team of that state's task, the lead who ran the draw, the second lead (who
approved it), the auditor, the system admin, and a user holding every role in *another* bureau.
401 means "sent to the login page"; a POST marked ``*`` wrote to the audit trail (so ``302`` for the lead
who ran a draw and ``302*`` for the second lead on ``sampling:draw-approve`` is the separation of duties). States: draft (pool frozen), pending (drawn, awaiting approval),
locked (approved, not inspected yet), inspected (result approved), published; ``-`` for routes whose
object has no state. Every request runs in a transaction rolled back afterwards, so the world stays put.
A POST carries ``confirm=1`` (the confirmed step of the actions that ask first, ``core.confirm``) and no
other field, so a form's POST answers 400 (the page again, the errors next to the fields).

Beyond the table, for every cell: a refused request (401, 403, 404, 405) writes nothing; the auditor
never writes; the other bureau's user never gets a 200 for an object of this bureau; the public and
QR pages never answer 500; and a public or QR page answers the same whoever is logged in.

To regenerate after adding a view (then review every changed cell before pasting):
    .venv/bin/pytest tests/security/gen_expected.py -q -o python_files=gen_expected.py  # writes /tmp/expected.py
"""

import pytest

from .matrix import KINDS, kind_of, observe, row, url_names
from .world import ROLES

REFUSED = {401, 403, 404, 405}
# Routes that take no object of the bureau: the other bureau's user sees his own bureau's page there.
BUREAU_WIDE = {"none", "year", "quarter"}


def test_every_route_is_in_the_matrix():
    missing = [name for name in url_names() if name not in EXPECTED]
    unknown = [name for name in url_names() if kind_of(name) not in KINDS]
    stale = [name for name in EXPECTED if name not in url_names()]
    assert (missing, unknown, stale) == ([], [], [])


@pytest.mark.slow
def test_the_matrix(world):
    mismatches, violations = [], []
    for name in url_names():
        kind = kind_of(name)
        states, _ = KINDS[kind]
        for state in states:
            seen = observe(world, name, state)
            got = row(seen)
            want = EXPECTED.get(name, {}).get(state)
            if got != want:
                mismatches.append(f"{name} [{state}]\n    want {want}\n    got  {got}")
            public = name.startswith(("public:", "checkin:"))
            if public and len({seen[role][:2] for role in ROLES}) != 1:
                violations.append(f"{name} [{state}] a public page answers differently by who is logged in")
            for role in ROLES:
                get_status, post_status, wrote = seen[role]
                if wrote and post_status in REFUSED:
                    violations.append(f"{name} [{state}] {role}: refused POST wrote to the audit trail")
                if wrote and role == "auditor":
                    violations.append(f"{name} [{state}] auditor changed something")
                if public:
                    continue
                if role == "other" and kind not in BUREAU_WIDE and 200 in (get_status, post_status):
                    violations.append(f"{name} [{state}] the other bureau's user got a 200")
                if 500 in (get_status, post_status):
                    violations.append(f"{name} [{state}] {role}: 500")
    assert violations == []
    assert mismatches == [], "\n" + "\n".join(mismatches)


EXPECTED = {
    "checkin:confirm": {
        "locked": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
        "inspected": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
        "published": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
    },
    # Added by hand (issue 13 item 2): asking for a one-time code; without a purpose it is refused for everybody.
    "checkin:send-code": {
        "locked": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
        "inspected": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
        "published": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
    },
    "checkin:evaluate": {
        "locked": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
        "inspected": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
        "published": "405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400 405/400",
    },
    "checkin:page": {
        "locked": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
        "inspected": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
        "published": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "core:audit-list": {
        "-": "401/401 403/405 403/405 403/405 403/405 403/405 200/405 200/405 200/405",
    },
    "core:bureau-switch": {
        "-": "401/401 405/302 405/302 405/302 405/302 405/302 405/302 405/302 405/302",
    },
    "core:calendar": {
        "-": "401/401 200/403 200/403 200/403 200/403 200/403 200/403 200/200 200/200",
    },
    "core:home": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "core:job-detail": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "disclosure:dashboard": {
        "-": "401/401 403/405 403/405 403/405 200/405 200/405 200/405 200/405 200/405",
    },
    "disclosure:exempt": {
        "locked": "401/401 403/403 403/403 403/403 200/400 200/400 403/403 403/403 404/404",
        "inspected": "401/401 403/403 403/403 403/403 200/400 200/400 403/403 403/403 404/404",
        "published": "401/401 403/403 403/403 403/403 200/400 200/400 403/403 403/403 404/404",
    },
    "disclosure:plan-table-pdf": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "disclosure:plan-table-xlsx": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "disclosure:publish": {
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "inspected": "401/401 405/403 405/403 405/403 405/302* 405/302* 405/403 405/403 405/404",
        "published": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
    },
    "disclosure:publish-batch": {
        "-": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/302",
    },
    "disclosure:quarterly-xlsx": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "disclosure:reports": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "enterprises:checklist": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "enterprises:checklist-create": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 200/200",
    },
    "enterprises:checklist-deactivate": {
        "-": "401/401 405/302* 405/403 405/403 405/403 405/403 405/403 405/302* 405/404",
    },
    "enterprises:checklist-detail": {
        "-": "401/401 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
    },
    "enterprises:checklist-edit": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 404/404",
    },
    "enterprises:checklist-reactivate": {
        "-": "401/401 405/302 405/403 405/403 405/403 405/403 405/403 405/302 405/404",
    },
    "enterprises:create": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 200/200",
    },
    "enterprises:detail": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "enterprises:edit": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 404/404",
    },
    "enterprises:export": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "enterprises:import": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 200/200",
    },
    "enterprises:import-template": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "enterprises:list": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "enterprises:record-add": {
        "-": "401/401 405/400 405/403 405/403 405/403 405/403 405/403 405/400 405/404",
    },
    "enterprises:status": {
        "-": "401/401 405/400 405/403 405/403 405/403 405/403 405/403 405/400 405/404",
    },
    "inspections:approve": {
        "locked": "401/401 405/404 405/404 405/403 405/404 405/404 405/403 405/404 405/404",
        "inspected": "401/401 405/404 405/404 405/403 405/400 405/302 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/403 405/400 405/302 405/403 405/403 405/404",
    },
    "inspections:attachment-add": {
        "locked": "401/401 405/404 405/404 405/404 405/403 405/403 405/403 405/404 405/404",
        "inspected": "401/401 405/404 405/404 405/400 405/403 405/403 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/400 405/403 405/403 405/403 405/403 405/404",
    },
    "inspections:attachment-download": {
        "inspected": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 200/405 404/405",
        "published": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "inspections:attachment-remove": {
        "inspected": "401/401 405/404 405/404 405/302 405/403 405/403 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/302 405/403 405/403 405/403 405/403 405/404",
    },
    # Issue 13 item 2: the paper arrival of an enterprise without a contact is recorded by a team member or a lead.
    "inspections:checkin-manual": {
        "locked": "401/401 405/404 405/404 405/400 405/400 405/400 405/403 405/404 405/404",
        "inspected": "401/401 405/404 405/404 405/400 405/400 405/400 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/400 405/400 405/400 405/403 405/403 405/404",
    },
    "inspections:evaluation-paper": {
        "locked": "401/401 405/404 405/404 405/403 405/400 405/400 405/403 405/404 405/404",
        "inspected": "401/401 405/404 405/404 405/403 405/400 405/400 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/403 405/400 405/400 405/403 405/403 405/404",
    },
    "inspections:evaluations": {
        "-": "401/401 403/405 403/405 403/405 200/405 200/405 200/405 200/405 200/405",
    },
    # Issue 14: the off-site checks of positive-list units (read by leads, inspectors, auditors and admins;
    # recorded by leads and inspectors, as inspections.services.offsite_check_record allows).
    "inspections:offsite": {
        "-": "401/401 403/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "inspections:offsite-record": {
        "-": "401/401 403/403 200/400 200/400 200/400 200/400 403/403 403/403 404/404",
    },
    "inspections:flagged": {
        "-": "401/401 403/405 403/405 403/405 200/405 200/405 200/405 403/405 200/405",
    },
    "inspections:my-tasks": {
        "-": "401/401 403/405 200/405 200/405 200/405 200/405 403/405 403/405 200/405",
    },
    "inspections:no-arrival": {
        "locked": "401/401 405/404 405/404 405/400 405/403 405/403 405/403 405/404 405/404",
        "inspected": "401/401 405/404 405/404 405/400 405/403 405/403 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/400 405/403 405/403 405/403 405/403 405/404",
    },
    "inspections:notice": {
        "locked": "401/401 404/405 404/405 200/405 200/405 200/405 403/405 404/405 404/405",
        "inspected": "401/401 404/405 404/405 200/405 200/405 200/405 403/405 403/405 404/405",
        "published": "401/401 404/405 404/405 200/405 200/405 200/405 403/405 403/405 404/405",
    },
    "inspections:outcome-change": {
        "locked": "401/401 405/404 405/404 405/404 405/404 405/404 405/403 405/404 405/404",
        "inspected": "401/401 405/404 405/404 405/400 405/400 405/400 405/403 405/403 405/404",
        "published": "401/401 405/404 405/404 405/400 405/400 405/400 405/403 405/403 405/404",
    },
    "inspections:result": {
        "locked": "401/401 404/404 404/404 302/302 403/403 403/403 403/403 404/404 404/404",
        "inspected": "401/401 404/404 404/404 302/302 403/403 403/403 403/403 403/403 404/404",
        "published": "401/401 404/404 404/404 302/302 403/403 403/403 403/403 403/403 404/404",
    },
    "inspections:task-detail": {
        "locked": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 404/405 404/405",
        "inspected": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 200/405 404/405",
        "published": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "inspections:task-list": {
        "-": "401/401 403/405 403/405 403/405 200/405 200/405 200/405 200/405 200/405",
    },
    "inspectors:account": {
        "-": "401/401 405/302* 405/403 405/403 405/403 405/403 405/403 405/302* 405/404",
    },
    "inspectors:conflict-add": {
        "-": "401/401 405/200 405/403 405/403 405/403 405/403 405/403 405/200 405/404",
    },
    "inspectors:conflict-remove": {
        "-": "401/401 405/302 405/403 405/403 405/403 405/403 405/403 405/302 405/404",
    },
    "inspectors:create": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 200/200",
    },
    "inspectors:detail": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "inspectors:edit": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 404/404",
    },
    "inspectors:expert-create": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 200/200",
    },
    "inspectors:expert-deactivate": {
        "-": "401/401 405/302* 405/403 405/403 405/403 405/403 405/403 405/302* 405/404",
    },
    "inspectors:expert-edit": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 404/404",
    },
    "inspectors:expert-list": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "inspectors:export": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "inspectors:import": {
        "-": "401/401 200/200 403/403 403/403 403/403 403/403 403/403 200/200 200/200",
    },
    "inspectors:import-template": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "inspectors:leave-add": {
        "-": "401/401 405/200 405/403 405/403 405/403 405/403 405/403 405/200 405/404",
    },
    "inspectors:leave-remove": {
        "-": "401/401 405/302* 405/403 405/403 405/403 405/403 405/403 405/302* 405/404",
    },
    "inspectors:list": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "inspectors:transfer": {
        "-": "401/401 405/200 405/403 405/403 405/403 405/403 405/403 405/200 405/404",
    },
    "public:checklist": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:draw-detail": {
        "draft": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "pending": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "locked": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:draw-algorithm": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:draw-record": {
        "draft": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "pending": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "locked": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
    },
    "public:draw-result": {
        "draft": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "pending": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "locked": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
    },
    "public:draw-verify": {
        "draft": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "pending": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "locked": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
    },
    "public:audit-anchors": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:draws": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:enterprise": {
        "locked": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "inspected": "404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "published": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:language": {"-": "302/405 302/405 302/405 302/405 302/405 302/405 302/405 302/405 302/405"},
    "public:home": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:open-data": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:plan-detail": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:plans": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:result-detail": {
        "published": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:results": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:results-csv": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:results-json": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:results-xlsx": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "public:task-detail": {
        "-": "200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    "sampling:draw-approve": {
        "draft": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "pending": "401/401 405/403 405/403 405/403 405/302 405/302* 405/403 405/403 405/404",
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
    },
    "sampling:draw-cancel": {
        "draft": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/302 405/404",
        "pending": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/302 405/404",
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/302 405/404",
    },
    "sampling:draw-create": {
        "-": "401/401 405/403 405/403 405/403 405/400 405/400 405/403 405/400 405/404",
    },
    "sampling:draw-detail": {
        "draft": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
        "pending": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 404/405 404/405",
        "locked": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 404/405 404/405",
    },
    "sampling:draw-exclusions": {
        "draft": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
        "pending": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
        "locked": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
    },
    "sampling:draw-execute": {
        "draft": "401/401 405/403 405/403 405/403 405/400 405/400 405/403 405/400 405/404",
        "pending": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/302 405/404",
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/302 405/404",
    },
    "sampling:draw-list": {
        "-": "401/401 403/405 403/405 403/405 200/405 200/405 200/405 200/405 200/405",
    },
    "sampling:draw-pool-json": {
        "draft": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
        "pending": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
        "locked": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 200/405 404/405",
    },
    "sampling:draw-record-json": {
        "draft": "401/401 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "pending": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 404/405 404/405",
        # Adjusted by hand (issue 13 item 4): the record is the whole list, so the assigned inspector, who
        # sees only his own rows until the inspections, gets 404 (the page and the PDF show him his rows).
        "locked": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 404/405 404/405",
    },
    "sampling:draw-record-pdf": {
        "draft": "401/401 404/405 404/405 404/405 404/405 404/405 404/405 404/405 404/405",
        "pending": "401/401 404/405 404/405 404/405 200/405 200/405 200/405 404/405 404/405",
        "locked": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 404/405 404/405",
    },
    "sampling:draw-reject": {
        "draft": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "pending": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
    },
    "sampling:plan-create": {
        "-": "401/401 403/403 403/403 403/403 200/200 200/200 403/403 200/200 200/200",
    },
    "sampling:plan-detail": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "sampling:plan-list": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 200/405",
    },
    # Issue 14: the plan's filing date with the higher authority (team leads and the administrator).
    "sampling:plan-filing": {
        "-": "401/401 405/403 405/403 405/403 405/400 405/400 405/403 405/400 405/404",
    },
    "sampling:plan-status": {
        "-": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/302 405/404",
    },
    "sampling:policy": {
        "-": "401/401 403/403 403/403 403/403 200/200 200/200 200/403 200/200 200/200",
    },
    # Adjusted by hand (issue 13 item 3): a substitution is proposed by a team lead (the administrator now gets
    # 403) and made only when another lead approves the open proposal posted by id (none here: 404 for leads).
    "inspections:scan-download": {
        "locked": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 404/405 404/405",
        "inspected": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 200/405 404/405",
        "published": "401/401 404/405 404/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "inspections:substitute-enterprise": {
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "inspected": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "published": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
    },
    "inspections:substitute-inspector": {
        "locked": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "inspected": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
        "published": "401/401 405/403 405/403 405/403 405/302 405/302 405/403 405/403 405/404",
    },
    "inspections:substitution-approve": {
        "locked": "401/401 405/403 405/403 405/403 405/404 405/404 405/403 405/403 405/404",
        "inspected": "401/401 405/403 405/403 405/403 405/404 405/404 405/403 405/403 405/404",
        "published": "401/401 405/403 405/403 405/403 405/404 405/404 405/403 405/403 405/404",
    },
    "inspections:substitution-reject": {
        "locked": "401/401 405/403 405/403 405/403 405/404 405/404 405/403 405/403 405/404",
        "inspected": "401/401 405/403 405/403 405/403 405/404 405/404 405/403 405/403 405/404",
        "published": "401/401 405/403 405/403 405/403 405/404 405/404 405/403 405/403 405/404",
    },
    "sampling:task-create": {
        "-": "401/401 403/403 403/403 403/403 200/200 200/200 403/403 200/200 404/404",
    },
    "sampling:task-detail": {
        "-": "401/401 200/405 200/405 200/405 200/405 200/405 200/405 200/405 404/405",
    },
    "sampling:task-edit": {
        "-": "401/401 403/403 403/403 403/403 200/200 200/200 403/403 200/200 404/404",
    },
}
