"""Who may use each route: the permission policy of the design, written by hand (issue 20 item 3).

This table is the expected answer of the permission matrix (test_matrix.py). It was written from the
roles of shared/DESIGN.md §1 and its rules 7, 8, 15 and 16, not printed from the running product: where the
design is silent the line follows the code and says so ("design silent"). A route the URLconf has and this
table lacks fails ``test_every_route_is_classified``, so a new route must be classified here by hand: add
one line in its app's group.

The personas are those of world.py, one bureau with an object in every state:

    anonymous   nobody logged in
    registry    registry staff (名录库管理员)
    inspector   an inspector of the bureau on no team of the draw
    assigned    an inspector on the team of that state's task
    lead        the team lead who created and ran the draw
    approver    the second team lead, who approved it (and approved and published the results)
    bystander   a third team lead of the bureau, who neither ran nor approved the draw
    auditor     the auditor (审计员)
    admin       the system administrator of the bureau
    other       a user holding every role but inspector in *another* bureau

A rule names, per method, the personas who may use the route (``get`` / ``post``; ``None`` = the route
does not answer that method: 405). A set may be a dict ``{state: set}`` where the answer depends on the
state of the object (draft, pending, locked for a draw; locked, inspected, published for a task). How the
matrix reads a cell (test_matrix.py):

* allowed: GET 200 or 302 (not to the login page); POST 200, 302, 400 (the bare POST lacks the form's
  fields) or 409. ``absent`` names the states where the object the route acts on does not exist in the
  world (no case filed, no open proposal...): there an allowed persona may also get 404, as the route
  only looks the object up after the permission check.
* refused: 401 (sent to log in) for ``anonymous`` on a staff route; 404 for ``other`` on a route of an
  object of the bureau (another bureau's objects do not exist for him); 403 or 404 for everybody else in
  the bureau (404 where the object is confidential to him, core/access.py); ``by_message`` names the
  personas refused by the service with a message (302 back to the page, nothing written).
* ``other`` on a route that takes no object of the bureau (a list, a form to create, a report of a year)
  works in his own bureau: allowed there if one of his roles (registry, team lead, auditor, admin) is.
* a public route (public:, checkin:, objection:) answers everybody alike; refused there is 404 (nothing
  published yet).
* ``completes``: the states in which a bare confirmed POST completes the action, so exactly the allowed
  personas' POSTs write to the audit trail (``True`` for a route without states).
"""

from dataclasses import dataclass

ANONYMOUS, REGISTRY, INSPECTOR, ASSIGNED = "anonymous", "registry", "inspector", "assigned"
LEAD, APPROVER, BYSTANDER = "lead", "approver", "bystander"
AUDITOR, ADMIN, OTHER = "auditor", "admin", "other"

NOBODY = frozenset()
LEADS = frozenset({LEAD, APPROVER, BYSTANDER})  # the bureau's team leads (组长)
DRAW_LEADS = frozenset({LEAD, APPROVER})  # the draw's leads: who created and ran it, who approved it
INSPECTORS = frozenset({INSPECTOR, ASSIGNED})
STAFF = frozenset({REGISTRY, INSPECTOR, ASSIGNED, AUDITOR, ADMIN}) | LEADS  # every role of the bureau
EVERYBODY = STAFF | {ANONYMOUS, OTHER}
EDITORS = frozenset({REGISTRY, ADMIN})  # "registry staff keep the registries" (and the administrator)
RUNNERS = LEADS | {ADMIN}  # "team lead sets up quarterly draws"; the administrator too (design silent: code)
OVERSEERS = LEADS | {AUDITOR, ADMIN}  # the bureau's lists of draws, tasks, results: not registry staff nor inspectors
# Rule 8: before the inspection a task (and a draw's list) is seen only by its team, its draw's leads and the
# auditors. After it the design is silent; the code adds the bureau's leads and administrators.
TASK_SEEN = {
    "locked": DRAW_LEADS | {ASSIGNED, AUDITOR},
    "inspected": LEADS | {ASSIGNED, AUDITOR, ADMIN},
    "published": LEADS | {ASSIGNED, AUDITOR, ADMIN},
}
# The leads who may act on a task: before the inspection only the draw's leads see it (rule 8), after it all.
TASK_LEADS = {"locked": DRAW_LEADS, "inspected": LEADS, "published": LEADS}
TEAM_OR_LEADS = {state: leads | {ASSIGNED} for state, leads in TASK_LEADS.items()}
# Rule 8 for a draw: before the ceremony there is no list (the page shows the frozen pool to the draw's readers);
# awaiting approval the leads (one must review it) and the auditor; once locked, the team's inspector as well.
DRAW_SEEN = {
    "draft": OVERSEERS,
    "pending": LEADS | {AUDITOR},
    "locked": DRAW_LEADS | {ASSIGNED, AUDITOR},
}
# The whole recorded list, while confidential: not the inspector, who sees only his own rows (issue 13 item 4).
WHOLE_LIST = {"draft": NOBODY, "pending": LEADS | {AUDITOR}, "locked": DRAW_LEADS | {AUDITOR}}
OWN_ROWS = {"draft": NOBODY, "pending": LEADS | {AUDITOR}, "locked": DRAW_SEEN["locked"]}
TASK_STATES = ("locked", "inspected", "published")


