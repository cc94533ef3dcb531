"""Chinese labels of the inspector registry: strings it shares with other apps' catalogues get its own meaning."""

from django.utils import translation

from enterprises.enums import EnterpriseStatus
from inspectors.models import Expert, Inspector
from sampling.enums import PlanStatus


def test_inspector_field_labels_are_about_people_in_chinese():
    with translation.override("zh-hans"):
        assert str(Inspector._meta.get_field("name").verbose_name) == "姓名"
        assert str(Inspector._meta.get_field("active").verbose_name) == "在岗"
        assert str(Expert._meta.get_field("industries").verbose_name) == "擅长行业"


def test_the_same_english_word_keeps_each_apps_meaning():
    with translation.override("zh-hans"):
        assert str(EnterpriseStatus.CLOSED.label) == "关闭"
        assert str(PlanStatus.CLOSED.label) == "已结束"


def test_messages_shared_with_the_enterprise_import_read_the_same():
    with translation.override("zh-hans"):
        assert translation.gettext("This column appears twice.") == "此列重复出现。"
        assert (
            translation.gettext("The file is too large (%(size)s MB; at most %(max)s MB).")
            == "文件过大（%(size)s MB；最大 %(max)s MB）。"
        )
