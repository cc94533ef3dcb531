"""Quota rules and exclusions (DESIGN §3 rule 5), as pure functions: exact numbers, no database."""

import random
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from sampling.algorithm import canonical_json
from sampling.enums import ExclusionReason, QuotaPreset, QuotaRule
from sampling.presets import PRESETS
from sampling.quota import (
    Candidate,
    GeneralTarget,
    QuotaRules,
    applied_rule,
    build_population,
    ceil_percent,
    exclusion_text,
    rule_text,
    tier_quota,
)
from tests.factories import valid_uscc


def cands(tier, count, start=0, **fields):
    values = {"status": "operating", "positive_list": False} | fields
    return [
        Candidate(start + i, valid_uscc(start + i), f"企业{start + i}", tier, values["status"], values["positive_list"])
        for i in range(count)
    ]


def rules_of(preset, **changes):
    values = {k: v for k, v in PRESETS[preset].items() if k != "use_risk_weights"}
    return QuotaRules(**(values | changes))


def stratum(population, label):
    return next(s for s in population.strata if s.label == label)


# --------------------------------------------------------------------------- ratio


def test_ceil_percent_is_exact():
    assert ceil_percent(Decimal("20"), 47) == 10  # 9.4 → 10
    assert ceil_percent(Decimal("30"), 47) == 15  # 14.1 → 15
    assert ceil_percent(Decimal("25"), 40) == 10  # exactly 10, not 11
    assert ceil_percent(Decimal("3"), 100) == 3
    assert ceil_percent(Decimal("3"), 101) == 4
    assert ceil_percent(Decimal("0"), 50) == 0


def test_xiping_key_twenty_percent_of_47_is_10():
    rules = rules_of(QuotaPreset.XIPING, key_once_a_year=False)
    pop = build_population(cands("key", 47), rules=rules, year=2024, quarter=1, tiers=["key"])
    key = stratum(pop, "2024Q1/key")
    assert (key.population, key.quota) == (47, 10)
    assert applied_rule(key.rules) == {
        "rule": QuotaRule.RATIO,
        "value": 10,
        "params": {"ratio": "20", "population": 47},
        "applied": True,
    }
    with translation.override("en"):
        assert rule_text(applied_rule(key.rules)) == "20% of 47 eligible, rounded up = 10"


def test_xinxian_key_thirty_percent_per_quarter():
    pop = build_population(cands("key", 47), rules=rules_of(QuotaPreset.XINXIAN), year=2021, quarter=2, tiers=["key"])
    assert stratum(pop, "2021Q2/key").quota == 15


def test_baoding_county_preset_quotas():
    rules = rules_of(QuotaPreset.BAODING_COUNTY)
    pool = cands("key", 40) + cands("special", 7, start=100) + cands("general", 201, start=200)
    pop = build_population(pool, rules=rules, year=2024, quarter=3, tiers=["key", "special", "general"])
    assert [(s.label, s.population, s.quota) for s in pop.strata] == [
        ("2024Q3/special", 7, 4),  # 50% of 7 = 3.5 → 4
        ("2024Q3/key", 40, 10),  # 25% of 40
        ("2024Q3/general", 201, 7),  # 3% of 201 = 6.03 → 7
    ]


def test_task_ratio_replaces_the_policy_ratio():
    rules = QuotaRules(general_ratio=Decimal(3), task_ratio=Decimal("12.5"))
    pop = build_population(cands("general", 40), rules=rules, year=2026, quarter=1, tiers=["general"])
    general = stratum(pop, "2026Q1/general")
    assert general.quota == 5
    assert applied_rule(general.rules)["rule"] == QuotaRule.TASK_RATIO
    with translation.override("en"):
        assert rule_text(applied_rule(general.rules)) == "Task's own ratio: 12.5% of 40 eligible, rounded up = 5"


def test_quota_never_exceeds_the_eligible_population():
    quota, rules = tier_quota(
        "general",
        eligible=12,
        uncovered=0,
        rules=QuotaRules(general_per_inspector_per_year=10),
        quarter=4,
        general_target=GeneralTarget(per_inspector=10, inspectors=5, inspected_this_year=0),
    )
    assert quota == 12
    assert rules[0]["value"] == 50 and rules[0]["capped_at"] == 12
    with translation.override("en"):
        assert rule_text(rules[0]).endswith(" (capped at the 12 eligible)")