@dataclass(frozen=True)
class Rule:
    get: frozenset | dict | None = None
    post: frozenset | dict | None = None
    public: bool = False
    absent: frozenset = frozenset()
    by_message: frozenset = frozenset()
    completes: frozenset | bool = frozenset()
    why: str = ""

    def allowed(self, method: str, state: str):
        """The personas allowed ``method`` in ``state``; None when the route does not answer the method."""
        who = self.get if method == "get" else self.post
        if isinstance(who, dict):
            return who.get(state, NOBODY)
        return who


def page(who, **kw) -> Rule:
    """A page or download: GET only."""
    return Rule(get=who, **kw)


def form(who, post=None, **kw) -> Rule:
    """A page with its form: GET and POST (by the same personas unless ``post`` says otherwise)."""
    return Rule(get=who, post=who if post is None else post, **kw)


def action(who, **kw) -> Rule:
    """A button: POST only."""
    return Rule(post=who, **kw)


def public_page(who=EVERYBODY, **kw) -> Rule:
    return Rule(get=who, public=True, **kw)


def public_action(**kw) -> Rule:
    return Rule(post=EVERYBODY, public=True, **kw)


ALL_TASK_STATES = frozenset(TASK_STATES)

POLICY = {
    # --- core ---------------------------------------------------------------------------------------
    "core:home": page(STAFF),
    "core:bureau-switch": action(STAFF, why="any user chooses among the bureaus he is granted"),
    "core:audit-list": page({AUDITOR, ADMIN}, why="§1: the auditor reads the audit trail; the admin (design silent)"),
    "core:calendar": form(STAFF, post={ADMIN}, why="everyone reads the working days; the admin keeps them (silent)"),
    "core:job-detail": page(STAFF, why="a job shows counts and row errors of the registries (design silent: code)"),
    "core:notifications": form(STAFF, completes=True, why="each user's own e-mail choices (the auditor's too)"),
    # --- enterprises: §1 "registry staff keep the enterprise registry"; every role reads it --------------
    "enterprises:list": page(STAFF),
    "enterprises:export": page(STAFF),
    "enterprises:import-template": page(STAFF),
    "enterprises:detail": page(STAFF),
    "enterprises:create": form(EDITORS),
    "enterprises:edit": form(EDITORS),
    "enterprises:import": form(EDITORS),
    "enterprises:status": action(EDITORS),
    "enterprises:risk-rule": form({ADMIN}, why="the bureau's published risk-weight rule (design silent on who: code)"),
    "enterprises:record-add": action(EDITORS),
    "enterprises:checklist": page(STAFF),
    "enterprises:checklist-detail": page(STAFF),
    "enterprises:checklist-create": form(EDITORS, why="the checklist is one of 两库一单, kept with the registries"),
    "enterprises:checklist-edit": form(EDITORS),
    "enterprises:checklist-deactivate": action(EDITORS, completes=True),
    "enterprises:checklist-reactivate": action(EDITORS),
    # --- inspectors: §1 "registry staff keep ... the inspector registry"; every role reads it ------------
    "inspectors:list": page(STAFF),
    "inspectors:export": page(STAFF),
    "inspectors:import-template": page(STAFF),
    "inspectors:detail": page(STAFF),
    "inspectors:create": form(EDITORS),
    "inspectors:edit": form(EDITORS),
    "inspectors:import": form(EDITORS),
    "inspectors:transfer": action(EDITORS),
    "inspectors:account": action(EDITORS, completes=True, why="links an inspector-role account (design silent)"),
    "inspectors:leave-add": action(EDITORS),
    "inspectors:leave-remove": action(EDITORS, completes=True),
    "inspectors:conflict-add": action(EDITORS, why="declared conflicts are registry data (design silent: code)"),
    "inspectors:conflict-remove": action(EDITORS),
    "inspectors:expert-list": page(STAFF),
    "inspectors:expert-create": form(EDITORS),
    "inspectors:expert-edit": form(EDITORS),
    "inspectors:expert-deactivate": action(EDITORS, completes=True),
    # --- sampling: §1 "team lead sets up quarterly draws, approves or rejects them" ----------------------
    "sampling:plan-list": page(STAFF, why="the plans are public (§1 the public reads the plans)"),
    "sampling:plan-detail": page(STAFF),
    "sampling:plan-create": form(RUNNERS),
    "sampling:plan-status": action(RUNNERS),
    "sampling:plan-filing": action(RUNNERS),
    "sampling:task-detail": page(STAFF),
    "sampling:task-create": form(RUNNERS),
    "sampling:task-edit": form(RUNNERS),
    "sampling:policy": form(OVERSEERS, post=RUNNERS, why="the quota settings: the auditor reads, changes nothing"),
    "sampling:draw-list": page(OVERSEERS, why="the bureau's draws, without their lists"),
    "sampling:draw-create": action(RUNNERS),
    "sampling:draw-detail": page(DRAW_SEEN, why="rule 8; the admin does not see a list before the inspection"),
    "sampling:draw-exclusions": page(OVERSEERS, why="the frozen pool's recusals, no drawn list (silent: code)"),
    "sampling:draw-pool-json": page(OVERSEERS, why="the pool is published before the ceremony (§4)"),
    "sampling:draw-execute": action(RUNNERS),
    # Rule 7: "approved by a team lead who did not run it": the lead who ran it is refused with a message.
    "sampling:draw-approve": action(LEADS - {LEAD}, by_message={LEAD}, completes={"pending"}),
    "sampling:draw-reject": action(LEADS - {LEAD}, by_message={LEAD}),
    "sampling:draw-cancel": action(RUNNERS, why="before the ceremony only (the service refuses later states)"),
    "sampling:draw-record-json": page(WHOLE_LIST, why="no record before the ceremony; the whole list (rule 8)"),
    "sampling:draw-record-pdf": page(OWN_ROWS, why="the team's inspector gets a PDF of his own rows"),
    "sampling:draw-list-xlsx": page({"locked": DRAW_SEEN["locked"]}, why="an approved draw's list only"),
    # --- inspections: §1 "inspector sees only his own assignments ... records check-in, findings, outcome" -
    "inspections:task-list": page(OVERSEERS),
    "inspections:task-list-xlsx": page(OVERSEERS),
    "inspections:my-tasks": page(INSPECTORS | LEADS, why="his own assignments; a lead may sit on teams too"),
    "inspections:my-tasks-xlsx": page(INSPECTORS | LEADS),
    "inspections:evaluations": page(OVERSEERS, why="the enterprises' ratings of inspections: not the inspectors"),
    "inspections:flagged": page(LEADS | {AUDITOR}, why="ratings flagged for review (design silent: code)"),
    "inspections:offsite": page(INSPECTORS | OVERSEERS, why="off-site checks of positive-list units (silent)"),
    "inspections:offsite-record": form(INSPECTORS | LEADS, why="recorded by inspectors and leads (silent: code)"),
    "inspections:task-detail": page(TASK_SEEN),
    # The notice carries the enterprise's check-in QR code: for those who go there (design silent: code).
    "inspections:notice": page(TEAM_OR_LEADS),
    "inspections:scan-download": page(TASK_SEEN),
    # Rule 16 "only the enterprise can confirm an arrival": a paper record signed by an enterprise without
    # a contact, recorded by the team or a lead (issue 13); its evaluation on paper by a lead, not the team.
    "inspections:checkin-manual": action(TEAM_OR_LEADS),
    "inspections:evaluation-paper": action(TASK_LEADS),
    "inspections:result": form({ASSIGNED}, why="the team records the result (302: not checked in / recorded)"),
    "inspections:no-arrival": action({ASSIGNED}, why="不配合/无法联系 recorded by the team (rule 9)"),
    "inspections:approve": action(TASK_LEADS, absent={"locked"}, why="§1 a lead approves results (no result locked)"),
    "inspections:outcome-change": action(TEAM_OR_LEADS, absent={"locked"}, why="待后续处理 → 未发现问题"),
    "inspections:attachment-add": action({ASSIGNED}, absent={"locked"}),
    "inspections:attachment-download": page(TASK_SEEN),
    "inspections:attachment-remove": action({ASSIGNED}),
    # Rules 7 and 16: a substitution is proposed by a lead and made when a second lead approves (not the admin);
    # it changes the draw's list, so only leads who may see that list (rule 8): in the world the draw's list is
    # confidential in every state (its locked task is not inspected yet), hence the draw's leads only.
    "inspections:substitute-enterprise": action(DRAW_LEADS),
    "inspections:substitute-inspector": action(DRAW_LEADS),
    "inspections:substitution-approve": action(DRAW_LEADS, absent=ALL_TASK_STATES, why="no open proposal in the world"),
    "inspections:substitution-reject": action(DRAW_LEADS, absent=ALL_TASK_STATES),
    # Rule 15: "staff decide within 10": team leads decide (design silent on which staff: code).
    "inspections:objections": page(OVERSEERS),
    "inspections:objection-detail": page(OVERSEERS),
    "inspections:objection-file": page(OVERSEERS),
    "inspections:objection-uphold": action(LEADS),
    "inspections:objection-reject": action(LEADS),
    # --- followup (rule 14): rectification visits by the team or a lead; cases and transfers by leads ----
    "followup:visits": page(INSPECTORS | OVERSEERS, why="an inspector sees his own visits"),
    "followup:policy": form({ADMIN}, why="the per-bureau risk-weight rule (design silent on who: code)"),
    "followup:penalties": page(OVERSEERS),
    "followup:task": page(TASK_SEEN),
    "followup:visit": action(TEAM_OR_LEADS, absent={"locked", "published"}, why="an order on 'inspected' only"),
    "followup:visit-files": action(TEAM_OR_LEADS, absent={"locked", "published"}),
    "followup:case-open": action(TASK_LEADS),
    "followup:case-file": action(TASK_LEADS, absent=ALL_TASK_STATES, why="no case in the world"),
    "followup:case-decide": action(TASK_LEADS, absent=ALL_TASK_STATES),
    "followup:case-close": action(TASK_LEADS, absent=ALL_TASK_STATES),
    "followup:transfer-send": action(TASK_LEADS),
    "followup:transfer-files": action(TASK_LEADS, absent=ALL_TASK_STATES, why="no transfer in the world"),
    "followup:transfer-receive": action(TASK_LEADS, absent=ALL_TASK_STATES),
    "followup:transfer-close": action(TASK_LEADS, absent=ALL_TASK_STATES),
    "followup:file": page(TASK_SEEN),
    "followup:credit-record": page(STAFF),
    "followup:abnormal": page(STAFF),
    # --- disclosure: §1 "team lead ... approves results for publication" ------------------------------
    "disclosure:dashboard": page(OVERSEERS),
    "disclosure:results-xlsx": page(OVERSEERS),
    "disclosure:publish": action(TASK_LEADS, completes={"inspected"}),
    "disclosure:publish-batch": action(LEADS),
    "disclosure:exempt": form(TASK_LEADS, why="rule 10: an exemption with its reason, decided by a lead"),
    "disclosure:gsxt": page(OVERSEERS),
    "disclosure:reports": page(STAFF, why="rule 13's reports: the plan table is public anyway"),
    "disclosure:plan-table-xlsx": page(STAFF),
    "disclosure:plan-table-pdf": page(STAFF),
    "disclosure:quarterly-xlsx": page(STAFF),
    # --- the public site: §1 "the public reads published results, draw records, the checklist and plans" --
    "public:home": public_page(),
    "public:language": public_page(),
    "public:results": public_page(),
    "public:result-detail": public_page(),
    "public:results-csv": public_page(),
    "public:results-json": public_page(),
    "public:results-xlsx": public_page(),
    "public:enterprise": public_page({"published": EVERYBODY}, why="an enterprise with a published result"),
    "public:draws": public_page(),
    # Rule 8: "never to the public" before the inspection: the approved draw's page, without its list; its
    # record, result and verification only once the inspections are over (none in the world).
    "public:draw-detail": public_page({"locked": EVERYBODY}),
    "public:draw-record": public_page(NOBODY),
    "public:draw-result": public_page(NOBODY),
    "public:draw-verify": public_page(NOBODY),
    "public:draw-algorithm": public_page(),
    "public:checklist": public_page(),
    "public:plans": public_page(),
    "public:plan-detail": public_page(),
    "public:task-detail": public_page(),
    "public:open-data": public_page(),
    "public:open-data-file": public_page(),
    "public:risk-rule": public_page(why="rule 14: the risk-weight rule is published"),
    "public:audit-anchors": public_page(why="rule 16: the chain's head anchored outside the database"),
    # Rule 11: the enterprise, with no account, scans the task's QR code and rates the inspection.
    "checkin:page": public_page(),
    "checkin:send-code": public_action(),
    "checkin:confirm": public_action(),
    "checkin:evaluate": public_action(),
    # Rule 15: the enterprise objects with a token only it receives.
    "objection:page": public_page(),
    "objection:send-code": public_action(),
    "objection:file": public_action(),
}

