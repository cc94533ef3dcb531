from inspections.enums import Outcome


def test_outcomes_are_exactly_the_seven_legal_categories_in_order():
    assert [label for _value, label in Outcome.choices] == [
        "未发现问题",
        "未按规定公示应当公示的信息",
        "发现问题已责令改正",
        "不配合检查情节严重",
        "发现问题待后续处理",
        "发现问题已责令整改",
        "发现违法行为已立案调查",
    ]
    assert Outcome.values == [
        "no_problem",
        "info_not_disclosed",
        "corrected",
        "uncooperative",
        "pending_follow_up",
        "rectification_ordered",
        "case_filed",
    ]


def test_outcome_groups():
    assert Outcome.problems_found() == Outcome.values[1:]
    assert Outcome.violations_found() == ["corrected", "pending_follow_up", "rectification_ordered", "case_filed"]
    assert Outcome.awaiting_follow_up() == ["pending_follow_up"]