def test_no_rule_means_nothing_drawn_and_the_tier_stays_out_of_the_record():
    pop = build_population(
        cands("special", 5) + cands("key", 10, start=10),
        rules=QuotaRules(key_ratio=Decimal(20)),
        year=2026,
        quarter=1,
        tiers=["special", "key"],
    )
    assert stratum(pop, "2026Q1/special").quota == 0
    assert applied_rule(stratum(pop, "2026Q1/special").rules)["rule"] == QuotaRule.NONE
    assert [s["label"] for s in pop.record_strata()] == ["2026Q1/key"]
    assert pop.total_quota == 2


# --------------------------------------------------------------------------- coverage


def test_coverage_thirty_uncovered_two_quarters_left_draws_fifteen_uncovered_first():
    """西平: every key unit once a year. Q3 of 4: 2 quarters left; 30 not inspected yet of 60."""
    key = cands("key", 60)
    inspected = {c.id: 1 for c in key[30:]}
    rules = QuotaRules(key_ratio=Decimal(20), key_once_a_year=True)
    pop = build_population(key, rules=rules, year=2024, quarter=3, tiers=["key"], inspections=inspected)
    uncovered, covered = pop.strata
    assert (uncovered.label, uncovered.population, uncovered.quota) == ("2024Q3/key/uncovered", 30, 15)
    assert (covered.label, covered.population, covered.quota) == ("2024Q3/key", 30, 0)
    assert applied_rule(uncovered.rules)["rule"] == QuotaRule.COVERAGE  # 15 > 20% of 60 = 12
    assert [r["value"] for r in uncovered.rules] == [12, 15]
    # the uncovered stratum comes first in the record, the covered one is kept as its companion
    assert [(s["label"], s["count"]) for s in pop.record_strata()] == [
        ("2024Q3/key/uncovered", 15),
        ("2024Q3/key", 0),
    ]
    assert {m["id"] for m in pop.record_strata()[0]["members"]} == {c.uscc for c in key[:30]}
    with translation.override("en"):
        assert rule_text(applied_rule(uncovered.rules)) == (
            "Every unit at least once a year: 30 not yet inspected ÷ 2 quarters left, rounded up = 15, drawn first"
        )


def test_coverage_quota_larger_than_the_uncovered_takes_the_rest_from_the_covered():
    key = cands("key", 40)
    inspected = {c.id: 1 for c in key[10:]}
    rules = QuotaRules(key_ratio=Decimal(50), key_once_a_year=True)
    pop = build_population(key, rules=rules, year=2026, quarter=1, tiers=["key"], inspections=inspected)
    assert [(s.label, s.population, s.quota) for s in pop.strata] == [
        ("2026Q1/key/uncovered", 10, 10),
        ("2026Q1/key", 30, 10),
    ]


def test_coverage_in_the_last_quarter_draws_every_uncovered_unit():
    special = cands("special", 9)
    rules = QuotaRules(special_once_a_year=True)
    pop = build_population(
        special, rules=rules, year=2026, quarter=4, tiers=["special"], inspections={special[0].id: 1}
    )
    assert [(s.label, s.quota) for s in pop.strata] == [("2026Q4/special/uncovered", 8), ("2026Q4/special", 0)]


def test_special_every_quarter_draws_them_all():
    pop = build_population(
        cands("special", 6), rules=rules_of(QuotaPreset.XIPING), year=2024, quarter=2, tiers=["special"]
    )
    special = stratum(pop, "2024Q2/special")
    assert special.quota == 6
    assert applied_rule(special.rules)["rule"] == QuotaRule.EVERY_QUARTER


# --------------------------------------------------------------------------- 1:10


def test_one_to_ten_rule_spreads_the_remaining_annual_target_over_the_quarters_left():
    """12 on-duty officers → 120 a year; 30 inspected; Q2 of 4 → ceil(90 / 3) = 30 (> 3% of 500 = 15)."""
    rules = QuotaRules(general_ratio=Decimal(3), general_per_inspector_per_year=10)
    target = GeneralTarget(per_inspector=10, inspectors=12, inspected_this_year=30)
    pop = build_population(
        cands("general", 500), rules=rules, year=2026, quarter=2, tiers=["general"], general_target=target
    )
    general = stratum(pop, "2026Q2/general")
    assert general.quota == 30
    assert [(r["rule"], r["value"], r["applied"]) for r in general.rules] == [
        (QuotaRule.RATIO, 15, False),
        (QuotaRule.PER_INSPECTOR, 30, True),
    ]
    with translation.override("en"):
        assert rule_text(applied_rule(general.rules)) == (
            "1:10 rule: 10 × 12 on-duty enforcement officers = 120 a year, 30 inspected so far, "
            "90 ÷ 3 quarters left, rounded up = 30"
        )


