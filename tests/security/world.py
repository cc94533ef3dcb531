"""One bureau with an object in every state that matters, and a persona for every role.

States: ``draft`` (a draw whose pool is frozen, before the ceremony), ``pending`` (drawn, awaiting
approval), ``locked`` (approved; its inspection task not yet inspected), ``inspected`` (a result
recorded and approved) and ``published`` (the result published). Built through the services, as the
bureau would, on 2026-02-10 (first quarter).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.enums import Role
from core.models import Job
from followup.models import FollowUpFile, Rectification
from inspections import publication as disclosure_services
from inspections import services as inspection_services
from inspections.codes import code_issue
from inspections.enums import InspectionTaskStatus
from inspections.models import InspectionTask, PaperScan, TaskMember
from inspections.objections import objection_file
from inspectors.models import Conflict, Expert, LeavePeriod
from sampling import draws, plans
from sampling.enums import PlanStatus
from sampling.models import QuotaPolicy
from tests.conftest import _member
from tests.factories import CheckItemFactory, EnterpriseFactory, InspectorFactory
from tests.inspections.factories import findings_for

TODAY = date(2026, 2, 10)
STATES = ("draft", "pending", "locked", "inspected", "published")
PDF = b"%PDF-1.7\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64

# The personas, in the order the matrix prints them.
# "bystander" is a team lead of the bureau who neither ran nor approved the draw (rule 8: he does not see its list
# before the inspection, but he may review a list awaiting approval).
ROLES = (
    "anonymous",
    "registry",
    "inspector",
    "assigned",
    "lead",
    "approver",
    "bystander",
    "auditor",
    "admin",
    "other",
)


@dataclass
class World:
    bureau: object
    users: dict = field(default_factory=dict)  # role -> user (None for anonymous); "assigned" is per state
    assigned: dict = field(default_factory=dict)  # state -> user on the team of that state's task
    draws: dict = field(default_factory=dict)  # state -> Draw
    tasks: dict = field(default_factory=dict)  # state -> InspectionTask (locked, inspected, published)
    objects: dict = field(default_factory=dict)  # kind -> object (enterprise, inspector, plan, ...)


def _free_task(draw, used):
    """A task of ``draw`` not used yet, with a team member who has no account to link a persona to."""
    for task in InspectionTask.objects.filter(draw=draw).exclude(pk__in=used).order_by("number"):
        if TaskMember.objects.filter(task=task, active=True, inspector__user__isnull=True).exists():
            used.add(task.pk)
            return task
    raise AssertionError(f"no task of {draw} has a member without an account")


def _assign(world, state, task, username):
    """Link a new inspector account to a member of ``task``'s team who has no account yet."""
    member = (
        TaskMember.objects.filter(task=task, active=True, inspector__user__isnull=True)
        .select_related("inspector")
        .order_by("position")
        .first()
    )
    assert member is not None, f"every member of {task} already has an account"
    user = _member(username, world.bureau, Role.INSPECTOR, first_name=f"{username}检查")
    member.inspector.user = user
    member.inspector.save(update_fields=["user"])
    world.assigned[state] = user
    return user


