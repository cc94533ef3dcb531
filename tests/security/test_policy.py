"""The permission policy of the design, written by hand, against the permission matrix of test_matrix.py.

test_matrix.py's EXPECTED table was first printed from the running product (gen_expected.py) and then
reviewed: a wrong permission present on the day it was generated could have been pasted in. This table is
written from the roles of shared/DESIGN.md alone, for the routes that carry the design's rules, so a
regenerated matrix that breaks one of them fails here.

Columns, in test_matrix.py's order: anonymous, registry staff, an inspector on no team, an inspector on the
team, the lead who ran the draw, the second lead, the auditor, the system admin, a user holding every role
in another bureau. A cell is GET/POST; 401 = sent to log in, ``*`` = the POST wrote to the audit trail.
"""

import pytest

from .test_matrix import EXPECTED

ANON = "401/401"

POLICY = {
    # "auditor: reads the audit trail ... changes nothing": the auditor and the admin read it, nobody posts;
    # the other bureau's user reads his own bureau's trail.
    ("core:audit-list", "-"): [
        ANON,
        "403/405",
        "403/405",
        "403/405",
        "403/405",
        "403/405",
        "200/405",
        "200/405",
        "200/405",
    ],
    # "registry staff: keep the enterprise registry": only they (and the admin) open the form; every staff
    # role reads the registry; another bureau's user sees his own bureau's list.
    ("enterprises:create", "-"): [
        ANON,
        "200/200",
        "403/403",
        "403/403",
        "403/403",
        "403/403",
        "403/403",
        "200/200",
        "200/200",
    ],
    ("enterprises:list", "-"): [
        ANON,
        "200/405",
        "200/405",
        "200/405",
        "200/405",
        "200/405",
        "200/405",
        "200/405",
        "200/405",
    ],
    # Rule 7: a draw is "approved by a team lead who did not run it": only the second lead's POST writes; the
    # lead who ran it is sent back without a write; nobody else may; another bureau's draw does not exist.
    ("sampling:draw-approve", "pending"): [
        ANON,
        "405/403",
        "405/403",
        "405/403",
        "405/302",
        "405/302*",
        "405/403",
        "405/403",
        "405/404",
    ],
    # Rule 8: "before the inspection, a draw's list is visible only to its lead and its assigned inspectors
    # (and auditors)": the leads and the auditor, the assigned inspector once teams are locked, nobody else.
    ("sampling:draw-detail", "pending"): [
        ANON,
        "404/405",
        "404/405",
        "404/405",
        "200/405",
        "200/405",
        "200/405",
        "404/405",
        "404/405",
    ],
    ("sampling:draw-detail", "locked"): [
        ANON,
        "404/405",
        "404/405",
        "200/405",
        "200/405",
        "200/405",
        "200/405",
        "404/405",
        "404/405",
    ],
}


@pytest.mark.parametrize(("route", "state"), list(POLICY))
def test_the_matrix_keeps_the_designs_permission_rules(route, state):
    assert EXPECTED[route][state].split() == POLICY[route, state]