def test_one_to_ten_rule_met_leaves_the_ratio():
    rules = QuotaRules(general_ratio=Decimal(3), general_per_inspector_per_year=10)
    target = GeneralTarget(per_inspector=10, inspectors=4, inspected_this_year=45)
    quota, found = tier_quota("general", eligible=500, uncovered=0, rules=rules, quarter=3, general_target=target)
    assert quota == 15
    assert found[1]["value"] == 0 and found[1]["params"]["remaining"] == 0


# --------------------------------------------------------------------------- exclusions


def test_yearly_cap_excludes_enterprises_inspected_twice():
    general = cands("general", 4)
    inspections = {general[0].id: 2, general[1].id: 1, general[2].id: 3}
    pop = build_population(
        general,
        rules=QuotaRules(general_ratio=Decimal(50), yearly_cap=2),
        year=2026,
        quarter=3,
        tiers=["general"],
        inspections=inspections,
    )
    assert stratum(pop, "2026Q3/general").population == 2
    assert [(e["uscc"], e["reason"], e["params"]) for e in pop.exclusions] == sorted(
        [
            (general[0].uscc, ExclusionReason.YEARLY_CAP, {"count": 2, "cap": 2}),
            (general[2].uscc, ExclusionReason.YEARLY_CAP, {"count": 3, "cap": 2}),
        ]
    )
    with translation.override("en"):
        assert exclusion_text(pop.exclusions[0]) == "Already inspected 2 times this year (cap 2)"


def test_no_cap_means_no_cap_exclusion():
    general = cands("general", 2)
    pop = build_population(
        general,
        rules=QuotaRules(general_ratio=Decimal(50), yearly_cap=None),
        year=2026,
        quarter=1,
        tiers=["general"],
        inspections={general[0].id: 7},
    )
    assert pop.exclusions == []


def test_positive_list_is_excluded_with_its_reason_when_the_policy_says_so():
    general = cands("general", 3) + cands("general", 2, start=10, positive_list=True)
    baoding = build_population(
        general, rules=rules_of(QuotaPreset.BAODING_COUNTY), year=2024, quarter=1, tiers=["general"]
    )
    assert stratum(baoding, "2024Q1/general").population == 3
    assert sorted((e["id"], e["reason"]) for e in baoding.exclusions) == [
        (10, ExclusionReason.POSITIVE_LIST),
        (11, ExclusionReason.POSITIVE_LIST),
    ]
    with translation.override("en"):
        assert exclusion_text(baoding.exclusions[0]) == "On the positive list (supervised off-site)"
    xinxian = build_population(general, rules=rules_of(QuotaPreset.XINXIAN), year=2021, quarter=1, tiers=["general"])
    assert xinxian.exclusions == []


@pytest.mark.parametrize("status", ["suspended", "closed", "relocated"])
def test_enterprises_not_operating_are_excluded_with_their_status(status):
    pop = build_population(
        cands("key", 3) + cands("key", 1, start=9, status=status),
        rules=QuotaRules(key_ratio=Decimal(100)),
        year=2026,
        quarter=1,
        tiers=["key"],
    )
    assert stratum(pop, "2026Q1/key").quota == 3
    assert [(e["id"], e["reason"], e["params"]) for e in pop.exclusions] == [
        (9, ExclusionReason.NOT_OPERATING, {"status": status})
    ]
    with translation.override("en"):
        assert exclusion_text(pop.exclusions[0], {status: status.title()}) == f"Not operating: {status.title()}"


