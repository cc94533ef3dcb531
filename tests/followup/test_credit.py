"""The enterprise's credit record (issue 16): a decided penalty and a visit that finds the problem not rectified
put a record on the enterprise's record, once, and the draws' risk weight rises with it."""

from datetime import date

from core.models import AuditEntry
from enterprises.models import EnterpriseRecord
from enterprises.services import risk_weights
from followup import services
from followup.models import Case, Rectification

from .conftest import at
from .test_services import _decide, _file


def _records(enterprise):
    return list(
        EnterpriseRecord.objects.filter(enterprise=enterprise)
        .order_by("id")
        .values_list("kind", "date", "reference", "description")
    )


def test_visit_not_rectified_and_penalty_go_on_the_record_once(ordered, bob, alice, bureau):
    enterprise = ordered.enterprise
    assert risk_weights(bureau, [enterprise.pk], as_of=date(2026, 12, 1)) == {enterprise.pk: 1}
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 11, 2)):
        for _repeat in range(2):
            services.visit_record(
                actor=bob, rectification=r, rectified=False, visited_on=date(2026, 11, 2), findings="设施仍未运行"
            )
    case = Case.objects.get(task=ordered)
    with at(date(2026, 12, 1)):
        _file(case, alice)
        _decide(case, alice)
        _decide(case, alice)  # a repeat writes no second record
    assert _records(enterprise) == [
        ("violation", date(2026, 11, 2), ordered.number, "回访未整改：设施仍未运行"),
        ("penalty", date(2026, 11, 20), "建环罚〔2026〕8号", "罚款：罚款人民币伍万元整"),
    ]
    # 1 + two records in the last three years (no credit rating)
    assert risk_weights(bureau, [enterprise.pk], as_of=date(2026, 12, 1)) == {enterprise.pk: 3}
    # the penalty is not yet on the record of a draw made before the decision
    assert risk_weights(bureau, [enterprise.pk], as_of=date(2026, 11, 19)) == {enterprise.pk: 2}
    audited = list(
        AuditEntry.objects.filter(action="enterprises.record_added").order_by("id").values_list("actor_id", flat=True)
    )
    assert audited == [bob.pk, alice.pk]


def test_visit_rectified_puts_nothing_on_the_record(ordered, bob):
    r = Rectification.objects.get(task=ordered)
    with at(date(2026, 10, 27)):
        services.visit_record(
            actor=bob, rectification=r, rectified=True, visited_on=date(2026, 10, 27), findings="已整改"
        )
    assert _records(ordered.enterprise) == []