def build_world(bureau, other_bureau, *, alice, frank, bob, carol, dave, erin, mallory) -> World:
    world = World(bureau=bureau)
    world.users = {
        "anonymous": None,
        "registry": carol,
        "inspector": bob,
        "lead": alice,
        "approver": frank,
        "bystander": _member("leo", bureau, Role.TEAM_LEAD, first_name="周组长"),
        "auditor": dave,
        "admin": erin,
        "other": mallory,
    }
    item = CheckItemFactory(bureau=bureau, code="SJ-02", name="重点排污单位检查")
    for n in range(20):
        EnterpriseFactory(bureau=bureau, tier="general", name=f"一般测试{n}号有限公司")
    for n in range(12):
        EnterpriseFactory(bureau=bureau, tier="key", name=f"重点测试{n}号有限公司")
    for n in range(2, 9):
        InspectorFactory(bureau=bureau, code=f"ZF{n:03d}", name=f"检查员{n}")
    QuotaPolicy.objects.create(
        bureau=bureau, year=2026, key_ratio=25, general_ratio=10, special_ratio=50, yearly_cap=2, team_size=2
    )
    plan = plans.plan_create(actor=alice, bureau=bureau, year=2026, name="2026年污染源日常监管抽查计划")
    tasks = []
    for n in range(3):
        tasks.append(
            plans.plan_task_create(
                actor=alice,
                plan=plan,
                check_items=[item],
                name=f"抽查任务{n + 1}",
                include_general=True,
                include_key=True,
                draw_from=date(2026, 1, 1),
                draw_until=date(2026, 12, 31),
                inspect_from=date(2026, 1, 1),
                inspect_until=date(2026, 12, 31),
            )
        )
    plans.plan_set_status(actor=alice, plan=plan, status=PlanStatus.ACTIVE)

    def drawn(task):
        draw = draws.draw_create(actor=alice, task=task, quarter=1, today=TODAY)
        return draws.draw_execute(actor=alice, draw=draw, witness_input="31 07 19", witnesses="刘见证\n陈见证")

    world.draws["draft"] = draws.draw_create(actor=alice, task=tasks[0], quarter=1, today=TODAY)
    world.draws["pending"] = drawn(tasks[1])
    locked = draws.draw_approve(actor=frank, draw=drawn(tasks[2]))
    for state in ("locked", "inspected", "published"):
        world.draws[state] = locked

    used = set()
    world.tasks["locked"] = _free_task(locked, used)
    _assign(world, "locked", world.tasks["locked"], "ivan")
    for n, state in enumerate(("inspected", "published"), start=1):
        task = _free_task(locked, used)
        recorder = _assign(world, state, task, f"ivan{n}")
        inspection_services.checkin_confirm(
            code=enterprise_code(task, "arrival"), task=task, confirmed_by_name="周接待"
        )
        task.refresh_from_db()
        result, _ = inspection_services.result_record(
            actor=recorder,
            task=task,
            outcome="no_problem",
            inspected_on=TODAY,
            findings=findings_for(task),
            summary="现场检查未发现问题。",
        )
        inspection_services.attachment_add(
            actor=recorder, result=result, upload=SimpleUploadedFile("现场.png", PNG, content_type="image/png")
        )
        inspection_services.result_approve(actor=frank, result=result)
        task.refresh_from_db()
        if state == "published":
            disclosure_services.publication_publish(actor=frank, task=task)
            task.refresh_from_db()
        world.tasks[state] = task
    assert world.tasks["inspected"].status == InspectionTaskStatus.RESULT_APPROVED
    assert world.tasks["published"].status == InspectionTaskStatus.PUBLISHED

    # A signed paper record's scan on each task (issue 13 item 2), for the route that serves it.
    for task in world.tasks.values():
        PaperScan.objects.create(
            task=task,
            purpose="arrival",
            file=default_storage.save("inspections/scan.pdf", ContentFile(PDF)),
            original_name="签到单.pdf",
            content_type="application/pdf",
            size=len(PDF),
            sha256="0" * 64,
            uploaded_by=frank,
            uploaded_at=timezone.now(),
        )

    # The "inspector" persona: an inspector of the bureau registered after the draws, on no team.
    world.users["inspector"] = _member("ursula", bureau, Role.INSPECTOR, first_name="新检查")
    InspectorFactory(bureau=bureau, code="ZF099", name="新检查", user=world.users["inspector"])
    enterprise = world.tasks["published"].enterprise
    inspector = bob.inspector
    world.objects = {
        "enterprise": enterprise,
        "inspector": inspector,
        "check_item": item,
        "plan": plan,
        "plan_task": tasks[0],
        "leave": LeavePeriod.objects.create(inspector=inspector, start=date(2026, 3, 1), end=date(2026, 3, 5)),
        "conflict": Conflict.objects.create(inspector=inspector, enterprise=enterprise, reason="亲属任职"),
        "expert": Expert.objects.create(bureau=bureau, name="许专家", kind="monitoring", organisation="县监测站"),
        "job": Job.objects.create(kind="test", bureau=bureau),
        "followup_file": _followup_file(world.tasks["inspected"], frank),
    }
    published = world.tasks["published"]
    objection = objection_file(
        task=published,
        text="结果有误。",
        filed_by_name="周经理",
        code=enterprise_code(published, "objection"),
        files=[SimpleUploadedFile("异议.png", PNG, content_type="image/png")],
    )
    world.objects["objection"] = objection
    world.objects["objection_file"] = objection.files.get()
    return world


def _followup_file(task, user):
    """A follow-up visit's evidence file on the inspected task (its result found nothing: made directly)."""
    rectification = Rectification.objects.create(
        task=task,
        bureau=task.bureau,
        ordered_on=TODAY,
        working_days=20,
        deadline=TODAY + timedelta(days=28),
        due_soon_from=TODAY + timedelta(days=21),
        created_at=timezone.now(),
    )
    return FollowUpFile.objects.create(
        owner="visit",
        rectification=rectification,
        file=default_storage.save("inspections/followup-evidence.png", ContentFile(PNG)),
        original_name="回访.png",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )


def enterprise_code(task, purpose):
    """A one-time code for ``task`` as if sent to the enterprise (issue 13 item 2)."""
    return code_issue(task=task, purpose=purpose)