def test_already_drawn_for_the_task_this_quarter_is_excluded():
    key = cands("key", 3)
    pop = build_population(
        key,
        rules=QuotaRules(key_ratio=Decimal(100)),
        year=2026,
        quarter=1,
        tiers=["key"],
        drawn_this_quarter={key[1].id: 77},
    )
    assert [(e["id"], e["reason"], e["params"]) for e in pop.exclusions] == [
        (key[1].id, ExclusionReason.DRAWN_THIS_QUARTER, {"draw": 77})
    ]
    with translation.override("en"):
        assert exclusion_text(pop.exclusions[0]) == "Already drawn for this task this quarter (draw #77)"


def test_first_reason_wins_and_each_enterprise_is_excluded_once():
    c = Candidate(1, valid_uscc(1), "企业", "general", "closed", True)
    pop = build_population(
        [c],
        rules=QuotaRules(general_ratio=Decimal(10), exclude_positive_list=True, yearly_cap=1),
        year=2026,
        quarter=1,
        tiers=["general"],
        inspections={1: 5},
        drawn_this_quarter={1: 3},
    )
    assert [e["reason"] for e in pop.exclusions] == [ExclusionReason.NOT_OPERATING]


def test_tiers_not_targeted_are_neither_drawn_nor_listed_as_excluded():
    pop = build_population(
        cands("general", 5) + cands("key", 5, start=5, status="closed"),
        rules=QuotaRules(general_ratio=Decimal(20), key_ratio=Decimal(20)),
        year=2026,
        quarter=1,
        tiers=["general"],
    )
    assert [s.label for s in pop.strata] == ["2026Q1/general"]
    assert pop.exclusions == []


# --------------------------------------------------------------------------- weights and order


def test_weights_are_bounded_to_the_algorithm_range():
    general = cands("general", 3)
    pop = build_population(
        general,
        rules=QuotaRules(general_ratio=Decimal(100)),
        year=2026,
        quarter=1,
        tiers=["general"],
        weights={general[0].id: 0, general[1].id: 4, general[2].id: 5000},
    )
    weights = {m["id"]: m["weight"] for m in pop.record_strata()[0]["members"]}
    assert weights == {general[0].uscc: 1, general[1].uscc: 4, general[2].uscc: 1000}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), cap=st.sampled_from([None, 1, 2]), quarter=st.integers(1, 4))
def test_population_does_not_depend_on_the_candidates_order(seed, cap, quarter):
    rng = random.Random(seed)
    pool = (
        cands("general", 30)
        + cands("key", 12, start=100)
        + cands("special", 4, start=200)
        + cands("general", 3, start=300, status="suspended")
        + cands("general", 3, start=400, positive_list=True)
    )
    inspections = {c.id: rng.randint(0, 3) for c in pool if rng.random() < 0.4}
    rules = QuotaRules(
        general_ratio=Decimal(10),
        key_ratio=Decimal(25),
        special_ratio=Decimal(50),
        key_once_a_year=True,
        yearly_cap=cap,
        exclude_positive_list=True,
    )
    kwargs = {"rules": rules, "year": 2026, "quarter": quarter, "tiers": ["special", "key", "general"]}
    shuffled = pool[:]
    rng.shuffle(shuffled)
    a = build_population(pool, inspections=inspections, **kwargs)
    b = build_population(shuffled, inspections=inspections, **kwargs)
    assert a.record_strata() == b.record_strata()
    assert a.quotas() == b.quotas()
    assert a.exclusions == b.exclusions


@settings(max_examples=60, deadline=None)
@given(
    usccs=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=25, unique=True),
    weights=st.lists(st.integers(1, 1000), min_size=25, max_size=25),
    data=st.data(),
)
def test_the_pool_json_written_out_directly_is_the_canonical_json(usccs, weights, data):
    """The pool is hashed as written by Population.record_json: it must be canonical_json(record_strata())."""
    tiers = data.draw(
        st.lists(st.sampled_from(["general", "key", "special"]), min_size=len(usccs), max_size=len(usccs))
    )
    pool = [
        Candidate(i, uscc, f"企业{i}", tier, "operating", False) for i, (uscc, tier) in enumerate(zip(usccs, tiers))
    ]
    rules = QuotaRules(
        general_ratio=Decimal(10), key_ratio=Decimal(30), special_ratio=Decimal(50), key_once_a_year=True
    )
    population = build_population(
        pool,
        rules=rules,
        year=2026,
        quarter=2,
        tiers=["general", "key", "special"],
        inspections={0: 1},
        weights=dict(enumerate(weights)),
    )
    assert population.record_json() == canonical_json(population.record_strata())