# The roles ``other`` holds in his own bureau, as personas: a lead, registry staff, auditor and admin.
OTHER_HOLDS = frozenset({REGISTRY, AUDITOR, ADMIN}) | LEADS


GET_OK = frozenset({200, 302})
POST_OK = frozenset({200, 302, 400, 409})


def check(rule: Rule, *, method: str, state: str, persona: str, bureau_wide: bool, status: int, wrote: bool):
    """The problem with one observed answer, or None when it is what the policy says."""
    if persona == ANONYMOUS and not rule.public:
        return None if status == 401 else f"want 401 (log in), got {status}"
    if rule.allowed(method, state) is None:
        return None if status == 405 else f"the route does not answer {method.upper()}: want 405, got {status}"
    if is_allowed(rule, method=method, state=state, persona=persona, bureau_wide=bureau_wide):
        ok = set(GET_OK if method == "get" else POST_OK)
        if state in rule.absent:
            ok.add(404)
        return None if status in ok else f"allowed: want one of {sorted(ok)}, got {status}"
    if method == "post" and wrote:
        return f"refused, yet the POST wrote to the audit trail ({status})"
    if rule.public:
        return None if status == 404 else f"nothing public yet: want 404, got {status}"
    if persona == OTHER and not bureau_wide:
        return None if status == 404 else f"another bureau's object: want 404, got {status}"
    if persona in rule.by_message:
        return None if status == 302 else f"refused with a message: want 302, got {status}"
    return None if status in (403, 404) else f"refused: want 403 or 404, got {status}"


def is_allowed(rule: Rule, *, method: str, state: str, persona: str, bureau_wide: bool) -> bool:
    """Does the policy allow ``persona`` to use the route with ``method`` in ``state``?"""
    who = rule.allowed(method, state) or NOBODY
    if persona == OTHER and not rule.public:
        return bureau_wide and bool(who & OTHER_HOLDS)
    return persona in who


def completes_in(rule: Rule, state: str) -> bool:
    return rule.completes is True or state in (rule.completes or ())
