"""factory_boy factories shared by every test module."""

import random
from datetime import date

import factory
from django.contrib.auth import get_user_model
from stdnum.cn import uscc as uscc_std

from core.enums import BureauKind
from core.models import Bureau, Membership
from enterprises.models import CheckItem, Enterprise
from inspectors.models import Inspector

_rng = random.Random(4754)
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def valid_uscc(n: int | None = None) -> str:
    """A valid USCC; deterministic for a given n."""
    rng = random.Random(n) if n is not None else _rng
    body = "91411003" + "".join(rng.choice(_CHARS) for _ in range(9))
    return body + uscc_std.calc_check_digit(body)


class BureauFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bureau
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"bureau{n}")
    name = factory.Sequence(lambda n: f"测试生态环境分局{n}")
    short_name = factory.Sequence(lambda n: f"测环{n}")
    kind = BureauKind.COUNTY
    division_code = "411003"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    bureau = factory.SubFactory(BureauFactory)
    role = "registry_staff"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    bureau = factory.SubFactory(BureauFactory)
    uscc = factory.Sequence(lambda n: valid_uscc(n))
    name = factory.Sequence(lambda n: f"许昌测试{n}号化工有限公司")
    address = "许昌市建安区测试路1号"
    tier = "general"
    status = "operating"


class InspectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inspector

    bureau = factory.SubFactory(BureauFactory)
    code = factory.Sequence(lambda n: f"ZF{n + 1:03d}")
    name = factory.Sequence(lambda n: f"检查员{n}")
    certificate_number = factory.Sequence(lambda n: f"豫环执{n:08d}")
    certificate_valid_from = date(2024, 1, 1)
    # Valid through the tests' fixed dates (2024–2028) and at least two years past today, whatever today is.
    certificate_valid_until = factory.LazyFunction(lambda: date(max(2028, date.today().year + 2), 12, 31))


class CheckItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckItem

    bureau = factory.SubFactory(BureauFactory)
    code = factory.Sequence(lambda n: f"SJ-{n:02d}")
    name = factory.Sequence(lambda n: f"检查事项{n}")
    legal_basis = "《中华人民共和国环境保护法》第二十四条"
    content = "污染防治设施运行情况"
    method = "现场检查"