@settings(max_examples=60, deadline=None)
@given(usccs=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=25, unique=True))
def test_the_pool_json_of_unweighted_members_is_the_canonical_json(usccs):
    """Every weight 1 (the usual pool, written in one join), whatever characters the USCCs hold."""
    pool = [Candidate(i, uscc, f"企业{i}", "general", "operating", False) for i, uscc in enumerate(usccs)]
    rules = QuotaRules(general_ratio=Decimal(10))
    population = build_population(pool, rules=rules, year=2026, quarter=2, tiers=["general"])
    assert population.record_json() == canonical_json(population.record_strata())


def test_the_pool_json_of_plain_and_escaped_usccs():
    rules = QuotaRules(general_ratio=Decimal(50))
    plain = [
        Candidate(2, "B2", "乙", "general", "operating", False),
        Candidate(1, "A1", "甲", "general", "operating", False),
    ]
    assert build_population(plain, rules=rules, year=2026, quarter=1, tiers=["general"]).record_json() == (
        '[{"count":1,"label":"2026Q1/general","members":[{"id":"A1","weight":1},{"id":"B2","weight":1}]}]'
    )
    quoted = [*plain, Candidate(3, 'C"3', "丙", "general", "operating", False)]
    assert build_population(quoted, rules=rules, year=2026, quarter=1, tiers=["general"]).record_json() == (
        '[{"count":2,"label":"2026Q1/general","members":'
        '[{"id":"A1","weight":1},{"id":"B2","weight":1},{"id":"C\\"3","weight":1}]}]'
    )


@pytest.mark.parametrize("weight", [2, 1000])
def test_the_pool_json_of_members_all_of_one_weight_other_than_1_keeps_that_weight(weight):
    """The one-join path writes "weight":1; a pool whose members all share another weight is written with it."""
    rules = QuotaRules(general_ratio=Decimal(50))
    pool = [
        Candidate(2, "B2", "乙", "general", "operating", False),
        Candidate(1, "A1", "甲", "general", "operating", False),
    ]
    population = build_population(
        pool, rules=rules, year=2026, quarter=1, tiers=["general"], weights={1: weight, 2: weight}
    )
    assert population.record_json() == (
        '[{"count":1,"label":"2026Q1/general","members":'
        f'[{{"id":"A1","weight":{weight}}},{{"id":"B2","weight":{weight}}}]}}]'
    )


def test_members_with_one_uscc_twice_are_ordered_as_tuples():
    """A registry's USCCs are unique; should two candidates share one, they keep the (uscc, weight, id) order."""
    pool = [
        Candidate(9, "A1", "甲", "general", "operating", False),
        Candidate(3, "B2", "乙", "general", "operating", False),
        Candidate(4, "A1", "丙", "general", "operating", False),
    ]
    rules = QuotaRules(general_ratio=Decimal(10))
    population = build_population(pool, rules=rules, year=2026, quarter=1, tiers=["general"], weights={9: 2})
    assert population.strata[0].members == [("A1", 1, 4), ("A1", 2, 9), ("B2", 1, 3)]


def test_the_fast_path_keeps_exclusions_and_weights_as_before():
    pool = [
        Candidate(1, "A1", "甲", "general", "operating", False),
        Candidate(2, "A2", "乙", "general", "closed", False),
        Candidate(3, "A3", "丙", "general", "operating", True),
        Candidate(4, "A4", "丁", "general", "operating", False),
        Candidate(5, "A5", "戊", "general", "operating", False),
        Candidate(6, "A6", "己", "general", "operating", False),
    ]
    rules = QuotaRules(general_ratio=Decimal(50), yearly_cap=2, exclude_positive_list=True)
    population = build_population(
        pool,
        rules=rules,
        year=2026,
        quarter=1,
        tiers=["general"],
        inspections={4: 2, 5: 1},
        drawn_this_quarter={6: 9},
        weights={1: True, 5: 0, 4: 3},
    )
    assert [(e["uscc"], e["reason"]) for e in population.exclusions] == [
        ("A6", "drawn_this_quarter"),
        ("A2", "not_operating"),
        ("A3", "positive_list"),
        ("A4", "yearly_cap"),
    ]
    assert population.strata[0].members == [("A1", 1, 1), ("A5", 1, 5)]
