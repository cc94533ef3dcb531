"""The permission matrix (issue 7): every URL × every persona × the states that matter, against policy.py.

The routes come from the URLconf (``matrix.url_names``); the expected answer of every cell comes from the
hand-written table of policy.py (issue 20 item 3: written from the roles of the design, not printed from the
product). A new route fails ``test_every_route_is_classified`` until it has its line there. The personas:
anonymous, registry staff, an inspector on no team, an inspector on the team of that state's task, the lead
who ran the draw, the second lead (who approved it), the auditor, the system admin, and a user holding every
role in *another* bureau. States: draft (pool frozen), pending (drawn, awaiting approval), locked (approved,
not inspected yet), inspected (result approved), published; ``-`` for routes whose object has no state.
Every request runs in a transaction rolled back afterwards, so the world stays put. A POST carries
``confirm=1`` (the confirmed step of the actions that ask first, ``core.confirm``) and no other field, so a
form's POST answers 400 (the page again, the errors next to the fields).

Beyond the table, for every cell: a refused request (401, 403, 404, 405) writes nothing; the auditor never
writes; the other bureau's user never gets a 200 for an object of this bureau; no page answers 500; and a
public or QR page answers the same whoever is logged in.
"""

import pytest

from .matrix import KINDS, kind_of, observe, url_names
from .policy import POLICY, check, completes_in, is_allowed
from .world import ROLES

REFUSED = {401, 403, 404, 405}
# Routes that take no object of the bureau: the other bureau's user sees his own bureau's page there.
BUREAU_WIDE = {"none", "year", "quarter"}
# Routes that change only the user's own settings (which e-mails he receives): the auditor, who changes
# nothing of the bureau's, may change these.
OWN_SETTINGS = {"core:notifications"}


def test_every_route_is_classified():
    names = url_names()
    missing = [name for name in names if name not in POLICY]
    unknown = [name for name in names if kind_of(name) not in KINDS]
    stale = [name for name in POLICY if name not in names]
    assert (missing, unknown, stale) == ([], [], [])


def problems(name: str, state: str, seen: dict) -> list[str]:
    """Every way the observed answers ``seen`` ({persona: (GET, POST, wrote)}) differ from the policy."""
    rule, kind = POLICY[name], kind_of(name)
    bureau_wide = kind in BUREAU_WIDE
    found = []
    for persona in ROLES:
        get_status, post_status, wrote = seen[persona]
        for method, status in (("get", get_status), ("post", post_status)):
            problem = check(
                rule,
                method=method,
                state=state,
                persona=persona,
                bureau_wide=bureau_wide,
                status=status,
                wrote=wrote and method == "post",
            )
            if problem:
                found.append(f"{name} [{state}] {persona} {method.upper()}: {problem}")
        if completes_in(rule, state):
            should = is_allowed(rule, method="post", state=state, persona=persona, bureau_wide=bureau_wide)
            if wrote != should:
                found.append(f"{name} [{state}] {persona}: the confirmed POST {'did not write' if should else 'wrote'}")
        if wrote and post_status in REFUSED:
            found.append(f"{name} [{state}] {persona}: refused POST wrote to the audit trail")
        if wrote and persona == "auditor" and name not in OWN_SETTINGS:
            found.append(f"{name} [{state}] the auditor changed something")
        if 500 in (get_status, post_status):
            found.append(f"{name} [{state}] {persona}: 500")
        if not rule.public and persona == "other" and not bureau_wide and 200 in (get_status, post_status):
            found.append(f"{name} [{state}] the other bureau's user got a 200")
    if rule.public and len({seen[persona][:2] for persona in ROLES}) != 1:
        found.append(f"{name} [{state}] a public page answers differently by who is logged in")
    return found


@pytest.mark.slow
def test_the_matrix(world, no_objection_rate_limit):
    found = []
    for name in url_names():
        states, _ = KINDS[kind_of(name)]
        for state in states:
            found += problems(name, state, observe(world, name, state))
    assert found == [], "\n" + "\n".join(found)
