from inspections.enums import Outcome


def test_outcomes_are_exactly_the_nine_legal_categories_in_order():
    assert [label for _value, label in Outcome.choices] == [
        "未发现问题",
        "未按规定公示应当公示的信息",
        "发现问题已责令改正",
        "不配合检查情节严重",
        "发现问题待后续处理",
        "发现问题已责令整改",
        "发现违法行为已立案调查",
        "通过登记的住所（经营场所）无法联系",
        "未发现开展本次抽查涉及的经营活动",
    ]
    assert Outcome.values == [
        "no_problem",
        "info_not_disclosed",
        "corrected",
        "uncooperative",
        "pending_follow_up",
        "rectification_ordered",
        "case_filed",
        "unreachable",
        "no_business_activity",
    ]


def test_outcome_groups():
    assert Outcome.problems_found() == Outcome.values[1:-1]
    assert Outcome.without_arrival() == ["uncooperative", "unreachable"]
    assert Outcome.violations_found() == ["corrected", "pending_follow_up", "rectification_ordered", "case_filed"]
    assert Outcome.awaiting_follow_up() == ["pending_follow_up"]
