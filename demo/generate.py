"""Generate a realistic demo county (or a province-sized registry for benchmarks).

Deterministic: the same arguments give the same rows. Nothing here runs in production.
"""

import calendar
import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from stdnum.cn import uscc as uscc_std

from core.audit import audit_log
from core.enums import BureauKind, Role
from core.models import Bureau, Membership
from disclosure.demo import seed_demo_publications
from enterprises.enums import (
    ConstructionStatus,
    CreditRating,
    EnterpriseStatus,
    MonitoringType,
    PerformanceGrade,
    PermitCategory,
    ProductionCycle,
    RecordKind,
    Scale,
    Tier,
)
from enterprises.models import CheckItem, Division, Enterprise, EnterpriseRecord, Industry
from inspections.demo import seed_demo_inspections
from inspections.models import Publication
from inspectors.enums import ExpertKind, InspectorKind
from inspectors.models import Conflict, Expert, Inspector, LeavePeriod
from sampling.demo import seed_demo_draw, seed_demo_plans

DEMO_PASSWORD = "ssj-demo-2026"  # documented in the README; demo data only

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国志红海燕宇浩然子涵欣怡梓萱晨阳俊杰雪梅"
WORDS = [
    "宏达",
    "金源",
    "恒信",
    "鑫盛",
    "华丰",
    "瑞祥",
    "永兴",
    "天成",
    "富康",
    "嘉禾",
    "中原",
    "兴业",
    "博远",
    "隆基",
    "泰和",
    "联创",
    "新锐",
    "盛世",
    "万通",
    "同力",
    "长青",
    "豫兴",
    "宝丰",
    "安泰",
    "利民",
    "德胜",
    "众诚",
    "汇丰",
    "润泽",
    "鼎盛",
]
INDUSTRY_SUFFIX = {
    "0313": ("养殖", "有限公司"),
    "1019": ("建材", "砂石有限公司"),
    "1311": ("粮油", "米业有限公司"),
    "1351": ("食品", "肉类加工有限公司"),
    "1391": ("淀粉", "有限公司"),
    "1431": ("食品", "有限公司"),
    "1512": ("酒业", "有限公司"),
    "1713": ("纺织", "印染有限公司"),
    "1910": ("皮革", "制品有限公司"),
    "2221": ("纸业", "有限公司"),
    "2521": ("焦化", "有限公司"),
    "2614": ("化工", "有限公司"),
    "2625": ("生物", "肥业有限公司"),
    "2641": ("涂料", "有限公司"),
    "2710": ("制药", "股份有限公司"),
    "2922": ("塑业", "有限公司"),
    "3011": ("水泥", "有限公司"),
    "3021": ("建材", "有限公司"),
    "3031": ("新型建材", "有限公司"),
    "3120": ("钢铁", "有限公司"),
    "3216": ("铝业", "有限公司"),
    "3360": ("表面处理", "有限公司"),
    "3670": ("汽车配件", "有限公司"),
    "3841": ("新能源", "科技有限公司"),
    "3982": ("电子", "科技有限公司"),
    "4411": ("热电", "有限公司"),
    "4430": ("供热", "有限公司"),
    "4620": ("水务", "污水处理有限公司"),
    "7724": ("环保", "科技有限公司"),
    "7820": ("环卫", "服务有限公司"),
    "8411": ("", "医院"),
}
HEAVY = {"2521", "2614", "2710", "3011", "3120", "3216", "4411", "7724", "1713", "2221", "1910"}
RIVERS = ["清潩河", "颍河", "小洪河", "石梁河", "灞陵河"]


def make_uscc(rng: random.Random, division_code: str, used: set[str]) -> str:
    while True:
        body = "91" + division_code[:6] + "".join(rng.choice(USCC_CHARS) for _ in range(9))
        code = body + uscc_std.calc_check_digit(body)
        if code not in used:
            used.add(code)
            return code


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    return "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))


def ensure_bureaus() -> dict[str, Bureau]:
    city, _ = Bureau.objects.get_or_create(
        code="xuchang",
        defaults={"name": "许昌市生态环境局", "short_name": "许环", "kind": BureauKind.CITY, "division_code": "411000"},
    )
    jianan, _ = Bureau.objects.get_or_create(
        code="jianan",
        defaults={
            "name": "许昌市生态环境局建安分局",
            "short_name": "建环",
            "kind": BureauKind.COUNTY,
            "parent": city,
            "division_code": "411003",
            "address": "许昌市建安区新元大道",
            "phone": "0374-3389001",
        },
    )
    yanling, _ = Bureau.objects.get_or_create(
        code="yanling",
        defaults={
            "name": "许昌市生态环境局鄢陵分局",
            "short_name": "鄢环",
            "kind": BureauKind.COUNTY,
            "parent": city,
            "division_code": "411024",
        },
    )
    return {"city": city, "jianan": jianan, "yanling": yanling}


