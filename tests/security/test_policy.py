"""The design's rules that every line of the hand-written policy table (policy.py) must keep.

policy.py is the expected answer of the permission matrix; these checks stop a line added or changed there
later from contradicting shared/DESIGN.md (the matrix would then expect the wrong behaviour and pass).
"""

from .matrix import KINDS, kind_of
from .policy import (
    ADMIN,
    ANONYMOUS,
    APPROVER,
    ASSIGNED,
    AUDITOR,
    BYSTANDER,
    EDITORS,
    INSPECTOR,
    LEAD,
    OTHER,
    POLICY,
    REGISTRY,
    STAFF,
)

PUBLIC_PREFIXES = ("public:", "checkin:", "objection:")
# The auditor "changes nothing": the only POSTs he may send change his own session and e-mail choices.
AUDITOR_OWN = {"core:bureau-switch", "core:notifications"}


def _sets(rule, method):
    """Every (state, personas) of one method of a rule."""
    who = rule.get if method == "get" else rule.post
    if who is None:
        return []
    if isinstance(who, dict):
        return list(who.items())
    return [("-", who)]


def test_only_the_public_site_is_open_to_anonymous_visitors():
    for name, rule in POLICY.items():
        assert rule.public is name.startswith(PUBLIC_PREFIXES), name
        for method in ("get", "post"):
            for state, who in _sets(rule, method):
                if not rule.public:
                    assert ANONYMOUS not in who and OTHER not in who, (name, method, state)


def test_the_auditor_changes_nothing():
    for name, rule in POLICY.items():
        if rule.public or name in AUDITOR_OWN:
            continue
        for state, who in _sets(rule, "post"):
            assert AUDITOR not in who, (name, state)


# Pages of the registries' apps that are no registry: the bureau's risk-weight rule, the administrator's alone.
BUREAU_SETTINGS = {"enterprises:risk-rule"}


def test_only_registry_staff_and_the_administrator_change_the_registries():
    for name in BUREAU_SETTINGS:
        assert POLICY[name].allowed("get", "-") == POLICY[name].allowed("post", "-") == {ADMIN}
    for name, rule in POLICY.items():
        if name.startswith(("enterprises:", "inspectors:")) and name not in BUREAU_SETTINGS:
            for state, who in _sets(rule, "post"):
                assert who <= EDITORS, (name, state)
            for state, who in _sets(rule, "get"):
                assert who in (STAFF, EDITORS), (name, state)  # read by every role; forms for the editors


def test_before_the_inspection_a_list_is_seen_by_its_leads_its_team_and_auditors_only():
    # Rule 8: in the locked state (approved, not yet inspected) a draw's list and its tasks.
    confidential = {ASSIGNED, LEAD, APPROVER, AUDITOR}
    pool_only = {"sampling:draw-exclusions", "sampling:draw-pool-json"}  # the pool, published before the ceremony
    for name, rule in POLICY.items():
        if name in pool_only or rule.public or kind_of(name) not in KINDS or "locked" not in KINDS[kind_of(name)][0]:
            continue
        who = rule.allowed("get", "locked") or frozenset()
        assert who <= confidential, (name, sorted(who - confidential))
    assert BYSTANDER not in POLICY["sampling:draw-detail"].get["locked"]
    assert BYSTANDER in POLICY["sampling:draw-detail"].get["pending"]  # one of the bureau's leads approves it


def test_a_draw_is_approved_by_a_lead_who_did_not_run_it():
    # Rule 7; rule 16: the administrator neither approves a draw nor a substitution.
    for name in ("sampling:draw-approve", "sampling:draw-reject"):
        rule = POLICY[name]
        assert rule.post == {APPROVER, BYSTANDER} and rule.by_message == {LEAD}, name
    for name in ("inspections:substitution-approve", "inspections:substitute-enterprise"):
        for _state, who in _sets(POLICY[name], "post"):
            assert ADMIN not in who and INSPECTOR not in who and REGISTRY not in who, name


def test_nothing_public_before_the_inspections():
    # Rule 8 "never to the public": no draw record before the results, no draw page before approval.
    for name in ("public:draw-record", "public:draw-result", "public:draw-verify"):
        assert POLICY[name].get == frozenset(), name
    assert set(POLICY["public:draw-detail"].get) == {"locked"}