def generate_enterprises(
    bureau: Bureau, count: int, *, seed: int = 2026, batch_size: int = 5000, with_records: bool = True
) -> int:
    """Create ``count`` enterprises for ``bureau`` (bulk; no audit: this is generated data, not a change)."""
    rng = random.Random(seed)
    towns = list(Division.objects.filter(parent__code=bureau.division_code or "411003")) or list(Division.objects.all())
    industries = list(Industry.objects.filter(code__regex=r"^[0-9]{4}$"))
    used = set(Enterprise.objects.filter(bureau=bureau).values_list("uscc", flat=True))
    names: set[str] = set(Enterprise.objects.filter(bureau=bureau).values_list("name", flat=True))
    created = 0
    batch: list[Enterprise] = []
    for i in range(count):
        industry = rng.choice(industries)
        town = rng.choice(towns)
        heavy = industry.code in HEAVY
        roll = rng.random()
        if roll < (0.06 if heavy else 0.03):
            tier = Tier.SPECIAL
        elif roll < (0.45 if heavy else 0.12):
            tier = Tier.KEY
        else:
            tier = Tier.GENERAL
        prefix, suffix = INDUSTRY_SUFFIX.get(industry.code, ("", "有限公司"))
        town_short = town.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        name = f"许昌{rng.choice(WORDS)}{prefix}{suffix}"
        if name in names:
            name = f"许昌{town_short}{rng.choice(WORDS)}{prefix}{suffix}"
        if name in names:
            name = f"{name.removesuffix(suffix)}（{i + 1}号）{suffix}"
        names.add(name)
        status_roll = rng.random()
        status = (
            EnterpriseStatus.OPERATING
            if status_roll < 0.93
            else EnterpriseStatus.SUSPENDED
            if status_roll < 0.97
            else EnterpriseStatus.CLOSED
            if status_roll < 0.99
            else EnterpriseStatus.RELOCATED
        )
        permit = (
            PermitCategory.KEY
            if tier != Tier.GENERAL and rng.random() < 0.7
            else rng.choice([PermitCategory.SIMPLIFIED, PermitCategory.REGISTRATION, PermitCategory.NONE])
        )
        uscc = make_uscc(rng, town.code, used)
        batch.append(
            Enterprise(
                bureau=bureau,
                uscc=uscc,
                name=name,
                address=f"许昌市建安区{town.name}{rng.choice(WORDS)}路{rng.randint(1, 300)}号",
                phone=f"0374-{rng.randint(3000000, 8999999)}",
                legal_representative=person(rng),
                contact_name=person(rng),
                contact_phone=phone(rng),
                environmental_officer=person(rng),
                division=town,
                authority=bureau.name,
                river_basin=rng.choice(RIVERS),
                longitude=round(113.70 + rng.random() * 0.35, 6),
                latitude=round(33.95 + rng.random() * 0.25, 6),
                industry=industry,
                pollutes_water=heavy or rng.random() < 0.4,
                pollutes_air=heavy or rng.random() < 0.5,
                pollutes_noise=rng.random() < 0.6,
                pollutes_solid=rng.random() < 0.5,
                production_start=date(rng.randint(1995, 2024), rng.randint(1, 12), 1),
                products_and_scale=f"年产{rng.randint(1, 500) * 100}吨",
                permit_number=f"{uscc}001{rng.choice('PVQUWX')}" if permit != PermitCategory.NONE else "",
                permit_category=permit,
                tier=tier,
                status=status,
                status_since=date(2025, rng.randint(1, 12), 1) if status != EnterpriseStatus.OPERATING else None,
                construction_status=rng.choices(list(ConstructionStatus.values), weights=[90, 4, 3, 3])[0],
                scale=rng.choices(list(Scale.values), weights=[5, 15, 50, 30])[0],
                production_cycle=rng.choices(list(ProductionCycle.values), weights=[80, 12, 8])[0],
                monitoring_type=MonitoringType.AUTOMATIC
                if tier != Tier.GENERAL and rng.random() < 0.6
                else rng.choice([MonitoringType.MANUAL, MonitoringType.NONE]),
                performance_grade=rng.choice(list(PerformanceGrade.values)) if heavy else PerformanceGrade.NONE,
                credit_rating=rng.choices(list(CreditRating.values), weights=[10, 50, 15, 5, 20])[0],
                positive_list=tier == Tier.GENERAL and rng.random() < 0.08,
                city_controlled_key=tier == Tier.KEY and rng.random() < 0.4,
            )
        )
        if len(batch) >= batch_size:
            Enterprise.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        Enterprise.objects.bulk_create(batch)
        created += len(batch)
    if with_records:
        records = []
        for ent_id in (
            Enterprise.objects.filter(bureau=bureau).order_by("?").values_list("id", flat=True)[: max(1, count // 12)]
        ):
            kind = rng.choice(list(RecordKind.values))
            records.append(
                EnterpriseRecord(
                    enterprise_id=ent_id,
                    kind=kind,
                    date=date(2025, 1, 1) + timedelta(days=rng.randint(0, 600)),
                    description={
                        "violation": "废气超标排放",
                        "complaint": "群众投诉异味扰民",
                        "penalty": "未按规定运行污染防治设施，罚款",
                    }[kind],
                    reference=f"建环罚〔2025〕{rng.randint(1, 99)}号" if kind == "penalty" else "",
                )
            )
        EnterpriseRecord.objects.bulk_create(records)
    return created


def generate_inspectors(bureau: Bureau, count: int, *, seed: int = 7, today: date | None = None) -> list[Inspector]:
    """``count`` inspectors ZF001… with certificates and leave relative to ``today`` (the demo works on any date):
    every 19th certificate expired half a year ago, the others valid to the end of the year after next;
    every 11th inspector on leave for the rest of this month."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    month_end = date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    towns = list(Division.objects.filter(parent__code=bureau.division_code or "411003"))
    classes = list(Industry.objects.filter(code__regex=r"^[0-9]{4}$"))
    units = ["执法大队一中队", "执法大队二中队", "执法大队三中队", "污染防治股", "环评股"]
    inspectors = []
    for i in range(1, count + 1):
        code = f"ZF{i:03d}"
        expired = i % 19 == 0
        inspector, created = Inspector.objects.get_or_create(
            bureau=bureau,
            code=code,
            defaults={
                "name": person(rng),
                "kind": InspectorKind.ENFORCEMENT if i % 8 else InspectorKind.SUPERVISION,
                "unit": units[i % len(units)],
                "phone": phone(rng),
                "certificate_number": f"豫环执{41100300 + i:08d}",
                "certificate_valid_from": date(today.year - 3, 1, 1),
                "certificate_valid_until": today - timedelta(days=183) if expired else date(today.year + 2, 12, 31),
                "region": rng.choice(towns) if towns else None,
                "specialty_note": "",
            },
        )
        if created:
            inspector.specialties.set(rng.sample(classes, 2))
            if i % 11 == 0:
                LeavePeriod.objects.create(inspector=inspector, start=today, end=month_end, reason="年休假")
        inspectors.append(inspector)
    return inspectors


CHECKLIST = [
    (
        "SJ-01",
        "自动监控基站监督检查",
        "自动监控",
        "《中华人民共和国环境保护法》第四十二条；《污染源自动监控管理办法》",
        "自动监测设备日常运行、数据传输和运维记录",
        "现场检查、调阅运维台账、比对监测数据",
        (False, True, True),
    ),
    (
        "SJ-02",
        "重点排污单位检查",
        "直管重点污染源",
        "《中华人民共和国环境保护法》第二十四条；《排污许可管理条例》第二十七条",
        "污染防治设施运行、污染物排放、环评和“三同时”执行情况、排污许可等环境管理制度落实情况",
        "现场检查、查阅资料、询问、监测",
        (False, True, True),
    ),
    (
        "SJ-03",
        "一般排污单位检查",
        "非直管重点污染源",
        "《中华人民共和国环境保护法》第二十四条；《中华人民共和国大气污染防治法》第二十九条",
        "污染防治设施运行、污染物排放、环评和“三同时”执行情况、排污许可等环境管理制度落实情况",
        "现场检查、查阅资料、询问",
        (True, False, False),
    ),
    (
        "SJ-04",
        "危险废物规范化管理检查",
        "固体废物",
        "《中华人民共和国固体废物污染环境防治法》第七十七条至第八十一条",
        "危险废物识别标志、管理计划、申报登记、转移联单和贮存设施",
        "现场检查、查阅台账",
        (True, True, True),
    ),
]


def ensure_checklist(bureau: Bureau) -> None:
    for order, (code, name, category, basis, content, method, tiers) in enumerate(CHECKLIST):
        CheckItem.objects.get_or_create(
            bureau=bureau,
            code=code,
            defaults={
                "name": name,
                "category": category,
                "legal_basis": basis,
                "content": content,
                "method": method,
                "applies_to_general": tiers[0],
                "applies_to_key": tiers[1],
                "applies_to_special": tiers[2],
                "order": order,
            },
        )


def ensure_experts(bureau: Bureau) -> None:
    towns = list(Division.objects.filter(parent__code=bureau.division_code or "411003"))
    rows = [
        ("周建华", ExpertKind.MONITORING_STATION, "许昌市建安区环境监测站", "高级工程师", ["4620", "4411"]),
        ("孙丽", ExpertKind.INSTITUTE, "许昌市生态环境科学研究院", "研究员", ["2614", "2710"]),
        ("郭明", ExpertKind.SPECIALIST, "河南省环境保护产业协会", "注册环保工程师", ["3011", "3120"]),
        ("冯晓东", ExpertKind.COMMISSIONED, "许昌华测检测技术有限公司", "检测工程师", ["1713", "2221"]),
    ]
    for i, (name, kind, org, title, codes) in enumerate(rows):
        expert, created = Expert.objects.get_or_create(
            bureau=bureau,
            name=name,
            defaults={
                "kind": kind,
                "organisation": org,
                "title": title,
                "phone": f"1390374{i:04d}",
                "region": towns[i % len(towns)] if towns else None,
            },
        )
        if created:
            expert.industries.set(Industry.objects.filter(code__in=codes))


DEMO_USERS = [
    # username, full name, bureau key, roles, linked inspector code
    ("admin", "系统管理员", "jianan", [Role.ADMIN], None),
    ("registry", "郑晓燕", "jianan", [Role.REGISTRY_STAFF], None),
    ("lead1", "张建国", "jianan", [Role.TEAM_LEAD], None),
    ("lead2", "李卫东", "jianan", [Role.TEAM_LEAD], None),
    ("auditor", "王审计", "jianan", [Role.AUDITOR], None),
    ("inspector1", None, "jianan", [Role.INSPECTOR], "ZF001"),
    ("inspector2", None, "jianan", [Role.INSPECTOR], "ZF002"),
    ("inspector3", None, "jianan", [Role.INSPECTOR], "ZF003"),
    ("yanling", "鄢陵组长", "yanling", [Role.TEAM_LEAD, Role.REGISTRY_STAFF], None),
]


def ensure_users(bureaus: dict[str, Bureau]) -> None:
    User = get_user_model()
    for username, full_name, bureau_key, roles, inspector_code in DEMO_USERS:
        bureau = bureaus[bureau_key]
        inspector = Inspector.objects.filter(bureau=bureau, code=inspector_code).first() if inspector_code else None
        name = full_name or (inspector.name if inspector else username)
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": name})
        if created:
            user.set_password(DEMO_PASSWORD)
            if Role.ADMIN in roles:
                user.is_staff = True
            user.save()
        for role in roles:
            Membership.objects.get_or_create(user=user, bureau=bureau, role=role)
        if inspector and inspector.user_id is None:
            inspector.user = user
            inspector.save(update_fields=["user"])


def seed_demo(*, enterprises: int = 1500, inspectors: int = 40, workflow: bool = True) -> dict[str, int]:
    """The demo county: bureaus, users for every role, registries and the checklist. Idempotent."""
    with transaction.atomic():
        bureaus = ensure_bureaus()
        jianan = bureaus["jianan"]
        created = 0
        missing = enterprises - Enterprise.objects.filter(bureau=jianan).count()
        if missing > 0:
            created = generate_enterprises(jianan, missing)
        if not Enterprise.objects.filter(bureau=bureaus["yanling"]).exists():
            generate_enterprises(bureaus["yanling"], 60, seed=99, with_records=False)
        generate_inspectors(jianan, inspectors)
        generate_inspectors(bureaus["yanling"], 6, seed=8)
        ensure_checklist(jianan)
        ensure_checklist(bureaus["yanling"])
        ensure_experts(jianan)
        ensure_users(bureaus)
        if created:
            sample = Enterprise.objects.filter(bureau=jianan).order_by("id")[:3]
            for ent in sample:
                if not Conflict.objects.filter(enterprise=ent).exists():
                    insp = Inspector.objects.filter(bureau=jianan, code="ZF004").first()
                    if insp:
                        Conflict.objects.create(inspector=insp, enterprise=ent, reason="亲属在该企业任职")
            audit_log(actor="seed_demo", action="demo.seeded", bureau=jianan, data={"enterprises": created})
    done = seed_workflow(jianan) if workflow else {"draws": 0, "published": 0}
    return {"enterprises_created": created, **done}


def seed_workflow(bureau: Bureau) -> dict[str, int]:
    """This year's plan in force, this quarter's draws run by lead1 and approved by lead2, some inspections
    recorded and approved, half of the approved results published — all through the services. Idempotent."""
    today = timezone.localdate()
    plan = seed_demo_plans(bureau, year=today.year)
    users = get_user_model().objects.in_bulk(["lead1", "lead2"], field_name="username")
    draws = 0
    for task in plan.tasks.order_by("seq"):
        if seed_demo_draw(task, runner=users["lead1"], approver=users["lead2"]) is not None:
            draws += 1
    seed_demo_inspections(bureau, today)
    published = 0
    if not Publication.objects.filter(bureau=bureau).exists():  # publishes a share of what is due: only once
        published = seed_demo_publications(bureau)
    return {"draws": draws, "published": published}
